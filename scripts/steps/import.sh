#!/usr/bin/env bash
# Runbook step 7 (02:27, 30 min): the full import from 1C. IMPORT_READS_COPY=yes hands the
# importer a copy of the package (for importers that move or delete what they read; IMP-03
# checks the original is byte-identical afterwards). IMPORT_ARGS default --full.
source "$(dirname "$0")/_common.sh"
"$GATE_PYTHON" -m gate.window.guard import --run-dir "$RUN_DIR" --window-steps "${GATE_WINDOW_STEPS:-}"  # exit 3, nothing run: this run says stop (ROLLBACK…)
src="${ONEC_DATA_DIR:?ONEC_DATA_DIR is not set}"
data="$src"
if [[ "${IMPORT_READS_COPY:-}" == "yes" ]]; then
    data="$RUN_DIR/onec-copy"
    rm -rf "$data"
    cp -a "$src" "$data"
    say "importing from a copy: $data"
fi
# IMPORT_ARGS is a setting (default --full); empty means no arguments, never a fallback to --full
read -r -a import_args <<<"${IMPORT_ARGS---full}"
manage import_products_from_1c "${import_args[@]}" --data-dir "$data"
