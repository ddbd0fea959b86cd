"""SIGTERM to ``python -m rehearse`` (a CI timeout, a ``kill``) unwinds like Ctrl-C: nothing it started lives on.

A real rehearsal on a local disposable cluster is stopped while its window runs against the real
gunicorn; every process it started (recorded before the signal: its descendants, the gunicorn it
daemonised, the cluster's postmaster) is gone afterwards, and so is the cluster's directory. The
matrix parent, signalled alone, passes the signal on to the rehearsals it runs and waits for them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from disposable_pg.local import REGISTRY
from disposable_pg.pytest_plugin import unavailable_reason

REPO = Path(__file__).resolve().parents[2]


def _cluster_of(pid: int) -> Path | None:
    """The local disposable cluster directory ``pid`` owns (its owner.pid), if any."""
    for owner in REGISTRY.glob("pg-*/owner.pid"):
        try:
            if owner.read_text().strip() == str(pid):
                return owner.parent
        except OSError:
            continue
    return None


def _held(rehearse: psutil.Process, work: Path, owners: list[int]) -> list[psutil.Process]:
    """Every process the rehearsal runs now: descendants, the daemonised gunicorns and their workers, the
    postmasters of the clusters ``owners`` hold."""
    held = rehearse.children(recursive=True)
    pid_files = [*work.glob("*/app/gunicorn.pid")]
    clusters = [c for c in map(_cluster_of, owners) if c is not None]
    pid_files += [cluster / "data" / "postmaster.pid" for cluster in clusters]
    for pid_file in pid_files:
        try:
            leader = psutil.Process(int(pid_file.read_text().split()[0]))
            held += [leader, *leader.children(recursive=True)]
        except (OSError, ValueError, IndexError, psutil.NoSuchProcess):
            continue
    return held


def _windows_running(rehearse: psutil.Process) -> int:
    return sum("gate.window" in " ".join(_cmdline(p)) for p in rehearse.children(recursive=True))


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigterm_stops_the_rehearsal_and_everything_it_started(tmp_path: Path):
    reason = unavailable_reason("local")
    if reason:
        pytest.skip(f"local disposable PostgreSQL unavailable: {reason}")
    work = tmp_path / "work"
    env = {**os.environ, "RUNS_ROOT": str(tmp_path / "runs"), "REHEARSAL_WORK_DIR": str(work), "GATE_LIVE": "0",
           "DISPOSABLE_PG": "local", "REHEARSAL_KEEP_WORK": ""}
    out = tmp_path / "rehearse.out"
    with out.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rehearse"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    rehearse = psutil.Process(proc.pid)
    held: list[psutil.Process] = []
    cluster: Path | None = None
    try:
        deadline = time.monotonic() + 600
        while not _windows_running(rehearse):
            assert proc.poll() is None, f"the rehearsal ended before its window ran:\n{out.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no window within 600 s:\n{out.read_text()[-3000:]}"
            time.sleep(0.5)
        time.sleep(3)  # the window's own children (its checks, pg_dump) start
        cluster = _cluster_of(proc.pid)
        held = _held(rehearse, work, [proc.pid])
        names = {" ".join(_cmdline(p))[:60] for p in held}
        assert cluster is not None and any("gunicorn" in n for n in names), names
        assert any("postgres" in p.name() for p in held if _alive(p)), names

        os.kill(proc.pid, signal.SIGTERM)  # the rehearsal only, not its group
        code = proc.wait(timeout=240)
        output = out.read_text()
        left = [p for p in held if _alive(p)]
        deadline = time.monotonic() + 10  # a process the rehearsal killed may still be on its way out
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [p for p in left if _alive(p)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for p in held:
            if _alive(p):
                p.kill()
        if cluster is not None and cluster.exists():
            from disposable_pg.testing import sweep_orphans

            sweep_orphans("local")

    assert code == 128 + signal.SIGTERM, output[-3000:]
    assert "interrupted by SIGTERM" in output and "Traceback" not in output, output[-3000:]
    assert not left, f"still running after SIGTERM: {[' '.join(_cmdline(p))[:120] for p in left]}"
    assert cluster is not None and not cluster.exists(), f"the cluster {cluster} was left behind"


def test_sigterm_to_the_matrix_reaches_every_running_rehearsal(tmp_path: Path):
    reason = unavailable_reason("local")
    if reason:
        pytest.skip(f"local disposable PostgreSQL unavailable: {reason}")
    work = tmp_path / "work"
    env = {**os.environ, "RUNS_ROOT": str(tmp_path / "runs"), "REHEARSAL_WORK_DIR": str(work), "GATE_LIVE": "0",
           "DISPOSABLE_PG": "local", "REHEARSAL_KEEP_WORK": ""}
    out = tmp_path / "matrix.out"
    with out.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rehearse", "matrix", "--only", "slow-api,error-rate-3pct",
                                 "--jobs", "2"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    matrix = psutil.Process(proc.pid)
    held: list[psutil.Process] = []
    clusters: list[Path] = []
    try:
        deadline = time.monotonic() + 600
        while _windows_running(matrix) < 2:
            assert proc.poll() is None, f"the matrix ended before its windows ran:\n{out.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no two windows within 600 s:\n{out.read_text()[-3000:]}"
            time.sleep(0.5)
        rehearsals = matrix.children()
        clusters = [c for c in (_cluster_of(r.pid) for r in rehearsals) if c is not None]
        held = _held(matrix, work, [r.pid for r in rehearsals])
        assert len(rehearsals) == 2 and len(clusters) == 2, rehearsals

        os.kill(proc.pid, signal.SIGTERM)  # the matrix parent only: its rehearsals run in sessions of their own
        code = proc.wait(timeout=300)
        output = out.read_text()
        left = [p for p in held if _alive(p)]
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [p for p in left if _alive(p)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for p in held:
            if _alive(p):
                p.kill()
        if any(c.exists() for c in clusters):
            from disposable_pg.testing import sweep_orphans

            sweep_orphans("local")

    assert code == 128 + signal.SIGTERM, output[-3000:]
    assert output.count("passing SIGTERM on") == 2 and "interrupted by SIGTERM" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert not left, f"still running after SIGTERM: {[' '.join(_cmdline(p))[:120] for p in left]}"
    assert not [c for c in clusters if c.exists()], "a rehearsal's cluster was left behind"
