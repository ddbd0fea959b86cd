"""The checklist: every check id of the runbook gate with its phase, severity and runbook line.

Ids are stable (SPEC.md: add more, never renumber). Tests carry the id in a marker; the
plugin refuses unknown or duplicated ids and any id of this registry without a test.

>>> CHECKS["BKP-04"].severity
<Severity.CRITICAL: 'critical'>
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gate.types import CheckId, Phase, Severity


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the checklist.

    >>> Check("PRE-07", Phase.PREFLIGHT, Severity.HIGH, "inside the deployment window").id
    'PRE-07'
    """

    id: CheckId
    phase: Phase
    severity: Severity
    line: str
    synthetic: bool = False


C, H, L = Severity.CRITICAL, Severity.HIGH, Severity.LOW
P = Phase

_TABLE: tuple[Check, ...] = (
    Check("PRE-01", P.PREFLIGHT, C, "stories 13.1–13.3 have gate PASS (QA gate files, path configurable)"),
    Check("PRE-02", P.PREFLIGHT, C, "CI green for the release commit (CI status API when configured)"),
    Check("PRE-03", P.PREFLIGHT, C, "staging migration rehearsed: a GO rehearsal for this release, recent"),
    Check("PRE-04", P.PREFLIGHT, C, "rollback rehearsed on staging: that rehearsal's rollback passed"),
    Check("PRE-05", P.PREFLIGHT, L, "team notified (notification sent and recorded)"),
    Check("PRE-06", P.PREFLIGHT, C,
          "production access: DB reachable, privileges to dump every table, tool versions match the server"),
    Check("PRE-07", P.PREFLIGHT, H, "inside the deployment window and the planned steps fit before it closes"),
    Check("BKP-01", P.BACKUP, C, "backup file exists, is new (this run), non-empty; disk had room (≥ 2× DB size)"),
    Check("BKP-02", P.BACKUP, C, "`pg_restore --list` reads it and it holds data for every table"),
    Check("BKP-03", P.BACKUP, C, "sha256 recorded and matches the file"),
    Check("BKP-04", P.BACKUP, C,
          "the backup restores into a disposable PostgreSQL and its fingerprint equals the live DB's at backup time"),
    Check("MNT-01", P.MAINTENANCE_ON, C, "maintenance on: the public API answers 503"),
    Check("DEP-01", P.DEPLOY, C, "code at the release tag, requirements satisfied"),
    Check("RUN-01", P.DEPLOY, C,
          "every management command and option the window's steps use exists on the deployed release "
          "(parsed with `help`, nothing executed)"),
    Check("RUN-02", P.DEPLOY, C,
          "every script and shell tool the steps call exists, is executable, and its version fits "
          "(pg_dump/pg_restore ≥ server major, curl, sha256sum…)"),
    Check("RUN-03", P.DEPLOY, C,
          "every API route the postflight and smoke use resolves on the deployed release "
          "(URL resolver, not HTTP: maintenance is on)"),
    Check("MIG-01", P.MIGRATE, C, "pending migrations before = the expected plan, nothing unexpected"),
    Check("MIG-03", P.MIGRATE, H,
          "the SQL of every pending migration is captured and linted (locks, rewrites, NOT NULL without "
          "default, non-concurrent index), waivers recorded"),
    Check("MIG-05", P.MIGRATE, C,
          "trial migration before the point of no return: the pending migrations, run with the release's code on a "
          "restored copy of this run's verified backup, leave the protected tables unchanged; its duration fits "
          "the migrate budget"),
    Check("MIG-04", P.MIGRATE, C,
          "protected tables unchanged by `migrate` itself (fingerprints right before and right after)"),
    Check("MIG-02", P.MIGRATE, C, "after migrate: no pending migrations"),
    Check("ONE-01", P.PRE_IMPORT, C, "1C reachable (healthcheck / checkauth answers success)"),
    Check("ONE-02", P.PRE_IMPORT, C, "1C XML files present (goods, offers, prices, rests, groups)"),
    Check("ONE-03", P.PRE_IMPORT, C,
          "XML well-formed, complete (not truncated), supported CommerceML version, no DTD/entities"),
    Check("ONE-04", P.PRE_IMPORT, H,
          "XML consistent: unique ids, offers resolve to goods, every price refers to a declared type, and the "
          "retail price type resolves through the price-type mapping"),
    Check("COL-01", P.PRE_IMPORT, L, "ColorMapping ≥ 20"),
    Check("FLS-01", P.FLUSH, C, "flush dry-run: what will be deleted, and no protected table is touched"),
    Check("FLS-02", P.FLUSH, C, "after flush: no products or variants left; protected tables unchanged"),
    Check("IMP-01", P.IMPORT, C, "import finished successfully, no errors in its log"),
    Check("IMP-03", P.IMPORT, H,
          "the import leaves the 1C package untouched (every file's sha256 before = after)"),
    Check("IMP-02", P.IMPORT, H, "import within its budget (30 min)"),
    Check("PST-01", P.POSTFLIGHT, C, "Product count = expected from the 1C files"),
    Check("PST-02", P.POSTFLIGHT, C,
          "ProductVariant count = expected (offers + one default variant per product without offers)"),
    Check("PST-03", P.POSTFLIGHT, L, "ColorMapping ≥ 20"),
    Check("PST-04", P.POSTFLIGHT, C, "API `/products/` answers with count = active products > 0"),
    Check("PST-05", P.POSTFLIGHT, C, "API product detail has non-empty `variants[]` (sampled)"),
    Check("PST-06", P.POSTFLIGHT, C, "API `/categories/` count = expected categories"),
    Check("PST-07", P.POSTFLIGHT, C,
          "protected tables (default: orders, order_items, carts, cart_items, users, favorites; a setting) "
          "unchanged vs the pre-migration snapshot"),
    Check("PST-08", P.POSTFLIGHT, H, "response time: p95 < 500 ms; 500–1000 ms fails as low, above 1000 ms as high"),
    Check("PST-09", P.POSTFLIGHT, C, "error rate < 1 %; 1–5 % fails as high, above 5 % as critical"),
    Check("PST-10", P.POSTFLIGHT, C, "no pending migrations"),
    Check("PST-11", P.POSTFLIGHT, C,
          "prices equal the 1C package: per mapped price column, the count of active variants with a price and a "
          "seeded sample of values, exactly; the retail column is never empty where the package has retail prices"),
    Check("PST-12", P.POSTFLIGHT, H,
          "stock equals the 1C package (rests, summed over warehouses): counts and a seeded sample, exactly"),
    Check("MNT-02", P.MAINTENANCE_OFF, C, "maintenance off: the API answers 200"),
    Check("RBK-01", P.ROLLBACK, C,
          "rollback restores the DB: schema and every table's fingerprint equal the pre-migration snapshot"),
    Check("RBK-02", P.ROLLBACK, H, "rollback within its budget (15 min)"),
    Check("RBK-03", P.ROLLBACK, C, "after rollback the previous release serves (smoke)"),
    Check("MON-01", P.MONITOR, H,
          "monitoring: error rate and mean response time from the logs stay under threshold"),
    Check("GATE-01", P.GATE, C,
          "every selected check ran: no collection error, no deselected file, no lost xdist worker",
          synthetic=True),
)

CHECKS: Final[dict[CheckId, Check]] = {c.id: c for c in _TABLE}
"""Every check by id, in checklist order."""

SPEC_IDS: Final[tuple[CheckId, ...]] = tuple(c.id for c in _TABLE if not c.synthetic)
"""The ids that must each have exactly one test."""

COMPLETENESS_CHECK: Final[CheckId] = "GATE-01"

STEP_BUDGETS_S: Final[dict[str, int]] = {
    "maintenance_on": 120,
    "backup": 600,
    "deploy": 300,
    "migrate": 180,
    "pre_import": 300,
    "flush": 120,
    "import": 1800,
    "postflight": 300,
    "maintenance_off": 120,
    "smoke": 600,
    "notify_end": 120,
}
"""The runbook's timetable (02:00–03:16), per step, in window order: the budgets PRE-07 adds up."""

ROLLBACK_BUDGET_S: Final[int] = 900
DESTRUCTIVE_STEPS: Final[frozenset[str]] = frozenset({"migrate", "flush", "import"})
DECIDED_BEFORE_MIGRATE: Final[frozenset[CheckId]] = frozenset(
    {c.id for c in _TABLE if c.phase in (P.PREFLIGHT, P.BACKUP, P.MAINTENANCE_ON, P.DEPLOY)}
    | {"MIG-01", "MIG-03", "MIG-05"})
"""Checks that answer before the point of no return; after it, a failure among the later ones decides."""
"""Steps after whose start only the backup brings the old state back (the verdict turns from NO-GO)."""


def get(check_id: CheckId) -> Check:
    """The registry entry for ``check_id``; ``KeyError`` names the unknown id.

    >>> get("PRE-07").phase.value
    'preflight'
    """
    try:
        return CHECKS[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r} (not in gate/checks.py)") from None


def by_phase(phase: Phase | str) -> list[Check]:
    """The checks of one phase, in checklist order.

    >>> [c.id for c in by_phase("backup")]
    ['BKP-01', 'BKP-02', 'BKP-03', 'BKP-04']
    """
    value = Phase(phase)
    return [c for c in _TABLE if c.phase is value]
