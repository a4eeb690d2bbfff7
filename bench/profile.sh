#!/usr/bin/env bash
# Where W1's time goes, counted in instructions by callgrind: the model
# (lib/src/*.c), the actor glue (lib/src/engine.c) and SimGrid itself, under the
# SimGrid engine and under the sequential reference loop. Issue 5's target is
# SimGrid + glue <= 25 % of W1. Prints a Markdown summary for docs/performance.md.
#
# usage: bench/profile.sh [BUILD_DIR] [PACKETS_PER_VARIANT]
#        (defaults: build, 25000, i.e. 100k packets over W1's 4 variants)
# Needs valgrind (callgrind_annotate); takes a few minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
packets=${2:-25000}
viosim=$build/viosim
bench=$build/bench/viosim-bench
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "profile.sh: $tool not found (apt-get install valgrind)" >&2; exit 2; }
done
[ -x "$viosim" ] && [ -x "$bench" ] || { echo "profile.sh: build first: make build" >&2; exit 2; }

out=$(mktemp -d "${TMPDIR:-/tmp}/viosim-profile-XXXXXX")
trap 'rm -rf "$out"' EXIT
load=$("$bench" --print-load) # the same 100 % load as W1

# Exclusive Ir per function of every variant child (the CLI's own process,
# which only parses and forks, is left out), as "Ir<TAB>category<TAB>function".
# A forked child's profile starts with its parent's counts (program start-up,
# mostly ld.so binding SimGrid's symbols): a fixed cost, shown in its own column.
profile() {
    local engine=$1
    mkdir -p "$out/$engine"
    valgrind -q --tool=callgrind --callgrind-out-file="$out/$engine/cg.%p" \
        "$viosim" run "$root/scenarios/default.json" -o "$out/$engine/results" --quiet -j 1 \
        --engine "$engine" --set "traffic.packets=$packets" --set "traffic.load=$load" >&2
    for f in "$out/$engine"/cg.*; do
        grep -Eq 'vio_datapath_(next|results)' "$f" || continue
        callgrind_annotate --threshold=100 --inclusive=no --auto=no "$f"
    done | awk -v bin="$viosim" '
        /^ *[0-9,]+ \([ 0-9.]+%\)  / {
            ir = $1; gsub(",", "", ir)
            line = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\)  /, "", line)
            if (line ~ /PROGRAM TOTALS/) next
            # callgrind_annotate names the object only on some lines: classify by it
            # when present, else by the source path or the symbol.
            obj = ""
            if (line ~ / \[[^]]*\]$/) { obj = line; sub(/.* \[/, "", obj); sub(/\]$/, "", obj) }
            name = line; sub(/ \[[^]]*\]$/, "", name)
            if (obj ~ /libsimgrid|libboost|libstdc\+\+/ || (obj == "" && name ~ /simgrid::|xbt|boost::|std::/))
                cat = "simgrid"
            else if (name ~ /lib\/src\/engine\.c:/) cat = "glue"
            else if (obj == bin || (obj == "" && name ~ /\/(lib\/src|sim)\//)) cat = "model"
            else if (obj ~ /ld-linux/ || (obj == "" && name ~ /^\.\/elf\/|dl-/)) cat = "ld.so"
            else cat = "libc/other"
            sub(/^.*\/(lib|sim)\//, "", name); sub(/^\?\?\?:/, "", name)
            printf "%s\t%s\t%s\n", ir, cat, substr(name, 1, 90)
        }' > "$out/$engine.tsv"
}

profile simgrid
profile sequential

total() { awk -F'\t' -v c="${2:-}" 'c == "" || $2 == c { s += $1 } END { printf "%.0f", s }' "$out/$1.tsv"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }

echo "### Profile: W1, 4 variants x $packets packets, traffic.load $load (callgrind, instructions)"
echo
echo "| engine | total Ir | model (lib/src) | SimGrid | glue (engine.c) | ld.so (symbol binding) | libc, libm, jansson |"
echo "|---|--:|--:|--:|--:|--:|--:|"
for e in simgrid sequential; do
    t=$(total $e)
    printf "| %s | %s | %s %% | %s %% | %s %% | %s %% | %s %% |\n" "$e" "$t" \
        "$(pct "$(total $e model)" "$t")" "$(pct "$(total $e simgrid)" "$t")" \
        "$(pct "$(total $e glue)" "$t")" "$(pct "$(total $e ld.so)" "$t")" "$(pct "$(total $e libc/other)" "$t")"
done
ts=$(total simgrid)
tq=$(total sequential)
eng=$(( $(total simgrid simgrid) + $(total simgrid glue) ))
share=$(pct "$eng" "$ts")
verdict=$(awk -v s="$share" 'BEGIN { print (s <= 25.0 ? "PASS" : "FAIL") }')
echo
echo "- Engine overhead (SimGrid + glue) under the SimGrid engine: **$share %** of instructions (target <= 25 %): $verdict"
echo "- SimGrid engine vs sequential loop: $(pct "$((ts - tq))" "$ts") % of the SimGrid run's instructions are extra"
echo
echo "Top 15 functions, SimGrid engine (exclusive Ir, summed over the variants):"
echo
echo "| Ir | share | where | function |"
echo "|--:|--:|---|---|"
awk -F'\t' '{ s[$3 "\t" $2] += $1 } END { for (k in s) printf "%.0f\t%s\n", s[k], k }' "$out/simgrid.tsv" |
    sort -t$'\t' -k1,1nr | head -15 |
    while IFS=$'\t' read -r ir name cat; do
        printf "| %s | %s %% | %s | \`%s\` |\n" "$ir" "$(pct "$ir" "$ts")" "$cat" "$name"
    done
