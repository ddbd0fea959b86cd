"""The FreeSport catalog as of v13.4: Product (one per 1C good) + ProductVariant (one per offer).

The v13.3 schema (one Product row per 1C SKU carrying sku, prices and stock) exists only in
migration 0001_initial; 0002-0004 move to this state. See README.md, "Reference backend".
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from apps.products.managers import CategoryQuerySet, ProductQuerySet, ProductVariantQuerySet

HEX_COLOR_RE = r"^#[0-9A-Fa-f]{6}$"
PRICE = {"max_digits": 12, "decimal_places": 2, "null": True, "blank": True}


def normalize_color_name(name: str) -> str:
    """Key for matching a 1C color to ColorMapping: case-, ё/е- and whitespace-insensitive."""
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


class Category(models.Model):
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    onec_id = models.CharField(max_length=255, unique=True)
    parent = models.ForeignKey("self", related_name="children", null=True, blank=True, on_delete=models.CASCADE)
    is_active = models.BooleanField(default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        db_table = "categories"
        verbose_name_plural = "categories"

    def __repr__(self) -> str:
        return f"<Category: pk={self.pk!r}, slug={self.slug!r}>"

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    onec_id = models.CharField(max_length=255, unique=True, null=True, blank=True)

    class Meta:
        db_table = "brands"

    def __repr__(self) -> str:
        return f"<Brand: pk={self.pk!r}, slug={self.slug!r}>"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A 1C good; ``onec_id`` is the productGuid (in v13.3 it was the per-SKU offer id)."""

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    onec_id = models.CharField(max_length=255, unique=True)
    brand = models.ForeignKey(Brand, related_name="products", null=True, blank=True, on_delete=models.SET_NULL)
    category = models.ForeignKey(Category, related_name="products", null=True, blank=True,
                                 on_delete=models.SET_NULL)
    description = models.TextField(blank=True, default="")
    images = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        db_table = "products"

    def __repr__(self) -> str:
        return f"<Product: pk={self.pk!r}, name={self.name!r}>"

    def __str__(self) -> str:
        return self.name


class ColorMapping(models.Model):
    """A color name as 1C writes it and the swatch the storefront shows."""

    name = models.CharField(max_length=100, unique=True)
    hex_code = models.CharField(max_length=7, validators=[RegexValidator(HEX_COLOR_RE, "Use #RRGGBB.")])

    class Meta:
        db_table = "color_mappings"
        constraints = [
            models.CheckConstraint(condition=models.Q(hex_code__regex=HEX_COLOR_RE), name="color_mappings_hex_rrggbb"),
        ]

    def __repr__(self) -> str:
        return f"<ColorMapping: pk={self.pk!r}, name={self.name!r}, hex_code={self.hex_code!r}>"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def hex_by_name(cls) -> dict[str, str]:
        """Every mapping keyed by ``normalize_color_name`` (one query)."""
        return {normalize_color_name(name): hex_code for name, hex_code in cls.objects.values_list("name", "hex_code")}


class ProductVariant(models.Model):
    """A 1C offer: ``onec_id`` is ``productGuid#variantGuid`` (``productGuid`` for a default variant)."""

    product = models.ForeignKey(Product, related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField(max_length=100, unique=True)
    onec_id = models.CharField(max_length=255, unique=True)
    color_name = models.CharField(max_length=100, blank=True, default="")
    size_value = models.CharField(max_length=50, blank=True, default="")
    retail_price = models.DecimalField(**PRICE)
    opt1_price = models.DecimalField(**PRICE)
    opt2_price = models.DecimalField(**PRICE)
    opt3_price = models.DecimalField(**PRICE)
    trainer_price = models.DecimalField(**PRICE)
    federation_price = models.DecimalField(**PRICE)
    stock_quantity = models.IntegerField(default=0)
    reserved_quantity = models.IntegerField(default=0)
    images = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductVariantQuerySet.as_manager()

    class Meta:
        db_table = "product_variants"

    def __repr__(self) -> str:
        return f"<ProductVariant: pk={self.pk!r}, sku={self.sku!r}>"

    def __str__(self) -> str:
        return self.sku

    @property
    def available_quantity(self) -> int:
        return max(self.stock_quantity - self.reserved_quantity, 0)

    @property
    def is_in_stock(self) -> bool:
        return self.available_quantity > 0


class ImportSession(models.Model):
    """One run of the 1C import, with its report, so an operator can see what the last import did."""

    class Status(models.TextChoices):
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    import_type = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True, default="")

    class Meta:
        db_table = "import_sessions"

    def __repr__(self) -> str:
        return f"<ImportSession: pk={self.pk!r}, status={self.status!r}>"
