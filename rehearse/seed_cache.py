"""The seeded v13.3 state, made once and restored after: the rehearsal's set-up in about a second.

Migrating an empty database to v13.3 and running ``seed_legacy_catalog`` takes 8–12 s of Django
start-ups; its result only depends on the previous release's code and the seed's parameters. The
first rehearsal seeds as before, then keeps a ``pg_dump -Fc`` of the result under
``var/cache/pre-migration/<key>.dump``; every later rehearsal with the same key restores it with
``pg_restore`` into its own disposable database. The key is a SHA-256 of the code's files
(``*.py``, ``*.json``, ``*.sql``, ``*.txt``, ``*.toml``, ``*.cfg``, ``*.yml``/``*.yaml``; no tests, caches or
virtualenvs), the seed's parameters, what reaches the code (settings module, manage line,
``REHEARSAL_CODE_ENV``, ``REHEARSAL_PYTHONPATH``, ``PRE_MIGRATION_TARGET``) and the PostgreSQL
client tools: change a migration or the seed command and the next rehearsal seeds afresh.
Concurrent rehearsals (the fault matrix) wait on one lock per key, so only the first seeds.
A dump whose SHA-256 does not match its record is not used (it is made again).
``REHEARSAL_SEED_CACHE=off`` seeds every time; ``REHEARSAL_SEED_CACHE_DIR`` moves the cache.

A 1C package the rehearsal generates (sizes other than the committed sample's) is kept the same way
under ``var/cache/onec/<key>/`` (same code digest, the package's parameters) and copied from there.

>>> key = cache_key(Path("backend"), {"products": 200}, {"settings": "freesport.settings"})  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.settings import REPO, dsn_without_password, libpq_env

DEFAULT_DIR = REPO / "var" / "cache" / "pre-migration"
HASHED_SUFFIXES = frozenset({".py", ".json", ".sql", ".txt", ".toml", ".cfg", ".yml", ".yaml"})
SKIPPED_DIRS = frozenset({"__pycache__", "tests", ".git", ".venv", "venv", "node_modules", "sample_data", "media",
                          "static", "log", "logs"})


def code_digest(backend_dir: Path) -> str:
    """SHA-256 of the code's files that can change what migrating and seeding make."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(backend_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix in HASHED_SUFFIXES:
                digest.update(str(path.relative_to(backend_dir)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(backend_dir: Path, params: dict[str, int], inputs: dict[str, str]) -> str:
    """The cache entry's name: the code's digest, the seed's parameters and what else reaches the code."""
    described = json.dumps({"code": code_digest(backend_dir), "params": params, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:20]


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass(frozen=True, slots=True)
class SeedCache:
    """One cache entry: ``<key>.dump`` with ``<key>.json`` (its SHA-256 and what made it)."""

    directory: Path
    key: str
    pg_bin: str

    @property
    def dump(self) -> Path:
        return self.directory / f"{self.key}.dump"

    @property
    def record(self) -> Path:
        return self.directory / f"{self.key}.json"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One rehearsal at a time per key (the others wait, then restore what the first made)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / f"{self.key}.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def usable(self) -> bool:
        """The dump exists and is the one recorded (same SHA-256)."""
        try:
            recorded = json.loads(self.record.read_text())["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return self.dump.is_file() and _sha256(self.dump) == recorded

    def _tool(self, name: str) -> str:
        return str(Path(self.pg_bin) / name) if self.pg_bin else name

    def restore(self, dsn: str) -> None:
        """``pg_restore`` the cached state into the (empty) database ``dsn``."""
        jobs = ["-j", "2"] if self.dump.stat().st_size > 20_000_000 else []
        proc = subprocess.run(
            [self._tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--no-password", *jobs,
             "-d", dsn_without_password(dsn), str(self.dump)],
            env={**os.environ, **libpq_env(dsn)}, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"pg_restore of the cached pre-migration state {self.dump} failed: "
                               f"{proc.stderr.strip()[-800:]}")

    def save(self, dsn: str, made_by: str) -> None:
        """Keep a dump of ``dsn`` as this entry (written aside, then renamed: never half a dump)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.dump.with_suffix(f".tmp{os.getpid()}")
        proc = subprocess.run(
            [self._tool("pg_dump"), "-Fc", "--no-password", "-f", str(tmp), "-d", dsn_without_password(dsn)],
            env={**os.environ, **libpq_env(dsn)}, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"pg_dump of the seeded pre-migration state failed: {proc.stderr.strip()[-800:]}")
        os.replace(tmp, self.dump)
        record = self.record.with_suffix(f".tmp{os.getpid()}")
        record.write_text(json.dumps({"sha256": _sha256(self.dump), "made_by": made_by}, indent=2))
        os.replace(record, self.record)


def package_from_cache(directory: Path | None, key: str, out: Path, generate: Callable[[Path], None]) -> bool:
    """The 1C package for ``key`` copied into ``out`` from ``directory/<key>``, else ``generate(out)`` and kept.

    A package made by ``generate_commerceml`` depends on the code and its parameters only (the key);
    the cached copy carries a manifest of each file's SHA-256 and is only used when every file still
    matches. The rehearsal always gets its own copy (a fault may damage it). True when it came from
    the cache.
    """
    if directory is None:
        generate(out)
        return False
    import shutil

    entry = directory / key
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{key}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        manifest = entry / ".manifest.json"
        try:
            recorded: dict[str, str] = json.loads(manifest.read_text())
        except (OSError, ValueError):
            recorded = {}
        files = {str(p.relative_to(entry)): p for p in entry.rglob("*") if p.is_file() and p != manifest} \
            if recorded else {}
        if recorded and set(files) == set(recorded) and all(_sha256(files[n]) == h for n, h in recorded.items()):
            shutil.copytree(entry, out, ignore=shutil.ignore_patterns(".manifest.json"))
            return True
        generate(out)
        tmp = directory / f"{key}.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(out, tmp)
        (tmp / ".manifest.json").write_text(json.dumps(
            {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}, indent=1))
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)
        return False


def cache_for(environ: Mapping[str, str], backend_dir: Path, params: dict[str, int], inputs: dict[str, str],
              pg_bin: str) -> SeedCache | None:
    """The cache entry for this code, these parameters and inputs; None with ``REHEARSAL_SEED_CACHE=off``."""
    if (environ.get("REHEARSAL_SEED_CACHE") or "on").lower() in ("off", "no", "0", "false"):
        return None
    directory = Path(environ.get("REHEARSAL_SEED_CACHE_DIR") or DEFAULT_DIR)
    return SeedCache(directory, cache_key(backend_dir, params, {**inputs, "pg_bin": pg_bin}), pg_bin)


def seed_or_restore(cache: SeedCache | None, dsn: str, seed: Callable[[], str]) -> str:
    """The pre-migration state in ``dsn``: restored from ``cache`` when it holds it, else ``seed()`` (then kept).

    Returns what was done, in words (``seed()``'s own description, and where it came from).
    """
    if cache is None:
        return seed()
    with cache.locked():
        if cache.usable():
            cache.restore(dsn)
            made_by = json.loads(cache.record.read_text()).get("made_by", "")
            return f"{made_by} (restored from the seed cache {cache.dump})"
        done = seed()
        try:
            cache.save(dsn, done)
        except (OSError, RuntimeError) as exc:
            return f"{done} (not cached: {exc})"
        return f"{done} (kept in the seed cache)"
