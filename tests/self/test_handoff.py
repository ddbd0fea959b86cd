"""gate.handoff: a template over host, port, name, user, password, url → the variables a deployment reads."""

from __future__ import annotations

import pytest

from gate.handoff import PRESETS, DbCoordinates, Handoff, HandoffError, command_line
from gate.settings import SettingsError, load_settings

COPY = DbCoordinates.from_url("postgresql://gate:p%40ss%2Fw@127.0.0.1:54321/mig05_trial_0a1b2c3d")


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_hands_over_the_same_database(preset):
    env = Handoff.parse(preset).env(COPY)
    values = set(env.values())
    assert {"127.0.0.1", "54321", "mig05_trial_0a1b2c3d", "gate", "p@ss/w"} <= values or \
        env == {"DATABASE_URL": "postgresql://gate:p%40ss%2Fw@127.0.0.1:54321/mig05_trial_0a1b2c3d"}
    assert DbCoordinates.from_url(COPY.url) == COPY and DbCoordinates.from_url(COPY.url).password == "p@ss/w"


def test_presets_and_explicit_items_combine_and_the_host_can_be_the_one_a_container_sees():
    handoff = Handoff.parse("db_parts, APP_DB={url} DB_SCHEMA=public")
    env = handoff.env(COPY.with_host("host.docker.internal"))
    assert env["DB_HOST"] == "host.docker.internal" and env["DB_SCHEMA"] == "public"
    assert env["APP_DB"].startswith("postgresql://gate:p%40ss%2Fw@host.docker.internal:54321/")


def test_a_wrong_spec_is_a_settings_error_naming_the_variable_and_the_env_file_line(tmp_path):
    env_file = tmp_path / "target.env"
    env_file.write_text("BASE_URL=http://x\nTRIAL_DB_ENV=DB_NAME={dbname}\n")
    with pytest.raises(SettingsError, match=r"TRIAL_DB_ENV \(from .*target.env:2\).*unknown placeholder \{dbname\}"):
        load_settings(environ={}, env_file=env_file)
    with pytest.raises(HandoffError, match="neither a preset"):
        Handoff.parse("mysql_url")


def test_a_command_template_never_takes_a_secret_and_quotes_what_it_takes():
    assert command_line("ssh -R {port}:127.0.0.1:{port} app1 ./manage.sh", COPY) == \
        "ssh -R 54321:127.0.0.1:54321 app1 ./manage.sh"
    for secret in ("{password}", "{url}"):
        with pytest.raises(HandoffError, match="secret on the command line"):
            command_line(f"run --db {secret}", COPY)
    assert "p@ss" not in repr(COPY)
