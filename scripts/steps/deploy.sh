#!/usr/bin/env bash
# Runbook step 3 (02:12, 5 min): the release's code on the target.
# DEPLOY_CMD does it on a real server, e.g.
#   DEPLOY_CMD='ssh prod "cd /var/www/freesport && git fetch origin && git checkout $RELEASE_TAG && .venv/bin/pip install -r requirements.txt && .venv/bin/python manage.py collectstatic --noinput && sudo supervisorctl restart freesport:*"'
# Without it (the bundled backend: its code is this repository's backend/, already served), the
# step verifies the code is there and collects static files. DEP-01 checks the result.
source "$(dirname "$0")/_common.sh"
say "release: ${RELEASE_TAG:-?} (previous ${PREVIOUS_RELEASE_TAG:-?})"
if [[ -n "${DEPLOY_CMD:-}" ]]; then
    eval "$DEPLOY_CMD"
else
    [[ -f "$BACKEND_DIR/manage.py" ]] || { say "no manage.py in BACKEND_DIR=$BACKEND_DIR" >&2; exit 1; }
    say "bundled backend at $BACKEND_DIR ($(git -C "$BACKEND_DIR" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))"
    manage collectstatic --noinput -v 0
fi
