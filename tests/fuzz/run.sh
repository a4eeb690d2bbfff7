#!/bin/sh
# Run both libFuzzer targets for SECONDS each (make fuzz).
#   usage: tests/fuzz/run.sh BUILD_DIR SECONDS
# Seeds: the committed corpus, the shipped scenarios and the bad-input catalogue.
# New units go to BUILD_DIR/corpus-TARGET, then only those adding coverage are
# merged into tests/fuzz/corpus/TARGET; crashes, hangs (-timeout) and leaks are
# written to tests/fuzz/findings/, which ctest replays once the bug is fixed.
set -eu
build=$1
seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$src/tests/fuzz/findings"
for target in fuzz_load fuzz_run; do
    name=${target#fuzz_}
    work="$build/corpus-$name"
    mkdir -p "$work" "$src/tests/fuzz/corpus/$name"
    timeout=5
    [ "$target" = fuzz_run ] && timeout=10
    echo "== $target for $seconds s (hang limit $timeout s)"
    "$build/$target" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -max_len=16384 \
        -dict="$src/tests/fuzz/scenario.dict" -artifact_prefix="$src/tests/fuzz/findings/$name-" \
        -print_final_stats=1 "$work" "$src/tests/fuzz/corpus/$name" "$src/scenarios" "$src/tests/bad-inputs" ||
        echo "== $target stopped on a finding: see tests/fuzz/findings/"
    "$build/$target" -merge=1 "$src/tests/fuzz/corpus/$name" "$work" >/dev/null 2>&1 || true
done
