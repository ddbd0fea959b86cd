"""The Allure report and the sign-off page, generated for real and looked at with chromium.

Allure 3 comes from node_modules (``scripts/bootstrap/report-tools.sh``, run by ``make test``);
chromium is Debian's. Every host is unresolvable while chromium renders, and its net log
must show no request made by the page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gate.report import browser
from gate.report.allure_report import HISTORY_NAME, REPORT_DIRNAME, allure_bin
from gate.report.build import ReportPaths, build_report
from gate.report.run_view import load_run
from gate.report.sanitize import find_external
from gate.report.signoff import write_signoff
from rehearse.report_sample import SCENARIOS, make_sample_run

REPO = Path(__file__).resolve().parents[2]
SECRET_PASSWORD = "Sup3rS3cret-pw"
needs_allure = pytest.mark.skipif(allure_bin() is None, reason="Allure 3 not installed: run scripts/bootstrap/report-tools.sh")
needs_chromium = pytest.mark.skipif(not browser.available(), reason="chromium missing: run scripts/bootstrap/report-tools.sh")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportPaths]:
    """Two runs in one runs dir, reported oldest first (so the second has history)."""
    if allure_bin() is None:
        pytest.skip("Allure 3 not installed: run scripts/bootstrap/report-tools.sh")
    base = tmp_path_factory.mktemp("runs")
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    out = {}
    for offset, verdict in enumerate(("GO", "ROLLBACK")):
        run_dir = make_sample_run(base, verdict, started=start + timedelta(days=offset))
        out[verdict] = build_report(run_dir, runs_base=base)
    return out


def _payloads(html: str) -> dict[str, str]:
    """The report's embedded data files (``d("name", "base64")`` calls), decoded."""
    return {name: base64.b64decode(data).decode("utf-8", "replace") for name, data in re.findall(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)}


def _screenshot_dir(tmp_path: Path) -> Path:
    """Where PNGs go: ``$REPORT_SCREENSHOTS`` to keep them for a person, else the test's tmp dir."""
    return Path(os.environ.get("REPORT_SCREENSHOTS") or tmp_path)


@needs_allure
def test_report_is_a_single_file_without_external_resources(runs: dict[str, ReportPaths]) -> None:
    index = runs["ROLLBACK"].index
    assert index is not None and index.name == "index.html"
    html = index.read_text()
    assert find_external(html) == []
    assert "googletagmanager" not in html and "gtag(" not in html
    assert 'http-equiv="Content-Security-Policy"' in html
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*(src|href)=[\"']?(https?:)?//", html)


@needs_allure
def test_report_history_spans_earlier_runs(runs: dict[str, ReportPaths]) -> None:
    first = (runs["GO"].index.parent / HISTORY_NAME).read_text().splitlines()
    second = (runs["ROLLBACK"].index.parent / HISTORY_NAME).read_text().splitlines()
    assert len(first) == 1 and len(second) == 2
    assert json.loads(second[0])["uuid"] == json.loads(first[0])["uuid"]


@needs_allure
def test_report_carries_check_ids_steps_verdict_and_attachments(runs: dict[str, ReportPaths]) -> None:
    data = _payloads(runs["GO"].index.read_text())
    everything = "\n".join(data.values())
    for check_id in ("PRE-01", "BKP-03", "MIG-04", "FLS-01", "IMP-01", "PST-09"):
        assert f'"name":"{check_id} ' in everything
    assert '"name":"step import"' in everything and '"name":"Verdict GO"' in everything
    for artifact in ("count table: counts.json", "flush dry-run plan: flush_dry_run.txt", "latency: latency.json",
                     "snapshot differences: snapshot_diff.json"):  # fmt: skip
        assert artifact in everything
    assert any('"expected_products": 1200' in body for name, body in data.items() if name.startswith("data/attachments/"))
    assert SECRET_PASSWORD not in everything
    assert SECRET_PASSWORD not in runs["ROLLBACK"].index.read_text()


@needs_allure
@needs_chromium
def test_chromium_renders_the_allure_report_offline(runs: dict[str, ReportPaths], tmp_path: Path) -> None:
    shot = _screenshot_dir(tmp_path) / "allure-rollback.png"
    rendering = browser.render(runs["ROLLBACK"].index, screenshot=shot, window=(1400, 1000))
    text = browser.visible_text(rendering.dom)
    assert "verdict ROLLBACK" in text
    assert "Verdict ROLLBACK — deciding check IMP-01" in text or "deciding_check IMP-01" in text
    for check_id in ("PRE-01", "BKP-01", "MIG-01", "FLS-01", "IMP-01"):
        assert check_id in text
    assert rendering.page_requests == []
    assert shot.stat().st_size > 20_000


@needs_allure
@needs_chromium
def test_the_net_log_would_catch_a_page_calling_out(runs: dict[str, ReportPaths], tmp_path: Path) -> None:
    """Guards the guard: put Allure's analytics tag back and chromium reports the request."""
    page = tmp_path / "index.html"
    html = runs["GO"].index.read_text().replace("Content-Security-Policy", "X-Removed")
    page.write_text(html.replace("</body>", '<script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script></body>'))
    rendering = browser.render(page, virtual_time_ms=3000)
    assert any("googletagmanager.com" in url for url in rendering.page_requests)


@needs_chromium
@pytest.mark.parametrize("verdict", list(SCENARIOS))
def test_chromium_renders_the_signoff_for_each_verdict(tmp_path: Path, verdict: str) -> None:
    run = load_run(make_sample_run(tmp_path, verdict, with_allure=False))
    html_path, _ = write_signoff(run)
    shot = _screenshot_dir(tmp_path) / f"signoff-{verdict.lower()}.png"
    rendering = browser.render(html_path, screenshot=shot, window=(1100, 2600), virtual_time_ms=2000)
    text = browser.visible_text(rendering.dom)
    failed_id, _, _, _, row = SCENARIOS[verdict]
    assert f"Verdict: {verdict}" in text
    assert row.replace(">", "&gt;") in text
    assert failed_id is None or failed_id in text
    for check in run.checks:
        assert check.id in text
    assert SECRET_PASSWORD not in rendering.dom
    assert rendering.page_requests == []
    assert shot.stat().st_size > 20_000


@needs_allure
def test_cli_reports_the_newest_run_and_prints_the_paths(tmp_path: Path) -> None:
    older = make_sample_run(tmp_path, "GO", started=datetime(2026, 11, 1, 2, 0, tzinfo=UTC), with_allure=False)
    newer = make_sample_run(tmp_path, "HOTFIX", started=datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    env = {**os.environ, "RUNS_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    env.pop("RUN_DIR", None)
    args = ["--png"] if browser.available() else []
    proc = subprocess.run([sys.executable, "-m", "gate.report", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"Allure report: {newer / REPORT_DIRNAME / 'index.html'}" in proc.stdout
    assert f"Sign-off page: {newer / 'signoff.html'}" in proc.stdout
    assert not (older / "signoff.html").exists()
    if args:
        assert f"Sign-off PNG: {newer / 'signoff.png'}" in proc.stdout and (newer / "signoff.png").stat().st_size > 20_000


@needs_chromium
def test_signoff_png_shows_the_whole_page_down_to_the_signatures(tmp_path: Path) -> None:
    """The PNG is as tall as the laid-out page (not cut at a fixed window height), so it ends at the signatures."""
    run = load_run(make_sample_run(tmp_path, "ROLLBACK", with_allure=False))
    html_path, _ = write_signoff(run)
    assert "signature" in html_path.read_text().lower()
    png = tmp_path / "signoff.png"
    height = browser.screenshot_whole_page(html_path, png)
    assert height > 2400, f"the sample sign-off page is {height} px tall: this test needs one taller than a screen"
    assert browser.png_size(png) == (1100, height)
    assert height == browser.page_height(html_path, 1100)
