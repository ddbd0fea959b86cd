"""The seed cache (rehearse/seed_cache.py): the first rehearsal seeds and keeps a dump, the next ones restore
it — the same rows — and a change to the code, a parameter or the dump itself means seeding afresh."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg

from gate.db.snapshot import snapshot_of
from gate.settings import default_pg_bin_dir
from rehearse.seed_cache import SeedCache, cache_key, seed_or_restore

REPO = Path(__file__).resolve().parents[2]


def _seeder(dsn: str, calls: list[str]):
    def seed() -> str:
        calls.append(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE products (id bigserial PRIMARY KEY, name text NOT NULL)")
            conn.execute("INSERT INTO products (name) SELECT 'p' || g FROM generate_series(1, 500) g")
        return "seeded: 500 products"
    return seed


def test_the_second_rehearsal_restores_what_the_first_seeded(gate_pg, tmp_path):
    cache = SeedCache(tmp_path / "cache", "k1", str(default_pg_bin_dir()))
    calls: list[str] = []
    first = gate_pg.create_database("seed_first")
    second = gate_pg.create_database("seed_second")
    try:
        assert seed_or_restore(cache, first, _seeder(first, calls)) == "seeded: 500 products (kept in the seed cache)"
        said = seed_or_restore(cache, second, _seeder(second, calls))
        assert calls == [first], "the second database was seeded again instead of restored"
        assert said.startswith("seeded: 500 products (restored from the seed cache")
        assert snapshot_of(first, "a").diff(snapshot_of(second, "b")) == []
        with psycopg.connect(second, autocommit=True) as conn:  # the sequence came along: the next id is 501
            assert conn.execute("INSERT INTO products (name) VALUES ('x') RETURNING id").fetchone() == (501,)
    finally:
        gate_pg.drop_database("seed_first")
        gate_pg.drop_database("seed_second")


def test_an_altered_dump_is_not_restored_but_seeded_again(gate_pg, tmp_path):
    cache = SeedCache(tmp_path / "cache", "k2", str(default_pg_bin_dir()))
    calls: list[str] = []
    first = gate_pg.create_database("seed_alter_a")
    second = gate_pg.create_database("seed_alter_b")
    try:
        seed_or_restore(cache, first, _seeder(first, calls))
        with cache.dump.open("r+b") as fh:
            fh.seek(40)
            fh.write(b"\xff\xff\xff\xff")
        assert not cache.usable()
        assert seed_or_restore(cache, second, _seeder(second, calls)).endswith("(kept in the seed cache)")
        assert calls == [first, second] and cache.usable()
    finally:
        gate_pg.drop_database("seed_alter_a")
        gate_pg.drop_database("seed_alter_b")


def test_concurrent_rehearsals_seed_once(gate_pg, tmp_path):
    cache = SeedCache(tmp_path / "cache", "k3", str(default_pg_bin_dir()))
    calls: list[str] = []
    names = [f"seed_conc_{i}" for i in range(3)]
    dsns = [gate_pg.create_database(n) for n in names]
    try:
        threads = [threading.Thread(target=seed_or_restore, args=(cache, d, _seeder(d, calls))) for d in dsns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) == 1
        for dsn in dsns:
            with psycopg.connect(dsn) as conn:
                assert conn.execute("SELECT count(*) FROM products").fetchone() == (500,)
    finally:
        for name in names:
            gate_pg.drop_database(name)


def test_the_key_changes_with_a_migration_a_parameter_or_an_input(tmp_path):
    backend = tmp_path / "backend"
    shutil.copytree(REPO / "backend" / "apps", backend / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    params, inputs = {"products": 200, "variants_per_product": 3, "seed": 42}, {"settings": "freesport.settings"}
    key = cache_key(backend, params, inputs)
    assert cache_key(backend, dict(params), dict(inputs)) == key
    assert cache_key(backend, {**params, "seed": 43}, inputs) != key
    assert cache_key(backend, params, {"settings": "other.settings"}) != key
    migration = next((backend / "apps").glob("*/migrations/0001_initial.py"))
    migration.write_text(migration.read_text() + "\n# changed\n")
    assert cache_key(backend, params, inputs) != key
    (backend / "apps" / "__pycache__").mkdir(exist_ok=True)
    changed = cache_key(backend, params, inputs)
    (backend / "apps" / "__pycache__" / "x.py").write_text("# not code")
    assert cache_key(backend, params, inputs) == changed


def test_a_generated_package_is_kept_and_copied_an_altered_one_made_again(tmp_path):
    from rehearse.seed_cache import package_from_cache

    made: list[Path] = []

    def generate(out: Path) -> None:
        made.append(out)
        (out / "goods").mkdir(parents=True)
        (out / "goods" / "import.xml").write_text("<КоммерческаяИнформация/>")

    cache = tmp_path / "onec-cache"
    assert package_from_cache(cache, "k", tmp_path / "a", generate) is False
    assert package_from_cache(cache, "k", tmp_path / "b", generate) is True
    assert made == [tmp_path / "a"]
    assert (tmp_path / "b" / "goods" / "import.xml").read_text() == "<КоммерческаяИнформация/>"
    assert not (tmp_path / "b" / ".manifest.json").exists()
    (tmp_path / "b" / "goods" / "import.xml").write_text("damaged by a fault")  # the copy, never the cache
    assert package_from_cache(cache, "k", tmp_path / "c", generate) is True
    (cache / "k" / "goods" / "import.xml").write_text("altered")
    assert package_from_cache(cache, "k", tmp_path / "d", generate) is False
    assert made == [tmp_path / "a", tmp_path / "d"]
    assert package_from_cache(None, "k", tmp_path / "e", generate) is False and len(made) == 3
