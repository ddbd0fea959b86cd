"""The rehearsal itself: a disposable FreeSport, the window exactly as ``make migrate`` runs it, the way back, the report.

Order: disposable PostgreSQL → pre-migration state (v13.3 seeded by ``seed_legacy_catalog`` with
the committed 1C sample's N/seed, or ``REHEARSAL_SOURCE_DUMP``) → the backend under gunicorn →
``python -m gate.window migrate --confirm`` (the driver of ``make migrate``, with an env file
naming the disposable database) → rollback rehearsal (reverse-migration trial on a copy, then
``rollback_production.sh`` with the window's own backup, then RBK-01..03) → ``python -m
gate.report``. The configured target is never touched: every variable naming a target is
dropped from the environment the window gets and replaced by the disposable one's; settings
naming *code* (``BACKEND_DIR``, ``MANAGE_CMD``, ``API_PREFIX``, ``DJANGO_SETTINGS_MODULE``,
``PROTECTED_TABLES``…) pass through, so the rehearsal rehearses that code. Any target setting can
be given a rehearsal value as ``REHEARSAL_<SETTING>`` (placeholders ``{base_url} {work} {log_dir}
{onec_dir} {onec_user} {onec_password}``). The code itself runs only through
:mod:`rehearse.code` (its own environment: the disposable database handed over by
``REHEARSAL_DB_ENV``, ``REHEARSAL_PYTHONPATH``, never the deployment's ``DB_*``), and the
``isolation`` phase proves, before anything runs, that it reaches the disposable database only.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from rich.console import Console

from gate.handoff import DbCoordinates, Handoff, HandoffError
from gate.run import Run, StepRecord, Summary, new_run_id, now_utc
from gate.settings import default_pg_bin_dir, libpq_env
from gate.types import EXIT_CODES, Verdict
from gate.window.pytest_server import PytestServer
from rehearse import code as codelib
from rehearse import faults as faultlib
from rehearse import seed_cache
from rehearse.backend import BACKEND as BUNDLED_BACKEND
from rehearse.backend import PYTHON, REPO, SAMPLE_DIR, Sample, sample_parameters
from rehearse.child import env_lines, free_port, run_in_group, signals_held, write_private
from rehearse.faults import Fault

REHEARSAL_RECORD = "rehearsal.json"
NOT_TRIED = "not tried in this rehearsal (the fault matrix: python -m rehearse --fault NAME tries it)"
"""``reverse_migration`` of a rehearsal without the reverse-migration trial (``try_reverse=False``)."""
TARGET_KEYS = (
    "DATABASE_URL", "BASE_URL", "LOG_DIR", "ONEC_DATA_DIR", "BACKUP_DIR", "RUN_DIR", "RUN_ID", "ENV_FILE",
    "DISPOSABLE_PG_URL", "ONEC_HEALTHCHECK_URL", "ONEC_CHECKAUTH_URL", "ONEC_EXCHANGE_USER",
    "ONEC_EXCHANGE_PASSWORD", "CONFIRM", "WINDOW_OPEN", "WINDOW_NOW", "REHEARSAL_SUMMARY", "SECRET_KEY",
    "ACCESS_LOG", "DJANGO_LOG", "IMPORT_LOG", "DEPLOY_CMD", "MAINTENANCE_ON_CMD", "MAINTENANCE_OFF_CMD",
    "DEPLOYED_VERSION_CMD", "CI_REPO", "CI_TOKEN", "NOTIFY_RECORD",
)
"""Variables that name a target or a run: never inherited by the rehearsal's window."""
NOT_OVERRIDABLE = frozenset({"DATABASE_URL", "BASE_URL", "DISPOSABLE_PG", "DISPOSABLE_PG_URL", "RUN_DIR", "RUN_ID",
                             "ENV_FILE", "CONFIRM", "WINDOW_OPEN", "WINDOW_NOW", "RUNS_ROOT", "BACKEND_DIR",
                             "DJANGO_SETTINGS_MODULE"})
"""Settings a ``REHEARSAL_<SETTING>`` cannot replace: the rehearsal owns them (or they have their own setting)."""


def cpu_seconds() -> float:
    """User + system CPU of this process and of the children it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class RehearsalError(RuntimeError):
    """The rehearsal could not be set up (not a verdict: the window never started)."""


def rehearsal_environ(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The rehearsal's settings: ``REHEARSAL_ENV_FILE`` (``KEY=value`` lines) under the process environment.

    The operator's file for a staging host: docs/staging-rehearsal.md.

    >>> rehearsal_environ({"API_PREFIX": "/api/v1"})
    {'API_PREFIX': '/api/v1'}
    """
    from gate.settings import read_env_file

    env = dict(os.environ if environ is None else environ)
    path = env.get("REHEARSAL_ENV_FILE")
    if not path:
        return env
    if not Path(path).is_file():
        raise RehearsalError(f"REHEARSAL_ENV_FILE={path}: no such file")
    from_file = {k: v for k, (v, _) in read_env_file(Path(path)).items()}
    # an empty process value (a workflow's unset variable) does not hide the file's
    return {**from_file, **{k: v for k, v in env.items() if v != "" or k not in from_file}}


@dataclass
class Phase:
    """One phase of the rehearsal with its timing (``rehearsal.json``; the benchmark reads it)."""

    name: str
    duration_s: float = 0.0
    status: str = "running"
    detail: str = ""
    cpu_s: float | None = None
    """CPU seconds of the rehearsal and the children it waited for meanwhile (not the server, not gunicorn)."""


@dataclass
class Rehearsal:
    """One rehearsal run (optionally with one injected fault)."""

    fault: Fault | None = None
    console: Console = field(default_factory=Console)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    phases: list[Phase] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    run: Run | None = None
    work: Path = REPO
    pg: Any = None
    dsn: str = ""
    gate_env: dict[str, str] = field(default_factory=dict)
    backend_dir: Path = BUNDLED_BACKEND
    original_backend_dir: Path = BUNDLED_BACKEND
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    report_lines: list[str] = field(default_factory=list)
    stop_after: str | None = None
    """Stop the window after this step (the rollback rehearsal stops after ``import``)."""
    label: str = ""
    handoff_names: tuple[str, ...] = ()
    pg_stopping: threading.Thread | None = None
    saving: threading.Lock = field(default_factory=threading.Lock)
    copy_marker: Path | None = None
    """The rollback's own ``APP_STOP_CMD`` first waits for this file: the reverse trial's copy exists."""
    report_png: bool = True
    """Render the sign-off page to PNG with headless chromium (the fault matrix's faults do not: ≈ 5 CPU-s each)."""
    try_reverse: bool = True
    """Try the reverse migration on a copy beside the rollback (the fault matrix's faults do not: no row depends on it)."""

    # -- progress ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Time one phase and show it; a failure marks it and propagates."""
        current = Phase(name)
        self.phases.append(current)
        self.console.print(f"[bold cyan]▶ rehearsal[/] {name} …")
        t0, cpu0 = time.monotonic(), cpu_seconds()
        try:
            yield current
            current.status = "done"
        except BaseException:
            current.status = "failed"
            raise
        finally:
            current.duration_s = round(time.monotonic() - t0, 2)
            current.cpu_s = round(cpu_seconds() - cpu0, 2)
            style = "green" if current.status == "done" else "bold red"
            self.console.print(f"[{style}]{'✓' if current.status == 'done' else '✗'} {name}[/] "
                               f"{current.duration_s:.1f}s {current.detail}", highlight=False)
            self._save()

    def _save(self) -> None:
        if self.run is None:
            return
        with self.saving:  # a phase in a thread (serve, reverse-migration) saves too
            data = {**self.record, "fault": self.fault.name if self.fault else None,
                    "phases": [dict(vars(p)) for p in list(self.phases)],
                    "total_s": round(sum(p.duration_s for p in self.phases), 2)}
            (self.run.dir / REHEARSAL_RECORD).write_text(json.dumps(data, indent=2, ensure_ascii=False))

    # -- setup ------------------------------------------------------------------------------------
    def setting(self, key: str, default: str = "") -> str:
        """A setting of the rehearsal (environment)."""
        return self.environ.get(key, "") or default

    def pg_bin_dir(self) -> str:
        """PostgreSQL's client tools: ``PG_BIN_DIR``, else where the bootstrap found or installed them."""
        return self.setting("PG_BIN_DIR") or str(default_pg_bin_dir())

    def manage(self, *args: str, database_url: str | None = None, check: bool = True,
               timeout: float = 3600, previous: bool = False) -> subprocess.CompletedProcess[str]:
        """``MANAGE_CMD args`` against the rehearsal database (or ``database_url``).

        ``previous=True`` runs the previous release's code (the unaltered backend): the
        pre-migration state is what the running release made, before any fault's release code.
        """
        env = {**self._child_env(), **({"REHEARSAL_DATABASE_URL": database_url, "DATABASE_URL": database_url}
                                       if database_url else {})}
        command = self.gate_env["MANAGE_CMD"]
        if previous and command == str(self.work / "manage.sh"):
            command = str(self.work / "manage-previous.sh")
        line = " ".join([command, *(shlex.quote(a) for a in args)])
        proc = subprocess.run(line, shell=True, cwd=self.backend_dir, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise RehearsalError(f"manage.py {' '.join(args)} exit {proc.returncode}: {proc.stderr.strip()[-1500:]}")
        return proc

    def _child_env(self) -> dict[str, str]:
        """The environment of every child: ours minus target variables, plus the rehearsal's env file."""
        env = {k: v for k, v in self.environ.items() if k not in TARGET_KEYS and k not in codelib.DB_VARIABLES
               and k not in self.handoff_names}
        env.update(self.gate_env)
        env["ENV_FILE"] = str(self.work / "rehearsal.env")
        env["PYTHONPATH"] = str(REPO)  # the gate's own children only; the code gets code.env's (rehearse.code)
        if self.run is not None:
            env["RUN_DIR"], env["RUN_ID"] = str(self.run.dir), self.run.run_id
        return env

    def start_postgres(self) -> None:
        """The disposable server every database of this rehearsal lives on."""
        from disposable_pg import disposable_postgres

        choice = self.setting("DISPOSABLE_PG", "auto")
        if choice == "existing":
            from disposable_pg.existing import ExistingPostgres

            self.pg = ExistingPostgres(self.setting("DISPOSABLE_PG_URL")).start()
        else:
            self.pg = disposable_postgres(choice)
            self.pg.start()
        self.dsn = self.pg.create_database(f"freesport_{secrets.token_hex(3)}")
        self.record["postgres"] = getattr(self.pg, "backend", choice)

    def prepare_code(self) -> list[str]:
        """The code to rehearse: ``BACKEND_DIR`` as is, or a copy a fault alters."""
        manage_cmd = self.setting("MANAGE_CMD")
        if any(word in manage_cmd.split() for word in ("ssh", "docker", "kubectl", "compose")):
            raise RehearsalError(
                f"MANAGE_CMD={manage_cmd!r} runs manage.py elsewhere, against that host's database: a rehearsal "
                "runs the release's code here against the disposable copy; give BACKEND_DIR (and "
                "REHEARSAL_BACKEND_PYTHON) instead")
        self.original_backend_dir = Path(self.setting("BACKEND_DIR", str(BUNDLED_BACKEND))).resolve()
        self.backend_dir = self.original_backend_dir
        extra: list[str] = []
        if self.fault and self.fault.backend_patch:
            self.backend_dir = faultlib.copy_backend(self.original_backend_dir, self.work / "release")
            extra = self.fault.backend_patch(self.backend_dir)
        return extra

    def write_env(self, expected_extra: list[str]) -> None:
        """``code.env`` (the code's only environment), ``app/app.env``, ``manage.sh`` (MANAGE_CMD), ``rehearsal.env``."""
        assert self.run is not None
        log_dir = self.work / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        onec = self.work / "onec"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        onec_user = self.setting("REHEARSAL_ONEC_EXCHANGE_USER", "exchange")
        onec_password = self.setting("REHEARSAL_ONEC_EXCHANGE_PASSWORD") or secrets.token_urlsafe(16)
        values = {"work": str(self.work), "log_dir": str(log_dir), "onec_dir": str(onec), "onec_user": onec_user,
                  "onec_password": onec_password, "base_url": base_url}
        settings_module = self.setting("DJANGO_SETTINGS_MODULE", "freesport.settings")
        spec = self.setting("REHEARSAL_DB_ENV", "database_url")
        try:
            handoff = Handoff.parse(spec, "REHEARSAL_DB_ENV")
            self.handoff_names = handoff.names
            extra_env = codelib.parse_code_env(self.setting("REHEARSAL_CODE_ENV"), values, handoff)
        except (HandoffError, codelib.CodeEnvError) as exc:
            raise RehearsalError(str(exc)) from None
        wsgi_app = self.wsgi_app(settings_module)
        code_env = {
            **handoff.env(DbCoordinates.from_url(self.dsn)), codelib.SPEC_KEY: spec,
            "PYTHONPATH": self.setting("REHEARSAL_PYTHONPATH"), "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": secrets.token_urlsafe(32), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_DIR": str(log_dir), "ONEC_DATA_DIR": str(onec), "ONEC_EXCHANGE_USER": onec_user,
            "ONEC_EXCHANGE_PASSWORD": onec_password, "MAINTENANCE_STATE_DIR": str(self.work), **extra_env,
        }
        if self.fault and self.fault.wraps_manage:
            code_env["REHEARSAL_FAULT"] = self.fault.name
        write_private(self.work / "code.env", env_lines(code_env))
        api_prefix = self.setting("API_PREFIX", "/api")
        app_env = {
            "CODE_ENV_FILE": str(self.work / "code.env"), "BACKEND_DIR": str(self.backend_dir),
            "BACKEND_PYTHON": self.setting("REHEARSAL_BACKEND_PYTHON", PYTHON), "LOG_DIR": str(log_dir),
            "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": self.setting("REHEARSAL_WORKERS", "2"),
            "WSGI_APP": wsgi_app, "APP_HEALTH_URL": f"{base_url}{api_prefix}/health/",
        }
        (self.work / "app").mkdir(exist_ok=True)
        write_private(self.work / "app" / "app.env", env_lines(app_env))
        manage_sh = self._manage_script("manage.sh", self.backend_dir, wrapped=bool(self.fault and self.fault.wraps_manage))
        self._manage_script("manage-previous.sh", self.original_backend_dir, wrapped=False)
        gate_env = {
            "DATABASE_URL": self.dsn, "BASE_URL": base_url, "API_PREFIX": api_prefix,
            "BACKEND_DIR": str(self.backend_dir), "DJANGO_SETTINGS_MODULE": settings_module,
            "MANAGE_CMD": str(manage_sh), "LOG_DIR": str(log_dir),
            "ONEC_DATA_DIR": str(onec),
            "ONEC_HEALTHCHECK_URL": f"{base_url}{api_prefix}/integration/1c/exchange/?type=catalog&mode=checkauth",
            "ONEC_EXCHANGE_USER": onec_user, "ONEC_EXCHANGE_PASSWORD": onec_password,
            "BACKUP_DIR": str(self.work / "backups"), "DISPOSABLE_PG": "existing",
            "DISPOSABLE_PG_URL": self.pg.get_connection_url(), "WINDOW_OPEN": "true", "CONFIRM": "yes",
            "APP_START_CMD": self.setting("APP_START_CMD", self.own_app_cmd("start")),
            "APP_STOP_CMD": self.setting("APP_STOP_CMD", self.own_app_cmd("stop")),
            "GATE_LIVE": self.setting("GATE_LIVE", "1"),
            "TRIAL_DB_ENV": f"{codelib.OVERRIDE}={{url}}",  # manage.sh hands it over by REHEARSAL_DB_ENV
            "TRIAL_MANAGE_CMD": "", "REHEARSAL_OF": self.rehearsed(),
        }
        if self.backend_dir != self.original_backend_dir:
            gate_env["DEPLOYED_VERSION_CMD"] = f"{shlex.quote(PYTHON)} -m rehearse.release"
        if expected_extra:
            from gate.settings import Settings

            base = [m for m in self.setting("EXPECTED_PLAN").split(",") if m.strip()] or Settings().expected_plan
            gate_env["EXPECTED_PLAN"] = ",".join([*base, *(e for e in expected_extra if e not in base)])
        gate_env.update(self.overrides(values))
        if self.fault and self.fault.corrupts_dump:
            real_bin = Path(self.pg_bin_dir())
            gate_env["PG_BIN_DIR"] = str(faultlib.pg_bin_with_corrupting_dump(real_bin, self.work / "pgbin"))
        if self.fault and self.fault.proxy_delay_ms:
            proxy_port = free_port()
            self.record["proxy"] = f"127.0.0.1:{proxy_port} (+{self.fault.proxy_delay_ms:.0f} ms)"
            self.processes.append(subprocess.Popen(
                [PYTHON, "-m", "rehearse.proxy", "--port", str(proxy_port), "--upstream", base_url,
                 "--delay-ms", str(self.fault.proxy_delay_ms)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            gate_env["BASE_URL"] = f"http://127.0.0.1:{proxy_port}"
            gate_env["ONEC_HEALTHCHECK_URL"] = gate_env["ONEC_HEALTHCHECK_URL"].replace(base_url, gate_env["BASE_URL"])
        if self.fault:
            gate_env.update(self.fault.env)
        self.gate_env = gate_env
        self.record["base_url"] = base_url
        self.record["code"] = {"backend_dir": str(self.backend_dir), "manage": self.manage_prefix(),
                               "settings_module": settings_module, "wsgi_app": wsgi_app,
                               "pythonpath": self.setting("REHEARSAL_PYTHONPATH"), "db_env": list(handoff.names)}
        write_private(self.work / "rehearsal.env",
                      "# the rehearsal's settings (rehearse): a disposable target, never the configured one\n"
                      + env_lines(gate_env))

    def own_app_cmd(self, action: str) -> str:
        """``python -m rehearse.app <action> --state <work>/app``: the rehearsal's own ``APP_<ACTION>_CMD``."""
        return f"{shlex.quote(PYTHON)} -m rehearse.app {action} --state {shlex.quote(str(self.work / 'app'))}"

    def rehearsed(self) -> str:
        """What this rehearsal rehearses, in words (the sign-off names it instead of a target)."""
        dump = self.setting("REHEARSAL_SOURCE_DUMP")
        state = f"the dump {dump}" if dump else "a seeded v13.3 catalog"
        return f"the code in {self.backend_dir} on a disposable copy of {state}"

    def overrides(self, values: dict[str, str]) -> dict[str, str]:
        """``REHEARSAL_<SETTING>``: a target setting's value inside the rehearsal (placeholders filled)."""
        from gate.settings import Settings

        fields = {name.upper() for name in Settings.model_fields}
        out: dict[str, str] = {}
        for key, value in sorted(self.environ.items()):
            name = key.removeprefix("REHEARSAL_")
            if key.startswith("REHEARSAL_") and name in fields and name not in NOT_OVERRIDABLE:
                try:
                    out[name] = codelib.fill(value, values, key)
                except codelib.CodeEnvError as exc:
                    raise RehearsalError(str(exc)) from None
        self.record["overrides"] = sorted(out)
        return out

    def wsgi_app(self, settings_module: str) -> str:
        """``REHEARSAL_WSGI_APP``, else ``<package>.wsgi:application`` when that module is in BACKEND_DIR."""
        given = self.setting("REHEARSAL_WSGI_APP")
        if given:
            return given
        package = settings_module.split(".")[0]
        if (self.backend_dir / package / "wsgi.py").is_file():
            return f"{package}.wsgi:application"
        raise RehearsalError(f"no {package}/wsgi.py in {self.backend_dir} (DJANGO_SETTINGS_MODULE={settings_module}): "
                             "name the code's WSGI application in REHEARSAL_WSGI_APP (module:callable)")

    def manage_prefix(self) -> str:
        """The code's own manage.py line: ``REHEARSAL_MANAGE_CMD``/``MANAGE_CMD``, else ``python manage.py``."""
        python = self.setting("REHEARSAL_BACKEND_PYTHON", PYTHON)
        return self.setting("REHEARSAL_MANAGE_CMD") or self.setting("MANAGE_CMD") or f"{shlex.quote(python)} manage.py"

    def _manage_script(self, name: str, backend: Path, wrapped: bool) -> Path:
        """The rehearsal's MANAGE_CMD: the code's manage.py line, launched with the code's environment only."""
        path = self.work / name
        real = self.manage_prefix()
        if wrapped:
            real = f"{shlex.quote(PYTHON)} {shlex.quote(str(Path(faultlib.__file__).with_name('wrap.py')))} -- {real}"
        launcher = (f"{shlex.quote(PYTHON)} -m rehearse.code --env-file {shlex.quote(str(self.work / 'code.env'))}"
                    f" --cwd {shlex.quote(str(backend))}")
        path.write_text(
            "#!/usr/bin/env bash\n# manage.py of the code under rehearsal, with the code's environment only "
            "(rehearse/code.py)\nset -euo pipefail\n"
            f"PYTHONPATH={shlex.quote(str(REPO))} exec {launcher} -- {shlex.quote(real)} \"$@\"\n"
        )
        path.chmod(0o700)
        return path

    def prove_isolation(self) -> str:
        """Ask the code which database it is on and PostgreSQL who is connected where; refuse unless disposable."""
        expected = DbCoordinates.from_url(self.dsn)
        seen = codelib.probe(self.gate_env["MANAGE_CMD"], self.backend_dir, self._child_env(), self.dsn)
        reason = codelib.refusal(seen, expected, self.handoff_names)
        self.record["isolation"] = {"database": seen.database, "port": seen.port,
                                    "in_pg_stat_activity": seen.in_pg_stat_activity, "refused": reason}
        if reason:
            raise RehearsalError(f"refused before anything ran: {reason}")
        return (f"the code (manage.py shell) is on {seen.database} port {seen.port}, the disposable database; "
                "the disposable server's pg_stat_activity shows its connection")

    def prepare_onec(self) -> Sample:
        """The rehearsal's copy of the 1C package (a fault may damage the copy, never the source)."""
        committed = sample_parameters()
        size = Sample(int(self.setting("REHEARSAL_PRODUCTS", str(committed.products))),
                      int(self.setting("REHEARSAL_VARIANTS_PER_PRODUCT", str(committed.variants_per_product))),
                      int(self.setting("REHEARSAL_SEED", str(committed.seed))))
        products, variants, seed = size.products, size.variants_per_product, size.seed
        onec = self.work / "onec"
        source = self.setting("REHEARSAL_ONEC_DIR")
        same_as_sample = size == committed
        if source:
            shutil.copytree(source, onec)
            files = sum(1 for _ in onec.rglob("*.xml"))
            self.record["onec_source"] = f"REHEARSAL_ONEC_DIR {source} ({files} XML files, copied)"
        elif same_as_sample and SAMPLE_DIR.is_dir() and any(SAMPLE_DIR.rglob("*.xml")):
            shutil.copytree(SAMPLE_DIR, onec)
            self.record["onec_source"] = f"the committed sample: {products} products × {variants} (seed {seed})"
        else:
            def generate(out: Path) -> None:
                self.manage("generate_commerceml", *size.options(), "--out", str(out), previous=True)

            cache = self.seed_cache(size)
            cached = seed_cache.package_from_cache(cache.directory.parent / "onec" if cache else None,
                                                   cache.key if cache else "", onec, generate)
            self.record["onec_source"] = (f"generated: {products} products × {variants} (seed {seed})"
                                          + (" (copied from the package cache)" if cached else ""))
        if self.fault and self.fault.truncates_onec:
            victim = faultlib.truncate_onec(onec)
            self.record["truncated"] = victim.name
        if self.fault and self.fault.onec_patch:
            self.record["onec_patch"] = self.fault.onec_patch(onec)
        return size

    def pre_migration_state(self, size: Sample) -> str:
        """v13.3 seeded with the 1C package's N/K/seed, or the staging dump ``REHEARSAL_SOURCE_DUMP``."""
        dump = self.setting("REHEARSAL_SOURCE_DUMP")
        if dump:
            tool = str(Path(self.pg_bin_dir()) / "pg_restore")
            proc = subprocess.run(
                [tool, "--no-owner", "--no-acl", "--exit-on-error",
                 "--no-password", "-j", "2", "-d", self.dsn.rsplit("/", 1)[1], dump],
                env={**os.environ, **libpq_env(self.dsn)}, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RehearsalError(f"REHEARSAL_SOURCE_DUMP does not restore: {proc.stderr.strip()[-800:]}")
            return f"restored REHEARSAL_SOURCE_DUMP {dump} (pg_restore into the disposable database)"

        def seed() -> str:
            # Every app at its latest migration, then products back to the v13.3 schema: on an empty
            # database that is two commands, and the same state rehearse/local_target.py reaches app by app.
            self.manage("migrate", "--noinput", previous=True)
            self.manage("migrate", "products", self.setting("PRE_MIGRATION_TARGET", "0001_initial"), "--noinput",
                        previous=True)
            self.manage("seed_legacy_catalog", *size.options(), previous=True)
            return f"v13.3, seed_legacy_catalog {' '.join(size.options())}"

        try:
            return seed_cache.seed_or_restore(self.seed_cache(size), self.dsn, seed)
        except RuntimeError as exc:
            raise RehearsalError(str(exc)) from None

    def seed_cache(self, size: Sample) -> seed_cache.SeedCache | None:
        """Where the seeded state of this code and this size is kept (``REHEARSAL_SEED_CACHE=off``: nowhere)."""
        inputs = {"settings": self.setting("DJANGO_SETTINGS_MODULE", "freesport.settings"),
                  "manage": self.manage_prefix(), "code_env": self.setting("REHEARSAL_CODE_ENV"),
                  "pythonpath": self.setting("REHEARSAL_PYTHONPATH"), "db_env": self.setting("REHEARSAL_DB_ENV"),
                  "target": self.setting("PRE_MIGRATION_TARGET", "0001_initial")}
        return seed_cache.cache_for(self.environ, self.original_backend_dir, size.as_dict(), inputs, self.pg_bin_dir())

    def app(self, action: str) -> None:
        """Start or stop the application the way the rollback will (``APP_START_CMD`` / ``APP_STOP_CMD``)."""
        line = self.gate_env["APP_START_CMD" if action == "start" else "APP_STOP_CMD"]
        proc = subprocess.run(line, shell=True, cwd=REPO, env=self._child_env(), capture_output=True, text=True,
                              check=False, timeout=180)
        if proc.returncode != 0 and action == "start":
            # the headline (exit code, exception, command) first, then the end of the output
            out = (proc.stdout + proc.stderr).strip()
            head, _, rest = out.partition("\n")
            from gate.redact import redact

            raise RehearsalError(redact(f"the application did not start ({line} exited {proc.returncode}): {head}"
                                        + (f"\n{rest[-1500:]}" if rest else ""), self._child_env()))

    def maintenance_cmd(self, state: Literal["on", "off"]) -> str:
        """The command that turns the rehearsal's maintenance ``state``, as its window runs it.

        The rehearsal's gate env (``REHEARSAL_MAINTENANCE_<STATE>_CMD``, or a fault's value) gives the
        window ``MAINTENANCE_<STATE>_CMD``; without one, scripts/steps/maintenance_<state>.sh runs
        ``MANAGE_CMD maintenance_mode <state>``. Never the configured target's ``MAINTENANCE_<STATE>_CMD``.
        """
        return (self.gate_env.get(f"MAINTENANCE_{state.upper()}_CMD")
                or f"{self.gate_env['MANAGE_CMD']} maintenance_mode {state}")

    # -- the window and the way back -------------------------------------------------------------
    def window(self) -> int:
        """The window exactly as ``make migrate`` runs it (its own live view shows the steps)."""
        assert self.run is not None
        if self.fault and self.fault.error_pct:
            faultlib.inject_after_maintenance_off(self.run.dir, self.work / "log", self.fault.error_pct)
        argv = [PYTHON, "-m", "gate.window", "migrate", "--confirm"]
        if self.stop_after:
            argv += ["--to", self.stop_after]
        return run_in_group(argv, cwd=REPO, env=self._child_env())

    def verdict(self) -> str:
        """The run's verdict as summary.json has it now."""
        assert self.run is not None
        return str(self.run.read_summary().get("verdict", "?"))

    def fault_findings(self) -> dict[str, Any]:
        """What the fault's row of the matrix demands beyond the verdict, measured right after the window."""
        assert self.run is not None
        names = {e.get("name") for e in self.run.journal() if e.get("event") in ("start", "end")}
        summary = self.run.read_summary()
        failed = [r["id"] for r in summary.get("checks", []) if r.get("outcome") == "failed"]
        findings: dict[str, Any] = {"flush_ran": "flush" in names, "migrate_ran": "migrate" in names,
                                    "failed_checks": failed}
        pre_path = self.run.dir / "pre_snapshot.json"
        if pre_path.exists():
            from gate.db.snapshot import Snapshot, snapshot_of

            pre = Snapshot.load(pre_path)
            now = snapshot_of(self.dsn, "rehearsal", ["order_items", "orders"])
            findings["order_items_kept"] = pre.tables.get("order_items") == now.tables.get("order_items")
            findings["orders_kept"] = pre.tables.get("orders") == now.tables.get("orders")
        return findings

    def reverse_trial(self, on_cloned: Any = None) -> dict[str, Any] | None:
        """``migrate products 0001_initial`` on a copy of the migrated database: what would it give back?

        ``on_cloned`` is called once the copy exists (or when there is nothing to copy).
        """
        assert self.run is not None
        from gate.db.snapshot import Snapshot
        from gate.rollback.reverse import try_reverse_migration

        pre_path = self.run.dir / "pre_snapshot.json"
        if not pre_path.exists():
            if on_cloned is not None:
                on_cloned()
            return None
        pre = Snapshot.load(pre_path)

        def manage(argv: Any, url: str) -> subprocess.CompletedProcess[str]:
            return self.manage(*argv, database_url=url, check=False)

        trial = try_reverse_migration(self.pg, self.dsn.rsplit("/", 1)[1], pre, manage,
                                      self.setting("REVERSE_MIGRATION_TARGET", "products 0001_initial"),
                                      self.pg_bin_dir(), on_cloned=on_cloned)
        entry = trial.as_summary(pre)
        (self.run.dir / "reverse_migration.json").write_text(json.dumps(
            {**entry, "differences": list(trial.differences), "empty_columns": trial.empty,
             "output_tail": trial.output_tail}, indent=2, ensure_ascii=False))
        return entry

    def rollback(self) -> int:
        """The runbook's rollback script with the window's own backup, timed as a journal step."""
        assert self.run is not None
        from gate.backup.manifest import BackupManifest
        from gate.rollback import run_rollback_script

        manifest = BackupManifest.load(self.run.dir)
        if manifest is None or manifest.error or manifest.refused:
            return -1
        app_cmd = f"{shlex.quote(PYTHON)} -m rehearse.app"
        state = shlex.quote(str(self.work / "app"))
        previous = self.setting("REHEARSAL_PREVIOUS_BACKEND_DIR", str(self.original_backend_dir))
        env = {
            "DATABASE_URL": self.dsn, "RUN_DIR": str(self.run.dir),
            "APP_STOP_CMD": self.gate_env["APP_STOP_CMD"] + (
                f" --after {shlex.quote(str(self.copy_marker))}" if self.copy_marker is not None else ""),
            "APP_START_CMD": self.gate_env["APP_START_CMD"],
            "CHECKOUT_CMD": self.setting("CHECKOUT_CMD",
                                         f"{app_cmd} checkout --state {state} --backend-dir {shlex.quote(previous)}"),
            "PREVIOUS_RELEASE_TAG": self.setting("PREVIOUS_RELEASE_TAG", "v13.3.0"),
            "PG_BIN_DIR": self.pg_bin_dir(),
            "ROLLBACK_KEEP_OLD": "no", "PYTHONPATH": str(REPO),
            "MAINTENANCE_OFF_CMD": self.maintenance_cmd("off"),
        }
        budget = 900
        started = StepRecord("rollback", budget_s=budget)
        self.run.record_step(started)
        outcome = run_rollback_script(Path(manifest.path), env)
        (self.run.dir / "steps").mkdir(exist_ok=True)
        (self.run.dir / "steps" / "rollback.log").write_text(outcome.output)
        self.run.record_step(StepRecord("rollback", budget_s=budget, duration_s=round(outcome.duration_s, 3),
                                        exit_code=outcome.exit_code, started_at=started.started_at,
                                        finished_at=now_utc().isoformat(), output_tail=outcome.output[-2000:]))
        return outcome.exit_code

    def rollback_checks(self, server: PytestServer | None = None) -> int:
        """RBK-01..03 as a gate session into this run; ``server``: a warm pytest process (started while the
        rollback ran) forks the session, else a new interpreter."""
        argv = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "tests/rollback", "--check",
                "RBK-01,RBK-02,RBK-03", "-q", "--no-header", "-rN", "--color=no"]
        assert self.run is not None
        log_path = self.run.dir / "checks" / "rollback.log"
        log_path.parent.mkdir(exist_ok=True)
        env = self._child_env()
        if server is not None and server.serves(env):
            with contextlib.suppress(ConnectionError):
                return server.session(argv[3:], env, REPO, log_path)
        with log_path.open("w") as log:
            return subprocess.run(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  check=False).returncode

    def annotate_summary(self, **values: Any) -> None:
        """Add keys to summary.json (the report reads ``reverse_migration``, ``rehearsal``)."""
        assert self.run is not None
        summary = self.run.read_summary()
        summary.update(cast(Summary, values))
        tmp = self.run.summary_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        os.replace(tmp, self.run.summary_path)

    def notify(self, event: str) -> None:
        """Post a window event unless the window already did (``notifications.jsonl``)."""
        assert self.run is not None
        record = self.run.dir / "notifications.jsonl"
        if record.exists() and f'"event": "{event}"' in record.read_text():
            return
        # in this process (≈ 0.8 CPU-s of imports less per event), with the settings `python -m gate.notify`
        # would read from the same environment and env file; it never raises on delivery
        from gate.notify.notifier import notify, notify_args
        from gate.settings import SettingsError, load_settings

        try:
            notify(event, self.run.dir, **notify_args(load_settings(self._child_env())))
        except (SettingsError, OSError, ValueError) as exc:
            self.console.print(f"notify {event}: not sent ({exc})", markup=False, highlight=False)

    def serve_beside(self) -> Callable[[bool], None]:
        """Start the application (phase ``serve``) in a thread, once the code is proven on the disposable
        database: it starts while the 1C package is copied and the pre-migration state is restored (its
        health check waits for the database like any client). The returned function waits for it and
        (given True) raises what the start raised; nothing runs against the application before that."""
        outcome: dict[str, BaseException] = {}

        def serve() -> None:
            try:
                with self.phase("serve") as p:
                    self.app("start")
                    given = self.setting("APP_START_CMD")
                    p.detail = (f"APP_START_CMD {given}" if given else
                                f"gunicorn {self.record['code']['wsgi_app']} ({self.backend_dir})") + \
                        f" at {self.record['base_url']}" + " (beside the package and the pre-migration state)"
            except BaseException as exc:  # noqa: BLE001 - re-raised in the rehearsal's own thread
                outcome["error"] = exc

        worker = threading.Thread(target=serve, name="serve", daemon=True)
        worker.start()

        def wait(raise_error: bool) -> None:
            worker.join()
            if raise_error and "error" in outcome:
                raise outcome["error"]

        return wait

    # -- the whole thing -----------------------------------------------------------------------------
    def execute(self) -> int:
        """Run the rehearsal; the exit status is the verdict's (0 only on GO)."""
        label = self.label or (f"rehearsal-{self.fault.name}" if self.fault else "rehearsal")
        run_id = f"{new_run_id()}-{label}"
        self.run = Run.open(None, run_id, Path(self.setting("RUNS_ROOT", str(REPO / "var" / "runs"))))
        self.work = Path(self.setting("REHEARSAL_WORK_DIR", str(REPO / "var" / "rehearsal"))) / run_id
        self.work.mkdir(parents=True, exist_ok=True)
        self.record.update(run_id=run_id, started_at=now_utc().isoformat())
        self.console.rule(f"[bold]{label}[/] run {run_id}")
        if self.fault:
            self.console.print(f"fault: [bold]{self.fault.name}[/] — {self.fault.what}; the matrix demands "
                               f"[bold]{self.fault.expected.value}[/] (caught by {', '.join(self.fault.caught_by)})")
        window_exit = None
        interrupted = False
        try:
            with self.phase("postgres") as p:
                self.start_postgres()
                p.detail = str(self.record["postgres"])
            with self.phase("code") as p:
                extra = self.prepare_code()
                self.write_env(extra)
                code = self.record["code"]
                p.detail = (f"{self.backend_dir}" + (f" (+{', '.join(extra)})" if extra else "")
                            + f": {code['manage']}, settings {code['settings_module']}, WSGI {code['wsgi_app']}, "
                            f"PYTHONPATH {code['pythonpath'] or '(none)'}, database by {', '.join(code['db_env'])}")
            with self.phase("isolation") as p:
                p.detail = self.prove_isolation()
            serving = self.serve_beside()
            try:
                with self.phase("1c-package") as p:
                    size = self.prepare_onec()
                    p.detail = self.record["onec_source"]
                    self.record["data"] = size.as_dict()
                with self.phase("pre-migration-state") as p:
                    p.detail = self.pre_migration_state(size)
                    self.record["pre_state"] = p.detail
            except BaseException:
                serving(False)  # the first failure is the one reported
                raise
            serving(True)  # the window posts its own "start" (python -m gate.window migrate, a fresh run)
            with self.phase("window") as p:
                window_exit = self.window()
                p.detail = f"verdict {self.verdict()} (exit {window_exit})"
            self.record["window_verdict"] = self.verdict()
            if self.fault:
                self.record["findings"] = self.fault_findings()
            if self.run.destructive_started():
                self.way_back()
            else:
                self.record["rollback"] = "not rehearsed: the window stopped before anything changed (NO-GO)"
        except RehearsalError as exc:
            self.console.print(f"[bold red]rehearsal could not run:[/] {exc}", highlight=False)
            self.record["error"] = str(exc)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (disposable_pg.interrupt): the same clean-up, then on
            interrupted = True
            self.record["error"] = "interrupted"
            raise
        finally:
            with signals_held() if interrupted else contextlib.nullcontext():
                self.teardown(beside_report=not interrupted)
                if interrupted:
                    if self.pg_stopping is not None:
                        self.pg_stopping.join()
                    self._save()
        try:
            verdict = self.verdict()
            self.record["verdict"] = verdict
            if self.record.get("isolation", {}).get("refused"):
                self._save()  # refused before anything ran: no window, no notification, no report to build
                return self.finish(None, report_ok=False)
            self.annotate_summary(rehearsal={k: v for k, v in self.record.items() if k not in ("base_url", "proxy")},
                                  release_tag=self.setting("RELEASE_TAG", "v13.4.0"),
                                  rehearsal_of=self.gate_env.get("REHEARSAL_OF") or self.rehearsed())
            if verdict != Verdict.GO.value:
                self.notify("verdict")
            self.notify("end")
            with self.phase("report") as p:
                proc = subprocess.run([PYTHON, "-m", "gate.report", *(["--png"] if self.report_png else []),
                                       str(self.run.dir)], cwd=REPO, env=self._child_env(), capture_output=True,
                                      text=True, check=False)
                p.detail = (proc.stdout.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
                self.report_lines = [line for line in proc.stdout.splitlines()
                                     if line.startswith(("Allure report:", "Sign-off"))]
                if proc.returncode != 0:
                    p.detail = f"report failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
            self._save()
            return self.finish(window_exit, report_ok=proc.returncode == 0)
        finally:
            self.settle()

    def finish(self, window_exit: int | None, report_ok: bool) -> int:
        """Print the verdict and the timings; the exit status."""
        assert self.run is not None
        if self.pg_stopping is not None:
            self.pg_stopping.join()
        verdict = self.verdict()
        total = sum(p.duration_s for p in self.phases)
        self.console.rule()
        for p in self.phases:
            self.console.print(f"  {p.name:<22} {p.duration_s:7.1f}s  {p.status:<6} {p.detail}", highlight=False,
                               markup=False)
        self.console.print(f"  {'total':<22} {total:7.1f}s")
        self.console.print(f"verdict [bold]{verdict}[/] — run {self.run.dir}", highlight=False)
        for line in self.report_lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        if "error" in self.record or window_exit is None:
            return 1
        if self.fault:
            problems = self.matrix_problems(verdict)
            self.record["matrix"] = {"expected": self.fault.expected.value, "got": verdict, "problems": problems}
            self._save()
            for problem in problems:
                self.console.print(f"[bold red]fault matrix:[/] {problem}", highlight=False)
            return 0 if not problems else 1
        code = EXIT_CODES.get(Verdict(verdict), 1) if verdict in {v.value for v in Verdict} else 1
        return code if code or report_ok else 1

    def matrix_problems(self, verdict: str) -> list[str]:
        """Why this fault's row of the matrix does not hold (empty when it does)."""
        assert self.fault is not None
        fault, found = self.fault, self.record.get("findings", {})
        problems = []
        if verdict != fault.expected.value:
            problems.append(f"{fault.name}: verdict {verdict}, the matrix demands {fault.expected.value}")
        if not set(fault.caught_by) & set(found.get("failed_checks", [])):
            problems.append(f"{fault.name}: not caught by {' or '.join(fault.caught_by)} "
                            f"(failed: {', '.join(found.get('failed_checks', [])) or 'none'})")
        if fault.flush_never_runs and found.get("flush_ran"):
            problems.append(f"{fault.name}: the flush ran")
        if fault.order_items_kept and found.get("order_items_kept") is False:
            problems.append(f"{fault.name}: order items changed")
        if fault.nothing_changes and found.get("migrate_ran"):
            problems.append(f"{fault.name}: migrate started although the window should have stopped before it")
        return problems

    def way_back(self) -> None:
        """The reverse-migration trial and the rollback, side by side.

        The trial works on its own copy of the migrated database, the rollback on the database
        itself: neither can change what the other finds once the copy exists. The rollback script
        starts at once and verifies its backup while the copy is made; the rehearsal's own
        ``APP_STOP_CMD`` (``rehearse.app stop --after``) waits for the copy before anything is stopped
        or restored (with another ``APP_STOP_CMD`` the script starts after the copy). The trial's
        ``migrate`` runs while the rollback goes on. summary.json is annotated with
        the trial's entry after both have ended (one writer at a time).
        """
        assert self.run is not None
        cloned = threading.Event()
        marker = self.work / "reverse-trial-copied"

        def copied() -> None:
            marker.touch()
            cloned.set()
        trial = Phase("reverse-migration")
        self.phases.append(trial)
        self.console.print("[bold cyan]▶ rehearsal[/] reverse-migration (on a copy, alongside the rollback) …")
        outcome: dict[str, Any] = {}

        def run_trial() -> None:
            t0 = time.monotonic()
            try:
                outcome["entry"] = self.reverse_trial(on_cloned=copied) if self.try_reverse else None
            except BaseException as exc:  # noqa: BLE001 - re-raised in the rehearsal's own thread
                outcome["error"] = exc
            finally:
                trial.duration_s = round(time.monotonic() - t0, 2)
                copied()

        worker = threading.Thread(target=run_trial, name="reverse-migration", daemon=True)
        worker.start()
        if self.gate_env.get("APP_STOP_CMD") == self.own_app_cmd("stop"):
            # the rehearsal's own stop command waits for the copy: the script verifies its backup meanwhile
            self.copy_marker = marker
        else:
            cloned.wait()  # someone else's stop command: the rollback starts once the copy exists
        server: PytestServer | None = None
        try:
            with self.phase("rollback") as p:
                # RBK-01..03's pytest warms up while the rollback script runs (it reads nothing of the run)
                server = PytestServer.start(PYTHON, self._child_env(), REPO)
                code = self.rollback()
                p.detail = f"rollback_production.sh exit {code}"
                self.rollback_checks(server)
                rows = {r["id"]: r["outcome"] for r in self.run.read_summary().get("checks", [])}
                p.detail += " — " + ", ".join(f"{i} {rows.get(i, '?')}" for i in ("RBK-01", "RBK-02", "RBK-03"))
        finally:
            if server is not None:
                server.close()
            worker.join()
            entry = outcome.get("entry")
            trial.status = "failed" if "error" in outcome else "done"
            if entry:
                self.annotate_summary(reverse_migration=entry)
                trial.detail = ("works" if entry["works"] else "fails") + (
                    ", restore is the only way back" if entry["restore_only_way_back"] else "")
            elif not self.try_reverse:
                self.annotate_summary(reverse_migration=NOT_TRIED)
                trial.status, trial.detail = "skipped", NOT_TRIED
            style = "green" if trial.status == "done" else "bold red"
            self.console.print(f"[{style}]{'✓' if trial.status == 'done' else '✗'} reverse-migration[/] "
                               f"{trial.duration_s:.1f}s {trial.detail} (alongside the rollback)", highlight=False)
            self._save()
        if "error" in outcome:
            raise outcome["error"]

    def teardown(self, beside_report: bool = False) -> None:
        """Stop the proxy, the app and the database server; keep the logs in the run directory.

        ``beside_report``: the application and the server stop, and the logs are copied, in a thread
        while the report is built (the report reads the run directory only, never ``logs/``);
        :meth:`settle` waits for it and removes the work directory.
        """
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

        def stop_app() -> None:
            if self.gate_env:
                with contextlib.suppress(Exception):
                    self.app("stop")
            if self.run is not None and (self.work / "log").is_dir():
                shutil.copytree(self.work / "log", self.run.dir / "logs", dirs_exist_ok=True)

        def stop_pg(pg: Any = self.pg) -> None:
            if pg is not None:
                with contextlib.suppress(Exception):
                    pg.stop()

        if beside_report:
            def stop_all() -> None:
                try:
                    stop_app()
                finally:
                    stop_pg()

            self.pg_stopping = threading.Thread(target=stop_all, name="teardown")
            self.pg_stopping.start()
            return
        stop_app()
        if self.pg is not None:
            # the server stops while the report is built (the report reads the run directory only);
            # finish() waits for it
            self.pg_stopping = threading.Thread(target=stop_pg, name="pg-stop")
            self.pg_stopping.start()
        self.remove_work()

    def remove_work(self) -> None:
        """``var/rehearsal/<run-id>/`` goes (env files with secrets, app state) unless ``REHEARSAL_KEEP_WORK=yes``."""
        if self.setting("REHEARSAL_KEEP_WORK") != "yes":
            shutil.rmtree(self.work, ignore_errors=True)

    def settle(self) -> None:
        """Wait for the teardown's thread (application, server), then remove the work directory."""
        if self.pg_stopping is not None:
            self.pg_stopping.join()
        self.remove_work()
