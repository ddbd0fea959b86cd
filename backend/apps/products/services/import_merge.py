"""Set-based merge of the staging tables into the v13.4 catalog tables.

Every statement is an upsert guarded by ``IS DISTINCT FROM``: a row whose content does not
change is not touched (its ``updated_at`` stays), so re-importing the same package changes
nothing. Duplicates in the package resolve to the last occurrence (highest ``seq``).
Nothing here runs unless the whole package validated without errors (see ``importer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRICE_COLS = ("retail_price", "opt1_price", "opt2_price", "opt3_price", "trainer_price", "federation_price")
_P = ", ".join(PRICE_COLS)
CATALOG_TABLES = "categories, brands, products, product_variants"


@dataclass(slots=True)
class MergeCounts:
    categories_created: int = 0
    categories_updated: int = 0
    categories_deactivated: int = 0
    brands_created: int = 0
    products_created: int = 0
    products_updated: int = 0
    products_deactivated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_deactivated: int = 0
    default_variants_created: int = 0
    orphan_offers_skipped: int = 0
    prices_updated: int = 0
    rests_updated: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def prepare_planner(cur: Any) -> None:
    """Fresh statistics and no nested loops for the bulk statements of the merge.

    Right after ``flush_products`` (a DELETE of every row) the catalog tables are full of dead
    tuples and their statistics are stale; a planner that believes ``product_variants`` is
    empty picks a nested-loop anti-join that rescans the whole dead table for each of 100k
    offers (minutes instead of a second). Every statement here is set-based, so hash/merge
    joins are always right."""
    cur.execute(f"ANALYZE {CATALOG_TABLES}")
    cur.execute("SET LOCAL enable_nestloop = off")


def analyze_catalog(cur: Any, counts: MergeCounts) -> None:
    """Statistics of what the merge wrote, for the API's queries once the import commits.

    ``prepare_planner``'s describe the tables before the merge: right after a flush, empty. Left
    so until autovacuum's pass (a minute or so), the planner would plan the catalog API for
    empty tables on the first requests after maintenance ends, the smoke's and PST-08's burst.
    """
    cur.execute(f"ANALYZE {CATALOG_TABLES}")


def _one(cur: Any, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    cur.execute(sql, params)
    return cur.fetchone()


def merge_categories(cur: Any, counts: MergeCounts, deactivate_absent: bool) -> None:
    created, updated = _one(
        cur,
        """
        WITH g AS (SELECT DISTINCT ON (onec_id) * FROM stg_groups ORDER BY onec_id, seq DESC),
        ins AS (
            INSERT INTO categories (name, slug, onec_id, parent_id, is_active)
            SELECT left(g.name, 255), g.slug, g.onec_id, NULL, true FROM g
            ON CONFLICT (onec_id) DO UPDATE SET name = EXCLUDED.name, is_active = true
            WHERE (categories.name, categories.is_active) IS DISTINCT FROM (EXCLUDED.name, true)
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM ins
        """,
    )
    cur.execute(
        """
        UPDATE categories c SET parent_id = p.id
        FROM (SELECT DISTINCT ON (onec_id) onec_id, parent_onec_id FROM stg_groups ORDER BY onec_id, seq DESC) g
        LEFT JOIN categories p ON p.onec_id = g.parent_onec_id
        WHERE c.onec_id = g.onec_id AND c.parent_id IS DISTINCT FROM p.id
        """
    )
    counts.categories_created += created
    counts.categories_updated += updated
    if deactivate_absent:
        cur.execute(
            "UPDATE categories SET is_active = false WHERE is_active "
            "AND NOT EXISTS (SELECT 1 FROM stg_groups g WHERE g.onec_id = categories.onec_id)"
        )
        counts.categories_deactivated += cur.rowcount


def merge_brands(cur: Any, counts: MergeCounts) -> None:
    cur.execute(
        """
        INSERT INTO brands (name, slug, onec_id)
        SELECT DISTINCT ON (slug) left(name, 255), slug, onec_id FROM stg_brands ORDER BY slug, onec_id NULLS LAST
        ON CONFLICT DO NOTHING
        """
    )
    counts.brands_created += cur.rowcount


def merge_products(cur: Any, counts: MergeCounts, deactivate_absent: bool) -> None:
    created, updated = _one(
        cur,
        """
        WITH s AS (SELECT DISTINCT ON (onec_id) * FROM stg_products ORDER BY onec_id, seq DESC),
        ins AS (
            INSERT INTO products (name, slug, onec_id, brand_id, category_id, description, images, is_active,
                                  created_at, updated_at)
            SELECT left(s.name, 255), s.slug, s.onec_id, b.id, c.id, coalesce(s.description, ''),
                   coalesce(s.images, '[]'::jsonb), NOT s.deleted, now(), now()
            FROM s LEFT JOIN brands b ON b.slug = s.brand_slug LEFT JOIN categories c ON c.onec_id = s.category_onec_id
            ON CONFLICT (onec_id) DO UPDATE SET
                name = EXCLUDED.name, brand_id = EXCLUDED.brand_id, category_id = EXCLUDED.category_id,
                description = EXCLUDED.description, images = EXCLUDED.images, is_active = EXCLUDED.is_active,
                updated_at = now()
            WHERE (products.name, products.brand_id, products.category_id, products.description, products.images,
                   products.is_active)
                  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.brand_id, EXCLUDED.category_id, EXCLUDED.description,
                                    EXCLUDED.images, EXCLUDED.is_active)
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM ins
        """,
    )
    counts.products_created += created
    counts.products_updated += updated
    if deactivate_absent:
        cur.execute(
            "UPDATE products SET is_active = false, updated_at = now() WHERE is_active "
            "AND NOT EXISTS (SELECT 1 FROM stg_products s WHERE s.onec_id = products.onec_id)"
        )
        counts.products_deactivated += cur.rowcount


def build_final_offers(cur: Any, counts: MergeCounts, products_in_package: bool, merge_attributes: bool = False) -> None:
    """``stg_final``: one row per offer that resolves to a product, prices and rests joined.

    ``merge_attributes``: the same variant came both as a Товар ``p#v`` with characteristics
    and as an offer without them (1C 2.04); keep the last non-empty color and size."""
    scope = "AND EXISTS (SELECT 1 FROM stg_products s WHERE s.onec_id = o.product_onec_id)" if products_in_package else ""
    cur.execute(
        f"""
        CREATE TEMP TABLE stg_final ON COMMIT DROP AS
        WITH o AS (SELECT DISTINCT ON (onec_id) * FROM stg_offers ORDER BY onec_id, seq DESC),
        pr AS (SELECT DISTINCT ON (offer_id) * FROM stg_prices ORDER BY offer_id, seq DESC),
        rs AS (SELECT DISTINCT ON (offer_id) * FROM stg_rests ORDER BY offer_id, seq DESC),
        j AS (
            SELECT o.*, p.id AS product_id, p.is_active AS product_active,
                   count(*) OVER (PARTITION BY o.article) AS article_uses
            FROM o JOIN products p ON p.onec_id = o.product_onec_id {scope}
        )
        SELECT j.product_id, j.onec_id,
               CASE WHEN j.article IS NOT NULL AND j.article_uses = 1 AND length(j.article) <= 100
                    THEN j.article
                    ELSE left(coalesce(j.article, '1C'), 91) || '-' || left(md5(j.onec_id), 8) END AS sku,
               left(coalesce(j.color, ''), 100) AS color_name, left(coalesce(j.size, ''), 50) AS size_value,
               {", ".join(f"pr.{c}" for c in PRICE_COLS)}, pr.offer_id IS NOT NULL AS has_prices,
               coalesce(rs.quantity, 0) AS stock_quantity, rs.offer_id IS NOT NULL AS has_rests,
               (NOT j.deleted AND j.product_active) AS is_active
        FROM j LEFT JOIN pr ON pr.offer_id = j.onec_id LEFT JOIN rs ON rs.offer_id = j.onec_id
        """
    )
    cur.execute("CREATE UNIQUE INDEX ON stg_final (onec_id)")
    if merge_attributes:
        for column, source in (("color_name", "color"), ("size_value", "size")):
            cur.execute(
                f"""
                UPDATE stg_final f SET {column} = left(x.{source}, {100 if source == "color" else 50})
                FROM (SELECT DISTINCT ON (onec_id) onec_id, {source} FROM stg_offers
                      WHERE coalesce({source}, '') <> '' ORDER BY onec_id, seq DESC) x
                WHERE f.onec_id = x.onec_id AND f.{column} = ''
                """
            )
    cur.execute("ANALYZE stg_final")
    (offers,) = _one(cur, "SELECT count(DISTINCT onec_id) FROM stg_offers")
    (kept,) = _one(cur, "SELECT count(*) FROM stg_final")
    counts.orphan_offers_skipped += offers - kept
    # a SKU taken by another variant already in the database gets the unique fallback form
    cur.execute(
        """
        UPDATE stg_final f SET sku = left(f.sku, 91) || '-' || left(md5(f.onec_id), 8)
        FROM product_variants v WHERE v.sku = f.sku AND v.onec_id <> f.onec_id
        """
    )


def merge_variants(cur: Any, counts: MergeCounts) -> None:
    """Update changed variants, insert new ones (from ``stg_final``)."""
    keep_price = ", ".join(f"{c} = CASE WHEN f.has_prices THEN f.{c} ELSE v.{c} END" for c in PRICE_COLS)
    new_price = ", ".join(f"CASE WHEN f.has_prices THEN f.{c} ELSE v.{c} END" for c in PRICE_COLS)
    old_price = ", ".join(f"v.{c}" for c in PRICE_COLS)
    cur.execute(
        f"""
        UPDATE product_variants v SET
            product_id = f.product_id, sku = f.sku, color_name = f.color_name, size_value = f.size_value,
            {keep_price},
            stock_quantity = CASE WHEN f.has_rests THEN f.stock_quantity ELSE v.stock_quantity END,
            is_active = f.is_active, updated_at = now()
        FROM stg_final f
        WHERE v.onec_id = f.onec_id
          AND (v.product_id, v.sku, v.color_name, v.size_value, {old_price}, v.stock_quantity, v.is_active)
              IS DISTINCT FROM
              (f.product_id, f.sku, f.color_name, f.size_value, {new_price},
               CASE WHEN f.has_rests THEN f.stock_quantity ELSE v.stock_quantity END, f.is_active)
        """
    )
    counts.variants_updated += cur.rowcount
    cur.execute(
        f"""
        INSERT INTO product_variants (product_id, sku, onec_id, color_name, size_value, {_P}, stock_quantity,
                                      reserved_quantity, images, is_active, created_at, updated_at)
        SELECT f.product_id, f.sku, f.onec_id, f.color_name, f.size_value, {", ".join(f"f.{c}" for c in PRICE_COLS)},
               f.stock_quantity, 0, '[]'::jsonb, f.is_active, now(), now()
        FROM stg_final f
        WHERE NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.onec_id = f.onec_id)
        """
    )
    counts.variants_created += cur.rowcount


def merge_default_variants(cur: Any, counts: MergeCounts) -> None:
    """Exactly one default variant (``onec_id`` = productGuid) for a product without offers, or
    an active product whose offers are all marked deleted, so an active product's active
    ``variants[]`` is never empty."""
    cur.execute(
        """
        CREATE TEMP TABLE stg_defaults ON COMMIT DROP AS
        SELECT p.id AS product_id, p.onec_id, p.is_active, s.article
        FROM (SELECT DISTINCT ON (onec_id) onec_id, article FROM stg_products ORDER BY onec_id, seq DESC) s
        JOIN products p ON p.onec_id = s.onec_id
        WHERE NOT EXISTS (SELECT 1 FROM stg_final f WHERE f.product_id = p.id AND (f.is_active OR NOT p.is_active))
        """
    )
    # a price or rest keyed by the bare product Ид (a product without characteristics) is its
    # default variant's; kept when the package has none for it, as for offers
    pr = "(SELECT DISTINCT ON (offer_id) * FROM stg_prices ORDER BY offer_id, seq DESC)"
    rs = "(SELECT DISTINCT ON (offer_id) * FROM stg_rests ORDER BY offer_id, seq DESC)"
    keep_price = ", ".join(f"{c} = CASE WHEN pr.offer_id IS NOT NULL THEN pr.{c} ELSE v.{c} END" for c in PRICE_COLS)
    cur.execute(
        f"""
        UPDATE product_variants v SET is_active = d.is_active, {keep_price},
               stock_quantity = coalesce(rs.quantity, v.stock_quantity), updated_at = now()
        FROM stg_defaults d LEFT JOIN {pr} pr ON pr.offer_id = d.onec_id LEFT JOIN {rs} rs ON rs.offer_id = d.onec_id
        WHERE v.onec_id = d.onec_id AND v.product_id = d.product_id
          AND (v.is_active <> d.is_active OR (pr.offer_id IS NOT NULL
               AND ({", ".join(f"v.{c}" for c in PRICE_COLS)}) IS DISTINCT FROM ({", ".join(f"pr.{c}" for c in PRICE_COLS)}))
               OR (rs.quantity IS NOT NULL AND v.stock_quantity IS DISTINCT FROM rs.quantity))
        """
    )
    counts.variants_updated += cur.rowcount
    cur.execute(
        f"""
        INSERT INTO product_variants (product_id, sku, onec_id, color_name, size_value, {_P}, stock_quantity,
                                      reserved_quantity, images, is_active, created_at, updated_at)
        SELECT d.product_id,
               CASE WHEN d.article IS NOT NULL AND length(d.article) <= 100 AND d.uses = 1
                         AND x.id IS NULL AND f.onec_id IS NULL
                    THEN d.article
                    ELSE left(coalesce(d.article, '1C'), 91) || '-' || left(md5(d.onec_id), 8) END,
               d.onec_id, '', '', {", ".join(f"pr.{c}" for c in PRICE_COLS)}, coalesce(rs.quantity, 0), 0,
               '[]'::jsonb, d.is_active, now(), now()
        FROM (SELECT *, count(*) OVER (PARTITION BY article) AS uses FROM stg_defaults) d
        LEFT JOIN product_variants x ON x.sku = d.article
        LEFT JOIN (SELECT DISTINCT ON (sku) sku, onec_id FROM stg_final) f ON f.sku = d.article
        LEFT JOIN {pr} pr ON pr.offer_id = d.onec_id
        LEFT JOIN {rs} rs ON rs.offer_id = d.onec_id
        WHERE NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.onec_id = d.onec_id)
        """
    )
    counts.default_variants_created += cur.rowcount
    counts.variants_created += cur.rowcount


def deactivate_absent_variants(cur: Any, counts: MergeCounts) -> None:
    """Full snapshot: a variant that is neither an offer nor a default variant of the package is inactive."""
    cur.execute(
        """
        UPDATE product_variants v SET is_active = false, updated_at = now()
        WHERE v.is_active
          AND NOT EXISTS (SELECT 1 FROM stg_final f WHERE f.onec_id = v.onec_id)
          AND NOT EXISTS (SELECT 1 FROM stg_defaults d WHERE d.onec_id = v.onec_id)
        """
    )
    counts.variants_deactivated += cur.rowcount


def update_prices_only(cur: Any, counts: MergeCounts) -> None:
    sets = ", ".join(f"{c} = pr.{c}" for c in PRICE_COLS)
    cur.execute(
        f"""
        UPDATE product_variants v SET {sets}, updated_at = now()
        FROM (SELECT DISTINCT ON (offer_id) * FROM stg_prices ORDER BY offer_id, seq DESC) pr
        WHERE v.onec_id = pr.offer_id
          AND ({", ".join(f"v.{c}" for c in PRICE_COLS)}) IS DISTINCT FROM ({", ".join(f"pr.{c}" for c in PRICE_COLS)})
        """
    )
    counts.prices_updated += cur.rowcount


def update_rests_only(cur: Any, counts: MergeCounts) -> None:
    cur.execute(
        """
        UPDATE product_variants v SET stock_quantity = rs.quantity, updated_at = now()
        FROM (SELECT DISTINCT ON (offer_id) * FROM stg_rests ORDER BY offer_id, seq DESC) rs
        WHERE v.onec_id = rs.offer_id AND v.stock_quantity IS DISTINCT FROM rs.quantity
        """
    )
    counts.rests_updated += cur.rowcount
