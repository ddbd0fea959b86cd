"""Post a window event to the webhook and record every attempt with its answer.

The record is the proof the team was told (PRE-05) and the trace when they were not: each
line of ``RUN_DIR/notifications.jsonl`` holds the event, the verdict, the outcome
(``sent``/``failed``/``skipped``), the HTTP status or the error, and the text that was sent —
never the webhook URL itself (its path is the credential), only its scheme and host.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TypedDict
from urllib.parse import urlsplit

import requests

from gate.notify.messages import payload
from gate.redact import MASK, redact
from gate.report.matrix import decide_explanation
from gate.report.run_view import Run, load_run
from gate.settings import Settings

EVENTS: Final = ("start", "verdict", "end")
RECORD_NAME: Final = "notifications.jsonl"
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_ATTEMPTS: Final = 2
log = logging.getLogger("gate.notify")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One post (or the decision not to post) as recorded in notifications.jsonl."""

    ts: str
    event: str
    run_id: str
    verdict: str
    deciding_check: str | None
    status: str
    attempt: int
    webhook: str | None
    http_status: int | None
    answer: str
    error: str | None
    duration_ms: int
    text: str

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def webhook_label(url: str) -> str:
    """``https://hooks.slack.com/***``: enough to tell which service, nothing to post with."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/{MASK}"


def _scrub(text: str, url: str | None) -> str:
    """Redact, and remove the webhook URL and its path wherever an error message quotes them."""
    if url:
        parts = urlsplit(url)
        for secret in (url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path):
            if secret and secret != "/":
                text = text.replace(secret, MASK)
    return redact(text)


def _record(run_dir: Path, attempt: Attempt) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / RECORD_NAME).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(attempt), ensure_ascii=False) + "\n")


def read_record(run_dir: Path) -> list[dict[str, object]]:
    """Every recorded attempt of a run (what PRE-05 reads)."""
    path = run_dir / RECORD_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True, slots=True)
class _Context:
    """What every attempt of one notification shares."""

    event: str
    run: Run
    url: str
    text: str
    deciding_check: str | None

    def attempt(self, status: str, n: int, *, http_status: int | None = None, answer: str = "",
                error: str | None = None, started: float | None = None) -> Attempt:  # fmt: skip
        return Attempt(
            ts=datetime.now(UTC).isoformat(), event=self.event, run_id=self.run.run_id, verdict=self.run.verdict,
            deciding_check=self.deciding_check, status=status, attempt=n,
            webhook=webhook_label(self.url) if self.url else None, http_status=http_status,
            answer=_scrub(answer[:500], self.url), error=_scrub(error, self.url) if error else None,
            duration_ms=int((time.monotonic() - started) * 1000) if started else 0, text=self.text,
        )  # fmt: skip


class NotifyArgs(TypedDict):
    """``notify()``'s keyword arguments taken from the settings."""

    webhook_url: str | None
    timeout: float
    channel: str | None


def notify_args(settings: Settings) -> NotifyArgs:
    """``notify()``'s keyword arguments from the settings (``NOTIFY_WEBHOOK_URL``, ``NOTIFY_TIMEOUT_S``, ``NOTIFY_CHANNEL``)."""
    hook = settings.notify_webhook_url
    return {"webhook_url": hook.get_secret_value() if hook is not None else None,
            "timeout": settings.notify_timeout_s, "channel": settings.notify_channel}


def notify(event: str, run_dir: Path | str, webhook_url: str | None = None, *, timeout: float | None = None,
           channel: str | None = None) -> list[Attempt]:  # fmt: skip
    """Post ``event`` for the run in ``run_dir``; record and return every attempt. Never raises on delivery.

    ``verdict`` is only posted for a verdict other than GO (recorded as skipped otherwise);
    without a webhook (``NOTIFY_WEBHOOK_URL`` unset) nothing is posted and that is recorded too,
    so PRE-05 reports the notification as a manual item instead of a silent pass. The webhook,
    ``timeout`` and ``channel`` are the caller's settings (``notify_args``), never read here.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r} (known: {', '.join(EVENTS)})")
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    url = webhook_url or ""
    timeout = timeout if timeout is not None else DEFAULT_TIMEOUT_S
    body = json.loads(_scrub(json.dumps(payload(event, run, channel), ensure_ascii=False), url))
    ctx = _Context(event, run, url, body["text"], decide_explanation(run).deciding_check)
    if event == "verdict" and run.verdict == "GO":
        done = [ctx.attempt("skipped", 0, error="verdict GO: only a verdict other than GO is announced")]
    elif not url:
        done = [ctx.attempt("skipped", 0, error="NOTIFY_WEBHOOK_URL not set: the team was not notified by the gate")]
        log.warning("notify %s: NOTIFY_WEBHOOK_URL is not set, nothing was posted", event)
    else:
        done = _post(ctx, body, timeout)
    for item in done:
        _record(run_dir, item)
    return done


def _post(ctx: _Context, body: dict[str, object], timeout: float) -> list[Attempt]:
    """Up to MAX_ATTEMPTS posts: retried on a connection error, a 5xx or a 429; each one recorded."""
    done: list[Attempt] = []
    for n in range(1, MAX_ATTEMPTS + 1):
        started = time.monotonic()
        try:
            response = requests.post(ctx.url, json=body, timeout=timeout)
        except requests.RequestException as exc:
            done.append(ctx.attempt("failed", n, error=f"{type(exc).__name__}: {exc}", started=started))
            log.warning("notify: webhook unreachable (attempt %d/%d): %s", n, MAX_ATTEMPTS, done[-1].error)
            continue
        if 200 <= response.status_code < 300:
            done.append(ctx.attempt("sent", n, http_status=response.status_code, answer=response.text, started=started))
            return done
        done.append(ctx.attempt("failed", n, http_status=response.status_code, answer=response.text,
                                error=f"HTTP {response.status_code}", started=started))  # fmt: skip
        log.warning("notify: webhook answered HTTP %d (attempt %d/%d)", response.status_code, n, MAX_ATTEMPTS)
        if response.status_code < 500 and response.status_code != 429:
            break
    return done


def was_notified(run_dir: Path | str, event: str = "start") -> tuple[bool, str]:
    """PRE-05's question: was ``event`` delivered for this run? ``(False, reason)`` says why not.

    >>> was_notified("var/runs/latest")  # doctest: +SKIP
    (True, 'start sent: HTTP 200 from https://hooks.slack.com/***')
    """
    rows = [r for r in read_record(Path(run_dir)) if r.get("event") == event]
    if not rows:
        return False, f"no {event} notification recorded in {RECORD_NAME}"
    sent = next((r for r in rows if r.get("status") == "sent"), None)
    if sent:
        return True, f"{event} sent: HTTP {sent.get('http_status')} from {sent.get('webhook')}"
    last = rows[-1]
    return False, f"{event} not delivered: {last.get('error') or last.get('status')}"
