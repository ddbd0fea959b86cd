"""Typed settings of the gate, from the environment or an env file (``ENV_FILE``).

Precedence: the process environment, then ``ENV_FILE`` (default ``var/local.env`` when it
exists, as ``make local-target`` writes it). A wrong value raises ``SettingsError`` naming
the variable and, when it came from the env file, ``file:line``. Secrets are ``SecretStr``:
``repr``/``str`` show ``**********``; ``settings.target`` is the DSN without its password.

>>> s = load_settings(environ={"DATABASE_URL": "postgresql://u:pw@db/x"}, env_file=None)
>>> s.target
'postgresql://u@db:5432/x'
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import quote, unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

import toolpaths
from gate.envfile import SettingsError as SettingsError
from gate.envfile import read_env_file as read_env_file

REPO = toolpaths.REPO
DEFAULT_ENV_FILE = REPO / "var" / "local.env"
IGNORED_ENV_KEYS = frozenset({"CHECKOUT_CMD", "ROLLBACK_RESTORE_MODE", "ROLLBACK_JOBS", "ROLLBACK_RESTORE_ARGS",
                              "ROLLBACK_ADMIN_DB", "ROLLBACK_KEEP_OLD", "ENV_FILE"})
"""Env-file keys read by the scripts (rollback_production.sh), not settings: never reported as misspelt."""
DEFAULT_PROTECTED = ("orders", "order_items", "carts", "cart_items", "users", "favorites")


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every variable of the gate; the README's "Gate settings" table documents each.

    >>> Settings(database_url="postgresql://localhost/x").api_prefix
    '/api'
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    # target
    database_url: SecretStr | None = Field(None, description="the target database (postgresql://user:pw@host:port/db)")
    gate_database_url: SecretStr | None = Field(
        None, description="the read-only role the checks' target connection uses (make gate-role); default DATABASE_URL")
    backend_dir: Path = Field(REPO / "backend", description="the deployed backend's code")
    django_settings_module: str = "freesport.settings"
    manage_cmd: str = Field("", description="how to run manage.py on the target (default: bundled backend)")
    base_url: str = "http://127.0.0.1:8000"
    api_prefix: str = "/api"
    log_dir: Path | None = None
    protected_tables: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECTED))
    volatile_columns: list[str] = Field(
        default_factory=lambda: ["users.last_login"],
        description="table.column left out of protected-table comparisons (a login updates it; "
                    "rows still counted, other columns still hashed); none: compare every column")
    release_tag: str = "v13.4.0"
    previous_release_tag: str = "v13.3.0"
    release_commit: str | None = None
    previous_release_commit: str | None = None
    # 1C
    onec_data_dir: Path = REPO / "backend" / "sample_data" / "commerceml"
    onec_healthcheck_url: str | None = None
    onec_exchange_user: str | None = None
    onec_exchange_password: SecretStr | None = None
    price_types_file: Path = Field(REPO / "deploy" / "price-types.yml",
                                   description="1C price type → price column; the importer reads the same file")
    price_sample_size: int = Field(1000, ge=0, description="PST-11/12: variants whose values are compared (0: all)")
    # runs and backups
    run_id: str | None = None
    run_dir: Path | None = None
    runs_root: Path = REPO / "var" / "runs"
    backup_dir: Path = REPO / "var" / "backups"
    backup_format: Literal["auto", "custom", "directory"] = "auto"
    backup_directory_from_bytes: int = Field(
        1 << 30, ge=0, description="BACKUP_FORMAT=auto: directory format (-Fd -j) from this database size")
    backup_jobs: int = Field(default_factory=lambda: default_backup_jobs(), ge=1, le=64)
    backup_min_free_factor: float = Field(2.0, ge=0)
    backup_free_bytes: int | None = Field(None, ge=0, description="test override of the free disk space")
    pg_bin_dir: Path = Field(default_factory=lambda: default_pg_bin_dir(),
                             description="PostgreSQL client tools (default: where the bootstrap found or installed them)")
    disposable_pg: Literal["auto", "container", "local", "existing"] = "auto"
    disposable_pg_url: SecretStr | None = Field(None, description="superuser URL of the server DISPOSABLE_PG=existing uses")
    rehearsal_source_dump: Path | None = None
    rehearsal_of: str | None = Field(None, description="set by the rehearsal itself: what this run rehearses "
                                     "(PRE-03/04 are not applicable inside it; the sign-off names it)")
    # preflight sources
    qa_gates_dir: Path = REPO / "docs" / "qa" / "gates"
    qa_gate_stories: list[str] = Field(default_factory=lambda: ["13.1", "13.2", "13.3"])
    ci_repo: str | None = None
    ci_token: SecretStr | None = None
    ci_api_url: str = "https://api.github.com"
    rehearsal_summary: Path | None = None
    rehearsal_max_age_days: int = Field(7, ge=0)
    notify_record: Path | None = None
    notify_webhook_url: SecretStr | None = None
    notify_channel: str | None = Field(None, description="optional channel field of the webhook's message")
    notify_timeout_s: float = Field(5.0, gt=0, description="seconds per attempt to post a notification")
    notify_max_age_hours: float = Field(24, ge=0)
    # window
    window_start: str = "02:00"
    window_end: str = "04:00"
    window_tz: str = "Europe/Moscow"
    window_open: bool = Field(False, description="rehearsals: the window is always open")
    window_now: datetime | None = Field(None, description="test override of the clock (ISO 8601 with offset)")
    # the migration window (issue 6): every command a step runs is a setting; README "The migration window"
    app_stop_cmd: str = Field("", description="stop the application (rollback; empty: nothing to stop)")
    app_start_cmd: str = Field("", description="start the application (rollback; empty: nothing to start)")
    maintenance_on_cmd: str = Field("", description="default: MANAGE_CMD maintenance_mode on")
    maintenance_off_cmd: str = Field("", description="default: MANAGE_CMD maintenance_mode off")
    deploy_cmd: str = Field("", description="check out RELEASE_TAG and install (default bundled: verify only)")
    deployed_version_cmd: str = Field("", description="prints the deployed release (default: git describe)")
    pip_check_cmd: str = Field("", description="requirements check in the target's env (default: uv/pip check)")
    import_reads_copy: bool = Field(False, description="hand the importer a copy of the 1C package")
    import_args: str = Field("--full", description="arguments of import_products_from_1c (empty: none)")
    flush_dry_run_args: str = Field("--dry-run --format json", description="arguments of flush_products' dry run")
    flush_args: str = Field("--confirm --skip-interactive --format json", description="arguments of the flush")
    confirm: bool = Field(False, description="CONFIRM=yes: destructive steps may run unattended")
    guard_override: str | None = Field(None, description="a reason: destructive steps run past this run's NO-GO "
                                       "or an unfinished earlier step (recorded, shown on the sign-off)")
    expected_plan: list[str] = Field(
        default_factory=lambda: [
            "products.0002_colormapping_productvariant",
            "products.0003_load_basic_colors",
            "products.0004_remove_product_per_sku_fields",
        ],
        description="the migrations the release brings (MIG-01), app.name comma-separated",
    )
    migration_waivers: Path = Field(REPO / "deploy" / "migration-waivers.yml", description="accepted MIG-03 findings")
    migrate_lock_timeout: str = "5s"
    migrate_statement_timeout: str = "15min"
    migrate_one_by_one: bool = Field(False, description="rehearsal: each migration alone, duration + DB size recorded")
    # MIG-05, the trial migration on a restored copy (gate/migrations/trial.py, docs/deployment.md)
    trial_db_env: str = Field("database_url", description="how the release's settings find their database: "
                              "presets database_url | db_parts | postgres_parts | libpq, or NAME={url} items")
    trial_manage_cmd: str = Field("", description="manage.py for the trial (template over {host} {port} {name} "
                                  "{user}; default MANAGE_CMD)")
    trial_db_host: str | None = Field(None, description="the host the release's code reaches the copy by "
                                      "(default: the disposable server's)")
    trial_one_by_one: bool = Field(True, description="MIG-05: each pending migration alone on the copy")
    product_tables: list[str] = Field(default_factory=lambda: ["products", "product_variants"])
    color_table: str = "color_mappings"
    category_table: str = "categories"
    min_colors: int = 20
    api_sample_size: int = Field(10, ge=1)
    api_sample_seed: int = 13
    api_price_fields: list[str] = Field(default_factory=lambda: ["price", "retail_price", "current_price"],
                                        description="PST-05: where the API shows a variant's price (first non-empty)")
    burst_requests: int = Field(120, ge=1)
    burst_concurrency: int = Field(4, ge=1)
    latency_p95_ms: float = 500.0
    latency_high_ms: float = 1000.0
    error_rate_high_pct: float = 1.0
    error_rate_critical_pct: float = 5.0
    error_window_minutes: float = Field(15.0, gt=0)
    access_log: Path | None = Field(None, description="default LOG_DIR/access.log")
    django_log: Path | None = Field(None, description="default LOG_DIR/django.log")
    import_log: Path | None = Field(None, description="default LOG_DIR/import_products.log")
    access_log_format: str = Field("gunicorn", description="gunicorn | nginx | combined | a regex with status, time")
    django_log_format: str = Field("time-first", description="time-first | level-first | bracketed | a regex with "
                                                             "level, time (gate.logs.parse.DJANGO_FORMATS)")
    rollback_smoke_paths: str = Field("", description="RBK-03's paths under API_PREFIX, comma-separated "
                                      "(default: /health/,/products/,/categories/)")
    rollback_smoke_wait_s: float = Field(20.0, ge=0, description="RBK-03: how long the application may take to come up")
    monitor_interval_minutes: float = Field(15.0, gt=0)
    monitor_duration_hours: float = Field(24.0, gt=0)
    monitor_rounds: int = Field(0, ge=0, description="make monitor stops after this many rounds (0: at the end of MONITOR_DURATION_HOURS)")
    postflight_workers: int = Field(2, ge=0)
    runbook: Path = Field(REPO.parent / "shared" / "seed" / "migration-guide-productvariant.md")
    window_checks: bool = Field(True, description="false: run the bare steps (benchmark of the gate's overhead)")
    gate_live: bool = Field(True, description="0: plain lines instead of the live view on a terminal")
    onec_checkauth_url: str | None = Field(None, description="default BASE_URL+API_PREFIX/integration/1c/exchange/")
    runbook_variant_tools: list[str] = Field(
        default_factory=lambda: ["sudo", "nginx", "supervisorctl"],
        description="runbook tools this target replaces by a setting (none: check them all)")

    _protected = field_validator("protected_tables", "qa_gate_stories", "volatile_columns", mode="before")(_csv)
    runbook_paths: list[str] = Field(
        default_factory=list,
        description="runbook path=path on the target, comma-separated ('.' = where the runbook's commands start); "
                    "default: the bundled backend's own places when BACKEND_DIR is the bundled one")
    _window_lists = field_validator("expected_plan", "product_tables", "runbook_variant_tools", "api_price_fields",
                                    mode="before")(_csv)
    _runbook_paths = field_validator("runbook_paths", mode="before")(_csv)

    @field_validator("window_start", "window_end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value

    @field_validator("window_tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _dsn(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
            raise ValueError("expected postgresql://user:password@host:port/dbname")
        return value

    @field_validator("trial_db_env")
    @classmethod
    def _handoff(cls, value: str) -> str:
        from gate.handoff import Handoff

        Handoff.parse(value)
        return value

    @field_validator("api_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return "/" + value.strip("/") if value.strip("/") else ""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        *_: PydanticBaseSettingsSource, **__: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    # derived -------------------------------------------------------------------------
    @property
    def target(self) -> str:
        """The target DSN without its password (safe to print and record).

        >>> Settings(database_url="postgresql://u:secret@h:6543/db").target
        'postgresql://u@h:6543/db'
        """
        if self.database_url is None:
            return "(no DATABASE_URL)"
        p = urlsplit(self.database_url.get_secret_value())
        user = f"{p.username}@" if p.username else ""
        return f"postgresql://{user}{p.hostname or 'localhost'}:{p.port or 5432}{p.path}"

    @property
    def volatile_map(self) -> dict[str, list[str]]:
        """``VOLATILE_COLUMNS`` as ``{table: [column, …]}`` (``none``: empty).

        >>> Settings(volatile_columns="users.last_login,users.updated_at").volatile_map
        {'users': ['last_login', 'updated_at']}
        """
        out: dict[str, list[str]] = {}
        for item in self.volatile_columns:
            if item.lower() == "none":
                return {}
            table, sep, column = item.rpartition(".")
            if not sep or not table or not column:
                raise SettingsError(f"VOLATILE_COLUMNS: expected table.column, got {item!r}")
            out.setdefault(table, []).append(column)
        return out

    @property
    def is_bundled(self) -> bool:
        """The target is the bundled backend: ``BACKEND_DIR`` is this repository's ``backend/`` or a copy of
        it (the rehearsal's faults alter copies). Only then may a check read the gate's own files (QA
        gates, deployment scripts) as the target's.
        """
        bundled = REPO / "backend"
        if self.backend_dir.resolve() == bundled.resolve():
            return True
        marker = "apps/products/services/legacy_seed.py"
        try:
            return ((self.backend_dir / "manage.py").read_bytes() == (bundled / "manage.py").read_bytes()
                    and (self.backend_dir / marker).read_bytes() == (bundled / marker).read_bytes())
        except OSError:
            return False

    @property
    def onec_url(self) -> str:
        """The 1C exchange URL ONE-01 calls and RUN-03 resolves: ``ONEC_HEALTHCHECK_URL``, else
        ``ONEC_CHECKAUTH_URL``, else ``BASE_URL``+``API_PREFIX``/integration/1c/exchange/?…checkauth."""
        return self.onec_healthcheck_url or self.onec_checkauth_url or self.api_url(
            "/integration/1c/exchange/?type=catalog&mode=checkauth")

    def dsn(self) -> str:
        """The target DSN with its password: hand it to libpq, never print it."""
        if self.database_url is None:
            raise SettingsError("DATABASE_URL is not set: the gate has no target database")
        return self.database_url.get_secret_value()

    def check_dsn(self) -> str:
        """The DSN of the checks' target connection: ``GATE_DATABASE_URL`` (a role that can write nothing) or ``dsn()``."""
        return self.gate_database_url.get_secret_value() if self.gate_database_url else self.dsn()

    def libpq_env(self) -> dict[str, str]:
        """PG* variables for ``pg_dump``/``psql`` so the password never reaches argv.

        >>> Settings(database_url="postgresql://u:p%40w@h:1/db").libpq_env()["PGPASSWORD"]
        'p@w'
        """
        return libpq_env(self.dsn())

    @property
    def manage_argv(self) -> list[str]:
        """``MANAGE_CMD`` split like a shell would (default: the bundled backend in this venv)."""
        if self.manage_cmd:
            return shlex.split(self.manage_cmd)
        return [str(toolpaths.VENV_PYTHON), str(self.backend_dir / "manage.py")]

    def api_url(self, path: str) -> str:
        """``BASE_URL`` + ``API_PREFIX`` + path.

        >>> Settings(base_url="http://x:8000/").api_url("/products/")
        'http://x:8000/api/products/'
        """
        return self.base_url.rstrip("/") + self.api_prefix + "/" + path.lstrip("/")

    def tool(self, name: str) -> str:
        """A PostgreSQL client tool from ``PG_BIN_DIR`` (never a ``PATH`` lookup)."""
        return str(self.pg_bin_dir / name)


def default_backup_jobs() -> int:
    """``pg_dump``/``pg_restore -j``: one job a core, 2 to 8."""
    return max(2, min(8, os.cpu_count() or 2))


def default_pg_bin_dir() -> Path:
    """Where ``scripts/bootstrap/postgres.sh`` found or installed PostgreSQL (Debian's path before it ran)."""
    return toolpaths.optional("pg-bin") or Path("/usr/lib/postgresql/15/bin")


def libpq_env(dsn: str) -> dict[str, str]:
    """Split a ``postgresql://`` DSN into libpq environment variables (password included)."""
    p = urlsplit(dsn)
    env = {
        "PGHOST": p.hostname or "localhost",
        "PGPORT": str(p.port or 5432),
        "PGDATABASE": unquote(p.path.lstrip("/")),
    }
    if p.username:
        env["PGUSER"] = unquote(p.username)
    if p.password is not None:
        env["PGPASSWORD"] = unquote(p.password)
    return env


def dsn_without_password(dsn: str) -> str:
    """A DSN safe to pass on argv: the password goes through ``PGPASSWORD`` instead.

    >>> dsn_without_password("postgresql://u:pw@h:5/db")
    'postgresql://u@h:5/db'
    """
    p = urlsplit(dsn)
    user = f"{quote(unquote(p.username))}@" if p.username else ""
    port = f":{p.port}" if p.port else ""
    query = f"?{p.query}" if p.query else ""
    return f"postgresql://{user}{p.hostname or 'localhost'}{port}{p.path}{query}"


def resolve_env_file(environ: dict[str, str]) -> Path | None:
    """``ENV_FILE`` when set (must exist), else ``var/local.env`` when it exists, else none."""
    named = environ.get("ENV_FILE")
    if named:
        path = Path(named)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists():
            raise SettingsError(f"ENV_FILE={named}: no such file")
        return path
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.exists() else None


NO_TARGET = ("no target: DATABASE_URL is not set, no ENV_FILE is given and there is no var/local.env — "
             "run `make local-target` for a local FreeSport, or set ENV_FILE=<your target's env file>")


def no_target(environ: dict[str, str] | None = None) -> str | None:
    """:data:`NO_TARGET` when nothing names a target at all (no ``DATABASE_URL``, ``ENV_FILE`` nor var/local.env)."""
    env = os.environ if environ is None else environ
    if env.get("DATABASE_URL") or env.get("ENV_FILE") or DEFAULT_ENV_FILE.exists():
        return None
    return NO_TARGET


def run_location(environ: dict[str, str] | None = None) -> tuple[Path | None, str | None]:
    """``RUN_DIR`` and ``RUN_ID`` alone, for a caller whose settings did not load (the run is still recorded).

    >>> run_location({"RUN_DIR": "/r", "RUN_ID": ""})
    (PosixPath('/r'), None)
    """
    env = os.environ if environ is None else environ
    return (Path(env["RUN_DIR"]) if env.get("RUN_DIR") else None), env.get("RUN_ID") or None


_UNSET = object()


class SettingsWarning(UserWarning):
    """A settings problem that does not stop the gate (e.g. an env-file key that looks like a misspelt setting)."""


def misspelt_keys(from_file: dict[str, tuple[str, int]], path: object) -> list[str]:
    """Env-file keys that are no setting but look like one (``DATABSE_URL``): one message each, with file:line.

    >>> misspelt_keys({"DATABSE_URL": ("x", 3), "PATH": ("/bin", 4)}, "var/local.env")
    ['var/local.env:3: DATABSE_URL is not a setting and is ignored: did you mean DATABASE_URL?']
    """
    import difflib

    known = [name.upper() for name in Settings.model_fields]
    found = []
    for key, (_, line) in from_file.items():
        if key.lower() in Settings.model_fields or key in IGNORED_ENV_KEYS:
            continue
        close = difflib.get_close_matches(key.upper(), known, n=1, cutoff=0.85)
        if close:
            found.append(f"{path}:{line}: {key} is not a setting and is ignored: did you mean {close[0]}?")
    return found


_ANNOUNCED: set[str] = set()
"""Env-file warnings already said in this process (printed or warned): said once, not at every load."""


def env_file_warnings(environ: dict[str, str] | None = None) -> list[str]:
    """The env file's keys that look like a misspelt setting (see :func:`misspelt_keys`); none when it is unreadable.

    >>> import tempfile; f = Path(tempfile.mkstemp()[1]); _ = f.write_text("DATABSE_URL=x\\n")
    >>> env_file_warnings({"ENV_FILE": str(f)})[0].endswith(":1: DATABSE_URL is not a setting and is ignored: did you mean DATABASE_URL?")
    True
    """
    env = dict(os.environ if environ is None else environ)
    try:
        path = resolve_env_file(env)
        return misspelt_keys(read_env_file(path), path) if path else []
    except (SettingsError, OSError):
        return []


def announce_env_file_warnings(stream: TextIO, environ: dict[str, str] | None = None) -> list[str]:
    """Write each env-file warning to ``stream`` once per process (``settings WARNING: …``); return them all.

    :func:`load_settings` then stays quiet about the ones said here.
    """
    found = env_file_warnings(environ)
    for message in found:
        if message not in _ANNOUNCED:
            _ANNOUNCED.add(message)
            stream.write(f"settings WARNING: {message}\n")
    stream.flush()
    return found


def _secret_fields() -> set[str]:
    return {name for name, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)}


def known_secrets(environ: dict[str, str] | None = None) -> list[str]:
    """The literal secret values of the settings (and passwords inside their URLs), longest first.

    Read without validation, so a run whose settings are wrong still knows what not to print.

    >>> known_secrets({"DATABASE_URL": "postgresql://u:pw%21x@h/db", "CI_TOKEN": "tok123", "ENV_FILE": ""})
    ['pw%21x', 'tok123', 'pw!x']
    """
    env = dict(os.environ if environ is None else environ)
    try:
        path = resolve_env_file(env)
        raw = {k: v for k, (v, _) in read_env_file(path).items()} if path else {}
    except (SettingsError, OSError):
        raw = {}
    raw.update(env)
    secret = _secret_fields()
    values: set[str] = set()
    for key, value in raw.items():
        if not value:
            continue
        password = None
        if "://" in value:
            with contextlib.suppress(ValueError):
                password = urlsplit(value).password
            if password and len(password) >= 4:
                values.update({password, unquote(password)})
        if key.lower() in secret and not password:
            values.add(value)
    return sorted(values, key=lambda v: (-len(v), v))


def load_settings(environ: dict[str, str] | None = None, env_file: Path | None | object = _UNSET) -> Settings:
    """Build the settings from ``environ`` (default ``os.environ``) over the env file.

    >>> try:
    ...     load_settings(environ={"BACKUP_JOBS": "x"}, env_file=None)
    ... except SettingsError as exc:
    ...     print(exc)
    BACKUP_JOBS (from the environment): Input should be a valid integer, unable to parse string as an integer
    """
    env = dict(os.environ if environ is None else environ)
    path = resolve_env_file(env) if env_file is _UNSET else env_file
    from_file: dict[str, tuple[str, int]] = read_env_file(path) if isinstance(path, Path) else {}
    fields = Settings.model_fields
    values: dict[str, Any] = {}  # raw strings: Settings(**values) validates each into its field's type
    origin: dict[str, str] = {}
    for key, (value, line) in from_file.items():
        if key.lower() in fields:
            values[key.lower()] = value
            origin[key.lower()] = f"{path}:{line}"
    for message in misspelt_keys(from_file, path):
        if message not in _ANNOUNCED:
            _ANNOUNCED.add(message)
            warnings.warn(message, SettingsWarning, stacklevel=2)
    for key, value in env.items():
        if key.lower() in fields and key.isupper():
            values[key.lower()] = value
            origin[key.lower()] = "the environment"
    for key in [k for k, v in values.items() if v == "" and k != "manage_cmd"]:
        values.pop(key)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            where = origin.get(name, "default")
            problems.append(f"{name.upper()} (from {where}): {err['msg']}")
        raise SettingsError("; ".join(problems)) from None
