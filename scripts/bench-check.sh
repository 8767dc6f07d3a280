#!/usr/bin/env bash
# How much `pydoctor check numpy` adds to a bare `python -c 'import numpy'` (issue 4: at most
# 20%). Builds a release binary, makes a venv of the host python with real numpy (wheels cached
# in $PYDOCTOR_TEST_CACHE/wheels, default target/tmp/cache/wheels), then compares the median wall
# times of the two commands: hyperfine when it is installed, else RUNS interleaved runs of each
# timed by a small harness in the host python (wall clock, and CPU from wait4's rusage).
# Prints both medians and the ratio; exits 1 when the wall ratio is over the limit. CPU time
# is printed too: on a loaded machine it is the steadier figure.
#
#   scripts/bench-check.sh [RUNS]        (default 20; LIMIT=1.20 to change the limit)
set -euo pipefail

RUNS=${1:-20}
LIMIT=${LIMIT:-1.20}
HERE=$(cd "$(dirname "$0")/.." && pwd)
HOST_PY=${PYDOCTOR_TEST_PYTHON:-$(command -v python3)}
PYVER=$("$HOST_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
WHEELS=${PYDOCTOR_TEST_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/target/tmp/cache}/wheels
NUMPY=${NUMPY:-numpy==2.3.2}
WORK=$HERE/target/bench-check
VENV=$WORK/venv

cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
PYDOCTOR=$HERE/target/release/pydoctor

# The venv, once per numpy version.
if [ "$(cat "$VENV/.complete" 2>/dev/null)" != "$NUMPY" ]; then
    rm -rf "$VENV"
    mkdir -p "$WORK" "$WHEELS"
    "$HOST_PY" -m venv --without-pip "$VENV"
    SITE=$VENV/lib/python$PYVER/site-packages
    pip_install() {
        "$HOST_PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
            --no-index --find-links "$WHEELS" --only-binary=:all: --target "$SITE" "$NUMPY"
    }
    pip_install 2>/dev/null || {
        "$HOST_PY" -m pip download -q --disable-pip-version-check --only-binary=:all: \
            -d "$WHEELS" "$NUMPY"
        pip_install
    }
    printf '%s' "$NUMPY" > "$VENV/.complete"
fi
PY=$VENV/bin/python

# Outside the repo, with no variables that would change either run.
cd "$(mktemp -d)"
unset LD_LIBRARY_PATH VIRTUAL_ENV PYTHONPATH
CHECK=("$PYDOCTOR" check numpy --python "$PY")
"${CHECK[@]}" > /dev/null || { echo "check numpy is not healthy here" >&2; exit 2; }

if command -v hyperfine > /dev/null; then
    json=$(mktemp)
    hyperfine --warmup 3 --runs "$RUNS" --export-json "$json" -N \
        "$PY -c 'import numpy'" "$PYDOCTOR check numpy --python $PY" > /dev/null
    read -r bare check bare_cpu check_cpu < <("$HOST_PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(*(round(x["median"] * 1000, 1) for x in r), *(round((x["user"] + x["system"]) * 1000, 1) for x in r))' "$json")
    tool=hyperfine
else
    # Interleaved runs (drift in machine load hits both alike); wall time by the clock, CPU
    # time (user + sys of the command and all its children) by wait4's rusage.
    read -r bare check bare_cpu check_cpu < <("$HOST_PY" - "$RUNS" "$PY" "${CHECK[@]}" <<'PY'
import os, statistics, subprocess, sys, time
runs, bare, check = int(sys.argv[1]), [sys.argv[2], "-c", "import numpy"], sys.argv[3:]
def once(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return (time.perf_counter() - t0) * 1000, (ru.ru_utime + ru.ru_stime) * 1000
for _ in range(3):
    once(bare), once(check)
times = {0: [], 1: []}
for _ in range(runs):
    times[0].append(once(bare))
    times[1].append(once(check))
wall = [statistics.median(t[0] for t in times[i]) for i in (0, 1)]
cpu = [statistics.median(t[1] for t in times[i]) for i in (0, 1)]
print("%.1f %.1f %.1f %.1f" % (wall[0], wall[1], cpu[0], cpu[1]))
PY
)
    tool="interleaved runs"
fi

ratio=$(awk -v a="$check" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')
numpy_version=$("$PY" -c 'import numpy; print(numpy.__version__)')
echo "numpy $numpy_version, $RUNS runs each ($tool), medians:"
cpu_ratio=$(awk -v a="$check_cpu" -v b="$bare_cpu" 'BEGIN { printf "%.2f", a / b }')
printf '                                      wall        cpu (user+sys, with children)\n'
printf '  python -c "import numpy"         %8.1f ms %8.1f ms\n' "$bare" "$bare_cpu"
printf '  pydoctor check numpy --python …  %8.1f ms %8.1f ms\n' "$check" "$check_cpu"
echo "  ratio $ratio wall (limit $LIMIT), $cpu_ratio cpu; load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v r="$ratio" -v l="$LIMIT" 'BEGIN { exit !(r <= l) }'
