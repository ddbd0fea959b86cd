"""Running ``scripts/deploy/rollback_production.sh`` from the gate (rehearsals and self-tests).

The script is the operator's tool and stands alone on a server; this wrapper only hands it
its environment and captures what it said, so a rehearsal runs exactly what people run.

>>> outcome = run_rollback_script(dump, {"DATABASE_URL": url, "RUN_DIR": str(run.dir), ...})  # doctest: +SKIP
>>> outcome.exit_code                                                                          # doctest: +SKIP
0
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import toolpaths
from gate.rollback.record import RollbackRecord

REPO = toolpaths.REPO
ROLLBACK_SCRIPT = REPO / "scripts" / "deploy" / "rollback_production.sh"

EXIT_MEANING = {
    0: "rolled back",
    2: "refused: nothing was changed",
    3: "failed before the database changed",
    4: "failed with the database in the state printed",
    5: "database restored, but the code checkout or the application start failed",
}


@dataclass(frozen=True, slots=True)
class RollbackRun:
    """The script's exit code, its output and the record it left."""

    exit_code: int
    output: str
    duration_s: float
    record: RollbackRecord | None

    @property
    def refused(self) -> bool:
        """The script refused to start (exit 2): nothing was changed."""
        return self.exit_code == 2

    @property
    def meaning(self) -> str:
        """The exit code in words."""
        return EXIT_MEANING.get(self.exit_code, f"exit {self.exit_code}")


def run_rollback_script(
    dump: Path,
    env: dict[str, str],
    confirm: bool = True,
    script: Path = ROLLBACK_SCRIPT,
    timeout_s: float = 3600,
) -> RollbackRun:
    """Run the rollback script on ``dump`` with ``env`` over the current environment.

    ``confirm=False`` leaves out ``--confirm`` (and ``CONFIRM``), as a person would who forgot it.
    """
    full = {**os.environ, **env}
    full.pop("CONFIRM", None)
    argv = [str(script), *(["--confirm"] if confirm else []), str(dump)]
    t0 = time.monotonic()
    proc = subprocess.run(
        argv, env=full, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    run_dir = Path(full.get("RUN_DIR", REPO / "var" / "runs" / "latest"))
    return RollbackRun(
        proc.returncode, proc.stdout + proc.stderr, time.monotonic() - t0, RollbackRecord.of_run(run_dir)
    )
