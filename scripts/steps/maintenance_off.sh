#!/usr/bin/env bash
# Runbook step 9 (03:02, 2 min): maintenance off. Idempotent. MAINTENANCE_OFF_CMD overrides
# (nginx variant: link sites-available/freesport back and reload).
source "$(dirname "$0")/_common.sh"
if [[ -n "${MAINTENANCE_OFF_CMD:-}" ]]; then
    eval "$MAINTENANCE_OFF_CMD"
else
    manage maintenance_mode off
fi
