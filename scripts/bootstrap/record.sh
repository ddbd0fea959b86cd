# shellcheck shell=bash
# Sourced by the bootstrap scripts: `record_tool NAME PATH` writes the absolute PATH of a tool the
# bootstrap found or installed to var/tools/found/NAME. toolpaths.py reads these records; nothing
# else looks tools up, so the gate always uses what the bootstrap chose.
record_tool() {
  local name=$1 path=$2 dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/var/tools/found"
  case "$path" in
    /*) ;;
    *) path="$(cd "$(dirname "$path")" && pwd)/$(basename "$path")" ;;
  esac
  mkdir -p "$dir"
  printf '%s\n' "$path" >"$dir/$name.tmp.$$" && mv -f "$dir/$name.tmp.$$" "$dir/$name"
}
