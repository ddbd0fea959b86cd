#!/usr/bin/env bash
# The runbook's "Rollback Procedure": put the database back to the pre-migration backup and the
# code back to the previous release.
#
#   CONFIRM=yes ./scripts/deploy/rollback_production.sh /backups/backup_pre_migration_YYYYMMDD_HHMMSS.dump
#   ./scripts/deploy/rollback_production.sh --confirm <dump>        (same)
#   ./scripts/deploy/rollback_production.sh <dump>                  (asks you to type the database name)
#
# Steps: 1 verify (refuses, changing nothing, unless: explicit confirmation; <dump>.sha256 beside the
# dump matches it; the dump is the one this window's backup step made, i.e. RUN_DIR/backup.json names
# this file with this sha256 and recorded no error) -> 2 stop the application (APP_STOP_CMD) ->
# 3 restore -> 4 check out the previous release (CHECKOUT_CMD) -> 5 start the application (APP_START_CMD)
# -> 6 maintenance off (MAINTENANCE_OFF_CMD, when set: the runbook's procedure forgets it, and a site
# left in maintenance is still down). A step whose command is ':' or empty is not configured: it is
# SKIPPED, said so in the output and recorded as "skipped" with the setting (never claimed as done).
#
# Restore mode (ROLLBACK_RESTORE_MODE):
#   swap (default): pg_restore into a NEW database <db>_rollback_<stamp>, ANALYZE it, then in ONE
#     transaction rename <db> -> <db>_before_rollback_<stamp> and the new one -> <db>. Why: the database
#     the application uses is never half-restored. Until the swap commits it is untouched (a failed
#     restore leaves it exactly as the window left it); the swap itself is atomic (ALTER DATABASE
#     RENAME is transactional); the replaced database is kept for the investigation the runbook asks
#     for ("Rollback + расследование"). Cost: room for a second copy on the database server, and the
#     role needs CREATEDB (or be the owner / a superuser).
#   recreate: the runbook's manual variant, dropdb + createdb + pg_restore. Needs no extra room, but
#     from the drop on, until pg_restore has finished, the database is partial or missing.
#
# Settings (environment): DATABASE_URL (required; the role needs CREATEDB in swap mode),
# RUN_DIR (the window's run directory; default: the latest run under var/runs that started migrate),
# ROLLBACK_ACCEPT_BACKUP_STATE=yes (restore a backup whose snapshot shows the release applied or the
# catalog flushed: refused otherwise), APP_STOP_CMD and APP_START_CMD
# (required; ":" or empty when there is nothing to stop/start: skipped), MAINTENANCE_OFF_CMD (e.g. the nginx
# symlink back, or '.venv/bin/python manage.py maintenance_mode off'), PREVIOUS_RELEASE_TAG (default v13.3.0),
# PREVIOUS_RELEASE_COMMIT (the previous release's commit, for releases identified by commit; wins over the tag),
# CHECKOUT_CMD (default: git -C "$BACKEND_DIR" checkout --quiet "$PREVIOUS_RELEASE_REF", the commit or else the
# tag, verified with git rev-parse before anything changes; ":" or empty: skipped),
# BACKEND_DIR (default ./backend), ROLLBACK_RESTORE_MODE swap|recreate, ROLLBACK_JOBS (pg_restore -j, 2),
# ROLLBACK_RESTORE_ARGS (extra pg_restore options, e.g. --no-owner), ROLLBACK_ADMIN_DB (database to
# connect to for CREATE/RENAME/DROP; default postgres), ROLLBACK_KEEP_OLD yes|no (swap mode: keep the
# replaced database; default yes), PG_BIN_DIR. The password reaches libpq through a temporary
# PGPASSFILE, never argv or the output.
#
# Exit codes: 0 rolled back; 2 refused (nothing changed); 3 failed before the database changed;
# 4 failed with the database in the state printed (restored or partial); 5 database restored but the
# code checkout or the application start failed. Progress and the final state go to RUN_DIR/rollback.json.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
confirm="${CONFIRM:-}"
dump=""
while (($#)); do
    case "$1" in
        --confirm|--yes) confirm=yes ;;
        -h|--help) sed -n '2,40p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "rollback: unknown option $1" >&2; exit 2 ;;
        *) [[ -z "$dump" ]] || { echo "rollback: one dump only" >&2; exit 2; }; dump="$1" ;;
    esac
    shift
done

refuse() { echo "rollback REFUSED: $*" >&2; echo "nothing was changed." >&2; exit 2; }

[[ -n "$dump" ]] || refuse "usage: rollback_production.sh [--confirm] <backup_pre_migration_*.dump>"
[[ -n "${DATABASE_URL:-}" ]] || refuse "DATABASE_URL is not set (postgresql://user:password@host:port/dbname)"
[[ -n "${APP_STOP_CMD+x}" ]] || refuse "APP_STOP_CMD is not set (e.g. 'supervisorctl stop freesport:*'; ':' when nothing runs: the step is skipped)"
[[ -n "${APP_START_CMD+x}" ]] || refuse "APP_START_CMD is not set (e.g. 'supervisorctl start freesport:*'; ':' when nothing runs: the step is skipped)"
# A command that is ':' or empty (blanks aside) is not configured: its step is skipped and said so.
unconfigured() { local v="${1//[[:space:]]/}"; [[ -z "$v" || "$v" == ":" ]]; }

GATE_PY="${GATE_PYTHON:-$REPO/.venv/bin/python}"; [[ -x "$GATE_PY" ]] || GATE_PY=python3
gate_py() { PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$GATE_PY" "$@"; }
if [[ -z "${RUN_DIR:-}" ]]; then  # the backup of the run that started migrate, not simply the latest run
    RUN_DIR="$(gate_py -m gate.rollback.backup_state pick "$REPO/var/runs" 2>/dev/null)" || RUN_DIR="$REPO/var/runs/latest"
    echo "rollback: RUN_DIR=$RUN_DIR (the latest run that started migrate)"
fi
PREVIOUS_RELEASE_TAG="${PREVIOUS_RELEASE_TAG:-v13.3.0}"
PREVIOUS_RELEASE_COMMIT="${PREVIOUS_RELEASE_COMMIT:-}"
PREVIOUS_RELEASE_REF="${PREVIOUS_RELEASE_COMMIT:-$PREVIOUS_RELEASE_TAG}"  # releases identified by commit: the commit
BACKEND_DIR="${BACKEND_DIR:-$REPO/backend}"
default_checkout=no
if [[ -z "${CHECKOUT_CMD+x}" ]]; then
    CHECKOUT_CMD="git -C \"\$BACKEND_DIR\" checkout --quiet \"\$PREVIOUS_RELEASE_REF\""
    default_checkout=yes
fi
MODE="${ROLLBACK_RESTORE_MODE:-swap}"
JOBS="${ROLLBACK_JOBS:-2}"
ADMIN_DB="${ROLLBACK_ADMIN_DB:-postgres}"
KEEP_OLD="${ROLLBACK_KEEP_OLD:-yes}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
PATH="$PG_BIN_DIR:$PATH"
export PREVIOUS_RELEASE_TAG PREVIOUS_RELEASE_COMMIT PREVIOUS_RELEASE_REF BACKEND_DIR RUN_DIR
[[ "$MODE" == swap || "$MODE" == recreate ]] || refuse "ROLLBACK_RESTORE_MODE=$MODE: expected swap or recreate"

STATE="$RUN_DIR/rollback.json"
t_start="$(date +%s.%N)"

# rollback.json: phase timings and the state the database is in; rewritten after every phase.
record() {  # record <phase> <status> [db_state] [message]
    python3 - "$STATE" "$1" "$2" "${3:-}" "${4:-}" "$t_start" <<'PY'
import json, os, sys, time, datetime
path, phase, status, db_state, message, t0 = sys.argv[1:7]
try:
    data = json.load(open(path))
except (OSError, ValueError):
    data = {}
now = time.time()
data.setdefault("phases", {})
if phase != "total":
    entry = data["phases"].setdefault(phase, {})
    if status == "start":
        entry["started"] = now
    elif status != "skipped":
        entry["duration_s"] = round(now - entry.get("started", now), 3)
    entry["status"] = status
    if status == "skipped":  # a step not configured: why, in the phase's own entry
        entry["reason"], message = message, ""
if db_state:
    data["db_state"] = db_state
if message:
    data["message"] = message
data["duration_s"] = round(now - float(t0), 3)
data["status"] = status if phase == "total" else data.get("status", "running")
data["updated_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
tmp = path + ".tmp"
with open(tmp, "w") as fh:
    json.dump(data, fh, indent=2)
os.replace(tmp, path)
PY
    [[ "$2" != start && "$2" != skipped ]] || crash_point "$1"
}
# The crash matrix (make crash-matrix) kills the script here: kill -9 at the start of a phase (or mid-restore).
crash_point() { if [[ -n "${ROLLBACK_CRASH_AT:-}" && "$1" == "$ROLLBACK_CRASH_AT" ]]; then kill -9 $$; fi; }

# --- 1. verify: confirmation, sha256, this window's backup ------------------------------------
[[ -e "$dump" ]] || refuse "$dump does not exist"
dump="$(cd "$(dirname "$dump")" && pwd)/$(basename "$dump")"
sidecar="$dump.sha256"
[[ -f "$sidecar" ]] || refuse "no $sidecar beside the dump: its integrity cannot be proven"
if [[ -d "$dump" ]]; then
    listing="$(cd "$(dirname "$dump")" && find "$(basename "$dump")" -type f | sort | xargs sha256sum)"
    [[ "$listing" == "$(cat "$sidecar")" ]] || refuse "$dump does not match $sidecar (sha256 differs)"
    digest="$(printf '%s\n' "$listing" | sha256sum | cut -c1-64)"
else
    (cd "$(dirname "$dump")" && sha256sum --quiet -c "$sidecar" >/dev/null 2>&1) \
        || refuse "$(basename "$dump") does not match $sidecar (sha256 differs: truncated or altered?)"
    digest="$(sha256sum "$dump" | cut -c1-64)"
fi
[[ -f "$RUN_DIR/backup.json" ]] || refuse "no backup manifest $RUN_DIR/backup.json: set RUN_DIR to the window's run directory"
why="$(python3 - "$RUN_DIR/backup.json" "$dump" "$digest" <<'PY'
import json, os, sys
manifest, dump, digest = sys.argv[1:4]
m = json.load(open(manifest))
if m.get("refused") or m.get("error"):
    print(f"this window's backup step did not succeed: {m.get('refused') or m.get('error')}")
elif os.path.realpath(m.get("path", "")) != os.path.realpath(dump):
    print(f"{dump} is not this window's backup (the backup step of run {m.get('run_id')} made {m.get('path')})")
elif m.get("sha256") != digest:
    print(f"{dump} is not the file this window's backup step made (sha256 differs from its manifest)")
PY
)"
[[ -z "$why" ]] || refuse "$why"
# This run's record (gate/window/guard.py, same rule): after a NO-GO nothing changed, so a restore would only
# throw away what the shop wrote since the backup; a backup whose BKP-01..04 did not pass is no way back.
# ROLLBACK_OVERRIDE="<reason>" runs past it, recorded in RUN_DIR/overrides.jsonl (the sign-off lists it).
why="$(python3 - "$RUN_DIR" "${ROLLBACK_OVERRIDE:-}" <<'PY'
import datetime, json, os, sys
run_dir, override = sys.argv[1], sys.argv[2].strip()
try:
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
except (OSError, ValueError):
    summary = {}
rows = {r.get("id"): r for r in summary.get("checks", [])}
reasons = []
if summary.get("verdict") == "NO-GO":
    reasons.append(f"this run's verdict is NO-GO ({(summary.get('decision') or {}).get('deciding_check')}): "
                   "nothing changed on the target, there is nothing to roll back")
reasons += [f"{i} {rows[i].get('outcome')}: the backup is not verified" for i in ("BKP-01", "BKP-02", "BKP-03",
            "BKP-04") if i in rows and rows[i].get("outcome") != "passed"]
if reasons and override:
    entry = {"step": "rollback", "reason": override, "overridden": reasons,
             "at": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    with open(os.path.join(run_dir, "overrides.jsonl"), "a") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
elif reasons:
    print("; ".join(reasons) + " (ROLLBACK_OVERRIDE=<reason> to run it anyway, recorded)")
PY
)"
[[ -z "$why" ]] || refuse "$why"
# A backup is a way back only when it was taken before this release's first destructive step.
if ! state_why="$(gate_py -m gate.rollback.backup_state check "$RUN_DIR" 2>&1)"; then
    if [[ "${ROLLBACK_ACCEPT_BACKUP_STATE:-}" == yes ]]; then
        echo "rollback: WARNING $dump is no pre-migration backup ($state_why); restoring it as told (ROLLBACK_ACCEPT_BACKUP_STATE=yes)"
    else
        refuse "$dump is no pre-migration backup: $state_why. Use the backup of the run that started migrate, or ROLLBACK_ACCEPT_BACKUP_STATE=yes to restore this state anyway"
    fi
fi
run_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("run_id",""))' "$RUN_DIR/backup.json")"
# The default checkout must be able to run before the database is touched: a rollback that restored every
# row must not end in exit 5 because the previous release is no tag in BACKEND_DIR (releases by commit).
if [[ "$default_checkout" == yes ]]; then
    if [[ -n "$PREVIOUS_RELEASE_COMMIT" ]]; then which="PREVIOUS_RELEASE_COMMIT=$PREVIOUS_RELEASE_COMMIT"
    else which="PREVIOUS_RELEASE_TAG=$PREVIOUS_RELEASE_TAG"; fi
    git -C "$BACKEND_DIR" rev-parse --verify --quiet "$PREVIOUS_RELEASE_REF^{commit}" >/dev/null 2>&1 \
        || refuse "$which is no tag or commit in BACKEND_DIR=$BACKEND_DIR (git rev-parse), so the default checkout would fail after the restore. Set PREVIOUS_RELEASE_COMMIT to the previous release's commit, CHECKOUT_CMD to your deployment's own checkout, or CHECKOUT_CMD=: when the code is put back another way (the step is then skipped)"
fi

# Split the URL into libpq variables (the stdlib parses URLs correctly, quoting included).
eval "$(python3 - <<'PY'
import os, shlex
from urllib.parse import urlsplit, unquote
p = urlsplit(os.environ["DATABASE_URL"])
if p.scheme not in ("postgres", "postgresql") or not p.path.strip("/"):
    raise SystemExit("echo 'rollback REFUSED: DATABASE_URL: expected postgresql://user:password@host:port/dbname' >&2; exit 2")
vals = {"PGHOST": p.hostname or "localhost", "PGPORT": str(p.port or 5432),
        "DB_NAME": unquote(p.path.lstrip("/")), "PGUSER": unquote(p.username or ""),
        "DB_PASSWORD": unquote(p.password or "")}
print("\n".join(f"{k}={shlex.quote(v)}" for k, v in vals.items()))
PY
)"
export PGHOST PGPORT PGUSER
unset DATABASE_URL
umask 077
PASSFILE="$(mktemp)"
trap 'rm -f "$PASSFILE"' EXIT
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g'; }
printf '*:*:*:%s:%s\n' "$(esc "$PGUSER")" "$(esc "$DB_PASSWORD")" >"$PASSFILE"
unset DB_PASSWORD
export PGPASSFILE="$PASSFILE"

if [[ "$confirm" != yes ]]; then
    if [[ -t 0 ]]; then
        echo "This replaces database \"$DB_NAME\" on $PGHOST:$PGPORT with $(basename "$dump") (run $run_id)."
        read -r -p "Type the database name to confirm: " typed
        [[ "$typed" == "$DB_NAME" ]] || refuse "confirmation not given (typed \"$typed\")"
    else
        refuse "no confirmation: pass --confirm or CONFIRM=yes (this replaces database \"$DB_NAME\")"
    fi
fi

admin() { psql -X -q -w -v ON_ERROR_STOP=1 -d "$ADMIN_DB" "$@"; }

admin -A -t -c 'SELECT 1' >/dev/null 2>&1 \
    || refuse "cannot connect to the admin database \"$ADMIN_DB\" (ROLLBACK_ADMIN_DB) for CREATE/RENAME DATABASE"
if ! psql -X -w -A -t -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>&1; then
    exists="$(printf '%s\n' "SELECT count(*) FROM pg_database WHERE datname = :'name'" | admin -A -t -v name="$DB_NAME")"
    if [[ "$exists" == 0 && "$MODE" == recreate ]]; then
        echo "rollback: database \"$DB_NAME\" is MISSING (a recreate-mode rollback was interrupted after its drop): it is created and restored now"
    elif [[ "$exists" == 0 ]]; then
        refuse "database \"$DB_NAME\" is MISSING (an interrupted recreate-mode rollback?): run again with ROLLBACK_RESTORE_MODE=recreate"
    else
        refuse "cannot connect to database \"$DB_NAME\" on $PGHOST:$PGPORT as $PGUSER"
    fi
fi

stamp="$(date -u +%Y%m%d_%H%M%S)"
new_db="${DB_NAME}_rollback_${stamp}"
old_db="${DB_NAME}_before_rollback_${stamp}"
# SQL-quoted names, computed once: identifiers ("...") and literals ('...').
eval "$(python3 - "$DB_NAME" "$new_db" "$old_db" <<'PY'
import shlex, sys
for key, value in zip(("CUR", "NEW", "OLD"), sys.argv[1:4]):
    print(f"{key}_ID={shlex.quote(chr(34) + value.replace(chr(34), chr(34) * 2) + chr(34))}")
    print(f"{key}_LIT={shlex.quote(chr(39) + value.replace(chr(39), chr(39) * 2) + chr(39))}")
PY
)"
# A previous rollback that was killed left its record and maybe a partial copy: keep the record
# beside this one (renamed), drop the copies that never became the database, list the kept ones.
interrupted_record=""
if [[ -f "$STATE" ]] && ! python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])).get("status") not in ("done", "failed"))' "$STATE" 2>/dev/null; then
    interrupted_record="rollback.interrupted-$stamp.json"
    mv "$STATE" "$RUN_DIR/$interrupted_record"
    echo "rollback: the previous rollback of this run did not finish; its record is kept as $interrupted_record"
fi
leftovers="$(admin -A -t -c "SELECT datname FROM pg_database WHERE left(datname, length($CUR_LIT) + 10) = $CUR_LIT || '_rollback_'
                             AND substr(datname, length($CUR_LIT) + 11) ~ '^[0-9]{8}_[0-9]{6}\$' ORDER BY 1")"
for leftover in $leftovers; do
    echo "rollback: dropping \"$leftover\": the partial copy of an interrupted rollback (it never replaced \"$DB_NAME\")"
    admin -c "DROP DATABASE IF EXISTS \"${leftover//\"/\"\"}\" WITH (FORCE)"
done
kept="$(admin -A -t -c "SELECT string_agg(datname, ', ' ORDER BY datname) FROM pg_database
                        WHERE left(datname, length($CUR_LIT) + 17) = $CUR_LIT || '_before_rollback_'")"
[[ -z "$kept" ]] || echo "rollback: kept on purpose (replaced databases of earlier rollbacks, for the investigation): $kept"
rm -f "$STATE"
record total start "" ""
# The record names this process (make window-status tells a killed rollback from a running one) and
# what this run cleaned up or kept: the leftovers of killed rollbacks are never silent.
python3 - "$STATE" "$dump" "$digest" "$run_id" "$MODE" "$DB_NAME" "$PREVIOUS_RELEASE_TAG" "$$" "$(hostname)" \
    "$leftovers" "$kept" "$interrupted_record" "$PREVIOUS_RELEASE_COMMIT" <<'PY'
import json, sys
path, dump, digest, run_id, mode, db, tag, pid, host, dropped, kept, interrupted, commit = sys.argv[1:14]
data = json.load(open(path))
data.update(dump=dump, sha256=digest, backup_run_id=run_id, mode=mode, database=db, previous_release_tag=tag,
            pid=int(pid), host=host, dropped_leftovers=dropped.split(), kept_databases=[k for k in kept.split(", ") if k],
            interrupted_record=interrupted or None)
if commit:
    data["previous_release_commit"] = commit
json.dump(data, open(path, "w"), indent=2)
PY
echo "rollback: $(basename "$dump") (run $run_id, sha256 ok) -> database \"$DB_NAME\" ($MODE mode)"

fail() {  # fail <exit code> <phase> <db state> <how to continue>
    record "$2" failed "$3" "$4"
    record total failed "$3" "$4"
    {
        echo
        echo "rollback FAILED during: $2"
        echo "database state: $3"
        echo "to continue:    $4"
    } >&2
    exit "$1"
}

# --- 2. stop the application -------------------------------------------------------------------
# What the failure messages below say about the application: only what this script did to it.
if unconfigured "$APP_STOP_CMD"; then
    app_state="the application was NOT stopped by this script (APP_STOP_CMD not configured)"
    record stop skipped "unchanged (window state)" "APP_STOP_CMD is '${APP_STOP_CMD}': not configured, nothing stopped"
    echo "rollback: [2/6] SKIPPED stopping the application: APP_STOP_CMD is '${APP_STOP_CMD}' (not configured); whatever runs keeps running"
else
    app_state="the application is STOPPED"
    record stop start "unchanged (window state)"
    echo "rollback: [2/6] stopping the application: $APP_STOP_CMD"
    bash -c "$APP_STOP_CMD" \
        || fail 3 stop "unchanged: \"$DB_NAME\" is as the window left it; the application may be partly stopped" \
            "fix APP_STOP_CMD and run this script again"
    record stop done
fi
if unconfigured "$APP_START_CMD"; then start_hint="start the application as you do (APP_START_CMD not configured)"
else start_hint="start the application: $APP_START_CMD"; fi

# --- 3. restore ---------------------------------------------------------------------------------
if [[ "$MODE" == swap ]]; then
    record restore start "unchanged (window state): restoring into the new copy \"$new_db\" (a partial copy when killed: the next run drops it)"
else  # recreate: from the drop on the database is missing or partial; a kill here must not read "unchanged"
    record restore start "REPLACING: \"$DB_NAME\" is dropped and restored now: missing or PARTIAL until the restore ends; run this script again"
fi
restore_args=(--exit-on-error --no-password -j "$JOBS")
if [[ -n "${ROLLBACK_RESTORE_ARGS:-}" ]]; then read -r -a extra <<<"$ROLLBACK_RESTORE_ARGS"; restore_args+=("${extra[@]}"); fi
if [[ "$MODE" == swap ]]; then
    echo "rollback: [3/6] restoring into new database \"$new_db\""
    create_sql="$(admin -A -t -c "
        SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L LC_COLLATE %L LC_CTYPE %L%s',
                      $NEW_LIT, pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                      CASE WHEN pg_has_role(current_user, d.datdba, 'MEMBER')
                           THEN format(' OWNER %I', pg_get_userbyid(d.datdba)) ELSE '' END)
        FROM pg_database d WHERE d.datname = $CUR_LIT")" \
        || fail 3 restore "unchanged: \"$DB_NAME\" is as the window left it; $app_state" \
            "check the role's privileges, then run this script again (or $start_hint)"
    admin -c "$create_sql" \
        || fail 3 restore "unchanged: \"$DB_NAME\" is as the window left it; $app_state" \
            "grant CREATEDB (or use ROLLBACK_RESTORE_MODE=recreate), then run this script again"
    crash_point restore:copy
    if ! pg_restore "${restore_args[@]}" -d "$new_db" "$dump"; then
        admin -c "DROP DATABASE IF EXISTS $NEW_ID" || true
        fail 3 restore "unchanged: \"$DB_NAME\" is as the window left it (the partial copy \"$new_db\" was dropped); $app_state" \
            "read pg_restore's error above, fix it and run this script again"
    fi
    psql -X -q -w -d "$new_db" -c 'ANALYZE' \
        || fail 3 restore "unchanged: \"$DB_NAME\" is as the window left it; restored copy \"$new_db\" is complete but not in place" \
            "run: ANALYZE in \"$new_db\", then rename it to \"$DB_NAME\" (see ALTER DATABASE below) or run this script again"
    record restore done "restored copy \"$new_db\" ready; \"$DB_NAME\" still the window state"
    record swap start
    echo "rollback: [3/6] swapping \"$DB_NAME\" -> \"$old_db\", \"$new_db\" -> \"$DB_NAME\" (one transaction)"
    swapped=no
    # Sessions still on the old database (the application is stopped; a cron job, a psql) are
    # ended, then both renames commit together or not at all.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname IN ($CUR_LIT, $NEW_LIT) AND pid <> pg_backend_pid()" \
                 -c "DO \$\$ BEGIN FOR i IN 1..50 LOOP
                         PERFORM pg_stat_clear_snapshot();
                         EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname IN ($CUR_LIT, $NEW_LIT));
                         PERFORM pg_sleep(0.1); END LOOP; END \$\$" \
                 -c "BEGIN; ALTER DATABASE $CUR_ID RENAME TO $OLD_ID; ALTER DATABASE $NEW_ID RENAME TO $CUR_ID; COMMIT;" \
                >/dev/null 2>"$RUN_DIR/rollback_swap.err"; then
            swapped=yes; break
        fi
        sleep 0.5
    done
    [[ "$swapped" == yes ]] \
        || fail 4 swap "unchanged: \"$DB_NAME\" is as the window left it; the restored copy is \"$new_db\" (complete); $app_state. $(tail -1 "$RUN_DIR/rollback_swap.err")" \
            "close the sessions still using \"$DB_NAME\", then: psql -d $ADMIN_DB -c 'BEGIN; ALTER DATABASE \"$DB_NAME\" RENAME TO \"$old_db\"; ALTER DATABASE \"$new_db\" RENAME TO \"$DB_NAME\"; COMMIT;' and continue with the checkout and APP_START_CMD"
    if [[ "$KEEP_OLD" != yes ]]; then
        admin -c "DROP DATABASE IF EXISTS $OLD_ID" || echo "rollback: could not drop \"$old_db\"; drop it by hand" >&2
    else
        echo "rollback: the replaced database is kept as \"$old_db\" for the investigation (drop it when done)"
    fi
    record swap done "restored: \"$DB_NAME\" holds the backup; replaced database kept as \"$old_db\""
else
    echo "rollback: [3/6] dropdb + createdb \"$DB_NAME\" + pg_restore"
    admin -c "DROP DATABASE IF EXISTS $CUR_ID WITH (FORCE)" \
        || fail 3 restore "unchanged: \"$DB_NAME\" is as the window left it; $app_state" \
            "close the sessions using \"$DB_NAME\" and run this script again"
    crash_point restore:dropped
    admin -c "CREATE DATABASE $CUR_ID" \
        || fail 4 restore "MISSING: \"$DB_NAME\" was dropped and could not be created; $app_state" \
            "createdb \"$DB_NAME\" && pg_restore -d \"$DB_NAME\" $dump, then the checkout and APP_START_CMD"
    pg_restore "${restore_args[@]}" -d "$DB_NAME" "$dump" \
        || fail 4 restore "PARTIAL: \"$DB_NAME\" holds part of the backup; $app_state" \
            "fix pg_restore's error above, then run this script again (it drops and restores again)"
    psql -X -q -w -d "$DB_NAME" -c 'ANALYZE' || true
    record restore done "restored: \"$DB_NAME\" holds the backup"
fi

# --- 4. check out the previous release -------------------------------------------------------------
if unconfigured "$CHECKOUT_CMD"; then
    code_state="code NOT checked out by this script (CHECKOUT_CMD not configured: make sure it is $PREVIOUS_RELEASE_REF)"
    record checkout skipped "" "CHECKOUT_CMD is '${CHECKOUT_CMD}': not configured, the code was not checked out"
    echo "rollback: [4/6] SKIPPED checking out $PREVIOUS_RELEASE_REF: CHECKOUT_CMD is '${CHECKOUT_CMD}' (not configured); the code is whatever the deployment runs"
else
    code_state="code at $PREVIOUS_RELEASE_REF"
    record checkout start
    echo "rollback: [4/6] checking out $PREVIOUS_RELEASE_REF: $CHECKOUT_CMD"
    bash -c "$CHECKOUT_CMD" \
        || fail 5 checkout "restored: \"$DB_NAME\" holds the backup (v13.3 data); the code is still the new release; $app_state" \
            "check out $PREVIOUS_RELEASE_REF by hand, then $start_hint"
    record checkout done
fi

# --- 5. start the application -----------------------------------------------------------------------
if unconfigured "$APP_START_CMD"; then
    app_done="application not started by this script (APP_START_CMD not configured)"
    record start skipped "" "APP_START_CMD is '${APP_START_CMD}': not configured, nothing started"
    echo "rollback: [5/6] SKIPPED starting the application: APP_START_CMD is '${APP_START_CMD}' (not configured)"
else
    app_done="application started"
    record start start
    echo "rollback: [5/6] starting the application: $APP_START_CMD"
    bash -c "$APP_START_CMD" \
        || fail 5 start "restored: \"$DB_NAME\" holds the backup; $code_state; the application did NOT start" \
            "read the application's log, then start it: $APP_START_CMD"
    record start done
fi

# --- 6. maintenance off ---------------------------------------------------------------------------
# The runbook's rollback procedure stops at "start the application": a site left in maintenance
# (Django's flag file, or nginx's maintenance site) is still down. MAINTENANCE_OFF_CMD ends it.
if [[ -n "${MAINTENANCE_OFF_CMD:-}" ]]; then
    record maintenance_off start
    echo "rollback: [6/6] maintenance off: $MAINTENANCE_OFF_CMD"
    bash -c "$MAINTENANCE_OFF_CMD" \
        || fail 5 maintenance_off "restored: \"$DB_NAME\" holds the backup; $code_state; the site is still in MAINTENANCE" \
            "turn maintenance off by hand: $MAINTENANCE_OFF_CMD"
    record maintenance_off done
else
    record maintenance_off skipped "" "MAINTENANCE_OFF_CMD not set: if the site is in maintenance, turn it off by hand"
    echo "rollback: [6/6] SKIPPED maintenance off: MAINTENANCE_OFF_CMD not set: if the site is in maintenance, turn it off by hand" >&2
fi
record total done "restored: \"$DB_NAME\" holds the backup; $code_state; $app_done"
echo "rollback: done in $(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$t_start")s — \"$DB_NAME\" is back at the pre-migration backup"
