#!/usr/bin/env bash
# Make a Docker engine answer, so the disposable PostgreSQL can use containers.
#
# Does nothing when an engine already answers. Otherwise, as root: installs Debian's docker.io
# when dockerd is missing and starts dockerd detached, with its log in a file. The flags keep
# the host's firewall and sysctls untouched (plain dockerd rewrites iptables and turns on
# ip_forward, and stopping it undoes neither); the default bridge stays, because testcontainers
# publishes ports on it. When no engine can run, it says so and exits 0: the local PostgreSQL
# binaries are the allowed fallback (DISPOSABLE_PG=auto picks them).
#
# Settings: DOCKERD_STATE_DIR (pid + log, default /tmp/freesport-dockerd),
#           DOCKERD_WAIT (seconds to wait for `docker info`, default 30).
set -euo pipefail

state_dir="${DOCKERD_STATE_DIR:-/tmp/freesport-dockerd}"
wait_s="${DOCKERD_WAIT:-30}"

unavailable() {
  echo "containers unavailable: $1; using local PostgreSQL binaries" >&2
  exit 0
}

engine_answers() {
  command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
}

if [ "${DISPOSABLE_PG:-auto}" = "local" ]; then
  echo "DISPOSABLE_PG=local: not starting a container engine" >&2
  exit 0
fi
if engine_answers; then
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
  unavailable "DOCKER_HOST=${DOCKER_HOST} does not answer (only the default socket's engine is started here)"
fi
if [ "$(id -u)" -ne 0 ]; then
  unavailable "no Docker engine answers and only root can start one here"
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing docker.io (Debian's Docker engine)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Keep apt from starting the packaged dockerd with its default (iptables-changing) flags.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt_opts=(-o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends)
  if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
         apt-get install "${apt_opts[@]}" docker.io >/dev/null; }; then
    unavailable "apt-get install docker.io failed"
  fi
  command -v dockerd >/dev/null 2>&1 || unavailable "docker.io installed no dockerd"
fi
if ! command -v docker >/dev/null 2>&1; then
  unavailable "no docker client on PATH"
fi

mkdir -p "$state_dir"
state_dir="$(cd "$state_dir" && pwd)"
log="$state_dir/dockerd.log"
pidfile="$state_dir/dockerd.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "dockerd (pid $(cat "$pidfile")) is running but not answering yet; waiting" >&2
else
  echo "starting dockerd (log: $log)…" >&2
  # setsid + closed stdin: the engine outlives this make run and ignores its Ctrl-C; it runs in /,
  # not in the clone that started it (which may be deleted while the engine keeps serving others).
  (cd / && exec setsid dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    </dev/null >>"$log" 2>&1) &
  echo $! >"$pidfile"
fi

deadline=$((SECONDS + wait_s))
while ! engine_answers; do
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    tail -n 15 "$log" >&2 || true
    unavailable "dockerd exited at start (log: $log)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 15 "$log" >&2 || true
    unavailable "dockerd did not answer within ${wait_s}s (log: $log)"
  fi
  sleep 0.2
done
echo "Docker engine answers (dockerd pid $(cat "$pidfile"), log: $log)" >&2
