"""Latency of the catalog API over real HTTP (gunicorn, disposable PostgreSQL), and seed time.

Prints p50/p95/p99 in ms for ``/api/products/<slug>/`` of a product with 100 variants next to
``/api/products/`` (the gate's PST-08 threshold is p95 < 500 ms), then, when the importer's
``seed_legacy_catalog`` exists, the wall time of ``seed_legacy_catalog --products N`` on v13.3.

    .venv/bin/python bench/bench_api_latency.py --requests 300 --seed-products 20000
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from gate import probes  # noqa: E402
from rehearse.backend import BACKEND, manage  # noqa: E402

SEED_COMMAND = BACKEND / "apps" / "products" / "management" / "commands" / "seed_legacy_catalog.py"

_spec = importlib.util.spec_from_file_location("freesport_serve", BACKEND / "scripts" / "serve.py")
assert _spec and _spec.loader
serve = importlib.util.module_from_spec(_spec)
sys.modules["freesport_serve"] = serve
_spec.loader.exec_module(serve)


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def measure(url: str, n: int, warmup: int = 20) -> list[float]:
    session = requests.Session()
    for _ in range(warmup):
        session.get(url, timeout=10).raise_for_status()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = session.get(url, timeout=10)
        out.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return out


def bench_api(n: int, variants: int, products: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        program = probes.source("api_catalog", {"products": products, "variants": variants}, directory=HERE)
        setup = lambda env: manage(env, "shell", "-c", program)  # noqa: E731
        with serve.served_backend(Path(tmp), setup=setup, workers=2) as served:
            detail = f"{served.base_url}/api/products/bench-0/"
            assert len(requests.get(detail, timeout=10).json()["variants"]) == variants
            rows = [
                (f"GET /api/products/<slug>/ ({variants} variants)", measure(detail, n)),
                (f"GET /api/products/ (page of 20, {products} products)", measure(f"{served.base_url}/api/products/", n)),
            ]
            print(f"API latency over HTTP: gunicorn 2 sync workers, {served.pg.backend} PostgreSQL 15, {n} requests each")
            print(f"  {'endpoint':<48} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
            for name, samples in rows:
                p50, p95, p99 = percentiles(samples)
                print(f"  {name:<48} {p50:8.1f} {p95:8.1f} {p99:8.1f} {max(samples):8.1f}")


def bench_seed(products: int, seed: int) -> None:
    if not SEED_COMMAND.exists():
        print(f"seed_legacy_catalog: skipped ({SEED_COMMAND.relative_to(REPO)} does not exist yet)")
        return
    from disposable_pg import disposable_postgres

    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp, disposable_postgres() as pg:
        env = serve.backend_env(pg.create_database("freesport"), Path(tmp))
        manage(env, "migrate", "products", "0001_initial", "-v", "0")
        manage(env, "migrate", "users", "-v", "0")
        manage(env, "migrate", "orders", "-v", "0")
        manage(env, "migrate", "cart", "-v", "0")
        start = time.perf_counter()
        manage(env, "seed_legacy_catalog", "--products", str(products), "--seed", str(seed))
        took = time.perf_counter() - start
        print(f"seed_legacy_catalog --products {products} --seed {seed} on v13.3 ({pg.backend} PG): {took:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per endpoint")
    parser.add_argument("--variants", type=int, default=100, help="variants of the measured product")
    parser.add_argument("--products", type=int, default=200, help="products in the catalog")
    parser.add_argument("--seed-products", type=int, default=20000, help="0 skips the seed timing")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    bench_api(args.requests, args.variants, args.products)
    if args.seed_products:
        bench_seed(args.seed_products, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
