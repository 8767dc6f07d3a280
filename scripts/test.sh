#!/usr/bin/env bash
# The test suite: `cargo test` with its arguments, then a summary of every test that skipped
# (what it needed and did not find). The skips are collected in $PYDOCTOR_SKIP_LOG, which
# this script sets and empties first. PYDOCTOR_REQUIRE_ALL=1 makes every skip a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$target"
export PYDOCTOR_SKIP_LOG=${PYDOCTOR_SKIP_LOG:-$PWD/$target/skipped.log}
: > "$PYDOCTOR_SKIP_LOG"
cargo test "$@"
status=$?
scripts/skip-summary.sh "$PYDOCTOR_SKIP_LOG"
exit $status
