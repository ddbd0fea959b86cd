#!/usr/bin/env bash
# Make sure PostgreSQL server binaries exist (apt-get when missing); no server is started.
#
# On a machine without postgresql-common yet, the package would create and start a "main"
# cluster on port 5432; we only want the binaries (disposable_pg runs its own clusters), so
# create_main_cluster is turned off before the install.
# Settings: PG_MAJOR (15), PG_BIN_DIR (use these binaries instead; nothing is installed).
# Records the directory it settled on (var/tools/found/pg-bin), which is where the gate and
# disposable_pg take initdb, pg_ctl, pg_dump and pg_restore from.
set -euo pipefail
. "$(dirname "$0")/record.sh"
major="${PG_MAJOR:-15}"
if [ -n "${PG_BIN_DIR:-}" ]; then
  if [ -x "$PG_BIN_DIR/initdb" ]; then
    record_tool pg-bin "$PG_BIN_DIR"
    exit 0
  fi
  echo "PG_BIN_DIR=$PG_BIN_DIR has no initdb: unset it to have PostgreSQL $major installed, or point it at server binaries" >&2
  exit 1
fi
bin_dir="/usr/lib/postgresql/$major/bin"
if [ -x "$bin_dir/initdb" ]; then
  record_tool pg-bin "$bin_dir"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL $major server binaries are missing: run 'sudo apt-get install postgresql-$major' or set PG_BIN_DIR" >&2
  exit 1
fi
echo "installing postgresql-$major server binaries (apt)…" >&2
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/00-binaries-only.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "postgresql-$major" >/dev/null
record_tool pg-bin "$bin_dir"
