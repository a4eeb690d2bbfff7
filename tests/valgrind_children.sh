#!/bin/sh
# `viosim run` under valgrind, following the forked variant children: the parent
# and every child must end with no memory error and nothing definitely lost.
#   usage: valgrind_children.sh VIOSIM SCENARIO ENGINE
set -eu
viosim=$1
scenario=$2
engine=$3
out=$(mktemp -d "${TMPDIR:-/tmp}/viosim-vg-XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
valgrind --trace-children=yes --child-silent-after-fork=no --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=99 "$viosim" run "$scenario" --engine "$engine" --set traffic.packets=300 -j 2 -o "$out" \
    --quiet >"$out/log" 2>&1 || status=$?
# One summary per process: the parent and the four variants of the scenario.
summaries=$(grep -c "ERROR SUMMARY:" "$out/log" || true)
clean=$(grep -c "ERROR SUMMARY: 0 errors" "$out/log" || true)
if [ "$status" -ne 0 ] || [ "$summaries" -lt 5 ] || [ "$clean" -ne "$summaries" ]; then
    cat "$out/log"
    echo "valgrind: exit $status, $clean of $summaries processes clean (expected at least 5, all clean)"
    exit 1
fi
echo "valgrind: $summaries processes (parent and variant children), all clean"
