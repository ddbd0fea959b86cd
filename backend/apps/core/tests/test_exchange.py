"""The 1C exchange endpoint's checkauth: success with the configured user, 401 failure otherwise."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

URL = "/api/integration/1c/exchange/"
GOOD = ("exchange", "exchange-test-password")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def checkauth(client: Client, **headers: str):
    return client.get(URL, {"type": "catalog", "mode": "checkauth"}, **headers)


def test_valid_credentials_get_success_cookie(client: Client) -> None:
    response = checkauth(client, **basic(*GOOD))
    assert response.status_code == 200
    lines = response.content.decode().split("\n")
    assert lines[0] == "success"
    assert lines[1] == "freesport_1c_exchange"
    assert len(lines) == 3 and lines[2]


@pytest.mark.parametrize("headers", [{}, basic("exchange", "wrong"), basic("someone", GOOD[1]),
                                     {"HTTP_AUTHORIZATION": "Basic !!notbase64"}, {"HTTP_AUTHORIZATION": "Bearer x"}])
def test_missing_or_bad_credentials_get_401_failure(client: Client, headers: dict[str, str]) -> None:
    response = checkauth(client, **headers)
    assert response.status_code == 401
    assert response.content.decode().startswith("failure\n")
    assert response["WWW-Authenticate"].startswith("Basic")


@override_settings(ONEC_EXCHANGE_USER="", ONEC_EXCHANGE_PASSWORD="")
def test_unconfigured_exchange_user_never_authenticates(client: Client) -> None:
    response = checkauth(client, **basic("", ""))
    assert response.status_code == 401
    assert response.content.decode() == "failure\nexchange user not configured"


@pytest.mark.parametrize("mode", ["init", "file", "import", "deactivate"])
def test_other_modes_are_not_implemented(client: Client, mode: str) -> None:
    response = client.get(URL, {"type": "catalog", "mode": mode}, **basic(*GOOD))
    assert response.content.decode() == "failure\nnot implemented"


@pytest.mark.django_db
def test_checkauth_works_during_maintenance(client: Client) -> None:
    call_command("maintenance_mode", "on", stdout=StringIO())
    try:
        assert client.get("/api/products/").status_code == 503
        assert checkauth(client, **basic(*GOOD)).status_code == 200
    finally:
        call_command("maintenance_mode", "off", stdout=StringIO())


def test_password_is_never_logged(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    checkauth(client, **basic("exchange", "wrong-secret-value"))
    checkauth(client, **basic(*GOOD))
    assert "wrong-secret-value" not in caplog.text
    assert GOOD[1] not in caplog.text
