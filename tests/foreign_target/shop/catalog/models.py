from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    class Meta:
        db_table = "categories"


class Product(models.Model):
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=300, unique=True)
    onec_id = models.CharField(max_length=100, unique=True)
    category = models.ForeignKey(Category, null=True, on_delete=models.SET_NULL)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "products"


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField(max_length=100, unique=True)
    onec_id = models.CharField(max_length=200, unique=True)
    current_price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    stock = models.IntegerField(default=0)

    class Meta:
        db_table = "product_variants"


class Favorite(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.CASCADE)

    class Meta:
        db_table = "favorites"
