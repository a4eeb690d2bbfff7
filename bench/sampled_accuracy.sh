#!/usr/bin/env bash
# Sampled mode's accuracy (issue 14, docs/performance.md "Issue 14: sampled mode"):
# each shipped scenario run exact and with platform.llc.sample_sets=N, same length
# and seed; per variant the exact mean latency and DMA write hit rate, and the
# sampled run's difference (latency in %, hit rate in percentage points). Prints a
# Markdown table. The warm-up is each scenario's own share of its packets.
#
# usage: bench/sampled_accuracy.sh [BUILD_DIR] [PACKETS] [N] [SCENARIO...]
#        (defaults: build, 20000, 32, every scenarios/*.json that has variants)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
packets=${2:-20000}
n=${3:-32}
shift $(($# < 3 ? $# : 3))
viosim=$build/viosim
[ -x "$viosim" ] || { echo "sampled_accuracy.sh: build first: make build" >&2; exit 2; }
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for f in "$root"/scenarios/*.json; do
        python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("variants") else 1)' "$f" &&
            scenarios+=("$f")
    done
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/viosim-smp-XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "| scenario | variant | exact mean latency (ns) | sampled latency | exact DMA write hit rate | sampled hit rate |"
echo "|---|---|--:|--:|--:|--:|"
for f in "${scenarios[@]}"; do
    name=$(basename "$f" .json)
    warm=$(python3 -c '
import json, sys
t = json.load(open(sys.argv[1])).get("traffic", {})
p, w = t.get("packets") or 0, t.get("warmup_packets") or 0
print(int(int(sys.argv[2]) * w / p) if p else 0)' "$f" "$packets")
    for mode in exact sampled; do
        extra=()
        [ $mode = sampled ] && extra=(--set "platform.llc.sample_sets=$n")
        "$viosim" run "$f" -o "$out/$name.$mode" --quiet -j 2 --set "traffic.packets=$packets" \
            --set "traffic.warmup_packets=$warm" "${extra[@]}" >&2
    done
    python3 - "$out/$name.exact/results.json" "$out/$name.sampled/results.json" "$name" <<'EOF'
import json, sys
ex, sm, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
smv = {v["name"]: v for v in sm["variants"]}
for v in ex["variants"]:
    w = smv[v["name"]]
    assert "sampling" in w and "sampling" not in v
    lx, ly = v["latency_ns"]["mean"], w["latency_ns"]["mean"]
    hx, hy = v.get("dma", {}).get("llc_write_hit_rate"), w.get("dma", {}).get("llc_write_hit_rate")
    lat = "%+.2f %%" % ((ly / lx - 1) * 100) if lx else "-"
    if abs(ly / lx - 1) > 0.02:
        lat = "**" + lat + "**"
    hit, hxs = "-", "-"
    if hx is not None and hy is not None and (hx > 0 or hy > 0):
        hxs = "%.4f" % hx
        hit = "%+.2f pp" % ((hy - hx) * 100)
        if abs(hy - hx) > 0.01:
            hit = "**" + hit + "**"
    print("| %s | %s | %.1f | %s | %s | %s |" % (name, v["name"], lx, lat, hxs, hit))
EOF
done
