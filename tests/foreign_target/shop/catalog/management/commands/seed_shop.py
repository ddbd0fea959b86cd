"""Seed the shop at its pre-release state: catalog, users, favorites, orders, carts (fixed numbers)."""
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=60)

    @transaction.atomic
    def handle(self, *args, **options):
        from accounts.models import User
        from orders.models import Cart, CartItem, Order, OrderItem

        from catalog.models import Category, Favorite, Product

        n = options["products"]
        cats = Category.objects.bulk_create(Category(name=f"Group {i}", slug=f"group-{i}") for i in range(5))
        products = Product.objects.bulk_create(
            Product(name=f"Ball {i}", slug=f"ball-{i}", onec_id=f"good-{i}", category=cats[i % 5]) for i in range(n))
        with connection.cursor() as c:  # the pre-release per-SKU columns (the release's model no longer has them)
            c.execute("UPDATE products SET sku = 'SKU-' || id, price = 100 + id")
        users = User.objects.bulk_create(
            User(email=f"u{i}@shop.example", role=("b2b" if i % 3 == 0 else "retail")) for i in range(30))
        Favorite.objects.bulk_create(Favorite(user=users[i % 30], product=products[i % n]) for i in range(80))
        orders = Order.objects.bulk_create(
            Order(number=f"N-{i}", user=users[i % 30], total=Decimal(10 + i)) for i in range(150))
        OrderItem.objects.bulk_create(
            OrderItem(order=orders[i % 150], product_name=f"Ball {i % n}", price=Decimal(5 + i % 7)) for i in range(335))
        carts = Cart.objects.bulk_create(Cart(user=users[i]) for i in range(20))
        CartItem.objects.bulk_create(CartItem(cart=carts[i % 20], product_name=f"Ball {i}") for i in range(49))
        self.stdout.write(f"seeded {n} products, 150 orders, 335 order items, 49 cart items, 80 favorites")
