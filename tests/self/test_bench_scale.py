"""bench/scale_rehearsal.py reads a rehearsal's run directory into the curve's rows (no rehearsal runs here)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale_rehearsal", REPO / "bench" / "scale_rehearsal.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scale_rehearsal", module)
    spec.loader.exec_module(module)
    return module


def _run_dir(tmp_path: Path) -> Path:
    """A finished run as the rehearsal writes it, in small files."""
    run = tmp_path / "20261205T000000Z-abcd-rehearsal"
    (run / "checks").mkdir(parents=True)
    steps = [("backup", 600, 40.0), ("migrate", 180, 90.0), ("flush_dry_run", 120, 12.0), ("flush", 120, 30.0),
             ("import", 1800, 300.0), ("smoke", None, 1.0)]
    summary = {"verdict": "GO", "steps": [{"name": n, "budget_s": b, "duration_s": d} for n, b, d in steps]
               + [{"name": "maintenance_off", "budget_s": 120, "duration_s": None}],  # started, never finished
               "checks": [{"id": "PST-01", "duration_s": 2.5, "outcome": "passed"},
                          {"id": "PST-10", "duration_s": 7.5, "outcome": "passed"},
                          {"id": "IMP-01", "duration_s": 50.0, "outcome": "failed"}]}
    (run / "summary.json").write_text(json.dumps(summary))
    (run / "rehearsal.json").write_text(json.dumps({
        "verdict": "GO", "data": {"products": 10, "variants_per_product": 3, "seed": 42}, "total_s": 700.0,
        "phases": [{"name": "1c-package", "duration_s": 50.0}, {"name": "pre-migration-state", "duration_s": 150.0},
                   {"name": "window", "duration_s": 630.0}, {"name": "rollback", "duration_s": 45.0}]}))
    sessions = [{"label": "backup:after", "ids": ["BKP-01", "BKP-04"], "duration_s": 20.0},
                {"label": "import:after+postflight:before", "ids": ["IMP-01", "PST-01", "PST-10"], "duration_s": 60.0},
                {"label": "smoke:after", "ids": ["PST-04"], "duration_s": 6.0},
                {"label": "preflight:before", "ids": ["PRE-01"], "duration_s": 4.0}]
    (run / "checks" / "sessions.jsonl").write_text("\n".join(json.dumps(s) for s in sessions) + "\n\n")
    return run


def test_curve_of_a_run_directory(tmp_path: Path) -> None:
    sr = _module()
    curve = sr.curve_of(_run_dir(tmp_path), wall_s=720.0)
    got = {f.name: (f.ours_s, f.reference_s) for f in curve["figures"]}
    assert got["migrate"] == (90.0, 180.0)
    assert got["flush_dry_run"] == (12.0, 120.0) and got["flush"] == (30.0, 120.0)
    assert got["import"] == (300.0, 1800.0)
    assert got["backup proof (step + BKP checks)"] == (60.0, 600.0)  # step 40 + BKP session 20
    assert got["postflight (PST check sessions)"] == (66.0, 60.0)  # the coalesced session counts whole
    assert got["postflight (PST checks' own time)"] == (10.0, 60.0)
    assert got["preflight (PRE check sessions)"] == (4.0, None)
    assert got["window's check sessions (all)"] == (90.0, None)
    assert got["window (steps + checks)"] == (630.0, 6300.0)
    assert got["rollback"] == (45.0, 900.0)
    assert got["rehearsal (wall)"] == (720.0, 900.0)
    assert got["rehearsal without the data's set-up"] == (520.0, 900.0)
    assert curve["failed"] == ["IMP-01"] and curve["verdict"] == "GO" and curve["setup_s"] == 200.0
    postflight = next(f for f in curve["figures"] if f.name.startswith("postflight (PST check sessions"))
    assert postflight.ratio == pytest.approx(1.1)
    assert math.isnan(next(f for f in curve["figures"] if f.reference_s is None).ratio)
    table = sr.table([(30, curve, "1.00 1.00 1.00", "2.00 2.00 2.00")])
    assert "| 30 | migrate | 90.0 | 180 s (runbook) | 0.500 |" in table
    assert "load 1.00 1.00 1.00 → 2.00 2.00 2.00" in table


def test_unfinished_run_and_bad_session_line_are_named(tmp_path: Path) -> None:
    sr = _module()
    run = _run_dir(tmp_path)
    (run / "checks" / "sessions.jsonl").write_text('{"label": "x", "ids": [], "duration_s": 1}\n{oops\n')
    with pytest.raises(ValueError, match=r"sessions\.jsonl:2: not JSON"):
        sr.curve_of(run)
    (run / "summary.json").unlink()
    with pytest.raises(ValueError, match="not a finished rehearsal run"):
        sr.curve_of(run)


def test_rehearsal_env_sizes_the_catalog_and_drops_the_target(tmp_path: Path) -> None:
    sr = _module()
    env = sr.rehearsal_env(1_000_000, tmp_path, {"DATABASE_URL": "postgres://x", "PATH": "/bin"})
    assert env["REHEARSAL_PRODUCTS"] == "333334" and env["REHEARSAL_VARIANTS_PER_PRODUCT"] == "3"
    assert env["RUNS_ROOT"] == str(tmp_path / "1000000" / "runs") and "DATABASE_URL" not in env
    assert env["GATE_LIVE"] == "0" and env["PATH"] == "/bin"
