#!/usr/bin/env bash
# Runbook step 1 (02:02, 10 min): pg_dump -Fc + sha256 + the pre-migration snapshot from the same
# exported snapshot (`python -m gate.backup`, the gate-core's step; BKP-01..04 check it after).
source "$(dirname "$0")/_common.sh"
exec "$GATE_PYTHON" -m gate.backup
