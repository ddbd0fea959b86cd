"""Step 2: Enable Maintenance Mode — the public API answers 503; health agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gate.fixtures import MessageReporter
    from gate.http import ApiClient


@pytest.mark.check("MNT-01", severity="critical")
def test_public_api_answers_503_while_maintenance_is_on(api: ApiClient,
                                                        check_message: MessageReporter) -> None:
    """Включить maintenance mode: the public API answers 503 and /health/ reports maintenance."""
    products = api.get("/products/")
    assert products.status_code == 503, f"{api.url('/products/')} answered {products.status_code}, not 503"
    health = api.get("/health/")
    body = health.json() if health.headers.get("content-type", "").startswith("application/json") else {}
    assert body.get("maintenance") is True, f"/health/ does not report maintenance: HTTP {health.status_code} {body}"
    check_message(f"/products/ 503, /health/ maintenance={body.get('maintenance')}")
