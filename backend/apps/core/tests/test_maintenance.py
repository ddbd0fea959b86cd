"""maintenance_mode on|off|status: the public API answers 503 with a JSON body; health says so."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def maintenance(state: str) -> str:
    out = StringIO()
    call_command("maintenance_mode", state, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def maintenance_on() -> Iterator[None]:
    assert maintenance("on") == "maintenance mode: on"
    yield
    maintenance("off")


def test_status_reports_off_by_default() -> None:
    assert maintenance("status") == "maintenance mode: off"


@pytest.mark.usefixtures("maintenance_on")
def test_status_reports_on() -> None:
    assert maintenance("status") == "maintenance mode: on"


@pytest.mark.usefixtures("maintenance_on")
@pytest.mark.parametrize("url", ["/api/products/", "/api/categories/", "/api/products/any-slug/"])
def test_public_api_answers_503_with_json_body(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["maintenance"] is True
    assert "maintenance" in response.json()["detail"]
    assert response["Retry-After"]


@pytest.mark.usefixtures("maintenance_on")
def test_health_stays_200_and_reports_maintenance(client: Client) -> None:
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "maintenance", "database": "ok", "maintenance": True}


def test_off_again_serves_200(client: Client) -> None:
    maintenance("on")
    maintenance("off")
    assert maintenance("status") == "maintenance mode: off"
    assert client.get("/api/products/").status_code == 200
    assert client.get("/api/health/").json() == {"status": "ok", "database": "ok", "maintenance": False}


@pytest.mark.usefixtures("maintenance_on")
def test_planned_503s_are_not_logged_as_errors(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    client.get("/api/products/")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

