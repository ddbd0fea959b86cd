"""Each window check's fact, failing on the fault it exists to catch (no target needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gate.http.api import Burst, Sample, redact_url
from gate.logs.parse import access_entries, django_errors, error_rate
from gate.migrations.lint import apply_waivers, lint_sql, load_waivers
from gate.migrations.plan import compare_plan, parse_plan
from gate.types import Severity
from gate.window.facts import (
    error_severity,
    flush_plan_findings,
    import_findings,
    latency_severity,
    variant_findings,
)

PROTECTED = ["orders", "order_items", "carts", "cart_items", "users", "favorites"]


def test_fls_01_cascade_into_order_items_fails_before_anything_is_deleted():
    plan = {"deleted": {"products": 10, "product_variants": 30, "order_items": 4}, "updated": {}, "blocked_by": []}
    assert flush_plan_findings(plan, PROTECTED, ["products", "product_variants"]) == [
        "the flush would delete or update protected table order_items (4 rows)"]
    assert not flush_plan_findings({"deleted": {"products": 1, "product_variants": 2}}, PROTECTED,
                                   ["products", "product_variants"])


def test_fls_01_set_null_on_a_protected_table_and_non_product_deletes_fail():
    plan = {"deleted": {"products": 1, "brands": 2}, "updated": {"favorites": 1}, "blocked_by": ["carts"]}
    found = flush_plan_findings(plan, PROTECTED, ["products"])
    assert len(found) == 3 and any("favorites" in f for f in found) and any("brands" in f for f in found)


def test_imp_01_completed_with_zero_records_and_files_mismatch_fail():
    session = {"id": 7, "status": "completed", "report": {"records": 0, "files_processed": 2}}
    found = import_findings(session, [], rows_written=0, package_files=9)
    assert "files processed 2 ≠ files in the package 9" in found
    assert "the import session reports completed with 0 records" in found
    assert any("wrote no rows" in f for f in found)


def test_imp_01_a_session_that_read_less_than_the_package_or_wrote_nothing_fails():
    session = {"id": 3, "status": "completed", "report": {
        "counts": {"products_created": 0, "variants_created": 0, "products_updated": 0},
        "validation": {"counts": {"goods": 150, "offers": 576}}}}
    found = import_findings(session, [], 10, 9, package_goods=200, package_offers=576)
    assert found == ["the import session reports completed with 0 records",
                     "the import read 150 goods, the package holds 200"]


def test_imp_01_failed_session_and_error_lines_fail():
    found = import_findings({"id": 1, "status": "failed", "error_message": "boom"},
                            ["2026-01-01 02:30:00,1 ERROR importer boom"], 10, 9)
    assert found[0].startswith("import session 1 is failed") and "ERROR line" in found[1]
    assert not import_findings({"id": 2, "status": "completed", "report": {"files_processed": 9}}, [], 10, 9)


def test_pst_05_product_without_variants_500_and_unmapped_hex_fail():
    assert variant_findings("a", 200, {"variants": []}, set()) == ["a: variants[] is empty"]
    assert variant_findings("b", 500, None, set()) == ["b: HTTP 500"]
    variant = {"sku": "S1", "price": "10.00", "color_name": "Черный", "color_hex": None}
    assert "mapped but has no hex" in variant_findings("c", 200, {"variants": [variant]}, {"черный"})[0]
    assert not variant_findings("d", 200, {"variants": [{**variant, "color_hex": "#000000"}]}, {"черный"})
    assert "no price" in variant_findings("e", 200, {"variants": [{"sku": "S", "price": None}]}, set())[0]
    unpriced = {"sku": "S", "onec_id": "p#v", "price": None}
    assert not variant_findings("f", 200, {"variants": [unpriced]}, set(), must_price=set())
    assert "no price" in variant_findings("g", 200, {"variants": [unpriced]}, set(), must_price={"S"})[0]


def test_pst_08_tiers_follow_the_matrix():
    slow = Burst([Sample("/", 200, s) for s in [0.1] * 90 + [0.7] * 10])
    assert slow.p95_ms == 700.0 and latency_severity(slow.p95_ms) is Severity.LOW
    assert latency_severity(1000.5) is Severity.HIGH and latency_severity(499) is None


def _access_log(path, ok: int, errors: int, at: datetime) -> None:
    stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    lines = [f'1.2.3.4 - - [{stamp}] "GET /api/products/ HTTP/1.1" {500 if i < errors else 200} 5 "-" "c" '
             f"request_time 0.0{i % 9 + 1}" for i in range(ok + errors)]
    path.write_text("\n".join(lines) + "\n")


def test_pst_09_three_percent_errors_in_the_access_log_is_high(tmp_path):
    now = datetime.now(UTC)
    _access_log(tmp_path / "access.log", 97, 3, now)
    rate = error_rate(access_entries(tmp_path / "access.log"), [], now - timedelta(minutes=5))
    assert rate.requests == 100 and rate.pct == 3.0
    assert error_severity(rate.pct) is Severity.HIGH and error_severity(8.0) is Severity.CRITICAL


def test_pst_09_window_excludes_what_happened_before_maintenance_went_off(tmp_path):
    now = datetime.now(UTC)
    _access_log(tmp_path / "access.log", 0, 50, now - timedelta(minutes=30))
    rate = error_rate(access_entries(tmp_path / "access.log", since=now - timedelta(minutes=1)), [], now)
    assert rate.requests == 0 and rate.pct == 0.0


def test_django_log_error_lines_are_counted_and_nginx_request_time_parses(tmp_path):
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,123")
    (tmp_path / "django.log").write_text(f"{stamp} INFO x ok\n{stamp} ERROR django.request boom\n")
    assert len(django_errors(tmp_path / "django.log")) == 1
    (tmp_path / "nginx.log").write_text(
        '1.1.1.1 - - [24/Nov/2026:02:10:00 +0300] "GET /api/products/ HTTP/1.1" 200 10 "-" "ua" 0.532\n')
    assert access_entries(tmp_path / "nginx.log", "nginx")[0].seconds == 0.532


def test_mig_01_unexpected_migration_and_mig_02_pending_are_named():
    plan = parse_plan("[X]  products.0001_initial\n[ ]  products.0002_a\n[ ]  orders.0002_delete_test_orders\n")
    pending = [n for n, applied in plan if not applied]
    assert compare_plan(pending, ["products.0002_a"]) == ["unexpected pending migration orders.0002_delete_test_orders"]
    assert compare_plan([], ["products.0002_a"])[0].startswith("expected migration products.0002_a is not pending")


def test_mig_03_lint_rules_exemptions_and_waivers(tmp_path):
    sql = """BEGIN;
CREATE TABLE "product_variants" ("id" bigint NOT NULL, "sku" varchar(64) NOT NULL UNIQUE);
CREATE INDEX "product_variants_sku_idx" ON "product_variants" ("sku");
ALTER TABLE "orders" ADD COLUMN "channel" varchar(10) NOT NULL;
CREATE INDEX "orders_channel_idx" ON "orders" ("channel");
ALTER TABLE "products" DROP COLUMN "sku" CASCADE;
COMMIT;"""
    findings = lint_sql("products.0004_x", sql)
    assert [f.rule for f in findings] == ["adding-required-field", "require-concurrent-index-creation",
                                          "ban-drop-column"]
    waivers = tmp_path / "w.yml"
    waivers.write_text("waivers:\n  - migration: products.0004_x\n    rule: ban-drop-column\n    reason: accepted\n")
    waived = apply_waivers(findings, load_waivers(waivers))
    assert [f.rule for f in waived if not f.waived] == ["adding-required-field", "require-concurrent-index-creation"]


def test_urls_are_printed_without_passwords():
    assert redact_url("https://u:s3cret@hooks.example/x") == "https://u:***@hooks.example/x"


def test_dep_01_wrong_release_and_broken_requirements_are_caught(tmp_path, monkeypatch):
    from gate.settings import load_settings
    from gate.window.deployed import deployed_release, requirements_check

    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    settings = load_settings(environ={"DEPLOYED_VERSION_CMD": "echo v13.3.0", "PIP_CHECK_CMD": "echo 'x 1.0 requires y' && false"},
                             env_file=None)
    assert deployed_release(settings).tag == "v13.3.0" != settings.release_tag
    ok, detail = requirements_check(settings)
    assert not ok and "requires y" in detail
    bundled = load_settings(environ={"EXPECTED_PLAN": "products.0009_not_in_this_release"}, env_file=None)
    assert deployed_release(bundled).tag == "" and "lacks the release's migrations" in deployed_release(bundled).how


def test_run_02_pg_dump_older_than_the_server_is_drift(tmp_path, monkeypatch):
    from gate.runbook.linter import Linter
    from gate.settings import load_settings

    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    linter = Linter(load_settings(environ={}, env_file=None))
    linter.__dict__["server_major"] = 99
    ok, detail = linter.check_tool("pg_dump", ["-Fc"])
    assert not ok and "older than the server (99)" in detail
    ok, detail = linter.check_tool("sha256sum", ["--no-such-option"])
    assert not ok and "unknown option" in detail


def test_django_log_format_is_a_setting_with_a_level_first_preset(tmp_path):
    """Issue 11 item 4: a level-first Django log (``ERROR 2026-12-04 20:14:04,138 …``) has its errors counted."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,138")
    log = tmp_path / "django.log"
    log.write_text(f"INFO {stamp} views ok\nERROR {stamp} django.request boom\nERROR {stamp} views again\n")
    assert django_errors(log) == []  # the default (time-first) pattern sees nothing: the false pass it was
    assert len(django_errors(log, fmt="level-first")) == 2
    since = datetime.now(UTC) + timedelta(minutes=5)
    assert django_errors(log, since, "level-first") == []
    custom = r"^(?P<level>[A-Z]+)\s+(?P<time>\S+ \S+)\s"
    assert len(django_errors(log, fmt=custom)) == 2
    with pytest.raises(ValueError, match="DJANGO_LOG_FORMAT"):
        django_errors(log, fmt=r"^(?P<level>[A-Z]+)")


_STAMP = "04/Dec/2026:02:31:07 +0000"


@pytest.mark.parametrize(("fmt", "line", "seconds"), [
    ("gunicorn", f'127.0.0.1 - - [{_STAMP}] "GET /api/products/ HTTP/1.1" 200 512 "-" "curl" request_time=0.042', 0.042),
    ("nginx", f'10.0.0.9 - - [{_STAMP}] "GET /api/products/ HTTP/1.1" 503 120 "-" "curl" 0.317', 0.317),
    ("combined", f'10.0.0.9 - - [{_STAMP}] "GET /api/products/ HTTP/1.1" 200 512 "-" "Mozilla/5.0"', None),
    (r'^(?P<status>\d{3}) (?P<seconds>[\d.]+)s \[(?P<time>[^\]]+)\] (?P<request>.*)$',
     f"201 1.250s [{_STAMP}] POST /api/v1/cart/", 1.25),
], ids=["gunicorn", "nginx", "combined", "regex"])
def test_every_access_log_preset_reads_its_own_line_and_not_another(fmt, line, seconds):
    """ACCESS_LOG_FORMAT: each preset (and a regex) parses a line of its format: status, time, seconds."""
    from gate.logs.parse import parse_access_line

    entry = parse_access_line(line, fmt)
    assert entry is not None and entry.time.year == 2026 and entry.seconds == seconds
    assert entry.status in (200, 201, 503)
    assert parse_access_line("ERROR 2026-12-04 02:31:07,001 views boom", fmt) is None


@pytest.mark.parametrize(("fmt", "line"), [
    ("time-first", "2026-12-04 02:31:07,001 ERROR views boom"),
    ("level-first", "ERROR 2026-12-04 02:31:07,001 views boom"),
    ("bracketed", "[2026-12-04 02:31:07,001] ERROR views boom"),
])
def test_every_django_log_preset_reads_its_own_line_and_not_the_others(fmt, line):
    """DJANGO_LOG_FORMAT: each preset matches its own layout only (so a wrong preset is seen, not silently 0 errors)."""
    from gate.logs.parse import DJANGO_FORMATS, django_pattern

    assert django_pattern(fmt).match(line)
    assert not any(django_pattern(other).match(line) for other in DJANGO_FORMATS if other != fmt)
