"""A pg_dump that hits a full disk leaves no partial .dump behind (issue 14, point 6).

The disk is made "full" for real: the backup step runs under ``ulimit -f`` (RLIMIT_FSIZE), so
pg_dump's write past the limit fails the way ENOSPC does (SIGXFSZ), with a partial file written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_failed_pg_dump_removes_its_partial_file(gate_env, gate_db, tmp_path: Path) -> None:
    gate_db.execute("CREATE TABLE ballast AS SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) g")
    env = {**os.environ, **gate_env, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(["bash", "-c", f"ulimit -f 64; exec {sys.executable} -m gate.backup"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "partial" in proc.stderr and "was removed" in proc.stderr
    backups = Path(gate_env["BACKUP_DIR"])
    assert not [p for p in backups.rglob("*") if p.suffix == ".dump" or p.is_dir()], list(backups.rglob("*"))
    manifest = json.loads((Path(gate_env["RUN_DIR"]) / "backup.json").read_text())
    assert manifest["error"] and "was removed" in manifest["error"]
