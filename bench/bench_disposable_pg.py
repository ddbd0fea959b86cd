"""Start-to-ready of a disposable PostgreSQL, container vs local binaries, side by side.

Start-to-ready = ``start()`` returned and a TCP connection on the published port answered
(what a test waits for); stop = ``stop()`` returned with the server gone. A few rounds, the
median printed; keep them few: the machines are shared.

    .venv/bin/python -m bench.bench_disposable_pg [--rounds 5]   # from the repository root
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from disposable_pg.factory import new_server
from disposable_pg.pytest_plugin import unavailable_reason


def measure(backend: str, rounds: int) -> tuple[list[float], list[float]]:
    ready, stop = [], []
    for _ in range(rounds):
        pg = new_server(backend)
        t0 = time.perf_counter()
        pg.start()
        with psycopg.connect(pg.get_connection_url(), connect_timeout=5) as conn:
            conn.execute("select 1")
        t1 = time.perf_counter()
        pg.stop()
        t2 = time.perf_counter()
        ready.append(t1 - t0)
        stop.append(t2 - t1)
    return ready, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'backend':<10} {'ready median':>13} {'ready min':>10} {'ready max':>10} {'stop median':>12}")
    for backend in ("container", "local"):
        reason = unavailable_reason(backend)
        if reason:
            print(f"{backend:<10} unavailable: {reason}")
            continue
        measure(backend, 1)  # warm caches (image layers, binaries) once, unmeasured
        ready, stop = measure(backend, args.rounds)
        print(
            f"{backend:<10} {statistics.median(ready):>12.2f}s {min(ready):>9.2f}s {max(ready):>9.2f}s"
            f" {statistics.median(stop):>11.2f}s"
        )


if __name__ == "__main__":
    main()
