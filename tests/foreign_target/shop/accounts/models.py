from django.db import models
from django.db.models import Q


class User(models.Model):
    email = models.EmailField(unique=True)
    role = models.CharField(max_length=20, default="retail")
    is_active = models.BooleanField(default=True)
    last_login = models.DateTimeField(null=True)

    class Meta:
        db_table = "users"
        indexes = [models.Index(fields=["role", "is_active"], name="users_b2b_users_idx",
                                condition=Q(role__in=["wholesale", "b2b"]))]
