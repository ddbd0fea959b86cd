"""Redaction of secrets in anything a person or a chat channel will read.

Everything the report and the notifier print is escaped, but escaping does not hide a
password: a check message may quote a connection URL, a traceback may show a webhook.
This pass is the defence in depth: credentials inside URLs, ``key=value`` pairs whose key
names a secret, bearer tokens, Slack-style webhook paths, and the literal values of secret
environment variables (``*PASSWORD*``, ``*SECRET*``, ``*TOKEN*``, ``NOTIFY_WEBHOOK_URL``...)
are replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

MASK: Final = "***"

_URL_CREDENTIALS: Final = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^/\s:@'\"<>]*):(?P<pw>[^/\s@'\"<>]+)@")
_KEY_VALUE: Final = re.compile(
    r"(?P<key>\b[\w.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)[\w.\-]*)"
    r"(?P<sep>\s*[=:]\s*|\"\s*:\s*\")(?P<quote>['\"]?)(?P<value>[^\s'\",;&}]+)",
    re.IGNORECASE,
)
_BEARER: Final = re.compile(r"(?P<kw>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{8,}", re.IGNORECASE)
_WEBHOOK_PATH: Final = re.compile(r"(?P<base>https?://[^/\s'\"<>]+/(?:services|hooks|webhook|webhooks|api/webhooks)/)[^\s'\"<>]+", re.IGNORECASE)
_SECRET_ENV_NAME: Final = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|WEBHOOK|PRIVATE_KEY|DATABASE_URL|CREDENTIAL", re.IGNORECASE)
_MIN_SECRET_LEN: Final = 6


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Literal secret values from the environment, longest first (so overlapping values mask whole)."""
    env = os.environ if environ is None else environ
    values: set[str] = set()
    for name, value in env.items():
        if not value or not _SECRET_ENV_NAME.search(name):
            continue
        if "://" in value:
            match = _URL_CREDENTIALS.search(value)
            if match and len(match.group("pw")) >= _MIN_SECRET_LEN:
                values.add(match.group("pw"))
            if "WEBHOOK" in name.upper() and len(value) >= _MIN_SECRET_LEN:
                values.add(value)
            continue
        if len(value) >= _MIN_SECRET_LEN:
            values.add(value)
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None, known: Iterable[str] = ()) -> str:
    """Return ``text`` with every recognisable secret replaced by ``***``.

    ``known``: literal secrets besides the environment's (``gate.settings.known_secrets``: the env file's).

    >>> redact("postgresql://gate:s3cret@db:5432/shop")
    'postgresql://gate:***@db:5432/shop'
    >>> redact('conninfo = "user=gate password=s3cret host=db"')
    'conninfo = "user=gate password=*** host=db"'
    """
    if not text:
        return text
    extra = [v for v in known if len(v) >= 4]
    for value in sorted({*secret_values(environ), *extra}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK) if "://" in value else _whole(value).sub(MASK, text)
    text = _WEBHOOK_PATH.sub(lambda m: m.group("base") + MASK, text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{m.group('quote')}{MASK}", text)
    return _BEARER.sub(lambda m: m.group("kw") + MASK, text)


def _whole(value: str) -> re.Pattern[str]:
    """``value`` as a whole token: a password ``postgres`` must not eat ``postgresql://``."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(value)}(?![A-Za-z0-9_])")


def redact_obj(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Redact every string inside a JSON-like structure (dict keys are kept as they are)."""
    if isinstance(value, str):
        return redact(value, environ)
    if isinstance(value, Mapping):
        return {k: redact_obj(v, environ) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v, environ) for v in value]
    return value
