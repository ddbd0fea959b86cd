#!/usr/bin/env bash
# Runbook step 6 (02:25, 2 min): delete the catalog. Guarded: refuses (exit 3, nothing changed)
# unless CONFIRM=yes AND this run's backup passed BKP-01..04 (summary.json). Not idempotent by
# nature, but harmless to repeat: an empty catalog flushes to empty.
source "$(dirname "$0")/_common.sh"
confirm=()
[[ "${CONFIRM:-}" == "yes" ]] && confirm=(--confirm)
"$GATE_PYTHON" -m gate.window.guard flush "${confirm[@]}" --run-dir "$RUN_DIR" --window-steps "${GATE_WINDOW_STEPS:-}"
# FLUSH_ARGS is a setting (default: --confirm --skip-interactive --format json)
read -r -a flush_args <<<"${FLUSH_ARGS---confirm --skip-interactive --format json}"
manage flush_products "${flush_args[@]}" >"$RUN_DIR/flush_result.json"
cat "$RUN_DIR/flush_result.json"; echo
