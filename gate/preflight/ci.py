"""CI status of the release commit through the GitHub API (check runs + combined status).

>>> CiStatus("https://api.github.com", "org/repo", "token", "v13.4.0").problems()  # doctest: +SKIP
[]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

GREEN = {"success", "neutral", "skipped"}


@dataclass(frozen=True, slots=True)
class CiStatus:
    """CI results for one ref of one repository."""

    api_url: str
    repo: str
    token: str
    ref: str
    timeout_s: float = 15.0

    def _get(self, path: str) -> Any:
        response = requests.get(
            f"{self.api_url.rstrip('/')}/repos/{self.repo}/commits/{self.ref}/{path}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28"},
            timeout=self.timeout_s,
        )
        if response.status_code != 200:
            raise RuntimeError(f"GitHub API {path} for {self.repo}@{self.ref}: HTTP {response.status_code}")
        return response.json()

    def problems(self) -> list[str]:
        """Every check run not completed green and a combined status other than success; none means green."""
        problems = []
        runs = self._get("check-runs").get("check_runs", [])
        for run in runs:
            if run.get("status") != "completed":
                problems.append(f"check run {run.get('name')}: {run.get('status')}")
            elif run.get("conclusion") not in GREEN:
                problems.append(f"check run {run.get('name')}: {run.get('conclusion')}")
        combined = self._get("status")
        if combined.get("statuses") and combined.get("state") != "success":
            problems.append(f"combined status: {combined.get('state')}")
        if not runs and not combined.get("statuses"):
            problems.append(f"no CI result at all for {self.repo}@{self.ref}")
        return problems
