#!/usr/bin/env bash
# Benchmark `pydoctor scan` of a whole venv against libtree on the same ELF files given by
# list, side by side in one run: median wall time of several alternating runs (and the
# median of per-round ratios), and pydoctor's peak memory (/usr/bin/time -v).
#
#   scripts/bench-scan.sh [VENV] [RUNS]
#   PYDOCTOR=/path/to/pydoctor scripts/bench-scan.sh   # time that binary (no cargo build)
#
# VENV defaults to the ldd benchmark's venv (scripts/bench-ldd.sh) when it exists, else one
# built here with the same package list under ${PYDOCTOR_TEST_CACHE:-target/tmp/cache}/scan.
# scan does more than libtree: it walks the tree (checking file magic), reads every RECORD,
# reads the interpreter's facts (without running it), and checks symbol versions.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
CACHE=${PYDOCTOR_TEST_CACHE:-$HERE/../target/tmp/cache}
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

# Interleaved rounds (scan, libtree, scan, …) so that load drifts on a shared machine hit
# both alike; both outputs discarded; wall time of each process from its spawn to its reap.
python3 - "$PYDOCTOR" "$VENV" "$WORK/list" "$RUNS" <<'EOF'
import json, statistics, subprocess, sys, time

pydoctor, venv, listing, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
files = open(listing).read().splitlines()
commands = {
    "scan": [pydoctor, "scan", "--format", "json", venv],
    "libtree": ["libtree", *files],
}
times = {k: [] for k in commands}
for _ in range(runs):
    for name, cmd in commands.items():
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append((time.perf_counter() - t) * 1000)
out = subprocess.run(commands["scan"], capture_output=True).stdout
objects = len(json.loads(out)["objects"])
ms, ml = statistics.median(times["scan"]), statistics.median(times["libtree"])
paired = statistics.median(a / b for a, b in zip(times["scan"], times["libtree"]))
print(f"{'runs':34} {runs} (alternating)")
print(f"{'ELF files resolved by scan':34} {objects}")
print(f"{'pydoctor scan (median)':34} {ms:.1f} ms (min {min(times['scan']):.1f})")
print(f"{'libtree on the list (median)':34} {ml:.1f} ms (min {min(times['libtree']):.1f})")
print(f"{'ratio scan / libtree':34} {ms / ml:.2f} (ratio of medians), {paired:.2f} (median of "
      f"per-round ratios) (target <= 2.0)")
EOF
/usr/bin/time -v "$PYDOCTOR" scan --format json "$VENV" > /dev/null 2> "$WORK/time.txt" || true
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$WORK/time.txt")
printf '%-34s %s MB (target < 100 MB)\n' "pydoctor scan peak RSS" "$((rss / 1024))"
