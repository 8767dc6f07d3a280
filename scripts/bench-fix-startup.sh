#!/usr/bin/env bash
# The start-up cost a `pydoctor fix` preload adds: `python -c pass`, median of N runs (default
# 30), in a copy of the venv with the fix applied against the venv as it is, interleaved run by
# run so that a busy machine slows both sides alike.
#
#   scripts/bench-fix-startup.sh VENV_PYTHON MODULE [N]
#
# The venv itself is not changed: the fix goes into a copy (NIX_STORE_DIR as the caller has it).
set -euo pipefail
PY=${1:?usage: bench-fix-startup.sh VENV_PYTHON MODULE [N]}
MODULE=${2:?usage: bench-fix-startup.sh VENV_PYTHON MODULE [N]}
N=${3:-30}
PYDOCTOR=${PYDOCTOR:-target/release/pydoctor}

VENV=$(cd "$(dirname "$PY")/.." && pwd)
COPY=$(mktemp -d)
trap 'rm -rf "$COPY"' EXIT
cp -a "$VENV" "$COPY/venv"
"$PYDOCTOR" fix "$MODULE" --python "$COPY/venv/bin/python" >/dev/null

"$PY" - "$VENV/bin/python" "$COPY/venv/bin/python" "$N" <<'PYCODE'
import statistics, subprocess, sys, time
without, with_fix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def once(py):
    t = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True)
    return (time.perf_counter() - t) * 1000
for py in (without, with_fix):
    once(py)  # warm the page cache
a, b = [], []
for _ in range(n):
    a.append(once(without))
    b.append(once(with_fix))
ma, mb = statistics.median(a), statistics.median(b)
diffs = statistics.median(y - x for x, y in zip(a, b))
print(f"python -c pass, median of {n}: without the fix {ma:.2f} ms, with it {mb:.2f} ms "
      f"(+{mb - ma:.2f} ms; per-round difference, median: +{diffs:.2f} ms)")
PYCODE
