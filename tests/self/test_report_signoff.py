"""The sign-off page says the right verdict for the right reason, and never shows a secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate.redact import redact
from gate.report.run_view import load_run
from gate.report.sanitize import find_external, strip_external
from gate.report.signoff import VERDICT_COLOURS, render_html, render_markdown, write_signoff
from gate.report.wayback import reverse_finding
from rehearse.report_sample import SCENARIOS, SECRET_URL, make_sample_run

SECRET_PASSWORD = "Sup3rS3cret-pw"


def _verdict_block(html: str) -> str:
    match = re.search(r'<section class="verdict"[^>]*>.*?</section>', html, re.DOTALL)
    assert match, "no verdict block"
    return match.group(0)


@pytest.mark.parametrize("verdict", list(SCENARIOS))
def test_signoff_shows_the_verdict_and_the_row_that_decided_it(tmp_path: Path, verdict: str) -> None:
    run_dir = make_sample_run(tmp_path, verdict, with_allure=False)
    html_path, md_path = write_signoff(load_run(run_dir))
    html, md = html_path.read_text(), md_path.read_text()
    failed_id, _, _, _, row = SCENARIOS[verdict]

    block = _verdict_block(html)
    assert f'data-verdict="{verdict}"' in block
    assert f"background:{VERDICT_COLOURS[verdict]}" in block
    assert f'<div class="word">{verdict}</div>' in block
    assert re.search(r'<dd class="matrix-row">([^<]*)</dd>', html).group(1) == row.replace(">", "&gt;")
    deciding = re.search(r'<dd class="deciding-check">(.*?)</dd>', html, re.DOTALL).group(1)
    assert (failed_id or "none: every check passed") in deciding
    assert f"## Verdict: **{verdict}**" in md
    assert f"Deciding check: {failed_id or 'none: every check passed'}" in md


@pytest.mark.parametrize("verdict", ["GO", "ROLLBACK"])
def test_signoff_lists_every_check_manual_items_backup_timeline_and_signers(tmp_path: Path, verdict: str) -> None:
    run = load_run(make_sample_run(tmp_path, verdict, with_allure=False))
    html = render_html(run)
    for check in run.checks:
        assert f'data-check="{check.id}"' in html
    for phase in ("preflight", "backup", "migrate", "import"):
        assert f"<h3>{phase}</h3>" in html
    assert '<input type="checkbox"> PRE-02 (critical): CI_STATUS_URL not configured' in html
    assert run.backup and run.backup.sha256 in html and run.backup.path in html
    assert "<svg" in html and "whole window" in html and "of 30 min" in html
    for role in ("DevOps Lead", "Backend Lead", "QA Lead"):
        assert role in html
    assert "the restore from the pre-migration backup is the only way back." in html
    assert "<li>products: 1200 rows before the window, 0 after going back</li>" in html
    assert "Rollback rehearsal done in 16.8 s (within the runbook&#x27;s 15 min)." in html
    markdown = render_markdown(run)
    assert "- [ ] PRE-02 (critical)" in markdown and "**QA Lead** — Name:" in markdown


def test_signoff_is_self_contained(tmp_path: Path) -> None:
    html = render_html(load_run(make_sample_run(tmp_path, "MONITOR", with_allure=False)))
    assert "<script" not in html.lower()
    assert find_external(html) == []
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "Content-Security-Policy" in html


def test_a_secret_in_a_message_is_redacted_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEC_EXCHANGE_PASSWORD", "1c-exchange-pw-42")
    run_dir = make_sample_run(tmp_path, "ROLLBACK", with_allure=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["target"] = SECRET_URL
    summary["checks"][0]["message"] = "checkauth as 1c:1c-exchange-pw-42 failed; token=abcdef123456 <script>alert(1)</script>"
    summary["reverse_migration"] = {"ok": False, "error": f"could not connect to {SECRET_URL}"}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    html_path, md_path = write_signoff(load_run(run_dir))
    for text in (html_path.read_text(), md_path.read_text()):
        assert SECRET_PASSWORD not in text
        assert "1c-exchange-pw-42" not in text
        assert "abcdef123456" not in text
        assert "postgresql://gate:***@db.internal:5432/freesport" in text
    html = html_path.read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in md_path.read_text()
    assert "The reverse migration (migrate products 0001_initial) fails." in html


def test_a_partial_summary_still_renders(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps({"verdict": "NO-GO", "checks": [
        {"id": "ONE-03", "outcome": "failed", "message": "truncated"}]}))  # fmt: skip
    run = load_run(tmp_path)
    html = render_html(run)
    assert 'data-verdict="NO-GO"' in html
    assert "No backup recorded" in html and "No window step was run" in html
    assert "derived it from the checks" in html
    assert re.search(r'<dd class="deciding-check">.*ONE-03', html)


def test_the_gate_plugin_summary_shape_is_read(tmp_path: Path) -> None:
    """summary.json as gate/run.py writes it: effective_severity, runbook_line, manual_items dicts."""
    (tmp_path / "summary.json").write_text(json.dumps({
        "run_id": "r1", "target": "local", "verdict": "MONITOR", "started_at": "2026-11-24T02:00:00+00:00",
        "checks": [{"id": "PST-09", "phase": "postflight", "severity": "critical", "effective_severity": "high",
                    "outcome": "failed", "message": "error rate 3.1 %", "duration_s": 2.0, "runbook_line": "error rate < 1 %"},
                   {"id": "PRE-02", "phase": "preflight", "severity": "critical", "outcome": "skipped",
                    "message": "no CI URL", "duration_s": 0.0}],
        "steps": [{"name": "import", "budget_s": 1800, "duration_s": 2400.0, "exit_code": 0,
                   "started_at": "2026-11-24T02:27:00+00:00"}],
        "decision": {"verdict": "MONITOR", "deciding_check": "PST-09",
                     "matrix_row": "error rate 1–5 % (high) → monitor + hotfix", "exit_code": 3},
        "manual_items": [{"id": "PRE-02", "reason": "no CI URL", "runbook_line": "CI green"}],
        "backup_manifest": {"path": "/backups/b.dump", "sha256": "ab" * 32},
    }))  # fmt: skip
    run = load_run(tmp_path)
    html = render_html(run)
    assert run.check("PST-09").severity == "high"
    assert "error rate 1–5 % (high) → monitor + hotfix".replace(">", "&gt;") in html
    assert html.count("PRE-02 (critical): no CI URL") == 1
    assert "ab" * 32 in html
    assert "over budget" in html and "40 min of 30 min (133%)" in html


def test_redact_patterns() -> None:
    env = {"NOTIFY_WEBHOOK_URL": "https://hooks.example/services/T1/B2/xyzzy", "SECRET_KEY": "django-s3cr3t-key"}
    assert redact("postgresql://u:pw123@h/db", env) == "postgresql://u:***@h/db"
    assert redact("posting to https://hooks.example/services/T1/B2/xyzzy", env) == "posting to ***"
    assert "django-s3cr3t-key" not in redact("key is django-s3cr3t-key", env)
    assert redact("PGPASSWORD=hunter2 psql", env) == "PGPASSWORD=*** psql"
    assert redact("Authorization: Bearer abcdefghijklmnop", env) == "Authorization: Bearer ***"
    assert redact("GET https://example.org/api/products/ 200", env) == "GET https://example.org/api/products/ 200"
    weak = {"PGPASSWORD": "postgres"}
    assert redact("postgresql://gate@h/freesport_postgres ok, pw postgres", weak) == "postgresql://gate@h/freesport_postgres ok, pw ***"


def test_strip_external_removes_analytics_and_remote_resources() -> None:
    page = (
        '<html><head><link rel="stylesheet" href="https://cdn.example/x.css"><style>@import url("https://f.example/a.css");</style>'
        '</head><body><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'
        "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script>"
        '<script>window.allureReportOptions = {"ci":{"jobUrl":"https://ci.example/job/1","repoName":"main"}}</script>'
        '<script>window.ok=1</script><img src="//cdn.example/p.png"><a href="https://allurereport.org">Allure</a></body></html>'
    )
    assert len(find_external(page)) >= 4
    clean = strip_external(page)
    assert find_external(clean) == []
    assert '"jobUrl":""' in clean and '"repoName":"main"' in clean
    assert "window.ok=1" in clean and "googletagmanager" not in clean and "dataLayer" not in clean


def test_reverse_migration_finding_in_plain_words() -> None:
    works = reverse_finding({"works": True, "losses": [], "restore_only_way_back": False, "target": "products 0001_initial"})
    assert works and not works.restore_only and "brings the pre-migration data back" in works.sentence
    fails = reverse_finding({"works": False, "exit_code": 1, "losses": ["the reverse migration failed (exit 1): boom"]})
    assert fails and fails.restore_only and fails.sentence.endswith("The restore from the pre-migration backup is the only way back.")
    assert ("losses", ["the reverse migration failed (exit 1): boom"]) in fails.details
    assert reverse_finding(None) is None
    assert reverse_finding(False).restore_only  # type: ignore[union-attr]


def test_a_misspelt_setting_is_shown_on_the_signoff_page(tmp_path: Path) -> None:
    """summary.json settings_warnings (an env-file key that is no setting) appear for the signers; none: no section."""
    warning = "target.env:3: DATABSE_URL is not a setting and is ignored: did you mean DATABASE_URL?"
    (tmp_path / "summary.json").write_text(json.dumps({"verdict": "GO", "checks": [], "settings_warnings": [warning]}))
    html = render_html(load_run(tmp_path))
    assert "<h2>Settings warnings</h2>" in html and "DATABSE_URL is not a setting" in html
    (tmp_path / "summary.json").write_text(json.dumps({"verdict": "GO", "checks": []}))
    assert "Settings warnings" not in render_html(load_run(tmp_path))
