#!/bin/sh
# Benchmark `pydoctor ldd` against libtree (one process, all files) and an `ldd` loop over
# every ELF file of a venv of popular wheels (~390 files). Prints median wall times of
# $RUNS runs each, the ratios, and pydoctor's peak RSS.
#
#   scripts/bench-ldd.sh            # venv cached in $BENCH_VENV (default /work/cache/ldd/bench-venv)
#
# Needs: python3 with venv/pip (network on first run), libtree (apt-get install libtree), ldd.
set -eu

VENV=${BENCH_VENV:-/work/cache/ldd/bench-venv}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES="numpy scipy pandas pyarrow scikit-learn pillow matplotlib lxml cryptography grpcio
opencv-python-headless polars shapely orjson pydantic h5py"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $PACKAGES
fi
command -v libtree >/dev/null || { echo "libtree missing: apt-get install libtree" >&2; exit 2; }

(cd "$ROOT" && cargo build --release -q)
PYDOCTOR="$ROOT/target/release/pydoctor"

LIST=$(mktemp)
trap 'rm -f "$LIST"' EXIT
find "$VENV" -type f -name '*.so*' | while read -r f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && printf '%s\n' "$f"
done > "$LIST"
N=$(wc -l < "$LIST")
echo "ELF files: $N"

# median_ms CMD...: run CMD $RUNS times (output discarded), print the median wall time in ms.
median_ms() {
    python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}

# xargs keeps argument lists within limits; -n big enough for one process.
PD=$(median_ms sh -c "xargs -d '\n' -n 100000 '$PYDOCTOR' --format json ldd < '$LIST'")
PDH=$(median_ms sh -c "xargs -d '\n' -n 100000 '$PYDOCTOR' --color never ldd < '$LIST'")
LT=$(median_ms sh -c "xargs -d '\n' -n 100000 libtree < '$LIST'")
LD=$(RUNS=1 median_ms sh -c "while read -r f; do ldd \"\$f\"; done < '$LIST'")
RSS=$(python3 - "$PYDOCTOR" "$LIST" <<'PY'
import resource, subprocess, sys
files = open(sys.argv[2]).read().split("\n")
subprocess.run([sys.argv[1], "--format", "json", "ldd", *[f for f in files if f]],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
)

echo "pydoctor ldd (json):  ${PD} ms"
echo "pydoctor ldd (tree):  ${PDH} ms"
echo "libtree:              ${LT} ms"
echo "ldd loop (1 run):     ${LD} ms"
python3 -c "print(f'pydoctor/libtree: {$PD/$LT:.2f}x (target <= 1.0x); ldd loop/pydoctor: {$LD/$PD:.0f}x (target >= 100x)')"
echo "pydoctor peak RSS:    ${RSS} MB (target < 50 MB)"
