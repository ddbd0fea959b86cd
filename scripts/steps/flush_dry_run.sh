#!/usr/bin/env bash
# Runbook step 6, first line: the flush's dry run, per table, as JSON for FLS-01 (nothing deleted).
source "$(dirname "$0")/_common.sh"
manage flush_products --dry-run --format json >"$RUN_DIR/flush_plan.json"
cat "$RUN_DIR/flush_plan.json"; echo
