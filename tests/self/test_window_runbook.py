"""runbook-lint and RUN-01..03: the shared runbook is covered line by line; each kind of drift is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.runbook.__main__ import main as lint_main
from gate.runbook.lint import Linter
from gate.settings import load_settings
from gate.steps.window_manifest import window_lines

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO.parent / "shared" / "seed" / "migration-guide-productvariant.md"
DRIFT = """
```bash
python manage.py flush_products --dryrun
python manage.py import_products_from_1c_v2 --full
curl -s http://localhost:8000/api/v1/products/ | jq '.count'
./scripts/deploy/migrate_production.sh
python manage.py shell -c "from apps.products.models import ColourMap"
```
"""


@pytest.fixture(scope="module")
def linter(tmp_path_factory):
    """A linter bound to the bundled backend (manage.py introspection needs no database)."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("lint")
    (tmp / "empty.env").write_text("")
    env = {"ENV_FILE": str(tmp / "empty.env"), "SECRET_KEY": "self-test", "LOG_DIR": str(tmp / "log"),
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing"}
    for key, value in env.items():
        mp.setenv(key, value)
    yield Linter(load_settings())
    mp.undo()


@pytest.mark.skipif(not RUNBOOK.exists(), reason="../shared runbook not present")
def test_every_line_of_the_shared_runbook_is_covered_on_the_bundled_backend(linter):
    reports = linter.lint_markdown(RUNBOOK.read_text(encoding="utf-8"))
    assert [r for r in reports if r.status == "drift"] == []
    numbers = {r.number: r for r in reports}
    assert numbers[135].status == "covered" and "flush_products --dry-run" in numbers[135].detail
    assert numbers[163].detail.startswith("/api/products/ → ")
    assert numbers[84].status == "covered" and numbers[80].status == "variant"


def test_each_kind_of_drift_is_reported_with_its_markdown_line(linter):
    reports = {r.number: r for r in linter.lint_markdown(DRIFT)}
    assert reports[3].status == "drift" and "unknown option(s) --dryrun" in reports[3].detail
    assert "manage.py import_products_from_1c_v2: unknown command" in reports[4].detail
    assert "/api/v1/products/: does not resolve" in reports[5].detail
    assert "./scripts/deploy/migrate_production.sh: no such script" in reports[6].detail
    assert "apps.products.models has no ColourMap" in reports[7].detail


def test_the_windows_own_commands_pass_run_01_to_03(linter):
    lines = window_lines(linter.settings)
    linter.prepare(lines)
    drift = [r for r in (linter.lint_line(line) for line in lines) if r.status == "drift"]
    assert drift == []


def test_runbook_lint_cli_exits_non_zero_and_names_the_line(linter, tmp_path, capsys, monkeypatch):
    runbook = tmp_path / "drifted.md"
    runbook.write_text(DRIFT)
    assert lint_main([str(runbook)]) == 1
    out = capsys.readouterr().out
    assert f"{runbook}:3: manage.py flush_products: unknown option(s) --dryrun" in out
