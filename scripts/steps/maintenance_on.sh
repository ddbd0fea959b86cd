#!/usr/bin/env bash
# Runbook step 2 (02:00, 2 min): maintenance on. Idempotent (on twice is on).
# MAINTENANCE_ON_CMD overrides the Django command, e.g. the nginx variant:
#   MAINTENANCE_ON_CMD='ssh prod "sudo ln -sf /etc/nginx/sites-available/maintenance /etc/nginx/sites-enabled/default && sudo nginx -s reload"'
source "$(dirname "$0")/_common.sh"
if [[ -n "${MAINTENANCE_ON_CMD:-}" ]]; then
    eval "$MAINTENANCE_ON_CMD"
else
    manage maintenance_mode on
fi
