"""Seed a realistic v13.3 "production" database from the ``SampleCatalog``.

The v13.3 schema has one ``products`` row per 1C SKU (``onec_id`` = the offer id ``p#v``, or
``p`` for a good without offers; ``parent_onec_id`` = ``p``) carrying sku, prices and stock.
``models.py`` describes v13.4, so rows are written with raw ``COPY`` through Django's
connection (fast: ~100k rows in a couple of seconds) with explicit ids, then sequences are
moved past them. Orders, order items, carts, cart items and favorites reference real SKUs by
1C id / SKU with a name and price snapshot (no FK to products), exactly what must survive the
migration. Everything is deterministic for a seed, timestamps included, so two seeded
databases have identical fingerprints.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from apps.products.services import mapping
from apps.products.services.sample_catalog import BASIC_COLORS, PRICE_FIELDS, SampleCatalog

BASE_TIME = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)
#: an unusable password hash ("!" prefix, as Django's set_unusable_password writes)
UNUSABLE_PASSWORD = "!seeded-customer-no-login"
ROLES = ("retail", "retail", "retail", "wholesale_level1", "wholesale_level2", "wholesale_level3", "trainer", "federation_rep")
ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "delivered", "cancelled")
SEEDED_TABLES = ("favorites", "cart_items", "carts", "order_items", "orders", "users", "products", "categories", "brands")
_FIRST = ("Иван", "Анна", "Сергей", "Мария", "Алексей", "Ольга", "Дмитрий", "Елена", "Павел", "Наталья")
_LAST = ("Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов", "Новикова", "Морозов", "Волкова")


class SeedRefused(Exception):
    """The database is not in a state the v13.3 seed can write to."""


@dataclass(slots=True)
class SeedCounts:
    categories: int = 0
    brands: int = 0
    products: int = 0
    users: int = 0
    orders: int = 0
    order_items: int = 0
    carts: int = 0
    cart_items: int = 0
    favorites: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def check_v133_schema() -> None:
    """Refuse unless products is exactly at 0001_initial and the protected tables exist."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        raise SeedRefused("the database has no migrations: run `manage.py migrate` then `manage.py migrate products 0001_initial`")
    applied = {name for app, name in recorder.applied_migrations() if app == "products"}
    if applied != {"0001_initial"}:
        state = ", ".join(sorted(applied)) or "none"
        raise SeedRefused(
            f"seed_legacy_catalog writes the v13.3 schema, but app products is at [{state}]: "
            "run `manage.py migrate products 0001_initial` (the v13.3 target) first"
        )
    with connection.cursor() as cur:
        tables = set(connection.introspection.table_names(cur))
        missing = [t for t in SEEDED_TABLES if t not in tables]
        if missing:
            raise SeedRefused(f"tables {', '.join(missing)} are missing: run `manage.py migrate users orders cart` too")
        columns = {c.name for c in connection.introspection.get_table_description(cur, "products")}
    if not {"sku", "parent_onec_id", "retail_price"} <= columns:
        raise SeedRefused("products has no per-SKU columns: this is not the v13.3 schema")


def _copy(cur: Any, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    n = 0
    with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _ts(offset_minutes: int) -> dt.datetime:
    return BASE_TIME + dt.timedelta(minutes=offset_minutes)


def _sku_rows(catalog: SampleCatalog) -> Iterator[dict[str, Any]]:
    """One dict per v13.3 products row (per SKU), in catalog order."""
    colors = mapping.ColorMatcher([name for name, _hex in BASIC_COLORS])
    for p in catalog.iter_products():
        if not p.variants:
            yield {"p": p, "onec_id": p.guid, "sku": p.article, "name": p.name, "color": "", "size": "",
                   "prices": p.prices, "stock": 0, "active": not p.deleted}
            continue
        for v in p.variants:
            yield {"p": p, "onec_id": v.offer_id, "sku": v.sku, "name": v.name, "color": colors.canonical(v.color),
                   "size": v.size, "prices": v.prices, "stock": v.stock, "active": not (p.deleted or v.deleted)}


def seed(products: int, seed_value: int, variants_per_product: int = 3, reset: bool = False) -> SeedCounts:
    """Write the catalog and the customer data; returns the row counts."""
    check_v133_schema()
    catalog = SampleCatalog(products, variants_per_product, seed_value)
    counts = SeedCounts()
    with transaction.atomic(), connection.cursor() as cur:
        if reset:
            cur.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)} RESTART IDENTITY CASCADE")
        else:
            for table in ("products", "orders", "users"):
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cur.fetchone()[0]:
                    raise SeedRefused(f"table {table} is not empty: seed an empty v13.3 database (or pass --reset)")
        group_ids = {g.onec_id: i + 1 for i, g in enumerate(catalog.groups)}
        counts.categories = _copy(
            cur, "categories", ("id", "name", "slug", "onec_id", "parent_id", "is_active"),
            ((group_ids[g.onec_id], g.name, mapping.make_slug(g.name, g.onec_id), g.onec_id,
              group_ids.get(g.parent_id) if g.parent_id else None, True) for g in catalog.groups),
        )
        brand_ids = {b.value_id: i + 1 for i, b in enumerate(catalog.brands)}
        counts.brands = _copy(
            cur, "brands", ("id", "name", "slug", "onec_id"),
            ((brand_ids[b.value_id], b.name, mapping.transliterate(b.name), b.value_id) for b in catalog.brands),
        )
        sku_pool: list[tuple[str, str, str, Decimal]] = []  # (onec_id, sku, name, price) of active SKUs
        product_cols = ("id", "name", "slug", "onec_id", "parent_onec_id", "sku", "color_name", "size_value",
                        *PRICE_FIELDS, "stock_quantity", "reserved_quantity", "description", "images", "is_active",
                        "created_at", "updated_at", "brand_id", "category_id")

        def product_rows() -> Iterator[tuple[Any, ...]]:
            for i, r in enumerate(_sku_rows(catalog), start=1):
                p = r["p"]
                prices = [r["prices"].get(f) for f in PRICE_FIELDS]
                if r["active"]:
                    sku_pool.append((r["onec_id"], r["sku"], r["name"], prices[0] or Decimal("990.00")))
                yield (i, r["name"][:255], mapping.make_slug(r["name"], r["onec_id"]), r["onec_id"], p.guid, r["sku"],
                       r["color"], r["size"], *prices, r["stock"], min(r["stock"], i % 3), p.description,
                       json.dumps(p.images, ensure_ascii=False), r["active"], _ts(i % 50000), _ts(i % 50000 + 60),
                       brand_ids[p.brand.value_id], group_ids[p.group.onec_id])

        counts.products = _copy(cur, "products", product_cols, product_rows())
        _seed_customers(cur, catalog, sku_pool, counts)
        for table in ("categories", "brands", "products", "users", "orders", "order_items", "carts", "cart_items", "favorites"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    return counts


def _seed_customers(cur: Any, catalog: SampleCatalog, sku_pool: list[tuple[str, str, str, Decimal]], counts: SeedCounts) -> None:
    rng = random.Random(catalog.seed * 7919 + 17)
    n_users = max(10, catalog.n_products // 20)
    users = []
    for u in range(1, n_users + 1):
        first, last = _FIRST[rng.randrange(len(_FIRST))], _LAST[rng.randrange(len(_LAST))]
        role = ROLES[rng.randrange(len(ROLES))]
        users.append((u, UNUSABLE_PASSWORD, None, False, f"customer{u:05d}", first, last, f"customer{u:05d}@example.test",
                      False, True, _ts(u), role, f"+7900{u:07d}", "" if role == "retail" else f"ООО Спорт-{u}"))
    counts.users = _copy(cur, "users", ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
                                        "email", "is_staff", "is_active", "date_joined", "role", "phone", "company_name"), users)
    orders, items = [], []
    order_id = item_id = 0
    for u in range(1, n_users + 1):
        for _ in range(rng.randint(0, 4)):
            order_id += 1
            total = Decimal("0")
            for _line in range(rng.randint(1, 5)):
                item_id += 1
                onec_id, sku, name, price = sku_pool[rng.randrange(len(sku_pool))]
                qty = rng.randint(1, 3)
                items.append((item_id, order_id, onec_id, sku, name[:255], price, qty, price * qty))
                total += price * qty
            when = _ts(1000 + order_id * 7)
            orders.append((order_id, f"FS-{catalog.seed:03d}-{order_id:07d}", u, ORDER_STATUSES[rng.randrange(len(ORDER_STATUSES))],
                           total, f"customer{u:05d}@example.test", when, when + dt.timedelta(hours=2)))
    counts.orders = _copy(cur, "orders", ("id", "order_number", "user_id", "status", "total_amount", "customer_email",
                                          "created_at", "updated_at"), orders)
    counts.order_items = _copy(cur, "order_items", ("id", "order_id", "onec_id", "sku", "product_name", "unit_price",
                                                    "quantity", "total_price"), items)
    carts, cart_items, favorites = [], [], []
    cart_item_id = fav_id = 0
    for u in range(1, n_users + 1):
        if rng.random() < 0.3:
            cart_id = len(carts) + 1
            carts.append((cart_id, u, "", _ts(5000 + u), _ts(5000 + u + 30)))
            for _ in range(rng.randint(1, 4)):
                cart_item_id += 1
                onec_id, sku, name, price = sku_pool[rng.randrange(len(sku_pool))]
                cart_items.append((cart_item_id, cart_id, onec_id, sku, name[:255], price, rng.randint(1, 2), _ts(5000 + u + 5)))
        if rng.random() < 0.5:
            chosen: set[str] = set()
            for _ in range(rng.randint(1, 5)):
                onec_id, _sku, name, _price = sku_pool[rng.randrange(len(sku_pool))]
                product_onec_id = onec_id.split("#", 1)[0]
                if product_onec_id in chosen:
                    continue
                chosen.add(product_onec_id)
                fav_id += 1
                favorites.append((fav_id, u, product_onec_id, name.split(", ")[0][:255], _ts(8000 + fav_id)))
    counts.carts = _copy(cur, "carts", ("id", "user_id", "session_key", "created_at", "updated_at"), carts)
    counts.cart_items = _copy(cur, "cart_items", ("id", "cart_id", "onec_id", "sku", "product_name", "unit_price", "quantity",
                                                  "added_at"), cart_items)
    counts.favorites = _copy(cur, "favorites", ("id", "user_id", "product_onec_id", "product_name", "created_at"), favorites)
