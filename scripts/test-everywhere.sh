#!/usr/bin/env bash
# The test suite in three configurations that stand in for other machines, from one build:
#
#   (a) distro   only the distribution's python3: PATH=/usr/bin:/bin, pyenv's root hidden
#                under an empty tmpfs in a private mount namespace;
#   (b) nobody   as user nobody (uid 65534, no groups) with PYDOCTOR_OFFLINE=1 and no HOME,
#                as in the Nix build sandbox: root-only and network tests skip loudly, and
#                PYDOCTOR_REQUIRE_ALL is off;
#   (c) nixlike  the Nix-like python of scripts/fixtures/nix-like-python.sh as the python3
#                on PATH, as inside `nix build`.
#
# The test binaries are built once (`cargo test --no-run`) and run directly, each pass with its
# own scratch dir, fixture cache and skip log under target/everywhere/; wheels are downloaded
# once into target/everywhere/wheels (or $PYDOCTOR_TEST_CACHE/wheels when that is set) and
# shared. PYDOCTOR_REQUIRE_ALL from the caller applies to (a) and (c).
# Needs root for (a)'s namespace and (b)'s change of user; without root, (a) and (c) run
# without hiding anything and (b) is not run (said loudly).
#
#   scripts/test-everywhere.sh [a|b|c]...     (default: all three)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
passes=("$@")
[ ${#passes[@]} -gt 0 ] || passes=(a b c)

is_root() { [ "$(id -u)" = 0 ]; }

echo "== building the test binaries once"
mapfile -t BINARIES < <(cargo test --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])
')
if [ ${#BINARIES[@]} -eq 0 ]; then
    echo "test-everywhere.sh: cargo test --no-run built no test binary" >&2
    exit 2
fi

OUT=$ROOT/target/everywhere
mkdir -p "$OUT"
chmod 755 "$OUT"
WHEELS=${PYDOCTOR_TEST_CACHE:+$PYDOCTOR_TEST_CACHE/wheels}
WHEELS=${WHEELS:-$OUT/wheels}
mkdir -p "$WHEELS"
PYENV_ROOT_DIR=$( (command -v pyenv >/dev/null && pyenv root) 2>/dev/null || true)
[ -n "$PYENV_ROOT_DIR" ] || PYENV_ROOT_DIR=${PYENV_ROOT:-}
DISTRO_PATH=/usr/bin:/bin:${HOME:-/root}/.cargo/bin
SUMMARY=()
FAILED=0

# A pass's dirs: scratch (PYDOCTOR_TEST_TMPDIR) and cache (PYDOCTOR_TEST_CACHE), its wheels
# linked to (or for another user, copied from) the shared ones.
fresh_dirs() {
    local dir=$OUT/$1
    rm -rf "$dir"
    mkdir -p "$dir/tmp" "$dir/cache"
    if [ "${2:-}" = copy ]; then
        cp -r "$WHEELS" "$dir/cache/wheels"
    else
        ln -s "$WHEELS" "$dir/cache/wheels"
    fi
    : > "$dir/skipped.log"
}

# run_pass LABEL DIR WRAPPER... -- ENV...: every test binary, from the repository root, with
# exactly ENV, started through WRAPPER (a namespace, another user).
run_pass() {
    local label=$1 dir=$2; shift 2
    local wrapper=()
    while [ "$1" != -- ]; do wrapper+=("$1"); shift; done
    shift
    local log=$dir/output.log
    echo "== ($label) running ${#BINARIES[@]} test binaries; output in $log"
    local script='
        for b in "$@"; do
            echo "### $b"
            "$b" 2>&1
            echo "### exit $?"
        done'
    "${wrapper[@]}" env -i "$@" PYDOCTOR_TEST_TMPDIR="$dir/tmp" PYDOCTOR_TEST_CACHE="$dir/cache" \
        PYDOCTOR_SKIP_LOG="$dir/skipped.log" INSTA_UPDATE=no \
        ${PYDOCTOR_TEST_UV:+PYDOCTOR_TEST_UV="$PYDOCTOR_TEST_UV"} \
        bash -c "cd '$ROOT' && $script" _ "${BINARIES[@]}" > "$log" 2>&1
    local passed failed skipped bad
    passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
    failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
    bad=$(grep -c '^### exit [^0]' "$log")
    skipped=0
    [ -s "$dir/skipped.log" ] && skipped=$(sort -u "$dir/skipped.log" | wc -l)
    grep -E '^(---- |test .* FAILED$)' "$log" | sed 's/^/   /'
    scripts/skip-summary.sh "$dir/skipped.log" "($label)"
    SUMMARY+=("($label) passed $passed, failed $failed, skipped $skipped (of the passed), binaries failing $bad")
    [ "$failed" -eq 0 ] && [ "$bad" -eq 0 ] || FAILED=1
}

# Run "$@" with pyenv's root hidden (root only; otherwise as is).
hide_pyenv() {
    if is_root && [ -n "$PYENV_ROOT_DIR" ] && [ -d "$PYENV_ROOT_DIR" ]; then
        unshare -m sh -c 'mount -t tmpfs tmpfs "$0" && exec "$@"' "$PYENV_ROOT_DIR" "$@"
    else
        "$@"
    fi
}

require_all=()
[ "${PYDOCTOR_REQUIRE_ALL:-}" = 1 ] && require_all=(PYDOCTOR_REQUIRE_ALL=1)

for pass in "${passes[@]}"; do
    case $pass in
    a)
        fresh_dirs a
        is_root || echo "!! (distro) not root: pyenv's root is not hidden"
        run_pass distro "$OUT/a" hide_pyenv -- PATH="$DISTRO_PATH" HOME=/nonexistent "${require_all[@]}"
        ;;
    b)
        if ! is_root; then
            echo "!! (nobody) SKIPPED: running as another user needs root"
            SUMMARY+=("(nobody) not run: needs root")
            continue
        fi
        fresh_dirs b copy
        chown -R 65534:65534 "$OUT/b"
        run_pass nobody "$OUT/b" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
            PATH=/usr/bin:/bin HOME=/nonexistent PYDOCTOR_OFFLINE=1
        ;;
    c)
        fresh_dirs c
        # The Nix-like python, made from the distro's, where the tests will look for it.
        base=$(PATH=/usr/bin:/bin command -v python3)
        nixpy=$(PYDOCTOR_TEST_PYTHON=$base scripts/fixtures/nix-like-python.sh "$OUT/c/cache/nix-like" | tail -1)
        if [ ! -x "$nixpy" ]; then
            echo "!! (nixlike) the Nix-like python could not be built" >&2
            SUMMARY+=("(nixlike) not run: no Nix-like python")
            FAILED=1
            continue
        fi
        echo "== (nixlike) python3 on PATH is $nixpy"
        run_pass nixlike "$OUT/c" hide_pyenv -- PATH="$(dirname "$nixpy"):$DISTRO_PATH" HOME=/nonexistent "${require_all[@]}"
        ;;
    *)
        echo "test-everywhere.sh: unknown pass $pass (a, b or c)" >&2
        exit 2
        ;;
    esac
done

echo
echo "== summary"
printf '   %s\n' "${SUMMARY[@]}"
exit $FAILED
