"""FLS-01 from the database itself: the closure of foreign keys into the product tables, rows per edge.

The synthetic shop gets the relations a real deployment has: variants cascading from products,
favorites cascading from products (a protected table), a note table cascading from favorites
(depth 2), cart items whose variant is SET NULL, reviews with a NO ACTION constraint (how Django
creates every constraint). FLS-01 then fails on the favorites even when the app's dry run prints
text only, and passes on a shop whose product tables nothing protected references.
"""

from __future__ import annotations

import io
import json

import psycopg
from rich.console import Console

from gate.db.blast import blast_radius, findings
from gate.db.readonly import connect_readonly
from gate.db.snapshot import snapshot_of
from gate.run import Run, StepRecord, write_summary
from gate.settings import load_settings
from gate.types import Outcome, Severity
from gate.verdict import CheckResult
from gate.window.runner import WindowRunner
from gate.window.stages import Stage

RELATIONS = """
CREATE TABLE product_variants (id bigserial PRIMARY KEY, product_id bigint REFERENCES products(id) ON DELETE CASCADE,
    sku text);
INSERT INTO product_variants (product_id, sku) SELECT 1 + i % 300, 'V-' || i FROM generate_series(1, 450) i;
CREATE TABLE favorites (id bigserial PRIMARY KEY, user_id int REFERENCES users(id),
    product_id bigint REFERENCES products(id) ON DELETE CASCADE);
INSERT INTO favorites (user_id, product_id) SELECT 1 + i % 20, 1 + i FROM generate_series(1, 80) i;
CREATE TABLE favorite_notes (id serial PRIMARY KEY, favorite_id bigint REFERENCES favorites(id) ON DELETE CASCADE);
INSERT INTO favorite_notes (favorite_id) SELECT i FROM generate_series(1, 12) i;
CREATE TABLE cart_items (id serial PRIMARY KEY, variant_id bigint REFERENCES product_variants(id) ON DELETE SET NULL);
INSERT INTO cart_items (variant_id) SELECT i FROM generate_series(1, 30) i;
INSERT INTO cart_items (variant_id) SELECT NULL FROM generate_series(1, 5) i;
CREATE TABLE reviews (id serial PRIMARY KEY,
    product_id bigint REFERENCES products(id) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO reviews (product_id) SELECT 1 + i FROM generate_series(1, 7) i;
"""


def test_the_closure_counts_every_edge_with_what_the_database_does(gate_db):
    gate_db.execute(RELATIONS)
    before = snapshot_of(gate_db.dsn, "before")
    with connect_readonly(gate_db.dsn) as conn:
        radius = blast_radius(conn, ["products", "product_variants"])
    got = {(r.table, r.parent, r.action): (r.rows, r.depth) for r in radius}
    assert got == {
        ("favorites", "products", "delete"): (80, 1),
        ("reviews", "products", "block"): (7, 1),
        ("cart_items", "product_variants", "null"): (30, 1),
        ("favorite_notes", "favorites", "delete"): (12, 2),
    }
    assert before.diff(snapshot_of(gate_db.dsn, "after")) == [], "read-only: nothing changed"
    lines = findings(radius, ["favorites", "cart_items", "orders"])
    assert any(line.startswith("protected table favorites via ") and "80 rows (deleted by CASCADE)" in line
               for line in lines)
    assert any("cart_items" in line and "30 rows (set NULL)" in line for line in lines)
    gate_db.execute("DELETE FROM favorite_notes; DELETE FROM favorites")
    with connect_readonly(gate_db.dsn) as conn:
        empty = findings(blast_radius(conn, ["products", "product_variants"]), ["favorites"])
    assert len(empty) == 1 and "0 rows" in empty[0], "a protected table in the closure is a finding, rows or not"


def _window(gate_env, monkeypatch, tmp_path, dry_run_output: str) -> WindowRunner:
    for key, value in gate_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PROTECTED_TABLES", "orders,order_items,users,favorites,cart_items")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "flush_dry_run.sh").write_text(f"cat <<'EOF'\n{dry_run_output}\nEOF\n")
    (scripts / "flush.sh").write_text('echo flushed >"$RUN_DIR/flushed"\n')
    settings = load_settings()
    run = Run.open(settings.run_dir)
    run.record_step(StepRecord("migrate", exit_code=0, duration_s=1.0))
    write_summary(run, [CheckResult(i, Outcome.PASSED, Severity.CRITICAL) for i in
                        ("BKP-01", "BKP-02", "BKP-03", "BKP-04")], settings.target)
    stages = (Stage("flush", "flush", pre_steps=("flush_dry_run",), destructive=True),)
    return WindowRunner(settings, run, confirm=True, console=Console(file=io.StringIO()), stages=stages,
                        scripts_dir=scripts)


TEXT_DRY_RUN = "DRY RUN: would delete 300 products and 450 variants. Nothing deleted."


def test_fls_01_fails_on_a_protected_table_in_the_closure_although_the_app_prints_text_only(
        gate_env, gate_db, monkeypatch, tmp_path):
    gate_db.execute(RELATIONS)
    runner = _window(gate_env, monkeypatch, tmp_path, TEXT_DRY_RUN)
    assert runner.run_window() == "ROLLBACK"
    fls01 = next(r for r in runner.run.read_summary()["checks"] if r["id"] == "FLS-01")
    assert fls01["outcome"] == "failed"
    assert "protected table favorites via" in fls01["message"] and "80 rows" in fls01["message"]
    assert not (runner.run.dir / "flushed").exists(), "the flush never ran"
    recorded = json.loads((runner.run.dir / "flush_blast_radius.json").read_text())
    assert {r["table"] for r in recorded} >= {"favorites", "cart_items", "reviews", "favorite_notes"}
    assert TEXT_DRY_RUN in (runner.run.dir / "steps" / "flush_dry_run.log").read_text()
    with psycopg.connect(gate_db.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM favorites").fetchone()[0] == 80


def test_fls_01_passes_when_nothing_protected_references_the_catalog(gate_env, gate_db, monkeypatch, tmp_path):
    gate_db.execute("CREATE TABLE product_variants (id bigserial PRIMARY KEY, "
                    "product_id bigint REFERENCES products(id) ON DELETE CASCADE)")
    runner = _window(gate_env, monkeypatch, tmp_path, TEXT_DRY_RUN)
    assert runner.run_window() == "GO"
    fls01 = next(r for r in runner.run.read_summary()["checks"] if r["id"] == "FLS-01")
    assert fls01["outcome"] == "passed" and "app's dry run recorded as text" in fls01["message"]
    assert (runner.run.dir / "flushed").exists()
