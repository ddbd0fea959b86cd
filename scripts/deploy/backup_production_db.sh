#!/usr/bin/env bash
# The runbook's Step 1 script: pg_dump -Fc of the target into BACKUP_DIR as
# backup_pre_migration_YYYYMMDD_HHMMSS.dump, with <dump>.sha256 beside it (sha256sum -c reads it).
#
# Works standalone on the production server:
#   DATABASE_URL=postgresql://user:pw@host:5432/db BACKUP_DIR=/backups ./scripts/deploy/backup_production_db.sh
# The password goes to pg_dump through a temporary PGPASSFILE, never through argv or the output.
# Settings: DATABASE_URL (required), BACKUP_DIR (default ./var/backups), PG_BIN_DIR (pg_dump's
# directory), BACKUP_FORMAT custom|directory, BACKUP_JOBS (directory format), BACKUP_MIN_FREE_FACTOR (2).
# Inside the gate, `make backup` runs `python -m gate.backup` instead: the same dump plus the
# pre-migration snapshot taken in the dump's exported snapshot.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set (postgresql://user:password@host:port/dbname)}"
BACKUP_DIR="${BACKUP_DIR:-./var/backups}"
BACKUP_FORMAT="${BACKUP_FORMAT:-custom}"
BACKUP_JOBS="${BACKUP_JOBS:-2}"
BACKUP_MIN_FREE_FACTOR="${BACKUP_MIN_FREE_FACTOR:-2}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
PATH="$PG_BIN_DIR:$PATH"

# Split the URL into libpq variables (python: the stdlib parses URLs correctly, quoting included).
eval "$(python3 - <<'PY'
import os, shlex
from urllib.parse import urlsplit, unquote
p = urlsplit(os.environ["DATABASE_URL"])
if p.scheme not in ("postgres", "postgresql") or not p.path.strip("/"):
    raise SystemExit("echo 'DATABASE_URL: expected postgresql://user:password@host:port/dbname' >&2; exit 2")
vals = {"PGHOST": p.hostname or "localhost", "PGPORT": str(p.port or 5432),
        "PGDATABASE": unquote(p.path.lstrip("/")), "PGUSER": unquote(p.username or ""),
        "DB_PASSWORD": unquote(p.password or "")}
print("\n".join(f"{k}={shlex.quote(v)}" for k, v in vals.items()))
PY
)"
export PGHOST PGPORT PGDATABASE PGUSER
unset DATABASE_URL

umask 077
PASSFILE="$(mktemp)"
trap 'rm -f "$PASSFILE"' EXIT
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g'; }
printf '%s:%s:%s:%s:%s\n' "$(esc "$PGHOST")" "$PGPORT" "$(esc "$PGDATABASE")" "$(esc "$PGUSER")" "$(esc "$DB_PASSWORD")" >"$PASSFILE"
unset DB_PASSWORD
export PGPASSFILE="$PASSFILE"

mkdir -p "$BACKUP_DIR"
db_size="$(psql -X -A -t -w -c 'SELECT pg_database_size(current_database())')"
free_bytes="$(df -P -B1 "$BACKUP_DIR" | awk 'NR==2 {print $4}')"
if ! python3 -c "import sys; sys.exit(0 if $free_bytes >= float('$BACKUP_MIN_FREE_FACTOR') * $db_size else 1)"; then
    echo "backup refused: ${free_bytes} bytes free in ${BACKUP_DIR}, need ${BACKUP_MIN_FREE_FACTOR} x ${db_size}" >&2
    exit 3
fi

stamp="$(date +%Y%m%d_%H%M%S)"
if [[ "$BACKUP_FORMAT" == "directory" ]]; then
    out="$BACKUP_DIR/backup_pre_migration_${stamp}.dumpdir"
    pg_dump -w -Fd -j "$BACKUP_JOBS" -f "$out"
    (cd "$BACKUP_DIR" && find "$(basename "$out")" -type f | sort | xargs sha256sum) >"$out.sha256"
else
    out="$BACKUP_DIR/backup_pre_migration_${stamp}.dump"
    pg_dump -w -Fc -f "$out"
    (cd "$BACKUP_DIR" && sha256sum "$(basename "$out")") >"$out.sha256"
fi

pg_restore --list "$out" >/dev/null
echo "backup: $out"
echo "sha256: $(head -c 64 "$out.sha256")"
echo "check:  (cd $BACKUP_DIR && sha256sum -c $(basename "$out").sha256)"
