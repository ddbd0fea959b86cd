"""Step 9: Disable Maintenance Mode — the API answers 200 and health agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gate.fixtures import MessageReporter
    from gate.http import ApiClient


@pytest.mark.check("MNT-02", severity="critical")
def test_api_answers_200_after_maintenance_off(api: ApiClient, check_message: MessageReporter) -> None:
    """Отключить maintenance mode: /products/ answers 200, /health/ reports no maintenance."""
    products = api.get("/products/")
    assert products.status_code == 200, f"/products/ answered {products.status_code}: maintenance still on?"
    health = api.get("/health/").json()
    assert health.get("maintenance") is False, f"/health/ still reports maintenance: {health}"
    check_message("/products/ 200, /health/ maintenance=false")
