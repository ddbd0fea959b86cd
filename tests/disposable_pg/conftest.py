"""The disposable-PG fixtures and hooks, for this directory only.

Imported here rather than registered as a global plugin: the gate's own plugin defines a
``disposable_pg`` fixture too, and ``make test`` collects both trees in one session.
"""

from __future__ import annotations

from disposable_pg.pytest_plugin import (  # noqa: F401  (pytest finds them by name)
    disposable_pg,
    disposable_pg_factory,
    fresh_database,
    pytest_configure,
    pytest_generate_tests,
)
