#!/usr/bin/env bash
# Sweep one scenario parameter and plot every variant against it.
# usage: plots/sweep.sh SCENARIO PARAM OUTDIR VALUE... [-- EXTRA viosim run ARGS]
#   e.g. plots/sweep.sh scenarios/ddio-ring.json platform.nic.ring_entries results/ddio 128 256 512 1024 2048 4096
# Writes OUTDIR/sweep.tsv (one row per value and variant) and OUTDIR/sweep-*.png.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
viosim=${VIOSIM:-$here/../build/viosim}
scenario=${1:?usage: plots/sweep.sh SCENARIO PARAM OUTDIR VALUE...}
param=${2:?missing PARAM}
out=${3:?missing OUTDIR}
shift 3
values=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do values+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
tsv="$out/sweep.tsv"
printf 'value\tvariant\tmean_ns\tp99_ns\tmpps\tgbps\tdrop_pct\tdma_write_hit_pct\tunread_dma_evictions\tguest_llc_pct\n' > "$tsv"
for v in "${values[@]}"; do
  "$viosim" run "$scenario" --quiet -o "$out/$v" --set "$param=$v" "$@"
  python3 - "$out/$v/results.json" "$v" >> "$tsv" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for var in doc["variants"]:
    p, l = var["packets"], var["latency_ns"]
    drop = 100.0 * p["dropped"] / p["offered"] if p["offered"] else 0.0
    print("\t".join(str(x) for x in [sys.argv[2], var["name"], l["mean"], l["p99"], var["throughput"]["mpps"],
          var["throughput"]["gbps"], drop, 100 * var["dma"]["llc_write_hit_rate"], var["dma"]["unread_evictions"],
          100 * var["guest_reads"]["llc"]]))
PY
done
variants=$(awk -F'\t' 'NR > 1 && !seen[$2]++ { print $2 }' "$tsv")
plot_metric() { # column, file, label
  local cmd="" sep=""
  for name in $variants; do
    cmd+="$sep\"< awk -F'\\\\t' '\\\$2 == \\\"$name\\\"' $tsv\" using 1:$1 with linespoints title \"$name\""
    sep=", "
  done
  gnuplot <<GP
set terminal pngcairo size 800,480 noenhanced
set output "$out/sweep-$2.png"
set title "$(basename "$scenario" .json): $3 vs $param"
set xlabel "$param"
set ylabel "$3"
set grid
set key top left
plot $cmd
GP
}
plot_metric 3 latency "mean latency (ns)"
plot_metric 5 throughput "throughput (Mpps)"
plot_metric 8 ddio "DMA LLC write hit rate (%)"
echo "sweep: $tsv and $out/sweep-{latency,throughput,ddio}.png"
