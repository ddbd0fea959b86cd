"""/api/health/: 200 with the database answering, 503 naming the database when it does not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_health_ok(client: Client) -> None:
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "maintenance": False}


def test_health_503_when_the_database_does_not_answer(client: Client, django_db_setup: None, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        real_name = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = "freesport_no_such_database"
        try:
            response = client.get("/api/health/")
        finally:
            connection.close()
            connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "maintenance": False}
