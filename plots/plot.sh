#!/usr/bin/env bash
# Plot one results.json: latency per variant and where the guests' reads were served.
# usage: plots/plot.sh RESULTS.json OUTDIR      (needs gnuplot and python3)
set -euo pipefail
results=${1:?usage: plots/plot.sh RESULTS.json OUTDIR}
out=${2:?usage: plots/plot.sh RESULTS.json OUTDIR}
mkdir -p "$out"
data=$(mktemp)
trap 'rm -f "$data"' EXIT
python3 - "$results" > "$data" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
print("variant mean p50 p99 p999 l1 llc remote dram mpps")
for v in doc["variants"]:
    lat, g = v["latency_ns"], v["guest_reads"]
    print(v["name"], lat["mean"], lat["p50"], lat["p99"], lat["p999"],
          g["l1"] * 100, g["llc"] * 100, g["remote_core"] * 100, g["dram"] * 100, v["throughput"]["mpps"])
PY
title=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["scenario"]["name"], "seed", d["scenario"]["seed"])' "$results")
gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set datafile separator whitespace
set key autotitle columnhead top left
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set output "$out/latency.png"
set title "$title: packet latency (NIC last bit to end of guest processing)"
set ylabel "latency (ns)"
set yrange [0:*]
plot "$data" using 2:xtic(1), '' using 3, '' using 4, '' using 5
set output "$out/guest-reads.png"
set title "$title: where guest reads of packets were served"
set ylabel "share of guest line reads (%)"
set yrange [0:100]
set style histogram rowstacked
set key outside right
plot "$data" using 6:xtic(1) title "L1", '' using 7 title "LLC", '' using 8 title "other core's cache", '' using 9 title "DRAM"
GP
echo "plots: $out/latency.png $out/guest-reads.png"
