"""One headless chromium driven over ``--remote-debugging-pipe``: measure a page, then screenshot it whole.

The command-line way (:func:`gate.report.browser.screenshot_whole_page`'s fallback) starts chromium
twice, once to measure the page's height with a probe script and once to screenshot it at that
height: two browser start-ups, ≈ 1.5 s each on a loaded 2-core machine, on the rehearsal's
critical path (the PNG is the report's slowest part). Over the DevTools pipe one browser loads the
page, reads ``scrollHeight``, resizes its viewport and captures the same PNG. No network, no inline
script added to the page (the page's Content-Security-Policy stays), nothing but the standard library:
the protocol is NUL-separated JSON on file descriptors 3 (to chromium) and 4 (from chromium).

>>> screenshot(Path("signoff.html"), Path("signoff.png"), 1100)   # doctest: +SKIP
6626
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

Message = dict[str, object]
"""One protocol message (JSON object)."""


class DevToolsError(RuntimeError):
    """Chromium did not do what the protocol asked (or went away)."""


class Pipe:
    """The browser end of ``--remote-debugging-pipe``: commands with ids, events kept until asked for."""

    def __init__(self, write_fd: int, read_fd: int, timeout_s: float) -> None:
        self.write_fd, self.read_fd, self.timeout_s = write_fd, read_fd, timeout_s
        self.buffer = b""
        self.last_id = 0
        self.events: list[Message] = []

    def _read(self, deadline: float) -> Message:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise DevToolsError(f"chromium did not answer within {self.timeout_s:.0f}s")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise DevToolsError("chromium closed its DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: Message = json.loads(raw)
        return message

    def call(self, method: str, params: Message | None = None, session: str | None = None) -> Message:
        """Send one command and return its result (events arriving meanwhile are kept)."""
        self.last_id += 1
        message: Message = {"id": self.last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        try:
            os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise DevToolsError(f"{method}: chromium's DevTools pipe is closed ({exc})") from None
        deadline = time.monotonic() + self.timeout_s
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error']}")
                result = answer.get("result", {})
                return result if isinstance(result, dict) else {}
            self.events.append(answer)

    def wait_for(self, event: str, session: str) -> Message:
        """The first ``event`` of ``session`` (already received or still to come)."""
        for index, message in enumerate(self.events):
            if message.get("method") == event and message.get("sessionId") == session:
                return self.events.pop(index)
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read(deadline)
            if message.get("method") == event and message.get("sessionId") == session:
                return message
            self.events.append(message)


def _field(message: Message, *path: str) -> object:
    """``message[path[0]][path[1]]…``; a missing or misshapen field is a :class:`DevToolsError`."""
    value: object = message
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise DevToolsError(f"unexpected answer from chromium (no {'.'.join(path)}): {str(message)[:200]}")
        value = value[key]
    return value


def _above(fd: int, lowest: int = 10) -> int:
    """``fd`` moved to a number ≥ ``lowest`` (so that putting the pipe on 3 and 4 cannot overwrite it)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)
    os.close(fd)
    return moved


@contextlib.contextmanager
def chromium_pipe(binary: Path, flags: Sequence[str], timeout_s: float = 60.0) -> Iterator[Pipe]:
    """A headless chromium with its DevTools pipe on fds 3/4 (a bash ``exec`` puts them there: no preexec_fn)."""
    to_chromium_r, to_chromium_w = (_above(fd) for fd in os.pipe())
    from_chromium_r, from_chromium_w = (_above(fd) for fd in os.pipe())
    with tempfile.TemporaryDirectory(prefix="gate-chromium-") as profile:
        argv = ["bash", "-c", f'exec 3<&{to_chromium_r} 4>&{from_chromium_w} {to_chromium_r}<&- {from_chromium_w}>&-; '
                'exec "$@"', "bash", str(binary), *flags, f"--user-data-dir={profile}",
                "--remote-debugging-pipe", "about:blank"]
        try:
            proc = subprocess.Popen(argv, pass_fds=(to_chromium_r, from_chromium_w), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.close(to_chromium_r)
            os.close(from_chromium_w)
        pipe = Pipe(to_chromium_w, from_chromium_r, timeout_s)
        try:
            yield pipe
            with contextlib.suppress(DevToolsError):
                pipe.call("Browser.close")
        finally:
            os.close(to_chromium_w)
            os.close(from_chromium_r)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def screenshot(page: Path, png: Path, width: int, max_height: int, binary: Path, flags: Sequence[str],
               timeout_s: float = 60.0) -> int:
    """A PNG of the whole of ``page`` laid out ``width`` px wide (up to ``max_height``); returns its height."""
    with chromium_pipe(binary, flags, timeout_s) as pipe:
        target = _field(pipe.call("Target.createTarget", {"url": "about:blank"}), "targetId")
        session = str(_field(pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True}), "sessionId"))
        pipe.call("Page.enable", session=session)
        metrics: Message = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}
        pipe.call("Emulation.setDeviceMetricsOverride", metrics, session=session)
        pipe.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired", session)
        measured = pipe.call("Runtime.evaluate", {"expression": "Math.ceil(document.documentElement.scrollHeight)",
                                                  "returnByValue": True}, session=session)
        height = min(int(str(_field(measured, "result", "value"))), max_height)
        pipe.call("Emulation.setDeviceMetricsOverride", {**metrics, "height": height}, session=session)
        shot = pipe.call("Page.captureScreenshot", {"format": "png", "clip": {
            "x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session=session)
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(base64.b64decode(str(_field(shot, "data"))))
    return height
