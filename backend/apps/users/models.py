"""Customers and their favorites: protected tables a catalog flush or re-import never touches."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A FreeSport customer; ``role`` picks the price column (retail, opt1-3, trainer, federation)."""

    class Role(models.TextChoices):
        RETAIL = "retail", "Retail"
        WHOLESALE_LEVEL1 = "wholesale_level1", "Wholesale level 1"
        WHOLESALE_LEVEL2 = "wholesale_level2", "Wholesale level 2"
        WHOLESALE_LEVEL3 = "wholesale_level3", "Wholesale level 3"
        TRAINER = "trainer", "Trainer"
        FEDERATION_REP = "federation_rep", "Federation representative"

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.RETAIL)
    phone = models.CharField(max_length=32, blank=True, default="")
    company_name = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "users"

    def __repr__(self) -> str:
        return f"<User: pk={self.pk!r}, username={self.username!r}>"


class Favorite(models.Model):
    """A saved product, kept by the product's 1C id (not a FK) so a catalog flush keeps it."""

    user = models.ForeignKey(User, related_name="favorites", on_delete=models.CASCADE)
    product_onec_id = models.CharField(max_length=255)
    product_name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "favorites"
        constraints = [models.UniqueConstraint(fields=["user", "product_onec_id"], name="favorites_user_product_uniq")]

    def __repr__(self) -> str:
        return f"<Favorite: pk={self.pk!r}, product_onec_id={self.product_onec_id!r}>"
