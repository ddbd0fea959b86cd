"""Build everything for one run: the sign-off page first (it needs no tools), then Allure."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gate.report.allure_report import REPORT_DIRNAME, generate
from gate.report.run_view import DEFAULT_RUNS_DIR, latest_run, load_run
from gate.report.signoff import write_signoff


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """The files a person opens, and how long building them took."""

    index: Path | None
    signoff_html: Path
    signoff_md: Path
    seconds: float


def build_report(run_dir: Path, *, runs_base: Path | None = None, allure: bool = True,
                 runs_dir: Path = DEFAULT_RUNS_DIR,
                 on_signoff: Callable[[Path], None] | None = None) -> ReportPaths:
    """Write the sign-off page and (unless ``allure`` is False) the Allure report for ``run_dir``.

    The sign-off is written even when Allure fails, so a broken report tool never hides the verdict.
    ``on_signoff`` gets the finished sign-off page before the Allure report is generated (the PNG is
    rendered from it meanwhile; Allure never changes the page).
    """
    started = time.monotonic()
    run = load_run(run_dir)
    href = f"{REPORT_DIRNAME}/index.html" if allure else None
    signoff_html, signoff_md = write_signoff(run, report_href=href)
    if on_signoff is not None:
        on_signoff(signoff_html)
    index = None
    if allure:
        base = runs_base if runs_base is not None else (run_dir.parent if run_dir.parent.is_dir() else runs_dir)
        index = generate(run, base).index
    return ReportPaths(index, signoff_html, signoff_md, time.monotonic() - started)


def default_run_dir(run_dir: Path | None, runs_dir: Path = DEFAULT_RUNS_DIR) -> Path | None:
    """``run_dir`` (``RUN_DIR``) when given, else the newest run under ``runs_dir`` (``RUNS_DIR``)."""
    return run_dir or latest_run(runs_dir)
