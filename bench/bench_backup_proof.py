"""Benchmark: the gate's backup proof versus raw pg_dump + pg_restore; fingerprint versus COPY.

On one disposable PostgreSQL (``DISPOSABLE_PG``, default local), a v13.3-shaped database of
``--products`` SKUs (default 100 000): the bundled backend migrated to v13.3 and seeded by
``seed_legacy_catalog`` when that command exists (``--source seed``), else the same tables
generated in SQL (``--source sql``). Then, side by side in one run:

1. raw: ``pg_dump`` + ``pg_restore -j N`` into a fresh database, in the format the gate's backup
   step chooses for this database (``BACKUP_FORMAT=auto``: ``-Fd -j N`` from
   ``BACKUP_DIRECTORY_FROM_BYTES``, else ``-Fc``), so both sides dump the same way;
2. proof: the gate's backup step (dump + pre-migration snapshot in one exported snapshot),
   ``pg_restore --list`` of every table, sha256, restore into a fresh database and its
   fingerprint compared with the snapshot (BKP-01..04's work);
3. fingerprinting every table (count + content hash in the server) versus ``COPY t TO
   STDOUT`` of every table read by the client and discarded.

Usage: ``.venv/bin/python bench/bench_backup_proof.py [--products 100000] [--source auto|seed|sql] [--jobs N]``
(``bench/bench_scale.py`` runs it at 10k / 100k / 1M.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from disposable_pg import disposable_postgres  # noqa: E402
from gate.backup import Backup, take_backup  # noqa: E402
from gate.db.fingerprint import list_tables, table_stats  # noqa: E402
from gate.run import Run  # noqa: E402
from gate.settings import libpq_env, load_settings  # noqa: E402
from rehearse.backend import manage  # noqa: E402

SQL_CATALOG = """
CREATE TABLE brands (id bigserial PRIMARY KEY, name varchar(255) NOT NULL, slug varchar(255) UNIQUE NOT NULL,
    onec_id varchar(255) UNIQUE);
CREATE TABLE categories (id bigserial PRIMARY KEY, name varchar(255) NOT NULL, slug varchar(255) UNIQUE NOT NULL,
    onec_id varchar(255) UNIQUE NOT NULL, parent_id bigint REFERENCES categories(id), is_active boolean NOT NULL);
CREATE TABLE products (id bigserial PRIMARY KEY, name varchar(255) NOT NULL, slug varchar(255) UNIQUE NOT NULL,
    onec_id varchar(255) UNIQUE NOT NULL, parent_onec_id varchar(255), sku varchar(100) UNIQUE NOT NULL,
    brand_id bigint REFERENCES brands(id), category_id bigint REFERENCES categories(id), description text NOT NULL,
    images jsonb NOT NULL, color_name varchar(100) NOT NULL, size_value varchar(50) NOT NULL,
    retail_price numeric(12,2), opt1_price numeric(12,2), opt2_price numeric(12,2), opt3_price numeric(12,2),
    trainer_price numeric(12,2), federation_price numeric(12,2), stock_quantity integer NOT NULL,
    reserved_quantity integer NOT NULL, is_active boolean NOT NULL, created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL);
CREATE INDEX products_parent_onec_id_idx ON products (parent_onec_id);
CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(254) UNIQUE NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, number varchar(32) UNIQUE NOT NULL, user_id bigint REFERENCES users(id),
    total numeric(12,2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders(id),
    product_onec_id varchar(255) NOT NULL, sku varchar(100) NOT NULL, name varchar(255) NOT NULL,
    price numeric(12,2) NOT NULL, quantity integer NOT NULL);
INSERT INTO brands (name, slug, onec_id) SELECT 'Brand ' || i, 'brand-' || i, md5('b' || i) FROM generate_series(1, 60) i;
INSERT INTO categories (name, slug, onec_id, is_active)
    SELECT 'Category ' || i, 'category-' || i, md5('c' || i), true FROM generate_series(1, 150) i;
INSERT INTO products (name, slug, onec_id, parent_onec_id, sku, brand_id, category_id, description, images,
    color_name, size_value, retail_price, opt1_price, opt2_price, opt3_price, trainer_price, federation_price,
    stock_quantity, reserved_quantity, is_active, created_at, updated_at)
SELECT 'Кроссовки модель ' || (i / 6) || ' размер ' || (36 + i % 6), 'product-' || i,
    md5('g' || (i / 6)) || '#' || md5('o' || i), md5('g' || (i / 6)), 'SKU-' || lpad(i::text, 8, '0'),
    1 + i % 60, 1 + i % 150, repeat('Описание товара для каталога. ', 4),
    jsonb_build_array('/media/products/' || i || '-1.jpg', '/media/products/' || i || '-2.jpg'),
    (ARRAY['Черный', 'Белый', 'Красный', 'Синий', 'Зеленый'])[1 + i % 5], (36 + i % 6)::text,
    1000 + i % 5000, 900 + i % 5000, 850 + i % 5000, 800 + i % 5000, 950 + i % 5000, 920 + i % 5000,
    i % 40, i % 3, true, now(), now()
FROM generate_series(1, %(products)s) i;
INSERT INTO users (email, created_at) SELECT 'user' || i || '@example.org', now() FROM generate_series(1, 5000) i;
INSERT INTO orders (number, user_id, total, created_at)
    SELECT 'N' || lpad(i::text, 8, '0'), 1 + i % 5000, 1000 + i % 9000, now() FROM generate_series(1, 20000) i;
INSERT INTO order_items (order_id, product_onec_id, sku, name, price, quantity)
    SELECT 1 + i % 20000, md5('g' || i), 'SKU-' || lpad(i::text, 8, '0'), 'Товар ' || i, 1000 + i % 5000, 1 + i % 3
    FROM generate_series(1, 60000) i;
ANALYZE;
"""


def timed(label: str, results: dict[str, float], fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    results[label] = time.perf_counter() - start
    print(f"  {label:<34} {results[label]:8.2f} s", flush=True)
    return value


def seed_with_backend(dsn: str, products: int) -> bool:
    """v13.3 schema + seed_legacy_catalog through the bundled backend's manage.py (False when unavailable)."""
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": "bench", "DJANGO_SETTINGS_MODULE": "freesport.settings"}
    if manage(env, "help", "seed_legacy_catalog", check=False).returncode != 0:
        return False
    for args in (("migrate", "--noinput"), ("migrate", "products", "0001_initial", "--noinput"),
                 ("seed_legacy_catalog", "--products", str(products), "--seed", "1")):
        manage(env, *args)
    return True


def copy_all(dsn: str) -> int:
    """COPY every table TO STDOUT, read by the client and discarded; returns bytes read."""
    total = 0
    with psycopg.connect(dsn) as conn:
        for table in list_tables(conn):
            with conn.cursor().copy(f'COPY "{table}" TO STDOUT') as copy:
                for block in copy:
                    total += len(block)
    return total


def fingerprint_all(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return sum(s.rows for s in table_stats(conn).values())


def measure(pg, products: int, source_arg: str = "auto", jobs: int | None = None, repeat: int = 3,
            fingerprint: bool = True) -> dict:
    """One size on the disposable server ``pg``: medians of ``repeat`` interleaved rounds of the raw
    dump + restore and the gate's backup proof, both in the format the gate chooses for this size."""
    from gate.backup.take import dump_format
    from gate.settings import default_backup_jobs

    jobs = jobs or default_backup_jobs()
    work = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=os.environ.get("BENCH_TMP")))
    results: dict[str, float] = {}
    dsn = pg.create_database("shop")
    print(f"building a {products}-SKU v13.3 database ({pg.backend} PostgreSQL) …", flush=True)
    source = "sql"
    if source_arg in ("auto", "seed") and seed_with_backend(dsn, products):
        source = "seed_legacy_catalog"
    elif source_arg == "seed":
        raise SystemExit("seed_legacy_catalog is not available")
    else:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SQL_CATALOG.replace("%(products)s", str(products)))
    with psycopg.connect(dsn) as conn:
        size_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        rows = sum(s.rows for s in table_stats(conn).values())
    base_env = {"DATABASE_URL": dsn, "BACKUP_DIR": str(work / "backups"), "BACKUP_JOBS": str(jobs)}
    fmt = dump_format(load_settings(environ=base_env, env_file=None), size_bytes)
    fmt_args = ["-Fd", "-j", str(jobs)] if fmt == "directory" else ["-Fc"]
    print(f"source {source}: {rows} rows, {size}; format {fmt} ({' '.join(fmt_args)}) on both sides", flush=True)
    env = {**os.environ, **libpq_env(dsn)}
    bin_dir = Path(load_settings(environ=base_env, env_file=None).tool("pg_dump")).parent
    raws, proofs, copies, prints = [], [], [], []
    copied = 0
    for round_ in range(1, repeat + 1):
        print(f"round {round_}/{repeat} — raw pg_dump {' '.join(fmt_args)} + pg_restore -j {jobs}:")
        raw = work / f"raw{round_}.{'dumpdir' if fmt == 'directory' else 'dump'}"
        timed("raw pg_dump", results, subprocess.run,
              [str(bin_dir / "pg_dump"), *fmt_args, "-f", str(raw), "-d", "shop"], env=env, check=True)
        pg.create_database(f"raw_restore{round_}")
        timed("raw pg_restore", results, subprocess.run,
              [str(bin_dir / "pg_restore"), "--no-owner", "--no-acl", "-j", str(jobs),
               "-d", f"raw_restore{round_}", str(raw)], env=env, check=True)
        pg.drop_database(f"raw_restore{round_}")
        shutil.rmtree(raw) if raw.is_dir() else raw.unlink()
        raws.append(results["raw pg_dump"] + results["raw pg_restore"])

        print(f"round {round_}/{repeat} — gate backup proof (BKP-01..04):")
        settings = load_settings(environ={**base_env, "RUN_DIR": str(work / f"run{round_}")}, env_file=None)
        run = Run.open(settings.run_dir)
        manifest = timed("dump + snapshot (one exported snap)", results, take_backup, settings, run)
        assert manifest.format == fmt, (manifest.format, fmt)
        backup = Backup.of_run(run, str(bin_dir / "pg_restore"), jobs)
        ok_list = timed("pg_restore --list, every table", results, backup.lists_every_table)
        ok_sha = timed("sha256 matches", results, lambda: backup.sha256_matches)  # noqa: B023
        restored = timed("restore + fingerprint + compare", results, backup.restores_into, pg)
        assert ok_list and ok_sha and restored, restored
        proofs.append(sum(results[k] for k in ("dump + snapshot (one exported snap)",
                                               "pg_restore --list, every table", "sha256 matches",
                                               "restore + fingerprint + compare")))
        shutil.rmtree(work / "backups", ignore_errors=True)

        if fingerprint:
            print(f"round {round_}/{repeat} — fingerprint vs COPY TO STDOUT (all tables):")
            copied = timed("COPY … TO STDOUT, discarded", results, copy_all, dsn)
            copies.append(results["COPY … TO STDOUT, discarded"])
            timed("fingerprint (count + hash in PG)", results, fingerprint_all, dsn)
            prints.append(results["fingerprint (count + hash in PG)"])
    pg.drop_database("shop")
    shutil.rmtree(work, ignore_errors=True)
    return {"products": products, "source": source, "rows": rows, "size": size, "size_bytes": size_bytes,
            "format": fmt, "jobs": jobs, "repeat": repeat, "raw_s": statistics.median(raws),
            "proof_s": statistics.median(proofs), "ratios": sorted(p / r for p, r in zip(proofs, raws, strict=True)),
            "copy_s": statistics.median(copies) if copies else None,
            "print_s": statistics.median(prints) if prints else None, "copied": copied}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--source", choices=("auto", "seed", "sql"), default="auto")
    parser.add_argument("--jobs", type=int, default=None, help="pg_dump/pg_restore -j (default: BACKUP_JOBS' default)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are reported")
    args = parser.parse_args()
    with disposable_postgres(os.environ.get("DISPOSABLE_PG", "local")) as pg:
        r = measure(pg, args.products, args.source, args.jobs, args.repeat)
    fmt = "-Fd" if r["format"] == "directory" else "-Fc"
    print()
    print("| measure | seconds |\n|---|---|")
    print(f"| raw pg_dump {fmt} + pg_restore -j {r['jobs']} | {r['raw_s']:.2f} |")
    print(f"| gate backup proof (dump+snapshot, list, sha256, restore+fingerprint) | {r['proof_s']:.2f} |")
    print(f"| ratio proof / raw (target ≤ 1.15) | {r['proof_s'] / r['raw_s']:.2f} |")
    print(f"| COPY TO STDOUT of every table ({r['copied'] / 1e6:.0f} MB), discarded | {r['copy_s']:.2f} |")
    print(f"| fingerprint of every table | {r['print_s']:.2f} |")
    print(f"| ratio fingerprint / COPY (target ≤ 2) | {r['print_s'] / r['copy_s']:.2f} |")
    print(f"\n{args.products} SKUs from {r['source']}, {r['rows']} rows, {r['size']}, {r['format']} format on both sides; "
          f"medians of {args.repeat} interleaved rounds; per-round proof/raw ratios "
          f"{', '.join(f'{x:.2f}' for x in r['ratios'])}; load average {load_average()}")
    return 0


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} ({os.cpu_count()} CPUs)"


if __name__ == "__main__":
    sys.exit(main())
