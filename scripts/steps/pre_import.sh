#!/usr/bin/env bash
# Runbook step 5 (02:20, 5 min): the 1C package is there. The real validation is the gate's
# (ONE-01..04 and COL-01 after this step): checkauth only, the files streamed by gate/onec.
source "$(dirname "$0")/_common.sh"
dir="${ONEC_DATA_DIR:?ONEC_DATA_DIR is not set}"
[[ -d "$dir" ]] || { say "ONEC_DATA_DIR=$dir: no such directory" >&2; exit 1; }
count="$(find "$dir" -type f -iname '*.xml' | wc -l)"
say "1C package $dir: $count XML file(s), $(du -sh "$dir" | cut -f1)"
(( count > 0 )) || { say "no XML files in $dir" >&2; exit 1; }
