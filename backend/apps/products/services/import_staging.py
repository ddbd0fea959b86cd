"""Staging of parsed 1C rows in temporary tables, written with ``COPY`` in batches.

Why staging: a 3.1 package spreads one SKU over four files (offers, prices, rests, and the
product in goods), and duplicates resolve as "the last one wins". Holding all of that in
Python would grow with the catalog; instead every record becomes one small row appended to
a ``TEMP`` table (``ON COMMIT DROP``) through ``COPY`` in batches of ``batch_size`` rows, and
the merge into the catalog tables is a handful of set-based SQL statements
(``import_merge``). Python memory stays flat; PostgreSQL does the joins.
"""

from __future__ import annotations

from typing import Any

STAGING_DDL: dict[str, str] = {
    "stg_groups": "seq bigint, onec_id text, name text, parent_onec_id text, slug text",
    "stg_brands": "slug text, name text, onec_id text",
    "stg_products": (
        "seq bigint, onec_id text, name text, article text, description text, images jsonb, "
        "category_onec_id text, brand_slug text, deleted boolean, slug text"
    ),
    "stg_offers": (
        "seq bigint, onec_id text, product_onec_id text, article text, name text, color text, size text, deleted boolean"
    ),
    "stg_prices": (
        "seq bigint, offer_id text, retail_price numeric, opt1_price numeric, opt2_price numeric, "
        "opt3_price numeric, trainer_price numeric, federation_price numeric"
    ),
    "stg_rests": "seq bigint, offer_id text, quantity integer",
}
#: temp tables the merge derives from the staging tables
DERIVED_TABLES = ("stg_final", "stg_defaults")
COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(col.strip().split(" ", 1)[0] for col in ddl.split(",")) for name, ddl in STAGING_DDL.items()
}


class Staging:
    """Buffers rows per staging table and flushes them with ``COPY`` every ``batch_size`` rows."""

    def __init__(self, connection: Any, batch_size: int = 5000) -> None:
        self.connection = connection
        self.batch_size = max(100, batch_size)
        self.buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in STAGING_DDL}
        self.rows: dict[str, int] = dict.fromkeys(STAGING_DDL, 0)
        self.seq = 0

    def create(self) -> None:
        with self.connection.cursor() as cur:
            # staging tables of 100k rows must stay in memory: temp tables live in temp_buffers
            # (8 MB by default, then they spill to files) and the DISTINCT ON / window sorts of
            # the merge in work_mem (4 MB by default, then external merge sorts on disk)
            cur.execute("SET temp_buffers = '256MB'")
            cur.execute("SET LOCAL work_mem = '128MB'")
            cur.execute("SET LOCAL synchronous_commit = off")
            # leftovers of an earlier import in the same outer transaction (tests, nested atomic)
            cur.execute(f"DROP TABLE IF EXISTS {', '.join([*STAGING_DDL, *DERIVED_TABLES])}")
            for name, ddl in STAGING_DDL.items():
                cur.execute(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP")

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buf = self.buffers[table]
        buf.append(row)
        if len(buf) >= self.batch_size:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        tables = [table] if table else list(self.buffers)
        for name in tables:
            buf = self.buffers[name]
            if not buf:
                continue
            cols = ", ".join(COLUMNS[name])
            with self.connection.cursor() as cur:
                raw = cur.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for row in buf:
                        copy.write_row(row)
            self.rows[name] += len(buf)
            buf.clear()

    def analyze(self) -> None:
        with self.connection.cursor() as cur:
            for name in STAGING_DDL:
                cur.execute(f"ANALYZE {name}")
