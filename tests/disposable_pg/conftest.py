"""Load the disposable-PG plugin for these tests when pytest was not given ``-p`` for it."""

from __future__ import annotations

import pytest

PLUGIN = "disposable_pg.pytest_plugin"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
