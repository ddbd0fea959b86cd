"""A Markdown runbook's shell lines checked against the configured target (RUN-01..03, runbook-lint)."""

from gate.runbook.extract import ShellLine, extract_lines, timetable_budgets
from gate.runbook.linter import LineReport, Linter

__all__ = ["LineReport", "Linter", "ShellLine", "extract_lines", "timetable_budgets"]
