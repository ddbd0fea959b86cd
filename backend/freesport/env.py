"""Read settings from the environment, failing with the name of the variable that is wrong.

Operators configure FreeSport only through the environment (the runbook's shell and the gate's
env files), so a typo must say which variable is missing or invalid, never fall back silently.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value, or ``default``; missing without a default is an error."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} is not set: export {name}=... (see README.md, 'Reference backend')")
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true/false, 1/0, yes/no or on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_dir(name: str, default: Path, create: bool = True) -> Path:
    """A directory path; created when missing so a fresh machine can log at once."""
    path = Path(env_str(name, str(default))).expanduser().resolve()
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}={str(path)!r} cannot be created: {exc.strerror}") from None
    return path


def database_from_url(name: str = "DATABASE_URL", conn_max_age: int = 60) -> dict[str, object]:
    """Django's DATABASES entry from a PostgreSQL URL; other engines are refused (PostgreSQL only)."""
    import dj_database_url

    url = env_str(name)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name} must be a PostgreSQL URL (postgresql://user:password@host:port/dbname), "
            f"got scheme {scheme or '(none)'!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} cannot be parsed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database (add /dbname at the end)")
    return dict(config)
