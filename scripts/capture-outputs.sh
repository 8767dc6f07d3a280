#!/usr/bin/env bash
# Capture pydoctor's human and JSON output on every fixture text, every paste case and the
# test venvs, into DIR, so that a refactor can be proved not to change what users see:
#   scripts/capture-outputs.sh before/   (on the old tree)
#   scripts/capture-outputs.sh after/    (on the new tree)
#   diff -r before/ after/
# The Nix-like venvs come from the test cache (run the tests once first); what is absent is
# said on stderr and left out. Timings and scratch paths are blanked so that runs compare.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: capture-outputs.sh DIR}
bin=${PYDOCTOR_BIN:-target/release/pydoctor}
[ -x "$bin" ] || cargo build --release -q
mkdir -p "$out"/{text,pastes,check,scan,ldd,rules,env}
cache=$(realpath -m "${PYDOCTOR_TEST_CACHE:-target/tmp/cache}")
store="$cache/nix-like/nix/store"

# One run: both formats, exit code last; elapsed times blanked.
run() {
    local dest=$1; shift
    for format in human json; do
        NO_COLOR=1 "$bin" --format "$format" "$@" >"$dest.$format" 2>"$dest.$format.err" </dev/null
        echo "exit $?" >>"$dest.$format"
        sed -i -E 's/"[a-z_]*(_ms|_seconds)": [0-9.e-]+/"T": 0/g; s/[0-9.]+ (ms|s)\b/N \1/g;
                   s/pydoctor-probe-[A-Za-z0-9]+/pydoctor-probe-X/g; s/"pydoctor_version": "[^"]*"/"pydoctor_version": "V"/' \
            "$dest.$format" "$dest.$format.err"
        # Where in the probe script the import ran is the script's business, not the user's.
        sed -i -E 's/(pydoctor_probe\.py\\?"?, line )[0-9]+/\1N/g;
                   /pydoctor_probe\.py",$/{n;s/"line": [0-9]+/"line": N/}' "$dest.$format"
    done
}

for f in fixtures/text/*.txt fixtures/text/variants/*; do
    [ -f "$f" ] && run "$out/text/$(basename "$f")" explain "$f"
done
for f in fixtures/pastes/cases/*.txt; do
    run "$out/pastes/$(basename "$f")" explain --text-only "$f"
done
for venv in "$cache"/nix-like/venvs/*/; do
    name=$(basename "$venv")
    [ -x "$venv/bin/python" ] || continue
    NIX_STORE_DIR=$store run "$out/check/$name-numpy" check numpy --python "$venv/bin/python"
    NIX_STORE_DIR=$store run "$out/scan/$name" scan "$venv"
    so=$(find "$venv" -name '_multiarray_umath*.so' | head -1)
    [ -n "$so" ] && NIX_STORE_DIR=$store run "$out/ldd/$name" ldd "$so"
done
[ -d "$cache/scan/numpy-pandas" ] && run "$out/scan/fhs-numpy-pandas" scan "$cache/scan/numpy-pandas"
run "$out/check/host-json" check json
run "$out/check/host-nosuch" check no_such_module_xyz
run "$out/rules/list" rules
run "$out/rules/PD101" rules PD101
NO_COLOR=1 "$bin" rules --markdown >"$out/rules/markdown.md" 2>&1
run "$out/env/host" env
for so in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /bin/ls; do
    [ -e "$so" ] && run "$out/ldd/$(basename "$so")" ldd "$so"
done
echo "captured into $out" >&2
