"""The report people sign: the Allure single-file report and the sign-off page of a run.

``python -m gate.report [RUN_DIR]`` (default: the newest ``var/runs/*/``) writes
``RUN_DIR/report/index.html`` (Allure 3, history across runs, no external request) and
``RUN_DIR/signoff.html`` + ``signoff.md``. Reads ``summary.json`` and never imports backend code.
"""

from __future__ import annotations

from gate.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]
