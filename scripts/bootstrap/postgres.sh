#!/usr/bin/env bash
# Make sure PostgreSQL 15 server binaries exist (apt-get when missing; the server is not started).
set -euo pipefail
major="${PG_MAJOR:-15}"
if [ -x "/usr/lib/postgresql/$major/bin/initdb" ] || { [ -n "${PG_BIN_DIR:-}" ] && [ -x "$PG_BIN_DIR/initdb" ]; }; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL $major server binaries are missing: run 'sudo apt-get install postgresql-$major' or set PG_BIN_DIR" >&2
  exit 1
fi
echo "installing postgresql-$major server binaries (apt)…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-$major" >/dev/null
