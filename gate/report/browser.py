"""Look at a page as a person would: Debian's headless chromium, from file://, with no network.

Every host is made unresolvable (``--host-resolver-rules``) so a page that still needs the
internet shows it; the net log records what the *page* asked for (chromium's own update and
account pings carry the initiator ``not an origin`` and are ignored).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import toolpaths

BASE_FLAGS: Final = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rendering:
    """What chromium produced for one page: the DOM after scripts ran, and the page's own requests."""

    dom: str
    page_requests: list[str]


def chromium() -> Path | None:
    """The chromium ``scripts/bootstrap/report-tools.sh`` found or installed (``CHROMIUM`` there), or None."""
    found = toolpaths.optional("chromium")
    return found if found is not None and os.access(found, os.X_OK) else None


def available() -> bool:
    """True when the bootstrap's chromium is there."""
    return chromium() is not None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    binary = toolpaths.find("chromium")
    with tempfile.TemporaryDirectory(prefix="gate-chromium-") as profile:
        cmd = [str(binary), *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def page_requests(net_log: Path) -> list[str]:
    """http(s) URLs the page itself requested, read from a chromium ``--log-net-log`` file."""
    try:
        data = json.loads(net_log.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        text = net_log.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
        data = json.loads(text + "]}") if text else {"constants": {"logEventTypes": {}}, "events": []}
    start_job = data["constants"]["logEventTypes"].get("URL_REQUEST_START_JOB")
    urls = []
    for event in data.get("events", []):
        params = event.get("params") or {}
        url = str(params.get("url") or "")
        if event.get("type") == start_job and url.startswith(("http://", "https://")) and params.get("initiator") != "not an origin":
            urls.append(url)
    return urls


def render(page: Path, *, screenshot: Path | None = None, window: tuple[int, int] = (1280, 1800),
           virtual_time_ms: int = 15000, timeout: float = 120) -> Rendering:  # fmt: skip
    """Load ``page`` from file:// once: its DOM, the page's own requests, and a PNG when asked."""
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="gate-netlog-") as tmp:
        net_log = Path(tmp) / "net.json"
        args = [f"--virtual-time-budget={virtual_time_ms}", f"--window-size={window[0]},{window[1]}",
                f"--log-net-log={net_log}"]  # fmt: skip
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.unlink(missing_ok=True)
            args.append(f"--screenshot={screenshot.resolve()}")
        proc = _run([*args, "--dump-dom", url], timeout)
        requests = page_requests(net_log) if net_log.exists() else []
    if screenshot is not None and not screenshot.exists():
        raise RuntimeError(f"chromium wrote no screenshot: {proc.stderr[-2000:]}")
    return Rendering(dom=proc.stdout, page_requests=requests)


HEIGHT_PROBE: Final = (
    "<script>window.addEventListener('load', () => document.body.setAttribute('data-gate-height',"
    " String(Math.ceil(document.documentElement.scrollHeight))));</script>"
)
MAX_HEIGHT: Final = 16000  # chromium's largest headless window is about 16k px tall


def page_height(page: Path, width: int) -> int:
    """The height in CSS px of ``page`` laid out ``width`` px wide (rendered once with a probe script added)."""
    # The probe script needs the page's Content-Security-Policy (no inline scripts) out of the measuring copy.
    html = re.sub(r"<meta[^>]+Content-Security-Policy[^>]*>", "", page.read_text(encoding="utf-8"), flags=re.IGNORECASE)
    cut = html.lower().rfind("</body>")
    probed = html[:cut] + HEIGHT_PROBE + html[cut:] if cut >= 0 else html + HEIGHT_PROBE
    with tempfile.TemporaryDirectory(prefix="gate-height-") as tmp:
        probe = Path(tmp) / page.name
        probe.write_text(probed, encoding="utf-8")
        dom = render(probe, window=(width, 800), virtual_time_ms=1000).dom
    match = re.search(r'data-gate-height="(\d+)"', dom)
    if not match:
        raise RuntimeError(f"could not measure the height of {page}")
    return int(match.group(1))


def screenshot_whole_page(page: Path, png: Path, width: int = 1100) -> int:
    """A PNG of the whole of ``page`` (top to bottom, up to :data:`MAX_HEIGHT`); returns its height."""
    height = min(page_height(page, width), MAX_HEIGHT)
    render(page, screenshot=png, window=(width, height), virtual_time_ms=1000)
    return height


def png_size(png: Path) -> tuple[int, int]:
    """``(width, height)`` of a PNG file, from its IHDR chunk."""
    head = png.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def visible_text(dom: str) -> str:
    """The text a reader sees: the DOM without scripts, styles and tags, whitespace collapsed."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.DOTALL | re.IGNORECASE)
    dom = re.sub(r"<[^>]+>", " ", dom)
    return re.sub(r"\s+", " ", dom).replace("&nbsp;", " ").strip()
