"""Public catalog representations (the shapes the runbook's smoke tests and the gate read)."""

from __future__ import annotations

from rest_framework import serializers

from apps.products.models import Category, Product, ProductVariant, normalize_color_name


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "onec_id", "parent"]


class ProductVariantSerializer(serializers.ModelSerializer):
    """``color_hex`` comes from ColorMapping via the ``color_hex_by_name`` context (no query per row)."""

    color_hex = serializers.SerializerMethodField()
    price = serializers.DecimalField(source="retail_price", max_digits=12, decimal_places=2, read_only=True)
    stock = serializers.IntegerField(source="stock_quantity", read_only=True)
    available_quantity = serializers.IntegerField(read_only=True)
    is_in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProductVariant
        fields = ["id", "sku", "onec_id", "color_name", "color_hex", "size_value", "price", "stock",
                  "available_quantity", "is_in_stock", "images"]

    def get_color_hex(self, variant: ProductVariant) -> str | None:
        if not variant.color_name:
            return None
        return self.context.get("color_hex_by_name", {}).get(normalize_color_name(variant.color_name))


class ProductListSerializer(serializers.ModelSerializer):
    """Reads the ``brand_name`` and ``category_slug`` of ``ProductQuerySet.with_brand_and_category``."""

    brand = serializers.CharField(source="brand_name", read_only=True)
    category = serializers.CharField(source="category_slug", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "onec_id", "brand", "category", "images"]


class ProductDetailSerializer(ProductListSerializer):
    variants = ProductVariantSerializer(many=True, read_only=True)

    class Meta(ProductListSerializer.Meta):
        fields = [*ProductListSerializer.Meta.fields, "description", "variants"]
