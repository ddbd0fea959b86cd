#!/usr/bin/env bash
# Runbook step 4 (02:17, 3 min): Django migrations, with lock_timeout and statement_timeout set
# (PGOPTIONS reaches libpq: a migration waiting on a lock fails fast instead of blocking the shop).
# Over ssh/docker, MANAGE_CMD must forward PGOPTIONS (docker compose exec -e PGOPTIONS ...).
source "$(dirname "$0")/_common.sh"
export PGOPTIONS="${PGOPTIONS:-} -c lock_timeout=${MIGRATE_LOCK_TIMEOUT:-5s} -c statement_timeout=${MIGRATE_STATEMENT_TIMEOUT:-15min}"
say "pending before:"
manage showmigrations --plan | grep -F '[ ]' || say "  (none)"
manage migrate --noinput
say "pending after:"
manage showmigrations --plan | grep -F '[ ]' || say "  (none)"
