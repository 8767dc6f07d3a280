#!/usr/bin/env bash
# The start-up cost a `pydoctor fix` preload adds: `python -c pass` in a venv, median of N runs
# (default 30), with the fix applied and after `pydoctor fix --undo`.
#
#   scripts/bench-fix-startup.sh VENV_PYTHON MODULE [N]
#
# Applies the fix (NIX_STORE_DIR as the caller has it), measures, undoes, measures again.
set -euo pipefail
PY=${1:?usage: bench-fix-startup.sh VENV_PYTHON MODULE [N]}
MODULE=${2:?usage: bench-fix-startup.sh VENV_PYTHON MODULE [N]}
N=${3:-30}
PYDOCTOR=${PYDOCTOR:-target/release/pydoctor}

median_ms() {
    "$PY" - "$PY" "$N" <<'PYCODE'
import subprocess, sys, time
py, n = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"{times[n // 2]:.2f}")
PYCODE
}

"$PYDOCTOR" fix "$MODULE" --python "$PY" >/dev/null
median_ms >/dev/null   # warm the page cache
with=$(median_ms)
"$PYDOCTOR" fix --undo --python "$PY" >/dev/null
median_ms >/dev/null
without=$(median_ms)
echo "python -c pass, median of $N: without the fix ${without} ms, with it ${with} ms"
