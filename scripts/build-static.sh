#!/usr/bin/env bash
# Build the static release binary: `cargo build --profile dist` for x86_64-unknown-linux-gnu
# with glibc linked in (`-C target-feature=+crt-static`), mimalloc's C code included. The
# result has no PT_INTERP and no DT_NEEDED, so it starts where /lib64/ld-linux-x86-64.so.2 is
# missing or is NixOS's stub-ld. Prints the binary's path.
#
# RUSTFLAGS applies to a --target build's own crates only (not to build scripts), which is
# why the target is named even though it is the host's.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static" \
    cargo build --locked --profile dist --target "$TARGET" >&2
BIN=$PWD/${CARGO_TARGET_DIR:-target}/$TARGET/dist/pydoctor
# Check what the build promises: nothing for a loader to do at start, nothing loaded later.
if readelf -lW "$BIN" | grep -q 'INTERP'; then
    echo "build-static.sh: $BIN has a PT_INTERP" >&2; exit 1
fi
if readelf -dW "$BIN" | grep -q '(NEEDED)'; then
    echo "build-static.sh: $BIN has DT_NEEDED entries" >&2; exit 1
fi
echo "$BIN"
