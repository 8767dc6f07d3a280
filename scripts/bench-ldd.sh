#!/bin/sh
# Benchmark `pydoctor ldd` against libtree (one process, all files) and an `ldd` loop over
# every ELF file of a venv of popular wheels (~390 files).
#
#   scripts/bench-ldd.sh            # venv cached in $BENCH_VENV (default target/tmp/cache/ldd/bench-venv)
#   RUNS=21 scripts/bench-ldd.sh    # more rounds (default 15)
#   PYDOCTOR=/path/to/pydoctor scripts/bench-ldd.sh   # time that binary (no cargo build)
#   LDD_LOOP=0 scripts/bench-ldd.sh # skip the ~10 s ldd loop
#
# The machine may be shared: runs are interleaved (pydoctor json, libtree, pydoctor tree,
# libtree, … per round) so that load drifts hit every command alike, and the ratio is given
# both as the ratio of medians and as the median of per-round ratios. Peak RSS is pydoctor's
# own, from `/usr/bin/time` (a child's ru_maxrss seen by Python counts Python's pages from
# before the exec).
#
# Needs: python3 with venv/pip (network on first run), libtree (apt-get install libtree), ldd.
set -eu

VENV=${BENCH_VENV:-$(cd "$(dirname "$0")/.." && pwd)/target/tmp/cache/ldd/bench-venv}
RUNS=${RUNS:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES="numpy scipy pandas pyarrow scikit-learn pillow matplotlib lxml cryptography grpcio
opencv-python-headless polars shapely orjson pydantic h5py"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $PACKAGES
fi
command -v libtree >/dev/null || { echo "libtree missing: apt-get install libtree" >&2; exit 2; }

if [ -z "${PYDOCTOR:-}" ]; then
    (cd "$ROOT" && cargo build --release -q)
    PYDOCTOR="$ROOT/target/release/pydoctor"
fi

exec python3 - "$PYDOCTOR" "$VENV" "$RUNS" "${LDD_LOOP:-1}" <<'PY'
import os, statistics, subprocess, sys, time

pydoctor, venv, runs, ldd_loop_on = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] != "0"

files = []
for d, _, names in os.walk(venv):
    for n in sorted(names):
        p = os.path.join(d, n)
        if ".so" not in n or not os.path.isfile(p) or os.path.islink(p):
            continue
        with open(p, "rb") as f:
            if f.read(4) == b"\x7fELF":
                files.append(p)
files.sort()
print(f"ELF files: {len(files)}")

def timed(cmd):
    """Wall time in ms and CPU time (user + sys) in ms of one run, output
    discarded. CPU time is steadier than wall time on a loaded machine."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t) * 1000
    return wall, (usage.ru_utime + usage.ru_stime) * 1000

commands = {
    "pydoctor ldd (json)": [pydoctor, "--format", "json", "ldd", *files],
    "pydoctor ldd (tree)": [pydoctor, "--color", "never", "ldd", *files],
    "libtree": ["libtree", *files],
}
times = {k: [] for k in commands}
cpu = {k: [] for k in commands}
for _ in range(runs):
    for name, cmd in commands.items():
        ms, cpu_ms = timed(cmd)
        times[name].append(ms)
        cpu[name].append(cpu_ms)

# One ldd process per file, as a shell loop would do it: once is enough (it is ~seconds).
ldd_loop = None
if ldd_loop_on:
    t = time.perf_counter()
    for f in files:
        subprocess.run(["ldd", f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ldd_loop = (time.perf_counter() - t) * 1000

med = {k: statistics.median(v) for k, v in times.items()}
for k, v in med.items():
    spread = f"min {min(times[k]):.1f}, max {max(times[k]):.1f}"
    print(f"{k + ':':22}{v:7.1f} ms  (median of {runs}; {spread}; "
          f"CPU {statistics.median(cpu[k]):.1f} ms)")
if ldd_loop is not None:
    print(f"{'ldd loop (1 run):':22}{ldd_loop:7.1f} ms")
pd, lt = med["pydoctor ldd (json)"], med["libtree"]
paired = statistics.median(a / b for a, b in zip(times["pydoctor ldd (json)"], times["libtree"]))
print(f"pydoctor/libtree: {pd / lt:.2f}x (ratio of medians), {paired:.2f}x (median of "
      f"per-round ratios) (target <= 1.0x)")
if ldd_loop is not None:
    print(f"ldd loop/pydoctor: {ldd_loop / pd:.0f}x (target >= 100x)")
timed_rss = subprocess.run(["/usr/bin/time", "-f", "%M", *commands["pydoctor ldd (json)"]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
peak = int(timed_rss.stderr.strip().splitlines()[-1]) / 1024
print(f"pydoctor peak RSS: {peak:.1f} MB (target < 50 MB)")
PY
