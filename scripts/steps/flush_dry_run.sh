#!/usr/bin/env bash
# Runbook step 6, first line: the flush's dry run, per table, as JSON for FLS-01 (nothing deleted).
source "$(dirname "$0")/_common.sh"
# FLUSH_DRY_RUN_ARGS is a setting (default: --dry-run --format json); a text-only dry run is recorded as is
read -r -a flush_args <<<"${FLUSH_DRY_RUN_ARGS---dry-run --format json}"
manage flush_products "${flush_args[@]}" >"$RUN_DIR/flush_plan.json"
cat "$RUN_DIR/flush_plan.json"; echo
