"""RBK-03's reading: after the rollback, the previous release serves over real HTTP.

The paths are the ones both releases serve (``ROLLBACK_SMOKE_PATHS``, default health, the
product list and the categories): each must answer 200, not in maintenance, and a list with
a ``count`` must hold something. The product detail is left out on purpose: in v13.3 it has
no ``variants[]``, so the v13.4 shape is no smoke test of v13.3.

>>> result = previous_release_serves("http://127.0.0.1:8000", "/api")   # doctest: +SKIP
>>> result.problems                                                   # doctest: +SKIP
[]
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests

DEFAULT_SMOKE_PATHS = ("/health/", "/products/", "/categories/")


def smoke_paths(value: str = "") -> tuple[str, ...]:
    """``ROLLBACK_SMOKE_PATHS`` (comma-separated, under ``API_PREFIX``), else the default three.

    >>> smoke_paths(" /health/, /products/ ")
    ('/health/', '/products/')
    """
    return tuple(p.strip() for p in value.split(",") if p.strip()) or DEFAULT_SMOKE_PATHS


@dataclass(frozen=True, slots=True)
class SmokeResult:
    """Per path what it answered; truthy when every path served."""

    answers: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """One line: each path and its answer."""
        return "; ".join(f"{path} {answer}" for path, answer in self.answers.items())


def _judge(path: str, response: requests.Response) -> tuple[str, str | None]:
    """``(answer, problem)`` for one response."""
    answer = f"{response.status_code} in {response.elapsed.total_seconds() * 1000:.0f} ms"
    if response.status_code != 200:
        return answer, f"{path} answered {response.status_code}, not 200"
    try:
        body = response.json()
    except ValueError:
        return answer, None
    if not isinstance(body, dict):
        return answer, None
    if body.get("maintenance") is True:
        return answer, f"{path} says maintenance is still on"
    if "status" in body and body["status"] not in ("ok", "healthy"):
        return answer, f"{path} status {body['status']!r}"
    if "count" in body:
        answer += f", count {body['count']}"
        if not isinstance(body["count"], int) or body["count"] <= 0:
            return answer, f"{path} count {body['count']!r}: nothing served"
    return answer, None


def previous_release_serves(
    base_url: str,
    api_prefix: str = "/api",
    paths: Iterable[str] = DEFAULT_SMOKE_PATHS,
    timeout_s: float = 10.0,
    wait_s: float = 0.0,
) -> SmokeResult:
    """GET every path under ``base_url + api_prefix``; ``wait_s`` retries while the app is still starting."""
    answers: dict[str, str] = {}
    problems: list[str] = []
    deadline = time.monotonic() + wait_s
    for path in paths:
        url = base_url.rstrip("/") + api_prefix + "/" + path.lstrip("/")
        while True:
            try:
                response = requests.get(url, timeout=timeout_s, allow_redirects=False)
                answer, problem = _judge(path, response)
            except requests.RequestException as exc:
                answer, problem = f"no answer ({type(exc).__name__})", f"{path}: no answer ({type(exc).__name__})"
            if problem is None or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        answers[path] = answer
        if problem:
            problems.append(problem)
    return SmokeResult(answers, tuple(problems))
