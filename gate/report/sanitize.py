"""Nothing leaves the building: strip every external script and resource from a report.

Allure 3's single-file page embeds Google Tag Manager (an ``<script async src=https://...>``
plus an inline ``gtag()`` block) and its bundle links to allurereport.org and
trace.playwright.dev. A sign-off report is opened on laptops inside the company, often
offline; it must make no request at all. :func:`strip_external` removes the tags, rewrites
the literal URLs inside the base64 bundle, and pins a Content-Security-Policy that forbids
any network fetch; :func:`find_external` is the independent check the tests (and the
generator, before it writes) rely on.
"""

from __future__ import annotations

import base64
import re
from typing import Final

CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "style-src 'unsafe-inline' data: blob:; img-src data: blob:; font-src data:; media-src data: blob:; "
    "connect-src data: blob:; frame-src data: blob:; worker-src data: blob:; form-action 'none'"
)
_EXTERNAL: Final = r"(?:https?:)?//"
_TAG_WITH_EXTERNAL_SRC: Final = re.compile(
    rf"<(script|iframe|embed|object|audio|video|source|track)\b[^>]*?\b(?:src|data)\s*=\s*[\"']?{_EXTERNAL}[^>]*>"
    r"(?:.*?</\1\s*>)?",
    re.IGNORECASE | re.DOTALL,
)
_VOID_WITH_EXTERNAL: Final = re.compile(
    rf"<(?:link|img|image|base|meta)\b[^>]*?\b(?:href|src|srcset|content)\s*=\s*[\"']?[^\"'>]*?{_EXTERNAL}[^>]*>",
    re.IGNORECASE,
)
_INLINE_SCRIPT: Final = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TRACKING: Final = re.compile(r"googletagmanager|google-analytics|gtag\(|dataLayer|_paq\.push|ym\(\d", re.IGNORECASE)
_JSON_URL: Final = re.compile(r'"(?:https?:)?//[^"]*"')
_ANCHOR_EXTERNAL: Final = re.compile(rf"(<a\b[^>]*?\bhref\s*=\s*[\"']?){_EXTERNAL}[^\"'\s>]*", re.IGNORECASE)
_CSS_URL: Final = re.compile(rf"(@import\s+)?url\(\s*[\"']?{_EXTERNAL}[^)]*\)\s*;?", re.IGNORECASE)
_DATA_SCRIPT: Final = re.compile(r"(src=\")data:(text|application)/javascript;base64,([A-Za-z0-9+/=]+)(\")")
BUNDLE_REWRITES: Final[dict[str, str]] = {
    "https://allurereport.org": "#",
    "https://trace.playwright.dev": "about:blank",
}
"""Literal outbound URLs inside Allure's bundle: a footer link and the Playwright trace viewer."""
_ALLOWED_IN_SCRIPTS: Final = re.compile(
    r"https?://(?:www\.w3\.org/|localhost\b|\$\{)|http://\"|https?://[\"'`]",
)
_URL_IN_SCRIPT: Final = re.compile(r"https?://[^\s\"'`)\\]*")
_ATTR_EXTERNAL: Final = re.compile(
    rf"<(?P<tag>[a-zA-Z][\w:-]*)\b[^>]*?\b(?P<attr>src|href|srcset|data|action|poster|xlink:href)\s*=\s*"
    rf"[\"']?(?P<url>{_EXTERNAL}[^\"'\s>]*)",
    re.IGNORECASE,
)


def _rewrite_bundle(match: re.Match[str]) -> str:
    code = base64.b64decode(match.group(3)).decode("utf-8")
    for url, replacement in BUNDLE_REWRITES.items():
        code = code.replace(url, replacement)
    encoded = base64.b64encode(code.encode("utf-8")).decode("ascii")
    return f"{match.group(1)}data:{match.group(2)}/javascript;base64,{encoded}{match.group(4)}"


def _clean_inline(match: re.Match[str]) -> str:
    """Drop analytics blocks; blank URL strings in the report's options (CI job links and the like)."""
    body = match.group("body")
    if _TRACKING.search(body):
        return ""
    if "allureReportOptions" in body:
        return match.group(0).replace(body, _JSON_URL.sub('""', body))
    return match.group(0)


def strip_external(html: str) -> str:
    """Return ``html`` with no external script, stylesheet, image, frame, analytics or link."""
    html = _TAG_WITH_EXTERNAL_SRC.sub("", html)
    html = _VOID_WITH_EXTERNAL.sub("", html)
    html = _INLINE_SCRIPT.sub(_clean_inline, html)
    html = _ANCHOR_EXTERNAL.sub(r"\1#", html)
    html = _CSS_URL.sub("", html)
    html = _DATA_SCRIPT.sub(_rewrite_bundle, html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    if "Content-Security-Policy" not in html:
        html = re.sub(r"(<head\b[^>]*>)", lambda m: m.group(1) + "\n    " + meta, html, count=1, flags=re.IGNORECASE)
    return html


def _decoded_scripts(html: str) -> list[str]:
    out = [m.group("body") for m in _INLINE_SCRIPT.finditer(html)]
    out += [base64.b64decode(m.group(3)).decode("utf-8", "replace") for m in _DATA_SCRIPT.finditer(html)]
    return out


def find_external(html: str) -> list[str]:
    """Every external reference left in ``html``: tag attributes, CSS urls, tracking, URLs in scripts.

    Namespace URIs (``http://www.w3.org/...``) and URL *templates* in the bundle's linkifier are
    not requests and are allowed; any concrete outbound URL is reported.
    """
    found = [f"<{m.group('tag')} {m.group('attr')}={m.group('url')}>" for m in _ATTR_EXTERNAL.finditer(_strip_scripts(html))]
    found += [f"css {m.group(0)}" for m in _CSS_URL.finditer(_strip_scripts(html))]
    for code in _decoded_scripts(html):
        if hit := _TRACKING.search(code):
            found.append(f"tracking code: {hit.group(0)}")
        for m in _URL_IN_SCRIPT.finditer(code):
            window = code[m.start() : m.start() + 12]
            if not _ALLOWED_IN_SCRIPTS.match(window) and not _ALLOWED_IN_SCRIPTS.match(code[m.start() : m.end() + 1]):
                found.append(f"url in script: {m.group(0)[:80]}")
    return found


def _strip_scripts(html: str) -> str:
    html = _INLINE_SCRIPT.sub(lambda m: f"<script{m.group('attrs')}></script>", html)
    return re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", html)
