# Sourced by every step script: strict mode, the manage.py line, and redaction of printed URLs.
# Settings arrive as environment variables (the window runner exports them from ENV_FILE and the
# gate's settings); run a script by hand with `set -a; . var/local.env; set +a` first.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GATE_PYTHON="${GATE_PYTHON:-$REPO/.venv/bin/python}"
BACKEND_DIR="${BACKEND_DIR:-$REPO/backend}"
MANAGE_CMD="${MANAGE_CMD:-$GATE_PYTHON $BACKEND_DIR/manage.py}"
RUN_DIR="${RUN_DIR:?RUN_DIR is not set: run steps through make/python -m gate.window, or export RUN_DIR}"
# the target's module path (the gate hands it over in PYTHONPATH); manage() runs with it, never the gate's
TARGET_PYTHONPATH="${TARGET_PYTHONPATH-${PYTHONPATH-}}"
export TARGET_PYTHONPATH
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

# manage ARGS...: run manage.py on the target (MANAGE_CMD may be an ssh or docker compose prefix).
manage() {
    local quoted=() arg
    for arg in "$@"; do quoted+=("$(printf '%q' "$arg")"); done
    (cd "$BACKEND_DIR" 2>/dev/null || cd "$REPO"
     if [[ -n "$TARGET_PYTHONPATH" ]]; then export PYTHONPATH="$TARGET_PYTHONPATH"; else unset PYTHONPATH; fi
     eval "$MANAGE_CMD ${quoted[*]}")
}

# redact URL: the URL without its password.
redact() { sed -E 's#(://[^:/@]+):[^@/]+@#\1:***@#g' <<<"$1"; }

say() { printf '%s\n' "$*"; }
