#!/usr/bin/env bash
# Print the skips recorded in a skip log (one `binary::test: why` line per skip).
#   scripts/skip-summary.sh [LOG] [LABEL]
log=${1:-${PYDOCTOR_SKIP_LOG:-target/skipped.log}}
label=${2:-}
n=0
[ -s "$log" ] && n=$(sort -u "$log" | wc -l)
echo
if [ "$n" -eq 0 ]; then
    echo "== ${label:+$label: }no test skipped"
else
    echo "== ${label:+$label: }$n skipped (SKIPPED):"
    sort -u "$log" | sed 's/^/   /'
fi
