"""Roll back only to a backup taken before this release's first destructive step.

A window that died during the import leaves the catalog flushed and the v13.4 migrations
applied; a second window that then takes "its" backup saves exactly that state. Restoring it
would be reported as "back at the pre-migration backup" with 0 products. So before the
rollback script changes anything it asks this module two things:

* ``pick``: which run's backup is the way back: the latest run whose journal shows that it
  started ``migrate`` (the first destructive step) and has a backup manifest; not simply the
  latest run (a later NO-GO window has a backup too: of the broken state).
* ``problems``: does the backup's own snapshot (``pre_snapshot.json``, taken in the same
  exported snapshot as the dump) show the release's migrations already applied, or the
  product tables already empty? Then it is no pre-migration backup and the rollback refuses,
  unless told explicitly (``ROLLBACK_ACCEPT_BACKUP_STATE=yes``).

    python -m gate.rollback.backup_state pick RUNS_ROOT     # prints the run directory (exit 1: none)
    python -m gate.rollback.backup_state check RUN_DIR      # prints why not (exit 1), nothing when fine
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from gate.backup.manifest import MANIFEST, PRE_SNAPSHOT


def _journal_names(run_dir: Path) -> set[str]:
    path = run_dir / "journal.jsonl"
    names: set[str] = set()
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                names.add(json.loads(line).get("name", ""))
            except ValueError:
                continue
    return names


def pick(runs_root: Path) -> Path | None:
    """The latest run under ``runs_root`` that started ``migrate`` and has a backup manifest."""
    runs = [p for p in runs_root.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).exists()]
    started = [p for p in runs if "migrate" in _journal_names(p)]
    return max(started, key=lambda p: (p / MANIFEST).stat().st_mtime) if started else None


def _rows(tables: Mapping[str, Mapping[str, int | str]], name: str) -> int | None:
    for key, stats in tables.items():
        if key == name or key.endswith("." + name):
            return int(stats.get("rows", 0))
    return None


def problems(run_dir: Path, release_migrations: list[str], product_tables: list[str]) -> list[str]:
    """Why the backup of ``run_dir`` is no pre-migration backup (empty: it is one).

    >>> import tempfile; d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pre_snapshot.json").write_text(json.dumps({"migrations": ["products.0004_x"],
    ...      "tables": {"public.products": {"rows": 0}}}))
    >>> problems(d, ["products.0004_x"], ["products"])  # doctest: +NORMALIZE_WHITESPACE
    ['its snapshot shows the release already applied (products.0004_x)',
     'its snapshot shows the product tables already empty (products: 0 rows): taken after a flush']
    """
    path = run_dir / PRE_SNAPSHOT
    try:
        snapshot = json.loads(path.read_text())
    except (OSError, ValueError):
        return [f"no readable pre-migration snapshot {path}: what the backup holds cannot be proven"]
    found = []
    applied = [m for m in release_migrations if m in snapshot.get("migrations", [])]
    if applied:
        found.append(f"its snapshot shows the release already applied ({', '.join(applied)})")
    rows = {t: _rows(snapshot.get("tables", {}), t) for t in product_tables}
    present = {t: n for t, n in rows.items() if n is not None}
    empty = [f"{t}: 0 rows" for t, n in present.items() if n == 0]
    if present and len(empty) == len(present):
        found.append(f"its snapshot shows the product tables already empty ({', '.join(empty)}): taken after a flush")
    return found


def main(argv: list[str] | None = None) -> int:
    """The two questions of the rollback script; exit 0 yes / nothing wrong, 1 otherwise, 2 usage."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("pick", "check"):
        sys.stderr.write(__doc__.split("\n\n")[-1])
        return 2
    if args[0] == "pick":
        picked = pick(Path(args[1]))
        if picked is None:
            return 1
        sys.stdout.write(f"{picked}\n")
        return 0
    from gate.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        plan, tables = settings.expected_plan, settings.product_tables
    except SettingsError as exc:
        sys.stdout.write(f"settings: {exc}\n")
        return 1
    found = problems(Path(args[1]), plan, tables)
    if found:
        sys.stdout.write("; ".join(found) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
