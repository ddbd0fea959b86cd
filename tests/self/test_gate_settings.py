"""Settings: every variable typed, errors name the variable (and file:line), secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.settings import Settings, SettingsError, load_settings


def test_defaults_point_at_the_bundled_backend():
    s = load_settings(environ={}, env_file=None)
    assert s.api_prefix == "/api" and s.backup_format == "auto" and s.window_tz == "Europe/Moscow"
    assert s.protected_tables == ["orders", "order_items", "carts", "cart_items", "users", "favorites"]
    assert s.manage_argv[-1].endswith("backend/manage.py")
    assert s.target == "(no DATABASE_URL)"


def test_env_file_values_with_environment_overriding(tmp_path: Path):
    env_file = tmp_path / "prod.env"
    env_file.write_text("# production\nexport BASE_URL=https://shop.example\nPROTECTED_TABLES='orders, users'\n"
                        "BACKUP_JOBS=4\nAPI_PREFIX=/api/v1/\n")
    s = load_settings(environ={"BACKUP_JOBS": "8", "ENV_FILE": str(env_file)})
    assert s.base_url == "https://shop.example" and s.backup_jobs == 8
    assert s.protected_tables == ["orders", "users"] and s.api_url("products/") == "https://shop.example/api/v1/products/"


def test_bad_value_in_env_file_names_variable_file_and_line(tmp_path: Path):
    env_file = tmp_path / "bad.env"
    env_file.write_text("BASE_URL=http://x\n\nWINDOW_START=2am\n")
    with pytest.raises(SettingsError, match=rf"WINDOW_START \(from {env_file}:3\): .*expected HH:MM"):
        load_settings(environ={"ENV_FILE": str(env_file)})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x/y", "expected postgresql://"),
        ("BACKUP_FORMAT", "tar", "'auto', 'custom' or 'directory'"),
        ("WINDOW_TZ", "Mars/Olympus", "unknown time zone"),
        ("BACKUP_JOBS", "0", "greater than or equal to 1"),
        ("DISPOSABLE_PG", "vm", "'auto', 'container', 'local' or 'existing'"),
    ],
)
def test_bad_value_from_the_environment_names_the_variable(name, value, message):
    with pytest.raises(SettingsError, match=rf"{name} \(from the environment\): .*{message}"):
        load_settings(environ={name: value}, env_file=None)


def test_missing_env_file_is_named():
    with pytest.raises(SettingsError, match="ENV_FILE=/nope.env: no such file"):
        load_settings(environ={"ENV_FILE": "/nope.env"})


def test_not_a_key_value_line_is_named(tmp_path: Path):
    env_file = tmp_path / "x.env"
    env_file.write_text("A=1\nthis is wrong\n")
    with pytest.raises(SettingsError, match=rf"{env_file}:2: not a KEY=value line"):
        load_settings(environ={"ENV_FILE": str(env_file)})


def test_secrets_never_show_in_repr_or_target():
    s = Settings(database_url="postgresql://u:TopSecret1@h:5432/db", ci_token="ghp_Secret2",
                 onec_exchange_password="Secret3", notify_webhook_url="https://hooks.example/T/Secret4")
    text = repr(s) + str(s) + s.target + str(s.model_dump())
    for secret in ("TopSecret1", "ghp_Secret2", "Secret3", "Secret4"):
        assert secret not in text
    assert s.libpq_env()["PGPASSWORD"] == "TopSecret1"
