#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60), seeded with real files:
#   elf_resolve  small .so files from the cached numpy wheel, system libraries, gcc-built libs,
#                tests/regressions/elf_resolve/
#   ld_cache     this machine's /etc/ld.so.cache
#   paste        fixtures/text/** (real error text and its paste variants)
#   rule_file    rules/**.toml (one selector byte in front picks what the file pretends to be)
#
#   scripts/fuzz.sh SECONDS [TARGET...]     JOBS=2 runs two targets at a time (default 1);
#                                           NO_BUILD=1 skips the build
#
# Needs cargo-fuzz. The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# nightly flags; `-s none` because the sanitizer runtime is not installed. Crashes land in
# fuzz/artifacts/TARGET/; turn each into a regression test under tests/regressions/ (see
# tests/hardening_regressions.rs) before fixing it. A summary line per target goes to stdout.
set -euo pipefail

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(elf_resolve ld_cache paste rule_file)
jobs=${JOBS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
export RUSTC_BOOTSTRAP=1
cargo_fuzz=${CARGO_FUZZ:-cargo fuzz}

seed_elf() {
    local out=$1
    local wheel
    wheel=$(ls ${PYDOCTOR_TEST_CACHE:+"$PYDOCTOR_TEST_CACHE"/wheels/numpy-*.whl} "$root"/target/tmp/cache/wheels/numpy-*.whl "$root"/target/wheels/numpy-*.whl 2>/dev/null | head -1 || true)
    if [ -n "$wheel" ]; then
        python3 - "$wheel" "$out" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if ".so" in info.filename and info.file_size <= 150_000:
            name = "numpy-" + os.path.basename(info.filename)
            with open(os.path.join(out, name), "wb") as f:
                f.write(z.read(info))
PY
    else
        echo "fuzz.sh: no numpy wheel cached; seeding ELF from system libraries only" >&2
    fi
    for lib in libz.so.1 libgcc_s.so.1 libdl.so.2 libutil.so.1 libpthread.so.0; do
        local p=/usr/lib/x86_64-linux-gnu/$lib
        [ -f "$p" ] && cp -L "$p" "$out/sys-$lib"
    done
    # Tiny libraries with the dynamic-section features the resolver follows: a needed cycle
    # through the scratch names the target writes (liba.so, libb.so.1), RPATH, RUNPATH, $ORIGIN.
    local tmp
    tmp=$(mktemp -d)
    echo 'int f(void){return 1;}' >"$tmp/f.c"
    gcc -shared -fPIC -o "$out/gcc-cycle.so" "$tmp/f.c" -Wl,-soname,liba.so \
        -Wl,--no-as-needed -L"$tmp" -Wl,--allow-shlib-undefined \
        -Wl,-rpath,'$ORIGIN/../lib:/nonexistent' -Wl,--disable-new-dtags \
        -Wl,--no-as-needed "$tmp/f.c" 2>/dev/null || true
    gcc -shared -fPIC -o "$tmp/libb.so.1" "$tmp/f.c" -Wl,-soname,libb.so.1
    gcc -shared -fPIC -o "$out/gcc-needs-b.so" "$tmp/f.c" -Wl,-soname,liba.so \
        -Wl,--no-as-needed "$tmp/libb.so.1" -Wl,-rpath,'$ORIGIN:$LIB/$PLATFORM' -Wl,--enable-new-dtags
    gcc -shared -fPIC -z execstack -o "$out/gcc-execstack.so" "$tmp/f.c" 2>/dev/null || true
    rm -rf "$tmp"
    # The hand-made hostile files (offsets that wrap, from tests/elf_offsets.rs): mutants
    # of them explore the checks next to the ones that once overflowed.
    cp "$root"/tests/regressions/elf_resolve/* "$out/"
}

seed() {
    local target=$1 out=$2
    mkdir -p "$out"
    case $target in
        elf_resolve) seed_elf "$out" ;;
        ld_cache) [ -f /etc/ld.so.cache ] && cp /etc/ld.so.cache "$out/etc-ld.so.cache" ;;
        paste)
            find "$root/fixtures/text" -type f ! -name '*.md' | while read -r f; do
                cp "$f" "$out/$(echo "${f#"$root"/}" | tr / _)"
            done ;;
        rule_file)
            local i=0
            find "$root/rules" -name '*.toml' | sort | while read -r f; do
                base=$(basename "$f")
                # Selector byte: 0 a rule file, 2 nixpkgs, 3 distro, 4/10/5 the message tables.
                case $base in
                    nixpkgs.toml) sel='\x02' ;;
                    distro.toml) sel='\x03' ;;
                    messages.toml) sel='\x04' ;;
                    loader-messages.toml) sel='\x0a' ;;
                    paste.toml) sel='\x05' ;;
                    *) sel='\x00' ;;
                esac
                { printf "$sel"; cat "$f"; } >"$out/$base"
            done ;;
    esac
}

max_len() {
    case $1 in
        elf_resolve) echo 262144 ;;
        ld_cache) echo 131072 ;;
        *) echo 1048576 ;;
    esac
}

run_one() {
    local target=$1
    local corpus="$fuzz/corpus/$target" seeds="$fuzz/seeds/$target"
    local log="$fuzz/logs/$target.log"
    mkdir -p "$corpus" "$fuzz/artifacts/$target" "$fuzz/logs"
    rm -rf "$seeds"
    seed "$target" "$seeds"
    local status=0
    # -rss_limit_mb and -timeout turn memory blow-ups and hangs into findings too.
    # The binary built once above is run directly: `cargo fuzz run` would rebuild per target.
    (cd "$root" && nice -n 10 "$fuzz/target/x86_64-unknown-linux-gnu/release/$target" \
        "$corpus" "$seeds" -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$fuzz/artifacts/$target/" >"$log" 2>&1) || status=$?
    local runs eps
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    local size crashes
    size=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$fuzz/artifacts/$target" -type f | wc -l)
    printf '%-12s status=%s seconds=%s runs=%s execs/s=%s corpus=%s artifacts=%s log=%s\n' \
        "$target" "$status" "$seconds" "$runs" "$eps" "$size" "$crashes" "$log"
    return "$status"
}

# NO_BUILD=1 reuses the binaries already built (another run of this script built them).
[ -n "${NO_BUILD:-}" ] || (cd "$root" && nice -n 10 $cargo_fuzz build -s none -O >/dev/null)
fail=0
running=0
for target in "${targets[@]}"; do
    run_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
exit $fail
