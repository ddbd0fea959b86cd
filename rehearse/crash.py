"""The crash matrix (``make crash-matrix``): kill -9 at every step and rollback phase, then what the tool proposes.

Window cases: on a fresh scratch FreeSport (v13.3, disposable PostgreSQL, gunicorn) ``make
migrate`` runs until the journal shows the step started, then the window's whole process group
gets SIGKILL (the window and the step it started). The run must then read INTERRUPTED and name
its resume command; that command runs (``migrate --from <step>`` into the same ``RUN_DIR``, what
``CONFIRM=yes make migrate FROM=<step> RUN_DIR=…`` runs) and must end GO with the protected
tables identical to the pre-migration snapshot (PST-07) and the catalog counts right (PST-01/02).

Rollback cases: a verified backup of a scratch target, the target damaged as a failed window
leaves it (the release's migration recorded, a table added, the catalog and the orders emptied),
then ``rollback_production.sh`` killed with ``kill -9`` at the start of one phase, or mid-restore
(``restore:copy``: the new copy created, ``restore:dropped``: the database dropped), via
``ROLLBACK_CRASH_AT``, in one mode. ``make window-status`` must then say ROLLBACK INTERRUPTED with
the command to run again (and, in recreate mode from the restore on, the record must not read
"unchanged"); then run again: it must end rolled back, the database equal to the pre-migration
snapshot, the killed attempt's record kept, no partial copy left behind, and its record must name
the killed attempt's record and the partial copies it dropped.

    python -m rehearse.crash [--only window:import,rollback:swap:restore] [--out DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.settings import read_env_file
from gate.window.stages import STAGES
from rehearse.backend import PYTHON as PY
from rehearse.backend import REPO

if TYPE_CHECKING:
    from gate.run import Summary

WINDOW_KILL_POINTS: tuple[str, ...] = tuple(
    name for s in STAGES for name in (*s.pre_steps, *((s.name,) if s.script else ())))
"""Every step the journal records, in window order (``flush_dry_run`` is the flush's first sub-step)."""
ROLLBACK_PHASES: dict[str, tuple[str, ...]] = {
    "swap": ("stop", "restore", "restore:copy", "swap", "checkout", "start"),
    "recreate": ("stop", "restore", "restore:dropped", "checkout", "start"),
}
CRASH_PRODUCTS = 40
"""A small catalog: the matrix proves states, not speed."""


@dataclass(frozen=True, slots=True)
class CrashCase:
    """One row of the matrix."""

    kind: str
    point: str
    proposed: str
    verdict: str
    protected_identical: bool
    counts_right: bool
    ok: bool
    detail: str
    seconds: float


def _env(env_file: Path, run_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RUN_DIR", "RUN_ID", "ENV_FILE")}
    env |= {"ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), **extra}
    if run_dir is not None:
        env["RUN_DIR"] = str(run_dir)
    return env


def _started(run_dir: Path, step: str) -> bool:
    path = run_dir / "journal.jsonl"
    if not path.exists():
        return False
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("name") == step and entry.get("event") == "start":
                return True
    return False


def kill_window_at(env_file: Path, run_dir: Path, step: str, timeout_s: float = 900) -> bool:
    """Start ``make migrate``; SIGKILL its process group once ``step`` started. False: it never got there."""
    proc = subprocess.Popen([PY, "-m", "gate.window", "migrate", "--confirm"], cwd=REPO,
                            env=_env(env_file, run_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _started(run_dir, step):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return True
            time.sleep(0.05)
        return False
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _outcomes(summary: Summary) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in summary.get("checks", [])}


def window_case(step: str, directory: Path) -> CrashCase:
    """Kill the window at the start of ``step`` on a fresh target, then run the resume it proposes."""
    from gate.run import Run
    from gate.window.interrupted import effective_summary
    from rehearse.scratch import scratch_target

    t0 = time.monotonic()
    with scratch_target(directory, products=CRASH_PRODUCTS, pg_choice=os.environ.get("DISPOSABLE_PG")) as env_file:
        run_dir = directory / "run"
        if not kill_window_at(env_file, run_dir, step):
            summary = Run.open(run_dir).read_summary()
            return CrashCase("window", step, "-", str(summary.get("verdict", "?")), False, False, False,
                             "the window ended before the step started", time.monotonic() - t0)
        interrupted = effective_summary(Run.open(run_dir))
        info = interrupted.get("interrupted") or {}
        if interrupted.get("verdict") != "INTERRUPTED" or not info.get("resume_step"):
            return CrashCase("window", step, "-", str(interrupted.get("verdict")), False, False, False,
                             "the killed run did not read INTERRUPTED", time.monotonic() - t0)
        resume = str(info["resume_step"])
        proc = subprocess.run([PY, "-m", "gate.window", "migrate", "--from", resume, "--confirm"], cwd=REPO,
                              env=_env(env_file, run_dir), capture_output=True, text=True, timeout=1800, check=False)
        summary = effective_summary(Run.open(run_dir))
        outcomes = _outcomes(summary)
        protected = outcomes.get("PST-07") == "passed"
        counts = all(outcomes.get(i) == "passed" for i in ("PST-01", "PST-02"))
        verdict = str(summary.get("verdict"))
        ok = verdict == "GO" and protected and counts and proc.returncode == 0
        decision = summary.get("decision")
        detail = "" if ok else (decision["matrix_row"] if decision else "") or proc.stdout[-300:]
        return CrashCase("window", step, f"make migrate FROM={resume}", verdict, protected, counts, ok,
                         str(detail)[:300], round(time.monotonic() - t0, 1))


def _damage(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO django_migrations (app, name, applied) "
                     "VALUES ('products', '0004_remove_product_per_sku_fields', now())")
        conn.execute("CREATE TABLE crash_probe (id int)")
        conn.execute("TRUNCATE products CASCADE")


def _rollback(env_file: Path, run_dir: Path, mode: str, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    values = {k: v for k, (v, _) in read_env_file(env_file).items()}
    env = _env(env_file, run_dir, DATABASE_URL=values["DATABASE_URL"], APP_STOP_CMD=":", APP_START_CMD=":",
               CHECKOUT_CMD=":", ROLLBACK_RESTORE_MODE=mode, ROLLBACK_KEEP_OLD="no", CONFIRM="yes")
    if crash_at:
        env["ROLLBACK_CRASH_AT"] = crash_at
    dump = json.loads((run_dir / "backup.json").read_text())["path"]
    return subprocess.run([str(REPO / "scripts" / "deploy" / "rollback_production.sh"), "--confirm", dump],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=False)


def rollback_cases(modes: dict[str, tuple[str, ...]], directory: Path) -> Iterator[CrashCase]:
    """Every (mode, phase): damage, kill the rollback at the phase's start, run it again; on one target."""

    from gate.db.snapshot import Snapshot
    from rehearse.scratch import scratch_target

    with scratch_target(directory, products=CRASH_PRODUCTS, pg_choice=os.environ.get("DISPOSABLE_PG")) as env_file:
        run_dir = directory / "run"
        backup = subprocess.run([PY, "-m", "gate.backup"], cwd=REPO, env=_env(env_file, run_dir),
                                capture_output=True, text=True, timeout=900, check=False)
        if backup.returncode != 0:
            raise RuntimeError(f"crash matrix: the backup failed: {backup.stderr[-500:]}")
        pre = Snapshot.load(run_dir / "pre_snapshot.json")
        dsn = {k: v for k, (v, _) in read_env_file(env_file).items()}["DATABASE_URL"]
        for mode, phases in modes.items():
            for phase in phases:
                t0 = time.monotonic()
                try:
                    yield _rollback_case(env_file, run_dir, dsn, pre, mode, phase, t0)
                except Exception as exc:  # noqa: BLE001 - a case that breaks is a failed row, not a dead matrix
                    yield CrashCase("rollback", f"{mode}:{phase}", "run rollback_production.sh again", "error",
                                    False, False, False, f"{type(exc).__name__}: {exc}"[:300],
                                    round(time.monotonic() - t0, 1))


def _rollback_case(env_file: Path, run_dir: Path, dsn: str, pre: Any, mode: str, phase: str, t0: float) -> CrashCase:
    import psycopg

    from gate.db.snapshot import snapshot_of

    _damage(dsn)
    killed = _rollback(env_file, run_dir, mode, phase)
    record_after_kill = json.loads((run_dir / "rollback.json").read_text())
    status = subprocess.run([PY, "-m", "gate.window", "status"], cwd=REPO, env=_env(env_file, run_dir),
                            capture_output=True, text=True, timeout=120, check=False).stdout
    said = "ROLLBACK INTERRUPTED" in status and "rollback_production.sh --confirm" in status  # make window-status
    again = _rollback(env_file, run_dir, mode, None)
    diff = pre.diff(snapshot_of(dsn, "after"))
    record = json.loads((run_dir / "rollback.json").read_text())
    with psycopg.connect(dsn) as conn:  # partial copies of killed rollbacks (the replaced ones are dropped: KEEP_OLD=no)
        leftovers = [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE '%\\_rollback\\_%'").fetchall()]
    kept = sorted(p.name for p in run_dir.glob("rollback.interrupted-*.json"))
    truthful = record_after_kill.get("status") not in ("done", "failed") and (
        mode == "swap" or not phase.startswith("restore")
        or "REPLACING" in record_after_kill.get("db_state", ""))
    # the re-run names what it cleaned: the killed attempt's record, the partial copy it dropped (swap, mid-restore)
    listed = record.get("interrupted_record") in kept and (
        phase != "restore:copy" or any("_rollback_" in d for d in record.get("dropped_leftovers") or []))
    ok = (killed.returncode == -9 or killed.returncode == 137) and again.returncode == 0 \
        and not diff and record.get("status") == "done" and not leftovers and bool(kept) and truthful \
        and said and listed
    detail = "" if ok else (f"kill exit {killed.returncode}, re-run exit {again.returncode}, diff {diff[:3]}, "
                            f"leftovers {leftovers}, record after kill {record_after_kill.get('db_state')}, "
                            f"kept {kept}, window-status named it {said}, re-run listed "
                            f"{record.get('dropped_leftovers')}/{record.get('interrupted_record')}; "
                            f"{again.stdout[-600:]}")
    for path in run_dir.glob("rollback.interrupted-*.json"):
        path.unlink()
    return CrashCase("rollback", f"{mode}:{phase}", "run rollback_production.sh again",
                    "rolled back" if again.returncode == 0 else f"exit {again.returncode}",
                    not diff, not diff, ok, detail, round(time.monotonic() - t0, 1))


def select(only: str | None) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """The window kill points and rollback (mode → phases) the ``--only`` list keeps (all when None)."""
    if not only:
        return list(WINDOW_KILL_POINTS), dict(ROLLBACK_PHASES)
    window: list[str] = []
    rollback: dict[str, tuple[str, ...]] = {}
    for item in (x.strip() for x in only.split(",") if x.strip()):
        kind, _, rest = item.partition(":")
        if kind == "window" and rest in WINDOW_KILL_POINTS:
            window.append(rest)
        elif kind == "rollback" and rest.partition(":")[0] in ROLLBACK_PHASES \
                and rest.partition(":")[2] in ROLLBACK_PHASES[rest.partition(":")[0]]:
            mode, _, phase = rest.partition(":")
            rollback[mode] = (*rollback.get(mode, ()), phase)
        else:
            raise SystemExit(f"--only {item}: expected window:<{'|'.join(WINDOW_KILL_POINTS)}> or "
                             f"rollback:<swap|recreate>:<phase>")
    return window, rollback


def table(cases: list[CrashCase]) -> str:
    """The matrix as Markdown."""
    lines = ["| kind | killed at the start of | proposed / run next | ends | protected tables identical | "
             "counts right | ok | s |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {c.kind} | {c.point} | `{c.proposed}` | {c.verdict} | {'yes' if c.protected_identical else 'NO'} | "
              f"{'yes' if c.counts_right else 'NO'} | {'yes' if c.ok else 'NO: ' + c.detail} | {c.seconds:.0f} |"
              for c in cases]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; exit 0 only when every case ended right."""
    parser = argparse.ArgumentParser(prog="python -m rehearse.crash", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="window:<step>, rollback:<mode>:<phase>, comma-separated")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "crash-matrix")
    args = parser.parse_args(argv)
    window, rollback = select(args.only)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = args.out / stamp
    cases: list[CrashCase] = []
    for step in window:
        cases.append(window_case(step, out / f"window-{step}"))
        sys.stdout.write(f"{cases[-1]}\n")
    if rollback:
        for case in rollback_cases(rollback, out / "rollback"):
            cases.append(case)
            sys.stdout.write(f"{case}\n")
    text = table(cases)
    out.mkdir(parents=True, exist_ok=True)
    (out / "crash-matrix.md").write_text(text + "\n")
    (out / "crash-matrix.json").write_text(json.dumps([asdict(c) for c in cases], indent=1))
    sys.stdout.write(text + f"\n\n{out / 'crash-matrix.md'}\n")
    return 0 if cases and all(c.ok for c in cases) else 1


if __name__ == "__main__":
    raise SystemExit(main())
