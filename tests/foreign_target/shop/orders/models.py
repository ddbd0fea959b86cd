from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        db_table = "orders"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, related_name="items", on_delete=models.CASCADE)
    product_name = models.CharField(max_length=300)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.IntegerField(default=1)

    class Meta:
        db_table = "order_items"


class Cart(models.Model):
    user = models.ForeignKey("accounts.User", null=True, on_delete=models.CASCADE)

    class Meta:
        db_table = "carts"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, related_name="items", on_delete=models.CASCADE)
    product_name = models.CharField(max_length=300)
    quantity = models.IntegerField(default=1)

    class Meta:
        db_table = "cart_items"
