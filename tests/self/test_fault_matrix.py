"""The fault matrix: every fault maps to its Rollback Decision Matrix verdict, and a subset is rehearsed end to end.

The full matrix is ``make fault-matrix`` (JOBS faults at once, each on its own server). ``make test`` rehearses
one fault per verdict other than GO (``faults.TEST_SUBSET``: corrupt-backup → NO-GO,
migration-fails → ROLLBACK, error-rate-3pct → MONITOR, missing-colors → HOTFIX); GO is the plain
rehearsal of tests/self/test_rehearsal.py. The subset runs as one concurrent matrix; each test asserts the verdict, the check that must catch
the fault, and what must not have happened (no flush, no order item lost, nothing changed).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from gate.run import Run
from gate.types import Verdict
from rehearse import faults
from rehearse.__main__ import main as rehearse_main
from rehearse.__main__ import shares_the_server
from rehearse.backend import manage
from rehearse.orchestrator import NOT_TRIED, Rehearsal
from rehearse.report_sample import make_sample_run

REPO = Path(__file__).resolve().parents[2]

MATRIX = {
    "migration-fails": "ROLLBACK", "import-fails": "ROLLBACK", "truncated-1c": "NO-GO",
    "cascade-into-orders": "ROLLBACK", "corrupt-backup": "NO-GO", "slow-api": "MONITOR",
    "error-rate-3pct": "MONITOR", "error-rate-8pct": "ROLLBACK", "missing-colors": "HOTFIX",
    "protected-row-changed": "ROLLBACK", "migration-deletes-orders": "NO-GO",
    "retail-type-unmapped": "NO-GO", "prices-zeroed": "ROLLBACK", "stock-lost": "MONITOR",
}
"""The issue's fault → verdict table, written out independently of rehearse/faults.py."""


def test_every_fault_of_the_issue_is_in_the_harness_with_its_verdict():
    assert {name: f.expected.value for name, f in faults.FAULTS.items()} == MATRIX


def test_the_make_test_subset_covers_every_verdict():
    covered = {faults.get(name).expected for name in faults.TEST_SUBSET} | {Verdict.GO}
    assert covered == set(Verdict)


def test_truncating_the_1c_copy_cuts_the_largest_file(tmp_path):
    shutil.copytree(REPO / "backend" / "sample_data" / "commerceml", tmp_path / "onec")
    sizes = {p: p.stat().st_size for p in (tmp_path / "onec").rglob("*.xml")}
    victim = faults.truncate_onec(tmp_path / "onec")
    assert victim.stat().st_size == int(max(sizes.values()) * 0.6)
    assert not victim.read_bytes().rstrip().endswith(b">") or b"</" not in victim.read_bytes()[-20:]


@pytest.mark.parametrize("pct", [3.0, 8.0])
def test_injected_traffic_has_the_error_rate_asked_for(pct):
    access, django = faults.error_lines(2000, pct)
    errors = sum(1 for line in access if '" 500 ' in line)
    assert errors == round(2000 * pct / 100) == len(django)
    assert all(line.split()[-2] == "request_time" for line in access)


def test_the_pg_dump_wrapper_corrupts_what_it_wrote(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "pg_dump").write_text('#!/usr/bin/env bash\nhead -c 65536 /dev/zero > "$2"\n')
    (real / "pg_dump").chmod(0o755)
    (real / "pg_restore").write_text("#!/bin/sh\n")
    wrapped = faults.pg_bin_with_corrupting_dump(real, tmp_path / "bin")
    assert (wrapped / "pg_restore").resolve() == (real / "pg_restore").resolve()
    out = tmp_path / "x.dump"
    proc = subprocess.run([str(wrapped / "pg_dump"), "-f", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size == 65536 and out.read_bytes() != bytes(65536)


@pytest.mark.parametrize("name", [n for n, f in faults.FAULTS.items() if f.backend_patch])
def test_a_code_fault_alters_only_a_copy_and_its_migrations_load(name, tmp_path):
    """The patched copy is valid Django: its migration graph loads and matches its models."""
    before = {p: p.read_bytes() for p in (REPO / "backend" / "apps").rglob("*.py")}
    copy = faults.copy_backend(REPO / "backend", tmp_path / "release")
    extra = faults.get(name).backend_patch(copy)
    assert {p: p.read_bytes() for p in (REPO / "backend" / "apps").rglob("*.py")} == before
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x",
           "LOG_DIR": str(tmp_path / "log"), "DJANGO_SETTINGS_MODULE": "freesport.settings"}
    proc = manage(env, "makemigrations", "--check", "--dry-run", cwd=copy, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for migration in extra:
        app, _, file = migration.partition(".")
        assert list(copy.glob(f"**/{app}/migrations/{file}.py"))


def test_the_faults_share_one_server_on_request_but_the_one_that_breaks_the_dump_tools():
    assert [n for n, f in faults.FAULTS.items() if f.own_server] == ["corrupt-backup"]
    assert not shares_the_server(list(faults.TEST_SUBSET), {})  # by default each fault has its own server
    on = {"MATRIX_SHARED_SERVER": "on"}
    assert shares_the_server(list(faults.TEST_SUBSET), on)
    assert not shares_the_server(["corrupt-backup", "slow-api"], on)  # one fault left to share it: no point
    assert not shares_the_server(list(faults.FAULTS), {"MATRIX_SHARED_SERVER": "off"})
    assert not shares_the_server(list(faults.FAULTS), {**on, "DISPOSABLE_PG": "existing"})  # the operator's server as is


def test_a_wrong_shared_server_setting_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("MATRIX_SHARED_SERVER", "maybe")
    assert rehearse_main(["matrix", "--only", "slow-api,stock-lost"]) == 2
    assert "MATRIX_SHARED_SERVER='maybe': expected on or off" in capsys.readouterr().out


def test_the_rehearsal_notifies_in_its_own_process(tmp_path, monkeypatch):
    """The start/verdict/end notifications are recorded like ``python -m gate.notify`` records them, no child started."""
    run_dir = make_sample_run(tmp_path / "runs", "ROLLBACK")
    (run_dir / "notifications.jsonl").unlink(missing_ok=True)
    (tmp_path / "rehearsal.env").write_text("# the rehearsal's settings: no NOTIFY_WEBHOOK_URL\n")
    rehearsal = Rehearsal(environ={}, console=Console(file=io.StringIO()), work=tmp_path)
    rehearsal.run = Run.open(run_dir)

    def no_child(*args, **kwargs):
        raise AssertionError(f"a child process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no_child)
    rehearsal.notify("start")
    rehearsal.notify("start")  # once only
    records = [json.loads(line) for line in (run_dir / "notifications.jsonl").read_text().splitlines()]
    assert [(r["event"], r["status"]) for r in records] == [("start", "skipped")], records


@pytest.fixture(scope="module")
def subset_rehearsed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make fault-matrix`` for the subset, every fault at once on one shared server (``MATRIX_SHARED_SERVER=on``;
    corrupt-backup on its own): the runs root. The default, a server per fault, is the rehearsal's own path."""
    base = tmp_path_factory.mktemp("matrix")
    env = {**os.environ, "RUNS_ROOT": str(base / "runs"), "REHEARSAL_WORK_DIR": str(base / "work"),
           "GATE_LIVE": "0", "DISPOSABLE_PG": os.environ.get("DISPOSABLE_PG", "local"), "MATRIX_SHARED_SERVER": "on"}
    for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE"):
        env.pop(key, None)
    proc = subprocess.run([sys.executable, "-m", "rehearse", "matrix", "--only", ",".join(faults.TEST_SUBSET),
                           "--jobs", str(len(faults.TEST_SUBSET))], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=1800)
    (base / "matrix.log").write_text(proc.stdout + proc.stderr)
    return base


def _rehearse(fault: str, base: Path) -> tuple[int, dict, dict]:
    runs = sorted((base / "runs").glob(f"*-rehearsal-{fault}"))
    assert runs, (base / "matrix.log").read_text()[-3000:]
    record = json.loads((runs[-1] / "rehearsal.json").read_text())
    summary = json.loads((runs[-1] / "summary.json").read_text())
    row = json.loads(next((base / "work").glob(f"matrix-*/{fault}.json")).read_text())
    return (0 if row["ok"] else 1), record, summary


@pytest.mark.parametrize("name", faults.TEST_SUBSET)
def test_rehearsed_fault_gives_its_matrix_verdict(name, subset_rehearsed):
    fault = faults.get(name)
    code, record, summary = _rehearse(name, subset_rehearsed)
    assert summary["verdict"] == fault.expected.value, record
    assert code == 0, record.get("matrix")
    failed = {r["id"] for r in summary["checks"] if r["outcome"] == "failed"}
    assert failed & set(fault.caught_by), failed
    findings = record["findings"]
    if fault.expected is Verdict.NO_GO:
        assert not findings["migrate_ran"] and "RBK-01" not in {r["id"] for r in summary["checks"]}
    else:
        rows = {r["id"]: r["outcome"] for r in summary["checks"]}
        assert [rows.get(i) for i in ("RBK-01", "RBK-02", "RBK-03")] == ["passed"] * 3, rows


@pytest.mark.parametrize("name", faults.TEST_SUBSET)
def test_a_matrix_row_carries_its_report_and_sign_off(name, subset_rehearsed):
    """The matrix's faults skip the chromium PNG, but each row still names its sign-off page and Allure report."""
    row = json.loads(next((subset_rehearsed / "work").glob(f"matrix-*/{name}.json")).read_text())
    paths = {line.split(": ", 1)[0]: Path(line.split(": ", 1)[1]) for line in row["report"]}
    assert {"Sign-off page", "Sign-off (Markdown)", "Allure report"} <= set(paths), row
    assert all(path.is_file() and path.is_relative_to(Path(row["run_dir"])) for path in paths.values()), paths
    assert not (Path(row["run_dir"]) / "signoff.png").exists()
    assert row["cpu_s"] and row["cpu_s"] > 0, row


def test_the_subset_shared_one_server_and_corrupt_backup_had_its_own(subset_rehearsed):
    """Three faults on one server (each on its own database), corrupt-backup on another."""
    seen = {}
    for name in faults.TEST_SUBSET:
        record = _rehearse(name, subset_rehearsed)[1]
        seen[name] = (record["postgres"], record["isolation"]["port"], record["isolation"]["database"])
    shared = {seen[n] for n in faults.TEST_SUBSET if n != "corrupt-backup"}
    assert {s[0] for s in shared} == {"existing"} and len({s[1] for s in shared}) == 1, seen
    assert len({s[2] for s in shared}) == 3, seen
    assert seen["corrupt-backup"][0] != "existing" and seen["corrupt-backup"][1] not in {s[1] for s in shared}, seen


@pytest.mark.parametrize("name", [n for n in faults.TEST_SUBSET if faults.get(n).expected is not Verdict.NO_GO])
def test_the_matrix_rolls_back_without_the_reverse_trial_and_says_so(name, subset_rehearsed):
    """The way back (rollback, RBK-01..03) runs; the reverse-migration trial, which no row depends on, does not."""
    _, record, summary = _rehearse(name, subset_rehearsed)
    trial = next(p for p in record["phases"] if p["name"] == "reverse-migration")
    assert trial["status"] == "skipped" and summary["reverse_migration"] == NOT_TRIED, (trial, summary.get("reverse_migration"))
    run_dir = sorted((subset_rehearsed / "runs").glob(f"*-rehearsal-{name}"))[-1]
    assert not (run_dir / "reverse_migration.json").exists() and (run_dir / "rollback.json").exists()
