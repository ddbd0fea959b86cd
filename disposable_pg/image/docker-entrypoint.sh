#!/bin/sh
# What the official postgres image's entrypoint does, in a few lines: honour POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB (and POSTGRES_HOST_AUTH_METHOD, POSTGRES_INITDB_ARGS), initdb
# on first start (copying the build-time initdb of the default settings, ~1 s faster), drop from
# root to the postgres user, listen on all addresses.
# `docker run IMAGE -c fsync=off` passes the flags to postgres, as the official image does.
set -eu

case "${1:-postgres}" in
  postgres) [ "$#" -gt 0 ] && shift ;;
  -*) ;;
  *) exec "$@" ;;
esac

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

template=/var/lib/postgresql/pgdata-template
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "error: POSTGRES_PASSWORD is empty; set it, or POSTGRES_HOST_AUTH_METHOD=trust" >&2
    exit 1
  fi
  sql=""
  if [ -s "$template/PG_VERSION" ] && [ "$POSTGRES_USER" = postgres ] && [ -z "${POSTGRES_INITDB_ARGS:-}" ] &&
    [ "$POSTGRES_HOST_AUTH_METHOD" = scram-sha-256 ]; then
    # The build's initdb output for exactly these settings; only the password differs.
    cp -a "$template/." "$PGDATA/"
    escaped="$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")"
    sql="ALTER ROLE postgres PASSWORD '$escaped';

"
  else
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
    initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" --no-sync \
      ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
  fi
  printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    escaped_db="$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')"
    sql="$sql CREATE DATABASE \"$escaped_db\";

"
  fi
  if [ -n "$sql" ]; then
    # Single-user mode: no temporary server, so nothing answers on TCP before we are ready.
    printf '%s' "$sql" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
