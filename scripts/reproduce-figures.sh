#!/usr/bin/env bash
# Regenerate every figure under docs/figures/ from scratch: build, run what
# `make demo` runs (the default comparison and the DDIO ring sweep) in a fresh
# directory, plot, and copy the PNGs the README shows; then the validation
# suite's figures and docs/validation.md (scripts/validate.sh).
# usage: scripts/reproduce-figures.sh [JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-$(nproc 2>/dev/null || echo 2)}
cd "$root"
make build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/viosim run -o "$work/demo" -j "$jobs" --quiet
build/viosim sweep scenarios/ddio-ring.sweep.json -o "$work/ddio" -j "$jobs" --quiet
build/viosim plot "$work/demo" --format=png --quiet
build/viosim plot "$work/ddio" --format=png --quiet
mkdir -p docs/figures
rm -f docs/figures/*.png
cp "$work/demo/plots/latency-cdf.png" docs/figures/demo-latency-cdf.png
cp "$work/demo/plots/guest-reads.png" docs/figures/demo-guest-reads.png
cp "$work/ddio/plots/dma-write-hits.png" docs/figures/ddio-dma-write-hits.png
cp "$work/ddio/plots/drop-rate.png" docs/figures/ddio-drop-rate.png
cp "$work/ddio/plots/latency-p99.png" docs/figures/ddio-latency-p99.png
# The validation figures and docs/validation.md (published points against viosim).
scripts/validate.sh >/dev/null
ls docs/figures/*.png
