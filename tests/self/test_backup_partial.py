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


def _half_writing_pg_dump(real_bin: Path, fake_bin: Path) -> None:
    """``PG_BIN_DIR`` whose ``pg_dump`` writes its output, cuts it to half and fails as on a full disk."""
    fake_bin.mkdir()
    for tool in real_bin.iterdir():
        if tool.name != "pg_dump":
            (fake_bin / tool.name).symlink_to(tool)
    wrapper = fake_bin / "pg_dump"
    wrapper.write_text(f"""#!/usr/bin/env bash
[[ "$1" == --version ]] && exec {real_bin}/pg_dump "$@"
{real_bin}/pg_dump "$@" || exit $?
out=""; prev=""
for arg in "$@"; do [[ "$prev" == -f ]] && out="$arg"; prev="$arg"; done
truncate -s $(( $(stat -c %s "$out") / 2 )) "$out"
echo "pg_dump: error: could not write to output file: No space left on device" >&2
exit 1
""")
    wrapper.chmod(0o755)


def test_pg_dump_failing_half_way_on_a_full_disk_leaves_no_dump(gate_env, gate_db, tmp_path: Path) -> None:
    """The same through the setting that names pg_dump's place (PG_BIN_DIR): half a file written, exit 1."""
    from gate.settings import load_settings

    real = load_settings({**gate_env, "ENV_FILE": ""}, None).pg_bin_dir
    _half_writing_pg_dump(real, tmp_path / "bin")
    env = {**os.environ, **gate_env, "PYTHONPATH": str(REPO), "PG_BIN_DIR": str(tmp_path / "bin")}
    proc = subprocess.run([sys.executable, "-m", "gate.backup"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "No space left on device" in proc.stderr and "was removed" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    backups = Path(gate_env["BACKUP_DIR"])
    assert not [p for p in backups.rglob("*") if p.name.endswith((".dump", ".sha256"))], list(backups.rglob("*"))
    manifest = json.loads((Path(gate_env["RUN_DIR"]) / "backup.json").read_text())
    assert "pg_dump exit 1" in manifest["error"] and "was removed" in manifest["error"]
    assert not manifest.get("sha256")
