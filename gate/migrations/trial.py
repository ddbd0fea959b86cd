"""MIG-05: the release's pending migrations, tried on a restored copy of this run's verified backup.

Before ``migrate`` touches the target (the point of no return), the backup the run just verified
is restored into a new database of the disposable server, the release's ``manage.py`` is pointed
at that copy (``gate.handoff``: ``TRIAL_DB_ENV``, ``TRIAL_MANAGE_CMD``, ``TRIAL_DB_HOST``) and
the pending migrations run there, one by one when ``TRIAL_ONE_BY_ONE`` allows it. Around every
migration the copy is measured, read-only: the protected tables' row counts and content hashes,
the server's own per-table counters (``pg_stat_user_tables``: rows inserted, updated, deleted,
flushed by the migrating backend as it exits) and the database size. A migration that changes a
protected table (in SQL or in ``RunPython``), fails, or whose total time would overrun the
migrate budget is a finding, named with the migration, before anything changed on the target.

The copy need not wait for the target's plan (MIG-01): the program's first answer names the copy's
own unapplied migrations, and ``migrate_ahead`` runs them while the deploy probes still run. MIG-05
takes those runs when the copy's plan is the target's (``RanAhead.serves``); when it is not, the
trial runs the target's plan on a fresh copy.

Safety: the copy is only used after a probe through the very same command line shows that the
release's settings connect to it (``SELECT current_database()`` = the copy's unique name); when
they do not, nothing runs ahead and the trial refuses and names the setting, so a handoff that
misses cannot migrate the target.

>>> trial = run_trial(settings, backup, pg, ["orders.0900_cleanup"])   # doctest: +SKIP
>>> trial.findings(["orders"], budget_s=180)                           # doctest: +SKIP
['orders.0900_cleanup changed protected table orders: rows 150 → 0 (deleted 150)']
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from gate.db import fingerprint as fp
from gate.db.fingerprint import TableStats
from gate.handoff import DbCoordinates, Handoff, command_line
from gate.db.readonly import connect_readonly
from gate.run import now_utc
from gate import probes
from gate.settings import REPO, Settings
from gate.target_cmd import manage_prefix, target_env

if TYPE_CHECKING:
    from pathlib import Path

    from disposable_pg import DisposablePostgres
    from gate.backup import Backup
    from gate.backup.archive import RestoreResult

COUNTERS = ("SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables")
Counters = dict[str, tuple[int, int, int]]
TRIAL_TIMEOUT_S = 1800
"""How long one migration (or the whole trial's start-up) may take on the copy before it is stopped."""
TRIAL_DB_PREFIX = "mig05_trial_"
"""The copies' database names start with this (then 8 random hex digits)."""
ONE_PROCESS = "one-process"
"""``trial.json``'s ``mode``: every migration through one ``manage.py shell`` (Django starts once)."""
PER_PROCESS = "per-process"
"""``trial.json``'s ``mode``: one ``manage.py migrate`` per migration (the command carries no conversation)."""
KEPT_SNAPSHOT = "bkp04_restored_snapshot.json"
"""In the run: the fingerprint of what BKP-04's kept restore holds (``gate.db.snapshot.Snapshot``)."""
KEPT_RESTORE = "bkp04_restore.json"
"""In the run: the database of the window's shared disposable server that BKP-04 restored this run's backup
into and kept (name, backup sha256), for MIG-05 to copy with ``CREATE DATABASE … TEMPLATE``."""


class TrialRefused(RuntimeError):
    """The trial cannot run safely or at all (restore failed, the handoff misses the copy); nothing ran."""


@dataclass(frozen=True, slots=True)
class TableChange:
    """What one migration did to one table of the copy."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rows_before: int | None = None
    rows_after: int | None = None
    content_changed: bool = False

    @property
    def changed(self) -> bool:
        """Any row inserted, updated, deleted, or the content hash moved."""
        return bool(self.inserted or self.updated or self.deleted or self.content_changed
                    or self.rows_before != self.rows_after)

    def describe(self) -> str:
        """``rows 150 → 0 (deleted 150)``.

        >>> TableChange(0, 0, 150, 150, 0, True).describe()
        'rows 150 → 0 (deleted 150)'
        """
        counts = ", ".join(f"{w} {n}" for w, n in (("inserted", self.inserted), ("updated", self.updated),
                                                    ("deleted", self.deleted)) if n)
        rows = f"rows {self.rows_before} → {self.rows_after}" if self.rows_before != self.rows_after else (
            "same row count, content changed" if self.content_changed else "rows touched")
        return rows + (f" ({counts})" if counts else "")


@dataclass(frozen=True, slots=True)
class MigrationRun:
    """One ``migrate`` invocation on the copy: which migration(s), exit, time, size and per-table changes."""

    migration: str
    command: str
    exit_code: int
    duration_s: float
    size_before: int
    size_after: int
    changes: dict[str, TableChange] = field(default_factory=dict)
    output_tail: str = ""


@dataclass(frozen=True, slots=True)
class TrialResult:
    """The trial: the copy it ran on, how long the restore took, each migration's run."""

    database: str
    restore_s: float
    one_by_one: bool
    runs: tuple[MigrationRun, ...]
    pending: tuple[str, ...]
    mode: str = ONE_PROCESS
    startup_s: float = 0.0
    mode_reason: str = ""
    copy_of: str = ""
    """BKP-04's kept restore when the copy was made from it (``TEMPLATE``), else empty (``pg_restore``)."""
    ahead: bool = False
    """The runs are ``migrate_ahead``'s: the copy's own plan, migrated beside the deploy probes."""
    started_at: str = ""
    """When the first migration was sent to the copy (UTC, ISO 8601)."""

    @property
    def duration_s(self) -> float:
        """The forecast of the real ``migrate``: the migrations' total time on the copy, plus the one
        ``manage.py`` start-up when they ran in one process (per process, each run includes its own)."""
        return round(self.startup_s + sum(r.duration_s for r in self.runs), 3)

    def findings(self, protected: list[str], budget_s: float | None) -> list[str]:
        """MIG-05's findings: failed migrations, protected tables changed (per migration), the budget."""
        out: list[str] = []
        for r in self.runs:
            if r.exit_code != 0:
                tail = r.output_tail.strip().splitlines()[-1:] or [""]
                out.append(f"{r.migration} fails on the copy (exit {r.exit_code}): {tail[0][:200]}")
            for table in protected:
                change = r.changes.get(table)
                if change is not None and change.changed:
                    out.append(f"{r.migration} changed protected table {table}: {change.describe()}")
        if budget_s is not None and self.duration_s > budget_s:
            out.append(f"the migrations took {self.duration_s:.1f}s on the copy > the migrate budget {budget_s:.0f}s")
        return out

    def as_dict(self) -> dict[str, object]:
        """The record written to ``RUN_DIR/migrations/trial.json``."""
        return {"database": self.database, "restore_s": self.restore_s, "one_by_one": self.one_by_one,
                "mode": self.mode, **({"mode_reason": self.mode_reason} if self.mode_reason else {}),
                "startup_s": self.startup_s, "ahead": self.ahead, "started_at": self.started_at,
                "copy": f"template of {self.copy_of} (BKP-04's restore)" if self.copy_of
                else "pg_restore of the backup", "pending": list(self.pending), "duration_s": self.duration_s,
                "runs": [{**asdict(r), "changes": {t: asdict(c) for t, c in r.changes.items() if c.changed}}
                         for r in self.runs]}


def restore_for_bkp04(backup: Backup, pg: DisposablePostgres, run_dir: Path, keep: bool) -> RestoreResult:
    """BKP-04's restore and fingerprint (``Backup.restores_into``). ``keep`` (``pg`` is the window's shared
    server, stopped with the window): a restore that passed is kept and named in ``KEPT_RESTORE`` (with the
    snapshot of what came back in ``KEPT_SNAPSHOT``) so that MIG-05 copies it instead of restoring the backup a
    second time; one that did not pass is dropped. A kept restore of this backup that is still on ``pg`` (the
    window's own, begun as soon as the backup step ended: ``WindowRunner``) is taken instead of restoring again;
    one that failed was never kept, so BKP-04 restores and decides itself."""
    from gate.backup.archive import RestoreResult
    from gate.db.snapshot import Snapshot

    kept = kept_restore(run_dir, backup, pg) if keep else None
    if kept is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return RestoreResult(True, kept, restored=Snapshot.load(run_dir / KEPT_SNAPSHOT), reused=True)
    result = backup.restores_into(pg, keep=keep)
    if keep and result.database:
        if result and result.restored is not None and backup.manifest is not None and backup.manifest.sha256:
            result.restored.save(run_dir / KEPT_SNAPSHOT)
            (run_dir / KEPT_RESTORE).write_text(json.dumps({"database": result.database,
                                                            "sha256": backup.manifest.sha256}))
        else:
            pg.drop_database(result.database)
    return result


def kept_restore(run_dir: Path, backup: Backup, pg: DisposablePostgres) -> str | None:
    """The database BKP-04 kept (``restore_for_bkp04``) when it holds this backup (same sha256 as the
    manifest MIG-05 trusts) and is there on ``pg``; else ``None`` (MIG-05 restores the backup itself)."""
    import psycopg

    try:
        said = json.loads((run_dir / KEPT_RESTORE).read_text())
        name, digest = str(said["database"]), str(said["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if backup.manifest is None or not digest or digest != backup.manifest.sha256:
        return None
    try:
        with psycopg.connect(pg.get_connection_url(), autocommit=True, connect_timeout=5) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    except psycopg.Error:
        return None
    return name if found else None


def _wait_alone(dsn: str, name: str, timeout_s: float = 30.0) -> None:
    """Wait until no other session is connected to ``name`` (the migrating backend has flushed its counters)."""
    deadline = time.monotonic() + timeout_s
    with connect_readonly(dsn) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                               (name,)).fetchone()
            if not row or not row[0]:
                return
            time.sleep(0.005)  # the backend exits a few ms after Django closed it: a long poll would be most of a migration


def _measure(dsn: str, tables: list[str]) -> tuple[Counters, dict[str, TableStats], int]:
    with connect_readonly(dsn) as conn:
        counters = {fp.qualified(s, t): (int(i), int(u), int(d)) for s, t, i, u, d in conn.execute(COUNTERS)}
        present = set(fp.list_tables(conn))
        stats = fp.table_stats(conn, [t for t in tables if t in present])
        return counters, stats, fp.database_size(conn)


def _changes(before: tuple[Counters, dict[str, TableStats], int],
             after: tuple[Counters, dict[str, TableStats], int]) -> dict[str, TableChange]:
    out: dict[str, TableChange] = {}
    for table in sorted(set(before[0]) | set(after[0]) | set(before[1]) | set(after[1])):
        b, a = before[0].get(table, (0, 0, 0)), after[0].get(table, (0, 0, 0))
        sb, sa = before[1].get(table), after[1].get(table)
        change = TableChange(
            max(a[0] - b[0], 0), max(a[1] - b[1], 0), max(a[2] - b[2], 0),
            sb.rows if sb else None, sa.rows if sa else None,
            bool(sb and sa and sb.content_hash != sa.content_hash) or (sb is None) != (sa is None),
        )
        if change.changed:
            out[table] = change
    return out


def _run(line: str, cwd: str, env: dict[str, str], timeout: float, secret: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``line``; the copy's password never survives into the captured output."""
    proc = subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if secret:
        proc.stdout, proc.stderr = proc.stdout.replace(secret, "***"), proc.stderr.replace(secret, "***")
    return proc


class _Conversation:
    """One ``manage.py shell -c`` program talked to over stdin/stdout (stderr merged into stdout)."""

    def __init__(self, line: str, cwd: str, env: dict[str, str], secret: str) -> None:
        self.secret = secret
        self.proc = subprocess.Popen(line, shell=True, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, name="mig05-trial-output", daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout: float) -> tuple[dict[str, object] | None, str]:
        """The program's next answer (``None``: it ended first) and what it printed before it (secret masked)."""
        deadline = time.monotonic() + timeout
        noise: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                self.kill()
                raise subprocess.TimeoutExpired("manage.py shell (MIG-05 trial)", timeout) from None
            if line is None:
                self.lines.put(None)  # ended for every later question too: none waits for a line that never comes
                return None, self._mask("".join(noise))
            if line.startswith(probes.MARK):
                try:
                    said = json.loads(line[len(probes.MARK):])
                except ValueError:
                    said = None
                if isinstance(said, dict):
                    return said, self._mask("".join(noise))
            noise.append(line)

    def _mask(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

    def send(self, line: str) -> bool:
        """Write one line to the program; False when its stdin is already closed."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def exit_code(self) -> int:
        """The program's exit code once it ended (-1 if it had to be killed)."""
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return -1

    def close(self) -> None:
        """End of stdin: the program returns; killed if it does not within 30 s."""
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        self.exit_code()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def _refuse(handoff: Handoff, settings: Settings, name: str, detail: str) -> TrialRefused:
    return TrialRefused(
        f"the release's manage.py is not pointed at the copy {name} by {handoff.setting}="
        f"{settings.trial_db_env!r} ({', '.join(handoff.names)}): {detail}. Name the variables its "
        "settings read (TRIAL_DB_ENV), or a command that forwards them (TRIAL_MANAGE_CMD); nothing ran")


@dataclass
class TrialStart:
    """A copy of the backup restored and the release's ``manage.py shell`` started on it, waiting for the
    migrations to try (``prepare_trial``): MIG-05's set-up, which needs no pending list."""

    handoff: Handoff
    name: str
    dsn: str
    error: str | None
    restore_s: float
    pg: DisposablePostgres
    copy_of: str = ""
    prefix: str = ""
    cwd: str = ""
    env: dict[str, str] = field(default_factory=dict)
    password: str = ""
    talk: _Conversation | None = None
    said: dict[str, object] | None = None
    startup_s: float = 0.0
    spent: bool = False
    """``migrate_ahead`` sent the copy migrations: it may have changed, only its own runs may be taken."""

    def discard(self) -> None:
        """End the program and drop the copy (a start nobody took, or after the trial)."""
        try:
            if self.talk is not None:
                self.talk.close()
        finally:
            self.pg.drop_database(self.name)


def prepare_trial(settings: Settings, backup: Backup, pg: DisposablePostgres, template: str | None = None) -> TrialStart:
    """Restore ``backup`` into a new database of ``pg`` and start the release's ``manage.py shell`` on it
    (``gate/probes/trial_migrate.py``), up to its first answer: the part of the trial that does not
    depend on which migrations are pending, so it can run beside the probes that find them out.
    ``template``: BKP-04's kept restore of the same backup (``kept_restore``), copied instead of
    restoring again; when the copy fails (someone connected to it), the backup is restored as before."""
    import psycopg

    handoff = Handoff.parse(settings.trial_db_env)
    name = f"{TRIAL_DB_PREFIX}{secrets.token_hex(4)}"
    t0 = time.monotonic()
    copied = ""
    if template:
        try:
            dsn, error, copied = pg.create_database(name, template=template), None, template
        except psycopg.Error:
            pg.drop_database(name)
    if not copied:
        dsn, error = backup.restore(pg, name)
    start = TrialStart(handoff, name, dsn, error, round(time.monotonic() - t0, 3), pg, copy_of=copied)
    if error:
        return start
    try:
        db = DbCoordinates.from_url(dsn).with_host(settings.trial_db_host)
        start.prefix = command_line(settings.trial_manage_cmd, db) if settings.trial_manage_cmd else manage_prefix(settings)
        pgoptions = (f"-c lock_timeout={settings.migrate_lock_timeout} "
                     f"-c statement_timeout={settings.migrate_statement_timeout}")
        start.env = target_env(settings, extra={**handoff.env(db), "PGOPTIONS": pgoptions})
        start.cwd = str(settings.backend_dir if settings.backend_dir.is_dir() else REPO)
        start.password = db.password
        program = probes.source("trial_migrate", {"mark": probes.MARK})
        t_start = time.monotonic()
        start.talk = _Conversation(f"{start.prefix} shell -c {shlex.quote(program)}", start.cwd, start.env,
                                   db.password)
        start.said, _ = start.talk.next(300)
        start.startup_s = round(time.monotonic() - t_start, 3)
    except BaseException:
        start.discard()
        raise
    return start


@dataclass(frozen=True, slots=True)
class RanAhead:
    """The copy's own plan (the program's first answer), migrated before the target's plan was known."""

    plan: tuple[str, ...]
    runs: tuple[MigrationRun, ...]
    started_at: str
    one_by_one: bool = True

    def serves(self, pending: list[str]) -> bool:
        """The runs are the trial of ``pending``: one by one the same migrations in the same order, all at
        once (one ``migrate``) the same set.

        >>> RanAhead(("a.1", "b.1"), (), "").serves(["b.1", "a.1"])
        False
        >>> RanAhead(("a.1", "b.1"), (), "", one_by_one=False).serves(["b.1", "a.1"])
        True
        """
        if self.one_by_one:
            return list(self.plan) == list(pending)
        return len(self.plan) == len(pending) and set(self.plan) == set(pending)


def migrate_ahead(start: TrialStart, settings: Settings) -> RanAhead | None:
    """Run the copy's own plan (``start.said["plan"]``) through the started program, as ``run_trial`` would
    run the target's, before that is known. Only when the program said it is connected to the copy (the
    safety check): otherwise, or when it took no migration (its stdin is not forwarded), ``None`` and
    ``run_trial`` decides (refuses, or runs each migration in its own process)."""
    said = start.said
    plan = said.get("plan") if said is not None else None
    if start.error or start.talk is None or said is None or said.get("database") != start.name \
            or not isinstance(plan, list):
        return None
    plan = [str(m) for m in plan]
    started_at = now_utc().isoformat(timespec="milliseconds")
    start.spent = True  # from here on the copy may have changed
    runs = _converse(start.talk, _steps(plan, settings.trial_one_by_one), start.dsn, start.name,
                     list(settings.protected_tables), TRIAL_TIMEOUT_S)
    if runs is None:  # it never took a migration: the copy is as restored
        start.spent = False
        return None
    return RanAhead(tuple(plan), tuple(runs), started_at, settings.trial_one_by_one)


def run_trial(settings: Settings, backup: Backup, pg: DisposablePostgres, pending: list[str],
              timeout_s: float = TRIAL_TIMEOUT_S, keep: bool = False, started: TrialStart | None = None,
              ahead: RanAhead | None = None) -> TrialResult:
    """Restore ``backup`` into ``pg``, run ``pending`` there with the release's code, measure each migration.

    The migrations run in ONE ``manage.py shell`` (``gate/probes/trial_migrate.py``: Django starts once,
    as in the real ``migrate``); when the configured command does not carry the conversation (its stdin
    is not forwarded, or the program said nothing), each migration runs in its own ``manage.py migrate``
    as before, and ``trial.json`` says which (``mode``). ``started``: ``prepare_trial``'s result for this
    backup and server, taken over (and discarded at the end like the trial's own). ``ahead``:
    ``migrate_ahead``'s runs on that start; when they serve ``pending`` they are the trial (nothing runs
    again), else the start is discarded and ``pending`` runs on a fresh copy (of the same template)."""
    start = started if started is not None else prepare_trial(settings, backup, pg)
    if start.spent and (ahead is None or not ahead.serves(pending)):
        template = start.copy_of or None
        start.discard()
        start = prepare_trial(settings, backup, pg, template)
    name, dsn, restore_s, handoff, said = start.name, start.dsn, start.restore_s, start.handoff, start.said
    try:
        if start.error:
            raise TrialRefused(f"the backup does not restore into the disposable server: {start.error[-500:]}")
        prefix, cwd, env = start.prefix, start.cwd, start.env
        protected = list(settings.protected_tables)
        steps = _steps(pending, settings.trial_one_by_one)
        taken = ahead if start.spent else None
        started_at = taken.started_at if taken is not None else now_utc().isoformat(timespec="milliseconds")
        runs = _one_process(start, settings, steps, taken, timeout_s)
        if runs is not None:
            return TrialResult(name, restore_s, settings.trial_one_by_one, tuple(runs), tuple(pending),
                               ONE_PROCESS, start.startup_s, copy_of=start.copy_of, ahead=start.spent,
                               started_at=started_at)
        why = ("the program said nothing through TRIAL_MANAGE_CMD/MANAGE_CMD" if said is None else
               "the command line does not forward stdin (the program got no migration to run)")
        if said is None:  # today's safety probe, alone: its answer (or its error) decides
            probe = _run(f"{prefix} shell -c {shlex.quote(probes.source('current_database', None))}", cwd, env, 300,
                         start.password)
            answered = probes.answer(probe.stdout)
            if answered != name:
                raise _refuse(handoff, settings, name, f"it connects to database {answered!r}"
                              if answered is not None else f"the probe exited {probe.returncode}: "
                              f"{(probe.stderr or probe.stdout).strip()[-300:]}")
        runs = _per_process(prefix, cwd, env, steps, dsn, name, protected, timeout_s, start.password)
        return TrialResult(name, restore_s, settings.trial_one_by_one, tuple(runs), tuple(pending), PER_PROCESS,
                           0.0, why, copy_of=start.copy_of, started_at=started_at)
    finally:
        if not keep:
            pg.drop_database(name)


def _one_process(start: TrialStart, settings: Settings, steps: list[tuple[str, list[str]]], ahead: RanAhead | None,
                 timeout_s: float) -> list[MigrationRun] | None:
    """``run_trial``'s migrations in the started program, once it said it is connected to the copy (else
    ``TrialRefused``): ``ahead``'s runs when it ran them there, else ``steps`` now; ``None`` when the program
    said nothing or took no migration (fall back). The program is ended after."""
    assert start.talk is not None
    try:
        if start.said is not None and start.said.get("database") != start.name:
            raise _refuse(start.handoff, settings, start.name,
                          f"it connects to database {str(start.said.get('database'))!r}")
        if ahead is not None:
            return list(ahead.runs)
        return None if start.said is None else _converse(start.talk, steps, start.dsn, start.name,
                                                         list(settings.protected_tables), timeout_s)
    finally:
        start.talk.close()


def _steps(pending: list[str], one_by_one: bool) -> list[tuple[str, list[str]]]:
    """(label, words sent) per step: each migration by name (``app name``), or one ``*`` (all at once).

    >>> _steps(["orders.0002_a", "users.0003_b"], True)
    [('orders.0002_a', ['orders', '0002_a']), ('users.0003_b', ['users', '0003_b'])]
    >>> _steps(["orders.0002_a", "users.0003_b"], False)
    [('orders.0002_a+users.0003_b', ['*'])]
    """
    return [(m, m.split(".", 1)) for m in pending] if one_by_one else [("+".join(pending) or "(none)", ["*"])]


def _converse(talk: _Conversation, steps: list[tuple[str, list[str]]], dsn: str, name: str,
              protected: list[str], timeout_s: float) -> list[MigrationRun] | None:
    """The migrations through the running program, the copy measured around each (one process: Django
    started once); ``None`` when it never took the first one (fall back)."""
    _wait_alone(dsn, name)
    before = _measure(dsn, protected)
    runs: list[MigrationRun] = []
    for label, words in steps:
        t1 = time.monotonic()
        sent = talk.send(" ".join(words))
        started, noise = talk.next(timeout_s) if sent else (None, "")
        if started is None or "started" not in started:
            if not runs:
                return None
            started = None
        result, output = talk.next(timeout_s) if started is not None else (None, noise)
        duration = round(time.monotonic() - t1, 3)
        if result is None:  # the program died inside the migration
            exit_code = talk.exit_code() or 1
            result = {"exit": exit_code, "output": output}
        _wait_alone(dsn, name)
        after = _measure(dsn, protected)
        code = result.get("exit")
        exit_code = code if isinstance(code, int) else 1
        runs.append(MigrationRun(label, "manage.py " + " ".join(_argv(words)), exit_code, duration, before[2], after[2], _changes(before, after),
                                 (output + str(result.get("output", "")))[-2000:]))
        before = after
        if exit_code != 0:
            break
    return runs


def _argv(words: list[str]) -> list[str]:
    """The ``manage.py`` arguments of one step (``["*"]``: every pending migration at once)."""
    return ["migrate", *([] if words == ["*"] else words), "--noinput"]


def _per_process(prefix: str, cwd: str, env: dict[str, str], steps: list[tuple[str, list[str]]], dsn: str,
                 name: str, protected: list[str], timeout_s: float, secret: str) -> list[MigrationRun]:
    """Each migration in its own ``manage.py migrate`` (each pays Django's start-up)."""
    _wait_alone(dsn, name)
    before = _measure(dsn, protected)
    runs: list[MigrationRun] = []
    for label, words in steps:
        argv = _argv(words)
        line = " ".join([prefix, *(shlex.quote(a) for a in argv)])
        t1 = time.monotonic()
        proc = _run(line, cwd, env, timeout_s, secret)
        duration = round(time.monotonic() - t1, 3)
        _wait_alone(dsn, name)
        after = _measure(dsn, protected)
        runs.append(MigrationRun(label, "manage.py " + " ".join(argv), proc.returncode, duration, before[2],
                                 after[2], _changes(before, after), (proc.stdout + proc.stderr)[-2000:]))
        before = after
        if proc.returncode != 0:
            break
    return runs


def trial_json(result: TrialResult) -> str:
    """The trial as JSON text."""
    return json.dumps(result.as_dict(), indent=1, ensure_ascii=False)
