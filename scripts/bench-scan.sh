#!/usr/bin/env bash
# Benchmark `pydoctor scan` of a whole venv against libtree on the same ELF files given by
# list, side by side in one run: median wall time of several alternating runs, and
# pydoctor's peak memory (/usr/bin/time -v).
#
#   scripts/bench-scan.sh [VENV] [RUNS]
#   PYDOCTOR=/path/to/pydoctor scripts/bench-scan.sh   # time that binary (no cargo build)
#
# VENV defaults to the ldd benchmark's venv (scripts/bench-ldd.sh) when it exists, else one
# built here with the same package list under ${PYDOCTOR_TEST_CACHE:-/work/cache}/scan.
# scan does more than libtree: it walks the tree (checking every file's magic), reads every
# RECORD, starts the interpreter once for its facts, and checks symbol versions.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
CACHE=${PYDOCTOR_TEST_CACHE:-/work/cache}
PACKAGES="numpy scipy pandas pyarrow scikit-learn pillow matplotlib lxml cryptography grpcio
opencv-python-headless polars shapely orjson pydantic h5py"
RUNS=${2:-7}

VENV=${1:-}
if [ -z "$VENV" ]; then
    if [ -f "$CACHE/ldd/bench-venv/pyvenv.cfg" ]; then
        VENV=$CACHE/ldd/bench-venv
    else
        VENV=$CACHE/scan/bench-venv
        if [ ! -f "$VENV/.complete" ]; then
            rm -rf "$VENV"
            python3 -m venv "$VENV"
            # shellcheck disable=SC2086
            "$VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: $PACKAGES
            touch "$VENV/.complete"
        fi
    fi
fi
command -v libtree >/dev/null || { echo "libtree not installed (apt-get install libtree)" >&2; exit 2; }

if [ -z "${PYDOCTOR:-}" ]; then
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
    PYDOCTOR=$REPO/target/release/pydoctor
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The same files scan resolves: regular files (symlinks not followed) starting with \x7fELF.
python3 - "$VENV" > "$WORK/list" <<'EOF'
import os, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p):
            continue
        try:
            with open(p, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    print(p)
        except OSError:
            pass
EOF
N=$(wc -l < "$WORK/list")
TOTAL=$(find "$VENV" -type f | wc -l)
echo "venv: $VENV ($TOTAL files, $N ELF files)"

now() { date +%s.%N; }
scan_times=()
libtree_times=()
for _ in $(seq "$RUNS"); do
    t0=$(now); "$PYDOCTOR" scan --format json "$VENV" > "$WORK/scan.json" || true; t1=$(now)
    xargs -a "$WORK/list" -d '\n' libtree > /dev/null 2>&1 || true; t2=$(now)
    scan_times+=("$(echo "$t1 - $t0" | bc)")
    libtree_times+=("$(echo "$t2 - $t1" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${scan_times[@]}")
ml=$(median "${libtree_times[@]}")
objects=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$WORK/scan.json")
/usr/bin/time -v "$PYDOCTOR" scan --format json "$VENV" > /dev/null 2> "$WORK/time.txt" || true
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$WORK/time.txt")

printf '%-34s %s\n' "runs" "$RUNS (alternating)"
printf '%-34s %s\n' "ELF files resolved by scan" "$objects"
printf '%-34s %.3f s\n' "pydoctor scan (median)" "$ms"
printf '%-34s %.3f s\n' "libtree on the list (median)" "$ml"
printf '%-34s %.2f\n' "ratio scan / libtree" "$(echo "$ms / $ml" | bc -l)"
printf '%-34s %s MB\n' "pydoctor scan peak RSS" "$((rss / 1024))"
