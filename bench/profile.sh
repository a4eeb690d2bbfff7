#!/usr/bin/env bash
# Where viosim's time goes, counted in instructions by callgrind: the model
# (lib/src/*.c), the actor glue (lib/src/engine/engine.c) and SimGrid itself. Profiles
# W1 (the default scenario at 100 % load, as viosim-bench runs it) under the
# SimGrid engine and under the sequential reference loop, and the reduced
# pipeline (bench/scenarios/reduced.json: no memory model, so the engine's
# share shows). Issue 5's target: SimGrid + glue <= 25 % of W1.
# Prints a Markdown summary for docs/performance.md.
#
# usage: bench/profile.sh [BUILD_DIR] [PACKETS_PER_VARIANT]
#        (defaults: build, 25000, i.e. 100k packets over W1's 4 variants)
# Needs valgrind (callgrind_annotate); takes about 3 minutes.
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
if [ ! -x "$viosim" ] || [ ! -x "$bench" ]; then echo "profile.sh: build first: make build" >&2; exit 2; fi

out=$(mktemp -d "${TMPDIR:-/tmp}/viosim-profile-XXXXXX")
trap 'rm -rf "$out"' EXIT
load=$("$bench" --print-load) # the same 100 % load as W1

# Exclusive Ir per function as "Ir<TAB>category<TAB>function". callgrind_annotate
# names the object on most lines only: classify by it when present, else by the
# source path or the symbol.
classify() {
    awk -v bin="$viosim" '
        /^ *[0-9,]+ \([ 0-9.]+%\)  / {
            ir = $1; gsub(",", "", ir)
            line = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\)  /, "", line)
            if (line ~ /PROGRAM TOTALS/) next
            obj = ""
            if (line ~ / \[[^]]*\]$/) { obj = line; sub(/.* \[/, "", obj); sub(/\]$/, "", obj) }
            name = line; sub(/ \[[^]]*\]$/, "", name); sub(/^\?\?\?:/, "", name)
            own = match(name, /(lib\/src(\/[a-z_]+)*|sim)\/[^\/]*:/) # lib/src/<subsystem>/file.c
            if (obj ~ /libsimgrid|libboost|libstdc\+\+|libns3/ || (obj == "" && name ~ /simgrid::|xbt|boost::|std::/))
                cat = "simgrid"
            else if (own && name ~ /lib\/src\/engine\/engine\.c:/) cat = "glue"
            else if (obj == bin || own) cat = "model"
            else if (obj ~ /ld-linux/ || (obj == "" && name ~ /^\.\/elf\/|dl-/)) cat = "ld.so"
            else cat = "libc/other"
            if (own) name = substr(name, RSTART)
            printf "%s\t%s\t%s\n", ir, cat, substr(name, 1, 90)
        }'
}

# profile TAG SCENARIO ENGINE [--set ...]: every variant child's profile, summed.
# A forked child's profile starts with its parent's counts (program start-up,
# mostly ld.so binding SimGrid's and ns-3's symbols): a fixed cost per variant,
# shown in its own column. The CLI's own process (parse, fork) is left out.
profile() {
    local tag=$1 scenario=$2 engine=$3
    shift 3
    mkdir -p "$out/$tag"
    valgrind -q --tool=callgrind --callgrind-out-file="$out/$tag/cg.%p" \
        "$viosim" run "$scenario" -o "$out/$tag/results" --quiet -j 1 --engine "$engine" "$@" >&2
    for f in "$out/$tag"/cg.*; do
        grep -Eq 'vio_datapath|vio__datapath' "$f" || continue # a variant's process, not the CLI's
        callgrind_annotate --threshold=100 --inclusive=no --auto=no "$f"
    done | classify > "$out/$tag.tsv"
}

total() { awk -F'\t' -v c="${2:-}" 'c == "" || $2 == c { s += $1 } END { printf "%.0f", s }' "$out/$1.tsv"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }
row() {
    local t
    t=$(total "$1")
    printf "| %s | %s | %s %% | %s %% | %s %% | %s %% | %s %% |\n" "$2" "$t" \
        "$(pct "$(total "$1" model)" "$t")" "$(pct "$(total "$1" simgrid)" "$t")" \
        "$(pct "$(total "$1" glue)" "$t")" "$(pct "$(total "$1" ld.so)" "$t")" \
        "$(pct "$(total "$1" libc/other)" "$t")"
}
share() { pct "$(( $(total "$1" simgrid) + $(total "$1" glue) ))" "$(total "$1")"; }
top() {
    local t
    t=$(total "$1")
    echo "| Ir | share | where | function |"
    echo "|--:|--:|---|---|"
    awk -F'\t' '{ s[$3 "\t" $2] += $1 } END { for (k in s) printf "%.0f\t%s\n", s[k], k }' "$out/$1.tsv" |
        sort -t$'\t' -k1,1nr | awk -v n="$2" 'NR <= n' |
        while IFS=$'\t' read -r ir name cat; do
            printf "| %s | %s %% | %s | \`%s\` |\n" "$ir" "$(pct "$ir" "$t")" "$cat" "$name"
        done
}

sets=(--set "traffic.packets=$packets" --set "traffic.load=$load")
profile w1 "$root/scenarios/default.json" simgrid "${sets[@]}"
profile w1seq "$root/scenarios/default.json" sequential "${sets[@]}"
profile reduced "$here/scenarios/reduced.json" simgrid --set "traffic.packets=$packets"

w1=$(share w1)
echo "### Profile (callgrind, instructions): W1 = 4 variants x $packets packets at traffic.load $load"
echo
echo "| run | total Ir | model (lib/src) | SimGrid (+ libstdc++, ns-3) | glue (engine.c) | ld.so (start-up) | libc, libm, jansson |"
echo "|---|--:|--:|--:|--:|--:|--:|"
row w1 "W1, SimGrid engine"
row w1seq "W1, sequential loop"
row reduced "reduced pipeline ($packets packets), SimGrid engine"
echo
echo "- Engine overhead in W1 (SimGrid + glue): **$w1 %** of instructions, target <= 25 %:" \
    "$(awk -v s="$w1" 'BEGIN { print (s <= 25.0 ? "PASS" : "FAIL") }')"
echo "- W1 under SimGrid executes $(pct "$(( $(total w1) - $(total w1seq) ))" "$(total w1)") % more" \
    "instructions than under the sequential loop"
echo "- Reduced pipeline (no memory model): SimGrid + glue = $(share reduced) % of instructions"
echo
echo "Top 12 functions of W1 under SimGrid (exclusive Ir, summed over the variants):"
echo
top w1 12
echo
echo "Top 8 functions of the reduced pipeline:"
echo
top reduced 8
