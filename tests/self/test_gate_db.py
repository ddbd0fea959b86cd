"""Read-only connections, fingerprints computed in PostgreSQL, snapshots that name every difference."""

from __future__ import annotations

import psycopg
import pytest

from gate.db.readonly import connect_readonly
from gate.db.snapshot import Snapshot, snapshot_of
from gate.db.target import TargetDb


def test_a_write_through_the_gates_connection_fails(gate_db):
    with connect_readonly(gate_db.dsn) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO users (email) VALUES ('intruder@example.org')")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM orders")
    assert TargetDb.connect(gate_db.dsn, "t").is_read_only


def test_content_hash_is_order_independent_and_row_sensitive(gate_db):
    before = snapshot_of(gate_db.dsn, "before")
    gate_db.execute("CLUSTER products USING products_name_idx")
    gate_db.execute("UPDATE orders SET total = total WHERE id % 2 = 0")
    assert snapshot_of(gate_db.dsn, "reordered").same_as(before)
    gate_db.execute("UPDATE products SET retail_price = retail_price + 0.01 WHERE id = 7")
    changed = snapshot_of(gate_db.dsn, "after")
    assert changed.diff(before) == ["products: content hash differs"]


def test_diff_names_every_table_and_column(gate_db):
    before = snapshot_of(gate_db.dsn, "v13.3")
    gate_db.execute(
        "ALTER TABLE products DROP COLUMN sku; ALTER TABLE products ALTER COLUMN retail_price TYPE numeric(14,2);"
        "CREATE TABLE product_variants (id serial PRIMARY KEY, sku text UNIQUE);"
        "DELETE FROM order_items WHERE id < 4;"
        "INSERT INTO django_migrations (app, name) VALUES ('products', '0002_colormapping_productvariant')"
    )
    after = snapshot_of(gate_db.dsn, "v13.4")
    lines = before.diff(after)
    assert "products.sku: column missing" in lines
    assert "products.retail_price: column numeric(12,2) → numeric(14,2)" in lines
    assert "products.products_sku_key: constraint missing" in lines
    assert "product_variants: new table" in lines
    assert "order_items: rows 80 → 77" in lines
    assert "migration products.0002_colormapping_productvariant: applied after, not before" in lines
    assert before.fingerprint != after.fingerprint


def test_snapshot_json_round_trip_and_restriction(gate_db, tmp_path):
    snap = snapshot_of(gate_db.dsn, "x")
    again = Snapshot.load(snap.save(tmp_path / "s.json"))
    assert again == snap and again.fingerprint == snap.fingerprint
    protected = snap.only(["orders", "users", "favorites"])
    assert set(protected.tables) == {"orders", "users"}
    assert protected.tables["orders"].rows == 40


def test_typed_row_hash_with_text_fallback_for_unhashable_columns(gate_db):
    gate_db.execute("CREATE TABLE payloads (id int PRIMARY KEY, body json, at point)")
    gate_db.execute("INSERT INTO payloads VALUES (1, '{\"a\": 1}', '(1,2)'), (2, '[]', '(0,0)')")
    before = snapshot_of(gate_db.dsn, "x")
    assert before.tables["payloads"].content_hash.startswith("t:")
    assert before.tables["products"].content_hash.startswith("r:")
    gate_db.execute("UPDATE payloads SET body = '{\"a\": 2}' WHERE id = 1")
    assert snapshot_of(gate_db.dsn, "y").diff(before) == ["payloads: content hash differs"]
