#!/usr/bin/env bash
# Report tooling for `make report` / `make test`: Allure 3 (npm, pinned by package-lock.json) and
# Debian's chromium (headless rendering of the report and the sign-off page). Idempotent: does
# nothing when node_modules is in step with package-lock.json and /usr/bin/chromium exists.
#
# Records what it settled on (var/tools/found/node, allure, chromium): the report takes them from there.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bootstrap/record.sh

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
  else return 1; fi
}

apt_install() {
  echo "installing $* (apt)…" >&2
  as_root apt-get update -qq || { echo "report-tools: cannot run apt-get (not root, no sudo): install $* yourself" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# Allure 3 needs Node >= 20 (Debian bookworm's apt has 18): fetch Node 20 from npm when older.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ] && [ ! -x var/tools/node20/node_modules/.bin/node ]; then
  echo "node $node_major is too old for Allure 3: installing Node 20 into var/tools/node20 (npm)…" >&2
  npm install --no-audit --no-fund --loglevel=error --prefix var/tools/node20 node@20 >/dev/null
fi

if [ "$node_major" -lt 20 ]; then
  record_tool node "$PWD/var/tools/node20/node_modules/.bin/node"
else
  record_tool node "$(command -v node)"
fi

stamp=node_modules/.package-lock.json
if [ ! -d node_modules/allure ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "installing Allure 3 (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  apt_install chromium
fi
record_tool allure "$PWD/node_modules/.bin/allure"
record_tool chromium "$chromium"
