"""The target's API over real HTTP (``BASE_URL`` + ``API_PREFIX``), as a client sees it.

Why real HTTP: the runbook's post-checks are ``curl`` against the served application; a check
through Django's test client would miss gunicorn, the maintenance middleware and the proxy.
The 1C healthcheck calls only ``mode=checkauth`` (never ``init``/``file``/``import``, which may
wipe the exchange folder or start an import).

>>> api = ApiClient("http://127.0.0.1:8000", "/api")      # doctest: +SKIP
>>> api.get("/products/").json()["count"]                 # doctest: +SKIP
1000
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests

USER_AGENT = "freesport-gate/1"
CHECKAUTH_QUERY = "type=catalog&mode=checkauth"
FORBIDDEN_MODES = ("init", "file", "import")


def redact_url(url: str) -> str:
    """The URL without any password (safe to print).

    >>> redact_url("http://u:secret@h:1/x?y=1")
    'http://u:***@h:1/x?y=1'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class ApiClient:
    """A ``requests`` session bound to the API root."""

    def __init__(self, base_url: str, api_prefix: str = "/api", timeout: float = 10.0) -> None:
        self.root = base_url.rstrip("/") + ("/" + api_prefix.strip("/") if api_prefix.strip("/") else "")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/products/``)."""
        return self.root + "/" + path.lstrip("/")

    def get(self, path: str, **kwargs: object) -> requests.Response:
        """GET an API path (no redirects followed silently)."""
        return self.session.get(self.url(path), timeout=self.timeout, allow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def get_many(self, paths: Sequence[str], workers: int = 4) -> list[requests.Response]:
        """:meth:`get` of every path, ``workers`` requests at a time; the responses in the paths' order."""
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(paths)))) as pool:
            return list(pool.map(self.get, paths))

    def all_pages(self, path: str, limit: int = 10_000) -> list[dict[str, object]]:
        """Every ``results`` item of a paginated list (bounded by ``limit`` items)."""
        items: list[dict[str, object]] = []
        url: str | None = self.url(path)
        while url and len(items) < limit:
            response = self.session.get(url, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
            items += body.get("results", [])
            url = body.get("next")
        return items


@dataclass(frozen=True, slots=True)
class Sample:
    """One request of a burst: path, status (0 = no answer), seconds."""

    path: str
    status: int
    seconds: float


@dataclass(slots=True)
class Burst:
    """The outcome of a bounded burst of real requests."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Requests sent."""
        return len(self.samples)

    def percentile_ms(self, q: float) -> float:
        """Latency percentile in milliseconds (nearest rank).

        >>> Burst([Sample("/", 200, s / 1000) for s in range(1, 101)]).percentile_ms(95)
        95.0
        """
        if not self.samples:
            return 0.0
        ordered = sorted(s.seconds for s in self.samples)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return round(ordered[rank - 1] * 1000, 3)

    @property
    def p95_ms(self) -> float:
        """p95 latency in milliseconds."""
        return self.percentile_ms(95)

    @property
    def errors(self) -> int:
        """Requests answered 5xx or not answered."""
        return sum(1 for s in self.samples if s.status >= 500 or s.status == 0)

    @property
    def error_rate_pct(self) -> float:
        """Errors in percent of requests."""
        return 100.0 * self.errors / self.count if self.count else 0.0

    def histogram(self, edges_ms: Sequence[float] = (50, 100, 250, 500, 1000, 2000)) -> dict[str, int]:
        """Requests per latency bucket (for the report)."""
        out: dict[str, int] = {}
        for s in self.samples:
            ms = s.seconds * 1000
            label = next((f"<{e:g}ms" for e in edges_ms if ms < e), f">={edges_ms[-1]:g}ms")
            out[label] = out.get(label, 0) + 1
        return out


def burst(api: ApiClient, paths: Sequence[str], requests_total: int, concurrency: int) -> Burst:
    """Send ``requests_total`` GETs round-robin over ``paths`` with ``concurrency`` threads."""

    def one(i: int) -> Sample:
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        try:
            status = requests.get(api.url(path), timeout=api.timeout, headers={"User-Agent": USER_AGENT}).status_code
        except requests.RequestException:
            status = 0
        return Sample(path, status, time.perf_counter() - t0)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return Burst(list(pool.map(one, range(requests_total))))


@dataclass(frozen=True, slots=True)
class CheckAuth:
    """What the 1C exchange answered to ``mode=checkauth``."""

    status: int
    first_line: str

    @property
    def success(self) -> bool:
        """The protocol's ``success`` answer."""
        return self.status == 200 and self.first_line == "success"

    @property
    def refused(self) -> bool:
        """A refusal: ``failure`` or an HTTP 401/403."""
        return self.first_line == "failure" or self.status in (401, 403)


def checkauth(url: str, user: str | None, password: str | None, timeout: float = 10.0) -> CheckAuth:
    """Call ``mode=checkauth`` (and nothing else) with HTTP Basic when credentials are given."""
    parts = urlsplit(url)
    query = parts.query or CHECKAUTH_QUERY
    if "mode=checkauth" not in query or any(f"mode={m}" in query for m in FORBIDDEN_MODES):
        raise ValueError(f"refused: a healthcheck calls only mode=checkauth, not {redact_url(url)}")
    target = urlunsplit(parts._replace(query=query))
    auth = (user, password) if user and password else None
    try:
        response = requests.get(target, auth=auth, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        return CheckAuth(0, f"unreachable: {type(exc).__name__}")
    text = response.text.strip().splitlines()
    return CheckAuth(response.status_code, text[0].strip() if text else "")
