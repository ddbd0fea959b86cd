"""Hand a database to the target's code: a template over host, port, name, user, password, url → env vars.

The gate makes throw-away copies of the target's database (MIG-05's trial migration, the
rehearsal) and must then run the *release's* ``manage.py`` against the copy, never against the
target. How a deployment's settings find their database differs: ``DATABASE_URL``
(dj-database-url, the bundled backend), ``DB_NAME``/``DB_HOST``/… (hand-written settings),
``POSTGRES_*`` (docker images), ``PG*`` (libpq). A *handoff* is the list of environment
variables to set, each a template over the copy's coordinates; presets name the common ones.

Spec syntax (the setting ``TRIAL_DB_ENV``): whitespace- or comma-separated items, each a preset
name (``database_url``, ``db_parts``, ``postgres_parts``, ``libpq``) or ``NAME=template`` with
placeholders ``{host} {port} {name} {user} {password} {url}``.

>>> h = Handoff.parse("db_parts")
>>> sorted(h.env(DbCoordinates("127.0.0.1", 5433, "copy", "gate", "pw")).items())[:2]
[('DB_HOST', '127.0.0.1'), ('DB_NAME', 'copy')]
>>> Handoff.parse("DATABASE_URL={url}").env(DbCoordinates("h", 1, "d", "u", "p@w"))
{'DATABASE_URL': 'postgresql://u:p%40w@h:1/d'}

A command template (``TRIAL_MANAGE_CMD``) may use ``{host} {port} {name} {user}``, never
``{password}`` or ``{url}``: secrets do not go on argv; forward the variable instead
(``docker compose run --rm -e DATABASE_URL web python manage.py``).
"""

from __future__ import annotations

import re
import shlex
import string
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote, urlsplit

FIELDS = ("host", "port", "name", "user", "password", "url")
SECRET_FIELDS = frozenset({"password", "url"})

PRESETS: dict[str, tuple[tuple[str, str], ...]] = {
    "database_url": (("DATABASE_URL", "{url}"),),
    "db_parts": (("DB_NAME", "{name}"), ("DB_HOST", "{host}"), ("DB_PORT", "{port}"), ("DB_USER", "{user}"),
                 ("DB_PASSWORD", "{password}")),
    "postgres_parts": (("POSTGRES_DB", "{name}"), ("POSTGRES_HOST", "{host}"), ("POSTGRES_PORT", "{port}"),
                       ("POSTGRES_USER", "{user}"), ("POSTGRES_PASSWORD", "{password}")),
    "libpq": (("PGDATABASE", "{name}"), ("PGHOST", "{host}"), ("PGPORT", "{port}"), ("PGUSER", "{user}"),
              ("PGPASSWORD", "{password}")),
}
"""The common ways a Django settings module reads its database, by name."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class HandoffError(ValueError):
    """A handoff spec or command template is wrong; the message names the setting and the item."""


@dataclass(frozen=True, slots=True)
class DbCoordinates:
    """Where a database is: host, port, name, user and password (the password never in ``repr``).

    >>> DbCoordinates.from_url("postgresql://u:s%2Fx@db:6543/shop")
    DbCoordinates(host='db', port=6543, name='shop', user='u')
    """

    host: str
    port: int
    name: str
    user: str
    password: str = field(default="", repr=False)

    @classmethod
    def from_url(cls, url: str) -> DbCoordinates:
        """The coordinates of a ``postgresql://`` URL."""
        p = urlsplit(url)
        return cls(p.hostname or "localhost", p.port or 5432, unquote(p.path.lstrip("/")),
                   unquote(p.username or ""), unquote(p.password or ""))

    @property
    def url(self) -> str:
        """``postgresql://user:password@host:port/name`` (percent-encoded)."""
        auth = quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.name, safe='')}"

    def with_host(self, host: str | None) -> DbCoordinates:
        """The same database as seen from elsewhere (a container reaches the host as ``host.docker.internal``)."""
        return replace(self, host=host) if host else self

    def values(self) -> dict[str, str]:
        """Every placeholder's value."""
        return {"host": self.host, "port": str(self.port), "name": self.name, "user": self.user,
                "password": self.password, "url": self.url}


def _placeholders(template: str, setting: str, allowed: tuple[str, ...]) -> list[str]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise HandoffError(f"{setting}: {template!r}: {exc}") from None
    for name in names:
        if name not in allowed:
            raise HandoffError(f"{setting}: {template!r}: unknown placeholder {{{name}}} "
                               f"(known: {', '.join('{' + f + '}' for f in allowed)})")
    return names


@dataclass(frozen=True, slots=True)
class Handoff:
    """The environment variables that point a deployment's settings at a database."""

    variables: tuple[tuple[str, str], ...]
    setting: str = "TRIAL_DB_ENV"

    @classmethod
    def parse(cls, spec: str, setting: str = "TRIAL_DB_ENV") -> Handoff:
        """Read a spec (presets and ``NAME=template`` items); ``HandoffError`` names the bad item.

        >>> Handoff.parse("database_url, APP_DB_NAME={name}").names
        ('DATABASE_URL', 'APP_DB_NAME')
        >>> Handoff.parse("mysql")
        Traceback (most recent call last):
        ...
        gate.handoff.HandoffError: TRIAL_DB_ENV: 'mysql' is neither a preset (database_url, db_parts, \
postgres_parts, libpq) nor NAME=template
        """
        items: list[tuple[str, str]] = []
        for token in (t for t in re.split(r"[\s,]+", spec.strip()) if t):
            if token in PRESETS:
                items += PRESETS[token]
                continue
            name, sep, template = token.partition("=")
            if not sep or not _NAME.match(name):
                raise HandoffError(f"{setting}: {token!r} is neither a preset ({', '.join(PRESETS)}) "
                                   "nor NAME=template")
            _placeholders(template, setting, FIELDS)
            items.append((name, template))
        if not items:
            raise HandoffError(f"{setting} is empty: name how the release's settings find their database "
                               f"(a preset: {', '.join(PRESETS)}; or NAME={{url}} …)")
        return cls(tuple(dict(items).items()), setting)

    @property
    def names(self) -> tuple[str, ...]:
        """The variables this handoff sets."""
        return tuple(name for name, _ in self.variables)

    def env(self, db: DbCoordinates) -> dict[str, str]:
        """The variables' values for ``db`` (secrets included: give them to a child's environment only)."""
        values = db.values()
        return {name: template.format(**values) for name, template in self.variables}


def command_line(template: str, db: DbCoordinates, setting: str = "TRIAL_MANAGE_CMD") -> str:
    """A command template over the non-secret coordinates, each value shell-quoted.

    >>> command_line("ssh -R {port}:127.0.0.1:{port} prod ./manage.sh", DbCoordinates("h", 5, "d", "u", "p"))
    'ssh -R 5:127.0.0.1:5 prod ./manage.sh'
    >>> command_line("x --db {url}", DbCoordinates("h", 5, "d", "u", "p"))
    Traceback (most recent call last):
    ...
    gate.handoff.HandoffError: TRIAL_MANAGE_CMD: {url} would put a secret on the command line: set it \
through TRIAL_DB_ENV and forward the variable (docker compose run -e NAME, ssh SendEnv)
    """
    allowed = tuple(f for f in FIELDS if f not in SECRET_FIELDS)
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise HandoffError(f"{setting}: {template!r}: {exc}") from None
    for name in names:
        if name in SECRET_FIELDS:
            raise HandoffError(f"{setting}: {{{name}}} would put a secret on the command line: set it through "
                               "TRIAL_DB_ENV and forward the variable (docker compose run -e NAME, ssh SendEnv)")
    _placeholders(template, setting, allowed)
    values = {k: shlex.quote(v) for k, v in db.values().items() if k in allowed}
    return template.format(**values)
