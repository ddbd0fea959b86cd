"""DEP-01 on a deployment the gate has never seen (issue 11 item 4): releases identified by commit, and the
requirements check run in the TARGET's interpreter (asked through MANAGE_CMD), never the gate's own venv."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import toolpaths
from gate.settings import REPO, Settings, load_settings
from gate.window.deployed import deployed_release, expected_release, requirements_check, same_release

SYSTEM_PYTHON = Path("/usr/bin/python3")
FAKE_MANAGE = """import sys
if sys.argv[1:3] == ["shell", "-c"]:
    exec(sys.argv[3], {"__name__": "__main__"})
else:
    sys.exit(f"Unknown command: {sys.argv[1:]}")
"""


@pytest.fixture
def no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))


def _settings(**values: str) -> Settings:
    return load_settings(environ=values, env_file=None)


def _commit_repo(path: Path) -> tuple[str, str]:
    """A deployment's code whose releases are commits, no tags: (previous commit, current commit)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True,
                              env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}).stdout.strip()
    path.mkdir()
    git("init", "-q")
    (path / "manage.py").write_text(FAKE_MANAGE)
    git("add", "manage.py")
    git("commit", "-q", "-m", "v13.3")
    previous = git("rev-parse", "HEAD")
    (path / "release.txt").write_text("v13.4\n")
    git("add", "release.txt")
    git("commit", "-q", "-m", "v13.4")
    return previous, git("rev-parse", "HEAD")


def test_dep_01_release_identified_by_commit(tmp_path: Path, no_env_file: None) -> None:
    """RELEASE_COMMIT set: the deployed release is ``git rev-parse HEAD`` in BACKEND_DIR (a repo without tags),
    a short sha matches by prefix, the previous commit does not; without it, git describe finds no tag."""
    code = tmp_path / "code"
    previous, current = _commit_repo(code)
    for given in (current, current[:12], current[:7]):
        settings = _settings(BACKEND_DIR=str(code), RELEASE_COMMIT=given)
        release = deployed_release(settings)
        assert release.tag == current and "git rev-parse HEAD" in release.how, release
        assert expected_release(settings) == (given, "RELEASE_COMMIT")
        assert same_release(release.tag, expected_release(settings)[0])
    stale = _settings(BACKEND_DIR=str(code), RELEASE_COMMIT=previous[:10])
    assert not same_release(deployed_release(stale).tag, expected_release(stale)[0])
    by_cmd = _settings(BACKEND_DIR=str(code), RELEASE_COMMIT=current,
                       DEPLOYED_VERSION_CMD=f"git -C {code} rev-parse --short=9 HEAD")
    assert deployed_release(by_cmd).tag == current[:9] and same_release(deployed_release(by_cmd).tag, current)
    by_tag = _settings(BACKEND_DIR=str(code))  # the fault: a tag is expected, the release has none
    assert expected_release(by_tag) == ("v13.4.0", "RELEASE_TAG")
    assert deployed_release(by_tag).tag == "" and "git describe" in deployed_release(by_tag).how


def _broken_dist(site: Path) -> None:
    """A distribution requiring a package that is not installed: pip check fails naming it."""
    info = site / "brokenpkg-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenpkg\nVersion: 1.0\nRequires-Dist: nothere-pkg\n")
    (info / "INSTALLER").write_text("test\n")
    (info / "RECORD").write_text("")


def _wrapper(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def target_venv(tmp_path: Path) -> Path:
    """The target's own venv (no pip), made from the system's Python: not the gate's."""
    uv = toolpaths.optional("uv")
    if uv is None or not SYSTEM_PYTHON.is_file():
        pytest.skip("needs the bootstrap's uv and /usr/bin/python3")
    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", str(SYSTEM_PYTHON), str(venv)], check=True,
                   capture_output=True, env={**os.environ, "UV_OFFLINE": "1"})
    return venv


def test_pip_check_asks_the_targets_interpreter_through_a_wrapper(tmp_path: Path, no_env_file: None,
                                                                  target_venv: Path) -> None:
    """MANAGE_CMD a wrapper that execs another Python: the check runs in that interpreter (found by asking
    through MANAGE_CMD), so a broken requirement there fails DEP-01 although the gate's venv is sound."""
    code = tmp_path / "code"
    _commit_repo(code)
    python = target_venv / "bin" / "python"
    site = next((target_venv / "lib").glob("python3*/site-packages"))
    manage = _wrapper(tmp_path / "manage", f'cd {code} && exec {python} manage.py "$@"')
    settings = _settings(BACKEND_DIR=str(code), MANAGE_CMD=manage)
    ok, detail = requirements_check(settings)
    assert ok is True, detail
    assert str(python) in detail and str(REPO / ".venv") not in detail and "asked through MANAGE_CMD" in detail
    _broken_dist(site)
    ok, detail = requirements_check(settings)
    assert ok is False and "nothere-pkg" in detail and str(python) in detail, detail
    gate_ok, gate_detail = requirements_check(_settings())  # the gate's own (bundled) venv: sound
    assert gate_ok is True and "nothere-pkg" not in gate_detail, gate_detail


def test_pip_check_runs_through_the_wrapper_when_the_interpreter_is_not_here(tmp_path: Path, no_env_file: None,
                                                                            target_venv: Path) -> None:
    """The interpreter the target names is not this machine's environment (the wrapper adds its own path, like a
    container): pip check runs inside the target through MANAGE_CMD; with no pip there, a manual item naming
    PIP_CHECK_CMD; a wrapper that cannot answer, the same."""
    code = tmp_path / "code"
    _commit_repo(code)
    extra = tmp_path / "target-site"
    _broken_dist(extra)
    elsewhere = _wrapper(tmp_path / "system", f'cd {code} && PYTHONPATH={extra} exec {SYSTEM_PYTHON} manage.py "$@"')
    ok, detail = requirements_check(_settings(BACKEND_DIR=str(code), MANAGE_CMD=elsewhere))
    assert ok is False and "nothere-pkg" in detail and "through MANAGE_CMD" in detail, detail
    assert str(REPO / ".venv") not in detail
    no_pip = _wrapper(tmp_path / "nopip",
                      f'cd {code} && PYTHONPATH={extra} exec {target_venv}/bin/python manage.py "$@"')
    ok, detail = requirements_check(_settings(BACKEND_DIR=str(code), MANAGE_CMD=no_pip))
    assert ok is None and "PIP_CHECK_CMD" in detail and "No module named pip" in detail, detail
    broken = _wrapper(tmp_path / "down", "echo 'ssh: connect to host prod: Connection refused' >&2; exit 255")
    ok, detail = requirements_check(_settings(BACKEND_DIR=str(code), MANAGE_CMD=broken))
    assert ok is None and "PIP_CHECK_CMD" in detail and "Connection refused" in detail, detail
    given = _settings(BACKEND_DIR=str(code), MANAGE_CMD=broken, PIP_CHECK_CMD="echo all good")
    assert requirements_check(given) == (True, "PIP_CHECK_CMD: all good")


def _dep_01(tmp_path: Path, name: str, **values: str) -> dict[str, object]:
    """DEP-01 itself (``tests/window/test_deploy.py --check DEP-01``) run by pytest; its summary.json."""
    import json
    import sys

    (tmp_path / "empty.env").write_text("")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "RUN_DIR", "RUN_ID", "ENV_FILE", "PIP_CHECK_CMD", "DEPLOYED_VERSION_CMD",
                        "RELEASE_COMMIT", "RELEASE_TAG", "MANAGE_CMD", "BACKEND_DIR")}
    env.update(ENV_FILE=str(tmp_path / "empty.env"), RUNS_ROOT=str(tmp_path / "runs"), RUN_ID=name,
               DATABASE_URL="postgresql://nobody@127.0.0.1:9/none", PYTHONPATH=str(REPO), **values)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/window/test_deploy.py",
                           "--check", "DEP-01"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    summary = tmp_path / "runs" / name / "summary.json"
    assert summary.is_file(), (proc.stdout + proc.stderr)[-2000:]
    return dict(json.loads(summary.read_text()))


def test_dep_01_check_by_commit_and_a_manual_item_when_requirements_cannot_be_known(tmp_path: Path) -> None:
    """The check itself: the deployed commit matches a short RELEASE_COMMIT and, with a MANAGE_CMD that cannot
    answer (ssh refused), DEP-01 is a manual sign-off item naming PIP_CHECK_CMD; another commit is NO-GO."""
    code = tmp_path / "code"
    previous, current = _commit_repo(code)
    down = _wrapper(tmp_path / "down", "echo 'ssh: connect to host prod: Connection refused' >&2; exit 255")
    manual = _dep_01(tmp_path, "manual", BACKEND_DIR=str(code), RELEASE_COMMIT=current[:10], MANAGE_CMD=down)
    items = {item["id"]: item["reason"] for item in manual["manual_items"]}  # type: ignore[union-attr]
    assert "DEP-01" in items and "PIP_CHECK_CMD" in items["DEP-01"] and current in items["DEP-01"], manual
    assert str(REPO / ".venv") not in items["DEP-01"]
    stale = _dep_01(tmp_path, "stale", BACKEND_DIR=str(code), RELEASE_COMMIT=previous[:10], MANAGE_CMD=down,
                    PIP_CHECK_CMD="true")
    decision = stale["decision"]
    assert isinstance(decision, dict) and decision["verdict"] == "NO-GO" and decision["deciding_check"] == "DEP-01"


def test_one_manage_process_answers_the_deploy_time_probes_and_a_failing_one_keeps_its_checks_message(
        tmp_path: Path, no_env_file: None) -> None:
    """DEP-01's, RUN-01's, MIG-01's and MIG-03's probes go to ONE ``manage.py shell -c``; a later session of the
    run (same release, same journal) reuses its answers, a step that ran since asks again. A probe that fails
    there (no Django behind this MANAGE_CMD) is missing, so its check runs its own command: same message."""
    import json

    from gate.migrations.plan import PlanUnavailable, pending_migrations
    from gate.run import Run, StepRecord
    from gate.target_fixtures import TargetAnswers

    if not SYSTEM_PYTHON.is_file():
        pytest.skip("needs /usr/bin/python3 (a Python without Django: the Django probes fail there)")
    code = tmp_path / "code"
    _commit_repo(code)
    calls = tmp_path / "calls"
    manage = _wrapper(tmp_path / "manage", f'echo "$1" >> {calls}; cd {code} && exec {SYSTEM_PYTHON} manage.py "$@"')
    settings = _settings(BACKEND_DIR=str(code), MANAGE_CMD=manage)
    run = Run.open(runs_root=tmp_path / "runs", run_id="r")

    def started() -> int:
        return len(calls.read_text().splitlines()) if calls.exists() else 0

    first = TargetAnswers(settings, run)
    there = first.get("interpreter", {})
    assert isinstance(there, dict) and there["executable"] and started() == 1
    assert first.get("showmigrations", None) is None and first.get("sqlmigrate", None) is None and started() == 1
    assert first.get("interpreter", {"pip_check": True}) is None  # asked something else: ask yourself
    kept = json.loads((run.dir / "deployed_probes.json").read_text())
    assert kept["errors"]["showmigrations"] and set(kept["answers"]) == {"interpreter"}
    assert requirements_check(settings, there) == requirements_check(settings)  # the same verdict and words
    with pytest.raises(PlanUnavailable) as shared:
        pending_migrations(settings, first.get("showmigrations", None))
    with pytest.raises(PlanUnavailable) as own:
        pending_migrations(settings)
    assert str(shared.value) == str(own.value) and "Unknown command" in str(own.value)
    before = started()
    assert TargetAnswers(settings, run).get("interpreter", {}) == there and started() == before  # next session
    run.record_step(StepRecord("migrate", exit_code=0))
    assert TargetAnswers(settings, run).get("interpreter", {}) == there and started() == before + 1


def test_mig_02_and_pst_10_read_the_releases_plan_against_django_migrations_while_no_deploy_ran_since(
        tmp_path: Path, no_env_file: None) -> None:
    """The plan asked after the deploy (one ``manage.py shell``) and ``django_migrations`` say "nothing pending"
    without a Django start; a migration missing there, a deploy that ran since, another ``MANAGE_CMD`` or
    no deploy in the journal: ``showmigrations --plan`` decides, as it always did."""
    import json

    from gate.migrations.plan import pending_now
    from gate.run import Run, StepRecord
    from gate.target_fixtures import TargetAnswers, release_plan

    code = tmp_path / "code"
    _commit_repo(code)
    calls = tmp_path / "calls"
    plan = "[X]  a.0001_x\n[ ]  a.0002_y\n"
    said = json.dumps({"probe": "showmigrations", "answer": plan})
    manage = _wrapper(tmp_path / "manage", f'echo "$1" >> {calls}\n'
                      f'if [ "$1" = shell ]; then printf "%s\\n" \'GATE-JSON:{said}\'; exit 0; fi\n'
                      'printf "[X]  a.0001_x\\n[ ]  a.0002_y\\n"')
    settings = _settings(BACKEND_DIR=str(code), MANAGE_CMD=manage)
    run = Run.open(runs_root=tmp_path / "runs", run_id="r")

    def asked() -> list[str]:
        return calls.read_text().split() if calls.exists() else []

    assert TargetAnswers(settings, run).get("showmigrations", None) == plan and asked() == ["shell"]
    assert release_plan(settings, run) is None, "no deploy in the journal: the code may be anything"
    run.record_step(StepRecord("deploy", exit_code=0, finished_at="2026-12-05T01:00:00+00:00"))
    assert TargetAnswers(settings, run).get("showmigrations", None) == plan and asked() == ["shell", "shell"]
    run.record_step(StepRecord("migrate", exit_code=0, finished_at="2026-12-05T01:01:00+00:00"))
    assert release_plan(settings, run) == ["a.0001_x", "a.0002_y"]
    assert pending_now(settings, release_plan(settings, run), lambda: ["a.0001_x", "a.0002_y"]) == (
        [], "all 2 migrations of the release's plan are in django_migrations")
    assert asked() == ["shell", "shell"], "no manage.py started for it"
    assert pending_now(settings, release_plan(settings, run), lambda: ["a.0001_x"]) == (
        ["a.0002_y"], "showmigrations --plan")
    assert asked()[-1] == "showmigrations", "a migration missing from django_migrations: Django decides"
    other = _settings(BACKEND_DIR=str(code), MANAGE_CMD=f"{manage} ")
    assert release_plan(other, run) is None, "another MANAGE_CMD line"
    run.record_step(StepRecord("deploy", exit_code=0, finished_at="2026-12-05T01:02:00+00:00"))
    assert release_plan(settings, run) is None, "a deploy ran since: the plan may have changed"


def test_the_interpreter_fingerprint_names_every_installed_distribution_and_version(tmp_path: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe's fingerprint (same environment here and there) changes with a distribution's version, an added
    one and an egg-info in the working directory, as importlib.metadata would see them."""
    from gate.probes import interpreter

    site = tmp_path / "site"
    (site / "django-5.2.dist-info").mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(site)])
    monkeypatch.chdir(tmp_path)
    first = interpreter.main({})["fingerprint"]
    assert interpreter.main({})["fingerprint"] == first
    (site / "django-5.2.dist-info").rename(site / "django-5.1.dist-info")
    second = interpreter.main({})["fingerprint"]
    (site / "requests-2.32.dist-info").mkdir()
    third = interpreter.main({})["fingerprint"]
    monkeypatch.setattr("sys.path", ["", str(site)])
    (tmp_path / "freesport.egg-info").mkdir()
    assert len({first, second, third, interpreter.main({})["fingerprint"]}) == 4
