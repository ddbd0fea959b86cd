"""Django migrations of the target as facts: the pending plan, and the SQL each pending one runs."""

from gate.migrations.lint import Finding, lint_sql, load_waivers
from gate.migrations.plan import parse_plan, pending_migrations

__all__ = ["Finding", "lint_sql", "load_waivers", "parse_plan", "pending_migrations"]
