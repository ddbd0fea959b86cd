#!/usr/bin/env bash
# Create/refresh .venv from pyproject.toml + uv.lock (installs uv with pip when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
stamp=.venv/.synced
if [ ! -f "$stamp" ] || [ uv.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  uv sync --frozen --quiet
  touch "$stamp"
fi
