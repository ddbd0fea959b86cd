"""Carts: protected tables; items keep the 1C id, SKU and a name/price snapshot, not a catalog FK."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Cart(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="carts", null=True, blank=True,
                             on_delete=models.CASCADE)
    session_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "carts"

    def __repr__(self) -> str:
        return f"<Cart: pk={self.pk!r}, user_id={self.user_id!r}>"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, related_name="items", on_delete=models.CASCADE)
    onec_id = models.CharField(max_length=255, help_text="1C offer id (productGuid#variantGuid)")
    sku = models.CharField(max_length=100)
    product_name = models.CharField(max_length=255)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cart_items"

    def __repr__(self) -> str:
        return f"<CartItem: pk={self.pk!r}, sku={self.sku!r}>"
