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

import os
import re
import shlex
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = REPO / "var" / "local.env"
DEFAULT_PROTECTED = ("orders", "order_items", "carts", "cart_items", "users", "favorites")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable (and file:line)."""


def _csv(value: Any) -> Any:
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
    # 1C
    onec_data_dir: Path = REPO / "backend" / "sample_data" / "commerceml"
    onec_healthcheck_url: str | None = None
    onec_exchange_user: str | None = None
    onec_exchange_password: SecretStr | None = None
    # runs and backups
    run_id: str | None = None
    run_dir: Path | None = None
    runs_root: Path = REPO / "var" / "runs"
    backup_dir: Path = REPO / "var" / "backups"
    backup_format: Literal["custom", "directory"] = "custom"
    backup_jobs: int = Field(2, ge=1, le=64)
    backup_min_free_factor: float = Field(2.0, ge=0)
    backup_free_bytes: int | None = Field(None, ge=0, description="test override of the free disk space")
    pg_bin_dir: Path = Path("/usr/lib/postgresql/15/bin")
    disposable_pg: Literal["auto", "container", "local", "existing"] = "auto"
    disposable_pg_url: SecretStr | None = Field(None, description="superuser URL of the server DISPOSABLE_PG=existing uses")
    rehearsal_source_dump: Path | None = None
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
    product_tables: list[str] = Field(default_factory=lambda: ["products", "product_variants"])
    color_table: str = "color_mappings"
    category_table: str = "categories"
    min_colors: int = 20
    api_sample_size: int = Field(10, ge=1)
    api_sample_seed: int = 13
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
    monitor_interval_minutes: float = Field(15.0, gt=0)
    monitor_duration_hours: float = Field(24.0, gt=0)
    postflight_workers: int = Field(2, ge=0)
    runbook: Path = Field(REPO.parent / "shared" / "seed" / "migration-guide-productvariant.md")
    window_checks: bool = Field(True, description="false: run the bare steps (benchmark of the gate's overhead)")
    onec_checkauth_url: str | None = Field(None, description="default BASE_URL+API_PREFIX/integration/1c/exchange/")
    runbook_variant_tools: list[str] = Field(
        default_factory=lambda: ["sudo", "nginx", "supervisorctl"],
        description="runbook tools this target replaces by a setting (none: check them all)")

    _protected = field_validator("protected_tables", "qa_gate_stories", "volatile_columns", mode="before")(_csv)
    runbook_paths: list[str] = Field(
        default_factory=list,
        description="runbook path=path on the target, comma-separated ('.' = where the runbook's commands start); "
                    "default: the bundled backend's own places when BACKEND_DIR is the bundled one")
    _window_lists = field_validator("expected_plan", "product_tables", "runbook_variant_tools", mode="before")(_csv)
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

    @field_validator("api_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return "/" + value.strip("/") if value.strip("/") else ""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_: Any, **__: Any
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
        return [str(REPO / ".venv" / "bin" / "python"), str(self.backend_dir / "manage.py")]

    def api_url(self, path: str) -> str:
        """``BASE_URL`` + ``API_PREFIX`` + path.

        >>> Settings(base_url="http://x:8000/").api_url("/products/")
        'http://x:8000/api/products/'
        """
        return self.base_url.rstrip("/") + self.api_prefix + "/" + path.lstrip("/")

    def tool(self, name: str) -> str:
        """A PostgreSQL client tool from ``PG_BIN_DIR`` (falls back to PATH)."""
        candidate = self.pg_bin_dir / name
        return str(candidate) if candidate.exists() else name


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


_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env_file(path: Path) -> dict[str, tuple[str, int]]:
    """``KEY=value`` lines of an env file with their line numbers (comments, ``export``, quotes ok).

    >>> import tempfile; f = Path(tempfile.mkstemp()[1]); _ = f.write_text("# c\\nA='x y'\\n")
    >>> read_env_file(f)
    {'A': ('x y', 2)}
    """
    values: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match:
            raise SettingsError(f"{path}:{number}: not a KEY=value line")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = (value, number)
    return values


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


_UNSET = object()


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
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, (value, line) in from_file.items():
        if key.lower() in fields:
            values[key.lower()] = value
            origin[key.lower()] = f"{path}:{line}"
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
