"""Access and application logs as numbers over a time window: requests, 5xx, ERROR lines, latency.

Why logs as well as a burst: the burst measures what the gate sends; the logs show what real
clients got since maintenance went off (MON-01 reads only the logs, for 24 h). Formats:

- ``gunicorn`` (the bundled backend): ``h l u [time] "request" status bytes "ref" "ua" request_time 0.012``
- ``nginx``: the combined format with ``$request_time`` as the last field (the runbook's
  ``awk '{sum+=$NF}'``), also ``request_time=0.012`` / ``rt=0.012``
- ``combined``: no time field; latency is unknown
- anything else: a regex with the named groups ``time`` (``%d/%b/%Y:%H:%M:%S %z``), ``status`` and
  optionally ``seconds``.

django.log lines are ``<asctime> <LEVEL> <logger> <message>`` (one record per line).

>>> e = parse_access_line('1.2.3.4 - - [24/Nov/2026:02:10:00 +0300] "GET /api/products/ HTTP/1.1" 200 5 "-" "c" request_time 0.25')
>>> e.status, e.seconds
(200, 0.25)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

_COMMON = r'^\S+ \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) \S+'
FORMATS: dict[str, str] = {
    "gunicorn": _COMMON + r'.*?request_time[ =](?P<seconds>[\d.]+)\s*$',
    "nginx": _COMMON + r'.*?(?:(?:request_time|rt)[ =:])?(?P<seconds>\d+(?:\.\d+)?)\s*$',
    "combined": _COMMON,
}
ACCESS_TIME = "%d/%b/%Y:%H:%M:%S %z"
_TIME = r"(?P<time>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)"
DJANGO_FORMATS: dict[str, str] = {
    "time-first": r"^" + _TIME + r"\s+(?P<level>[A-Z]+)\s",  # %(asctime)s %(levelname)s … (the bundled backend)
    "level-first": r"^(?P<level>[A-Z]+)\s+" + _TIME + r"\s",  # %(levelname)s %(asctime)s … (Django's "verbose")
    "bracketed": r"^\[" + _TIME + r"\]\s+(?P<level>[A-Z]+)\s",  # [%(asctime)s] %(levelname)s …
}
"""``DJANGO_LOG_FORMAT`` presets; any other value is a regex with ``level`` and ``time`` groups."""


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access log line: when, which request, status, seconds (``None`` when not logged)."""

    time: datetime
    request: str
    status: int
    seconds: float | None


def _pattern(fmt: str) -> re.Pattern[str]:
    return re.compile(FORMATS.get(fmt, fmt))


def parse_access_line(line: str, fmt: str = "gunicorn") -> AccessEntry | None:
    """One line in the given format, ``None`` when it does not match."""
    match = _pattern(fmt).search(line)
    if not match:
        return None
    groups = match.groupdict()
    try:
        when = datetime.strptime(groups["time"], ACCESS_TIME)
    except (KeyError, ValueError):
        return None
    seconds = groups.get("seconds")
    return AccessEntry(when, groups.get("request") or "", int(groups["status"]), float(seconds) if seconds else None)


def _lines(path: Path) -> Iterator[str]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        yield from fh


def access_entries(path: Path, fmt: str = "gunicorn", since: datetime | None = None) -> list[AccessEntry]:
    """Every parsable line of an access log at or after ``since``."""
    out = []
    pattern_fmt = fmt
    for line in _lines(path):
        entry = parse_access_line(line.rstrip("\n"), pattern_fmt)
        if entry is not None and (since is None or entry.time >= since):
            out.append(entry)
    return out


def django_pattern(fmt: str = "time-first") -> re.Pattern[str]:
    """The compiled ``DJANGO_LOG_FORMAT`` (a preset name or a regex with ``level`` and ``time`` groups).

    >>> bool(django_pattern("level-first").match("ERROR 2026-12-04 20:14:04,138 views boom"))
    True
    >>> django_pattern("(?P<level>x")
    Traceback (most recent call last):
    ValueError: DJANGO_LOG_FORMAT: not a preset (time-first, level-first, bracketed) nor a valid regex: missing ), unterminated subpattern at position 0
    """
    try:
        pattern = re.compile(DJANGO_FORMATS.get(fmt, fmt))
    except re.error as exc:
        raise ValueError(f"DJANGO_LOG_FORMAT: not a preset ({', '.join(DJANGO_FORMATS)}) nor a valid regex: {exc}") \
            from None
    if not {"level", "time"} <= set(pattern.groupindex):
        raise ValueError(f"DJANGO_LOG_FORMAT: the regex needs (?P<level>…) and (?P<time>…) groups: {fmt!r}")
    return pattern


def django_errors(path: Path, since: datetime | None = None, fmt: str = "time-first") -> list[str]:
    """ERROR/CRITICAL lines of a django.log at or after ``since`` (naive times are local time).

    ``fmt``: ``DJANGO_LOG_FORMAT`` (``time-first``, ``level-first``, ``bracketed`` or a regex).
    """
    pattern = django_pattern(fmt)
    out = []
    for line in _lines(path):
        match = pattern.match(line)
        if not match or match["level"] not in ("ERROR", "CRITICAL"):
            continue
        if since is not None:
            when = datetime.fromisoformat(match["time"].replace(",", ".")).astimezone()
            if when < since:
                continue
        out.append(line.rstrip("\n"))
    return out


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """Requests, 5xx answers and ERROR log lines over one window, and the rate they give."""

    since: datetime
    requests: int
    server_errors: int
    error_lines: int
    mean_ms: float | None

    @property
    def errors(self) -> int:
        """The larger of 5xx answers and ERROR lines (a 500 usually logs one ERROR: not counted twice)."""
        return max(self.server_errors, self.error_lines)

    @property
    def pct(self) -> float:
        """Errors in percent of requests (0 when there were no requests)."""
        return 100.0 * self.errors / self.requests if self.requests else 0.0

    def describe(self) -> str:
        """One line for the summary."""
        mean = f", mean {self.mean_ms:.0f} ms" if self.mean_ms is not None else ""
        return (f"{self.pct:.2f} % errors ({self.server_errors} 5xx, {self.error_lines} ERROR lines, "
                f"{self.requests} requests since {self.since.isoformat(timespec='seconds')}{mean})")


def error_rate(access: Iterable[AccessEntry], errors: list[str], since: datetime) -> ErrorRate:
    """The error rate and mean response time of the entries at or after ``since``."""
    entries = [e for e in access if e.time >= since]
    timed = [e.seconds for e in entries if e.seconds is not None]
    mean = 1000 * sum(timed) / len(timed) if timed else None
    return ErrorRate(since, len(entries), sum(1 for e in entries if e.status >= 500), len(errors), mean)


def window_start(minutes: float, not_before: datetime | None = None, now: datetime | None = None) -> datetime:
    """``now - minutes``, but never before ``not_before`` (e.g. the moment maintenance went off)."""
    moment = (now or datetime.now().astimezone()) - timedelta(minutes=minutes)
    return max(moment, not_before) if not_before else moment
