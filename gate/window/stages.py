"""The window as data: stages in runbook order, each a step script with the checks around it.

Why a table: ``make migrate``, ``make <phase>``, resume (``FROM=``) and the rehearsal all walk
the same list, so the order and the checks of a phase cannot drift between them.

HTTP checks of the API (PST-04/05/06/08/09) run in the ``smoke`` stage, after maintenance is
off: with the Django maintenance variant the public API answers 503 to everyone until then (the
runbook's 03:04 "Smoke tests" slot). They are the stage's checks *before* its step: the smoke curls
only read, so in the window the session runs beside them (``READS_ONLY``). ``make postflight``
alone runs every PST check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gate import checks
from gate.settings import REPO

SCRIPTS = REPO / "scripts" / "steps"
PRE_IDS = tuple(c.id for c in checks.by_phase("preflight"))
ONE_IDS = ("ONE-01", "ONE-02", "ONE-03", "ONE-04")
BKP_IDS = ("BKP-01", "BKP-02", "BKP-03", "BKP-04")
POSTFLIGHT_DB_IDS = ("PST-01", "PST-02", "PST-03", "PST-07", "PST-10", "PST-11", "PST-12")
POSTFLIGHT_HTTP_IDS = ("PST-04", "PST-05", "PST-06", "PST-08", "PST-09")
POSTFLIGHT_IDS = tuple(c.id for c in checks.by_phase("postflight"))

STEP_FAILURE_CHECK: dict[str, str] = {
    "backup": "BKP-01", "maintenance_on": "MNT-01", "deploy": "DEP-01", "migrate": "MIG-02",
    "pre_import": "ONE-02", "flush_dry_run": "FLS-01", "flush": "FLS-02", "import": "IMP-01",
    "maintenance_off": "MNT-02", "smoke": "PST-04",
}
"""The check a failed step fails: the claim the step did not keep (e.g. migrate → MIG-02)."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One phase of the window: checks before, optional sub-steps, the step, checks after."""

    name: str
    script: str | None = None
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    pre_steps: tuple[str, ...] = ()
    destructive: bool = False
    xdist: bool = False
    hooks: tuple[str, ...] = field(default=())

    @property
    def script_path(self) -> Path | None:
        """``scripts/steps/<script>.sh``."""
        return SCRIPTS / f"{self.script}.sh" if self.script else None


READS_ONLY = frozenset({"backup", "flush_dry_run", "smoke"})
"""Steps that only read the target and write the run's own files: the check session before one may run
beside it (``WindowRunner.beside``)."""

PRE_STEP_CHECKS: dict[str, tuple[str, ...]] = {"flush_dry_run": ("FLS-01",)}
"""Checks that run right after a sub-step (the dry run's plan, before the real flush)."""

STAGES: tuple[Stage, ...] = (
    Stage("preflight", before=(*PRE_IDS, *ONE_IDS)),
    Stage("backup", "backup", after=BKP_IDS),
    Stage("maintenance_on", "maintenance_on", after=("MNT-01",)),
    Stage("deploy", "deploy", after=("DEP-01", "RUN-01", "RUN-02", "RUN-03")),
    Stage("migrate", "migrate", before=("MIG-01", "MIG-03", "MIG-05"), after=("MIG-04", "MIG-02"), destructive=True,
          hooks=("protected_before",)),
    Stage("pre_import", "pre_import", after=(*ONE_IDS, "COL-01")),
    Stage("flush", "flush", after=("FLS-02",), pre_steps=("flush_dry_run",), destructive=True),
    Stage("import", "import", after=("IMP-01", "IMP-03", "IMP-02"), destructive=True, hooks=("onec_before",)),
    Stage("postflight", before=POSTFLIGHT_DB_IDS),  # five sub-second database checks: xdist start-up would dominate
    Stage("maintenance_off", "maintenance_off", after=("MNT-02",)),
    Stage("smoke", "smoke", before=POSTFLIGHT_HTTP_IDS, xdist=True),
)
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)


def stage(name: str) -> Stage:
    """The stage called ``name``; ``KeyError`` lists the known ones."""
    for s in STAGES:
        if s.name == name.replace("-", "_"):
            return s
    raise KeyError(f"unknown step {name!r} (known: {', '.join(STAGE_NAMES)})")


def window_ids() -> list[str]:
    """Every check id the window runs, in window order (each once)."""
    ids = [i for s in STAGES for i in (*s.before, *(PRE_STEP_CHECKS.get(p, ()) for p in s.pre_steps), *s.after)]
    flat = [x for i in ids for x in ((i,) if isinstance(i, str) else i)]
    return list(dict.fromkeys(flat))
