#!/usr/bin/env bash
# `cmake --install BUILD --prefix DIR` gives a usable install wherever DIR is:
# viosim.pc points into DIR, a program builds against it with pkg-config and
# runs, and the man page, bash completion, scenarios and plot scripts are there.
# usage: tests/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cmake --install "$build" --prefix "$dir/inst" >/dev/null
pc=$(find "$dir/inst" -name viosim.pc)
[ -n "$pc" ] || { echo "no viosim.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cflags=$(pkg-config --cflags viosim) libs=$(pkg-config --libs viosim)
# The paths pkg-config gives lead into DIR (${pcfiledir}-relative, so compare resolved paths).
inc=$(pkg-config --variable=includedir viosim) lib=$(pkg-config --variable=libdir viosim)
[ "$(realpath "$inc")" = "$(realpath "$dir/inst/include")" ] || { echo "includedir $inc is not in $dir/inst"; exit 1; }
case "$(realpath "$lib")" in "$(realpath "$dir/inst")"/*) ;; *) echo "libdir $lib is not in $dir/inst"; exit 1;; esac
[ -f "$lib/libviosim.so" ] || { echo "no libviosim.so in $lib"; exit 1; }
case "$cflags" in *"-I$inc"*) ;; *) echo "pkg-config --cflags: $cflags"; exit 1;; esac
# shellcheck disable=SC2086
cc -std=c11 "$src/docs/example.c" $cflags $libs -o "$dir/example"
libdir=$(pkg-config --variable=libdir viosim)
LD_LIBRARY_PATH=$libdir "$dir/example" "$dir/inst/share/viosim/scenarios/compare-delivery.json" traffic.packets=500 \
  | grep -q "mean latency"
grep -q '^\.TH VIOSIM 1' "$dir/inst/share/man/man1/viosim.1"
[ -f "$dir/inst/share/bash-completion/completions/viosim" ]
[ -f "$dir/inst/share/viosim/plots/common.gp" ] && [ -f "$dir/inst/share/viosim/scenarios/ddio-ring.sweep.json" ]
# The installed binary finds the installed plot scripts.
"$dir/inst/bin/viosim" run "$dir/inst/share/viosim/scenarios/compare-delivery.json" -o "$dir/run" -q -j 4 \
  --set traffic.packets=500
VIOSIM_PLOTS= "$dir/inst/bin/viosim" plot "$dir/run" --format=png -q
[ -s "$dir/run/plots/latency-cdf.png" ]
# Completion offers the commands and a command's options.
out=$(bash -c "source '$dir/inst/share/bash-completion/completions/viosim'; COMP_WORDS=(viosim sw); COMP_CWORD=1; _viosim; echo \"\${COMPREPLY[*]}\"")
[ "$out" = sweep ] || { echo "completion of 'viosim sw': $out"; exit 1; }
out=$(bash -c "source '$dir/inst/share/bash-completion/completions/viosim'; COMP_WORDS=('$dir/inst/bin/viosim' sweep --emi); COMP_CWORD=2; _viosim; echo \"\${COMPREPLY[*]}\"")
[ "$out" = --emit-jobs ] || { echo "completion of 'viosim sweep --emi': $out"; exit 1; }
echo "install ok: $dir/inst"
