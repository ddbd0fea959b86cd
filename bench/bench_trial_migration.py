"""MIG-05's trial migration on a restored copy of the backup: how long on N products (K offers each).

A throw-away v13.3 target (``rehearse.scratch``) is backed up (``window step backup``), then MIG-05
runs alone into that run; the trial's record (``migrations/trial.json``) gives the restore time, each
migration's duration on the copy and the total, the forecast of the real ``migrate`` (budget 180 s).
MIG-05 then runs again through a command that does not forward stdin (one ``manage.py migrate`` per
migration, the fallback) and the two sessions' times are compared.

    .venv/bin/python bench/bench_trial_migration.py [--products 34000]   # 34000 × 3 ≈ 100k SKUs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rehearse.backend import PYTHON as PY  # noqa: E402
from rehearse.scratch import scratch_target  # noqa: E402


def window(env_file: Path, run_dir: Path, *args: str, extra: dict[str, str] | None = None) -> float:
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), "RUN_DIR": str(run_dir),
           **(extra or {})}
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "gate.window", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=None, help="catalog size (default: the committed sample)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-trial-") as tmp:
        t0 = time.perf_counter()
        with scratch_target(Path(tmp) / "t", products=args.products,
                            pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
            setup = time.perf_counter() - t0
            run_dir = Path(tmp) / "run"
            backup_s = window(env_file, run_dir, "step", "backup")
            check_s = window(env_file, run_dir, "checks", "MIG-05")
            row = next(r for r in json.loads((run_dir / "summary.json").read_text())["checks"] if r["id"] == "MIG-05")
            trial = json.loads((run_dir / "migrations" / "trial.json").read_text())
            manage_sh = env_file.parent / "manage.sh"  # the scratch target's MANAGE_CMD
            no_stdin = Path(tmp) / "manage-no-stdin.sh"  # the same command, stdin not forwarded: per process
            no_stdin.write_text(f'#!/bin/sh\nexec {manage_sh} "$@" < /dev/null\n')
            no_stdin.chmod(0o700)
            per_s = window(env_file, run_dir, "checks", "MIG-05", extra={"TRIAL_MANAGE_CMD": str(no_stdin)})
            per = json.loads((run_dir / "migrations" / "trial.json").read_text())
            t1 = time.perf_counter()
            real = subprocess.run([str(manage_sh), "migrate", "--noinput"], capture_output=True, text=True, check=False)
            real_s = time.perf_counter() - t1
    out = {"products": args.products or "sample", "setup_s": round(setup, 1), "backup_step_s": round(backup_s, 1),
           "mig05_session_s": round(check_s, 1), "outcome": row["outcome"], "restore_s": trial["restore_s"],
           "migrations_s": trial["duration_s"], "real_migrate_s": round(real_s, 1),
           "real_migrate_exit": real.returncode,
           "ratio_trial_to_real": round(trial["duration_s"] / real_s, 2) if real_s else None,
           "ratio_mig05_session_to_real": round(check_s / real_s, 2) if real_s else None,
           "per_migration": {r["migration"]: r["duration_s"] for r in trial["runs"]},
           "mode": trial.get("mode"), "startup_s": trial.get("startup_s"),
           "per_process": {"mode": per.get("mode"), "mig05_session_s": round(per_s, 1),
                           "migrations_s": per["duration_s"],
                           "per_migration": {r["migration"]: r["duration_s"] for r in per["runs"]}},
           "ratio_session_one_to_per_process": round(check_s / per_s, 2) if per_s else None,
           "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
           "db_size_mb": round(trial["runs"][-1]["size_after"] / 1e6, 1) if trial["runs"] else None}
    print(json.dumps(out, indent=1))
    return 0 if row["outcome"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
