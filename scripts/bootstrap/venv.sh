#!/usr/bin/env bash
# Create/refresh .venv from pyproject.toml + uv.lock (pinned; `uv sync --frozen`).
#
# uv comes from PATH when present; otherwise it is installed from PyPI into var/tools/uv (a
# small venv of its own), because a fresh Debian's python3 has no pip and refuses system-wide
# installs (PEP 668). As root, python3-venv is apt-installed when `python3 -m venv` cannot work.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bootstrap/record.sh

tools=var/tools/uv
uv_bin="$(command -v uv 2>/dev/null || true)"
if [ -z "$uv_bin" ] && [ -x "$tools/bin/uv" ]; then
  uv_bin="$tools/bin/uv"
fi
if [ -z "$uv_bin" ]; then
  echo "installing uv into $tools (PyPI)…" >&2
  rm -rf "$tools"
  if ! python3 -m venv "$tools" >/dev/null 2>&1; then
    rm -rf "$tools"
    if [ "$(id -u)" -ne 0 ]; then
      echo "python3 cannot create a venv: install python3-venv (or uv) and retry" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$tools"
  fi
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
  uv_bin="$tools/bin/uv"
fi

record_tool uv "$uv_bin"

# Bytecode is written at install time: every check session, manage.py line and rehearsal step is a
# new interpreter, and an environment with PYTHONDONTWRITEBYTECODE=1 (this machine's) would otherwise
# compile Django, DRF, pydantic… from source in each of them (≈ 0.5 s of CPU a start; docs/bootstrap.md).
stamp=.venv/.synced-compiled
if [ ! -f "$stamp" ] || [ uv.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$uv_bin" sync --frozen --quiet --compile-bytecode
  touch "$stamp"
fi
# The project's own modules too (up to date ones are skipped: ≈ 0.15 s); a file edited later is
# compiled in memory until the next bootstrap, as without this.
.venv/bin/python -m compileall -q -j 0 gate rehearse disposable_pg backend tests bench toolpaths.py conftest.py >/dev/null \
  || echo "bootstrap: compileall of the project's modules failed (harmless: they compile on import)" >&2
# pytest rewrites the asserts of test modules, conftests and its plugins (gate.plugin…) on import and
# keeps the result beside them (`*.cpython-311-pytest-<version>.pyc`), unless PYTHONDONTWRITEBYTECODE
# is set: then every pytest process (each check session's warm-up, each xdist worker) rewrites them
# again, ≈ 0.2 s a start. It reads them back whatever the environment, so listing the tests once with
# bytecode on writes them (≈ 3 s, again only when a .py file changed since).
rewritten=.venv/.pytest-rewritten
if [ ! -f "$rewritten" ] || [ -n "$(find gate tests backend conftest.py -name '*.py' -newer "$rewritten" -print -quit)" ]; then
  if env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pytest -q --co -p no:cacheprovider tests/ >/dev/null 2>&1 \
     && env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pytest -q --co -p no:cacheprovider >/dev/null 2>&1 \
     && (cd backend && env -u PYTHONDONTWRITEBYTECODE ../.venv/bin/python -m pytest -q --co -p no:cacheprovider >/dev/null 2>&1); then
    touch "$rewritten"
  else
    echo "bootstrap: listing the tests failed (harmless: pytest rewrites their asserts on import)" >&2
  fi
fi
