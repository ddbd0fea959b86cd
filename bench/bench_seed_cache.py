"""The rehearsal's pre-migration state: seeding it (migrate + ``seed_legacy_catalog``) against restoring it from the seed cache.

    .venv/bin/python bench/bench_seed_cache.py                 # the committed sample's 200 × 3
    .venv/bin/python bench/bench_seed_cache.py --products 33334

Both sides in one run on one disposable PostgreSQL: database A is seeded the way a rehearsal without
the cache does it (``manage.py migrate``, ``migrate products 0001_initial``, ``seed_legacy_catalog``,
each a process of the bundled backend), then kept (``SeedCache.save``: ``pg_dump -Fc``); database B is
restored from it (``SeedCache.restore``: ``pg_restore``), as every later rehearsal does. Printed: the
seconds of each side, the ratio restore / seed, that both databases hold the same rows (fingerprint),
and the load average.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from disposable_pg import disposable_postgres  # noqa: E402
from gate.db.snapshot import snapshot_of  # noqa: E402
from gate.settings import default_pg_bin_dir  # noqa: E402
from rehearse.backend import manage  # noqa: E402
from rehearse.seed_cache import SeedCache  # noqa: E402


def main() -> int:
    """Seed, keep, restore; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--variants-per-product", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp, \
            disposable_postgres(os.environ.get("DISPOSABLE_PG") or "local") as pg:
        seeded = pg.create_database("seeded")
        env = {**os.environ, "DATABASE_URL": seeded, "DJANGO_SETTINGS_MODULE": "freesport.settings",
               "SECRET_KEY": secrets.token_urlsafe(32), "LOG_DIR": f"{tmp}/log", "DEBUG": "false"}
        t0 = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "migrate", "products", "0001_initial", "--noinput")
        manage(env, "seed_legacy_catalog", "--products", str(args.products), "--variants-per-product",
               str(args.variants_per_product), "--seed", str(args.seed))
        seed_s = time.monotonic() - t0
        cache = SeedCache(Path(tmp) / "cache", "bench", str(default_pg_bin_dir()))
        t0 = time.monotonic()
        cache.save(seeded, "bench")
        keep_s = time.monotonic() - t0
        restored = pg.create_database("restored")
        t0 = time.monotonic()
        cache.restore(restored)
        restore_s = time.monotonic() - t0
        same = snapshot_of(seeded, "seeded").diff(snapshot_of(restored, "restored")) == []
        size_mb = cache.dump.stat().st_size / 1e6
    after = os.getloadavg()
    sys.stdout.write(
        f"pre-migration state, {args.products} products × {args.variants_per_product} (seed {args.seed}), "
        f"dump {size_mb:.1f} MB\n"
        f"  seed (migrate + migrate products 0001_initial + seed_legacy_catalog): {seed_s:7.2f} s\n"
        f"  keep (pg_dump -Fc into the cache, once):                             {keep_s:7.2f} s\n"
        f"  restore (pg_restore from the cache, every later rehearsal):          {restore_s:7.2f} s\n"
        f"  ratio restore / seed: {restore_s / seed_s:.3f} ({seed_s / restore_s:.1f}× faster); same rows: {same}\n"
        f"  load average before {' '.join(f'{x:.2f}' for x in before)}, after {' '.join(f'{x:.2f}' for x in after)}\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
