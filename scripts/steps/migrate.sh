#!/usr/bin/env bash
# Runbook step 4 (02:17, 3 min): Django migrations, with lock_timeout and statement_timeout set
# (PGOPTIONS reaches libpq: a migration waiting on a lock fails fast instead of blocking the shop).
# Over ssh/docker, MANAGE_CMD must forward PGOPTIONS (docker compose exec -e PGOPTIONS ...).
source "$(dirname "$0")/_common.sh"
"$GATE_PYTHON" -m gate.window.guard migrate --run-dir "$RUN_DIR" --window-steps "${GATE_WINDOW_STEPS:-}"  # exit 3, nothing run: this run says stop (NO-GO…)
export PGOPTIONS="${PGOPTIONS:-} -c lock_timeout=${MIGRATE_LOCK_TIMEOUT:-5s} -c statement_timeout=${MIGRATE_STATEMENT_TIMEOUT:-15min}"
say "pending before:"
manage showmigrations --plan | grep -F '[ ]' || say "  (none)"
if [[ "${MIGRATE_ONE_BY_ONE:-}" == "yes" ]]; then
    # the rehearsal's measurements: each pending migration alone, its duration and the database size change
    mkdir -p "$RUN_DIR/migrations"
    mapfile -t pending < <(manage showmigrations --plan | sed -n 's/^\[ \] *//p')
    for migration in "${pending[@]}"; do
        before="$("$GATE_PYTHON" -m gate.migrations.size)"
        t0="$(date +%s.%N)"
        manage migrate "${migration%%.*}" "${migration#*.}" --noinput
        t1="$(date +%s.%N)"
        after="$("$GATE_PYTHON" -m gate.migrations.size)"
        printf '{"migration": "%s", "duration_s": %.3f, "db_size_before": %s, "db_size_after": %s}\n' \
            "$migration" "$(awk "BEGIN {print $t1 - $t0}")" "$before" "$after" >>"$RUN_DIR/migrations/timings.jsonl"
    done
fi
manage migrate --noinput
say "pending after:"
manage showmigrations --plan | grep -F '[ ]' || say "  (none)"
