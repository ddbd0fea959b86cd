"""Fixtures for the gate's self-tests: one disposable server, a small synthetic FreeSport schema.

``gate_pg`` is a session server; ``gate_db`` a fresh database per test cloned from a
template holding a few products, orders, users and django_migrations rows (CREATE DATABASE
… TEMPLATE is fast); ``gate_env`` the environment a gate run against it needs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from synthetic_shop import SCHEMA

from disposable_pg import disposable_postgres

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = "gate_selftest_template"

# ``make test`` runs these self-tests under pytest-xdist; the worker's PYTEST_XDIST_* variables must not
# reach the gate sessions the tests start (a serial window's PST-08/09 would take xdist's test-run id
# for its own and reuse an earlier session's burst, gate/steps/fixtures.py). The gate's own xdist
# sessions set theirs afresh in their workers.
for _name in [n for n in os.environ if n.startswith("PYTEST_XDIST_")]:
    del os.environ[_name]


SLOWEST_FIRST = (
    "test_rehearsal", "test_fault_matrix", "test_rehearsal_foreign", "test_rollback_script", "test_window_e2e",
    "test_crash_matrix", "test_report_allure", "test_trial_migration", "test_foreign_target",
)
"""The self-test files with the most test time (`--durations`, docs/benchmarks.md), longest first.

``make test`` hands whole files to its pytest-xdist workers in collection order (``--dist loadfile
--no-loadscope-reorder``): these go first, so the long ones never start last and the workers end together.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the files of ``SLOWEST_FIRST`` to the front, in that order; every file keeps its tests' order."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


@dataclass(frozen=True, slots=True)
class GateDb:
    """A fresh synthetic database: its name and superuser DSN."""

    name: str
    dsn: str

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)


@pytest.fixture(scope="session")
def gate_pg() -> Iterator[object]:
    with disposable_postgres(os.environ.get("DISPOSABLE_PG", "local")) as pg:
        url = pg.create_database(TEMPLATE)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
        yield pg


@pytest.fixture
def gate_db(gate_pg) -> Iterator[GateDb]:
    name = f"gate_{secrets.token_hex(4)}"
    dsn = gate_pg.create_database(name, template=TEMPLATE)
    yield GateDb(name, dsn)
    gate_pg.drop_database(name)


@pytest.fixture
def qa_gates_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "qa-gates"
    directory.mkdir()
    for story in ("13.1", "13.2", "13.3"):
        (directory / f"{story}-story.yml").write_text(f'schema: 1\nstory: "{story}"\ngate: PASS\n')
    return directory


@pytest.fixture
def gate_env(gate_pg, gate_db: GateDb, tmp_path: Path, qa_gates_dir: Path) -> dict[str, str]:
    """Settings for a gate run against ``gate_db`` with an open window and no optional sources."""
    env = {
        "DATABASE_URL": gate_db.dsn,
        "RUN_DIR": str(tmp_path / "run"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "QA_GATES_DIR": str(qa_gates_dir),
        "WINDOW_OPEN": "true",
        "DISPOSABLE_PG": "existing",
        "DISPOSABLE_PG_URL": gate_pg.get_connection_url(),
        "ENV_FILE": str(tmp_path / "empty.env"),
    }
    (tmp_path / "empty.env").write_text("")
    return env
