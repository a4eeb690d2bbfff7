#!/usr/bin/env bash
# Regenerate docs/validation.md and its figures (docs/figures/validation-*.png)
# from scratch: build, run the validation tests (ctest -L validation) with
# VIOSIM_VALIDATION_OUT pointing at a fresh directory, plot published points and
# viosim's curves on the same axes, and fill the tables of scripts/validation.md.in.
# usage: scripts/validate.sh        (make validation)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
make build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VIOSIM_VALIDATION_OUT="$work"
status=0
for t in test_validation_ddio test_validation_direct test_validation_linerate test_validation_queueing test_validation_little test_validation_iotlb; do
  if ! build/tests/$t >"$work/$t.log" 2>&1; then status=1; fi
done
mkdir -p docs/figures
plot() { # csv png title xlabel ylabel
  gnuplot -e "data='$1'; out='$2'; fmt='png'; ttl='$3'; xl='$4'; yl='$5'" plots/validation.gp
}
plot "$work/ddio-ways.csv" docs/figures/validation-ddio-ways.png \
  "DDIO ways: 1024 B, 1 core, 4096 descriptors, 100 Gb/s" "DDIO ways (IIO LLC WAYS)" "DMA write hit rate (ItoM hits, %)"
plot "$work/ddio-cores.csv" docs/figures/validation-ddio-cores.png \
  "Cores sharing 2 I/O ways: 1500 B, 256 descriptors per core, 100 Gb/s" "cores (one RX queue each)" "DMA write hit rate (ItoM hits, %)"
plot "$work/ddio-rate.csv" docs/figures/validation-ddio-rate.png \
  "Rate: 1500 B, 2 cores, 4096 descriptors each, 2 ways" "achieved rate (Gb/s)" "DMA write hit rate (ItoM hits, %)"
python3 - "$work" <<'PY'
import csv, os, sys
work = sys.argv[1]
def rows(name):
    with open(os.path.join(work, name)) as f:
        return list(csv.DictReader(f))
def table(name, xname, tol, misses=()):
    out = ["| %s | published (%%) | viosim (%%) | difference (pp) | tolerance | verdict |" % xname,
           "|---|---|---|---|---|---|"]
    for r in rows(name):
        p, v = float(r["published"]), float(r["viosim"])
        ok = abs(v - p) <= tol
        out.append("| %s | %.1f | %.1f | %+.1f | %g pp | %s |" % (r["x"], p, v, v - p, tol,
                   "pass" if ok else "**miss** (documented below)"))
    return "\n".join(out)
def direct(name, replay_name, xname, tol):
    rep = {r["x"]: float(r["viosim"]) for r in rows(replay_name)}
    got = {}
    for r in rows(name):
        got.setdefault(r["x"], {})[r["mode"]] = r
    out = ["| %s | published (%%) | replay (%%) | fixed (%%) | mempool (%%) | mempool - published (pp) | tolerance | verdict (mempool) | mempool achieved (Gb/s) |" % xname,
           "|---|---|---|---|---|---|---|---|---|"]
    for x, m in got.items():
        f, mp = m.get("fixed"), m.get("mempool")
        p = float((mp or f)["published"])
        fv = "%.1f" % float(f["viosim"]) if f else "-"
        if mp:
            v = float(mp["viosim"])
            cells = "%.1f | %+.1f | %g pp | %s | %.1f" % (v, v - p, tol, "pass" if abs(v - p) <= tol else "**miss**", float(mp["gbps"]))
        else:
            cells = "- | - | %g pp | - | -" % tol
        out.append("| %s | %.1f | %s | %s | %s |" % (x, p, "%.1f" % rep[x] if x in rep else "-", fv, cells))
    return "\n".join(out)
dt = ["DDIO ways (1024 B, 1 core, 4096 descriptors, 100 Gb/s):", "", direct("direct-ways.csv", "ddio-ways.csv", "DDIO ways", 10), "",
      "Cores (1500 B, 256 descriptors per core, 100 Gb/s over k cores, 2 ways):", "", direct("direct-cores.csv", "ddio-cores.csv", "cores", 10), "",
      "Rate (1500 B, 2 cores, 4096 descriptors each, 2 ways; the replay's 99.16 Gb/s is its full-rings case):", "", direct("direct-rate.csv", "ddio-rate.csv", "rate (Gb/s)", 10), "",
      "ddio-bench's process-time experiment at 0 WorkPackage calls (1500 B, 2 cores, 2048 descriptors each, 2 ways, unpaced, 99.15 Gb/s; ItoM 26.83 %):", "",
      direct("direct-process-time.csv", "ddio-rate.csv", "descriptors per queue", 10)]
lr = ["| frame | wire | published (Mpps) | viosim constant (Mpps) | viosim Poisson (Mpps) | tolerance | verdict |",
      "|---|---|---|---|---|---|---|"]
for r in rows("linerate.csv"):
    p, c, q = float(r["published_mpps"]), float(r["viosim_constant_mpps"]), float(r["viosim_poisson_mpps"])
    ok = abs(c - p) / p < 1e-3 and abs(q - p) / p < 1e-3
    lr.append("| %s B | %s GbE | %.2f | %.3f | %.3f | 0.1 %% | %s |" % (r["frame_bytes"], r["wire_gbps"], p, c, q,
              "pass" if ok else "**miss**"))
qt = ["| model | rho | packets | theory (us) | viosim (us) | difference | tolerance | verdict |",
      "|---|---|---|---|---|---|---|---|"]
for r in rows("queueing.csv"):
    th, v = float(r["theory_us"]), float(r["viosim_us"])
    d = (v - th) / th
    qt.append("| %s | %s | %s | %.2f | %.2f | %+.2f %% | 2 %% | %s |" % (r["model"], r["rho"], r["packets"], th, v,
              100 * d, "pass" if abs(d) < 0.02 else "**miss**"))
little = ["| scenario | variant | L, counter (packets) | lambda W (packets) | difference | tolerance | verdict |",
          "|---|---|---|---|---|---|---|"]
for r in rows("little.csv"):
    l, lw = float(r["L"]), float(r["lambda_w"])
    d = (l - lw) / lw if lw else 0.0
    little.append("| %s | %s | %.4f | %.4f | %+.4f %% | 1 %% | %s |" % (r["scenario"], r["variant"], l, lw, 100 * d,
                  "pass" if abs(d) < 0.01 else "**miss**"))
iotlb = [l.rstrip() for l in open(os.path.join(work, "test_validation_iotlb.log")) if l.startswith("iotlb validation")]
text = open("scripts/validation.md.in").read()
text = text.replace("@WAYS@", table("ddio-ways.csv", "DDIO ways", 10))
text = text.replace("@CORES@", table("ddio-cores.csv", "cores", 10))
text = text.replace("@RATE@", table("ddio-rate.csv", "rate (Gb/s)", 10))
text = text.replace("@LINERATE@", "\n".join(lr))
text = text.replace("@QUEUEING@", "\n".join(qt))
text = text.replace("@DIRECT@", "\n".join(dt))
text = text.replace("@LITTLE@", "\n".join(little))
text = text.replace("@IOTLB@", "\n".join(iotlb))
tmp = "docs/validation.md.tmp"
open(tmp, "w").write(text)
os.replace(tmp, "docs/validation.md")
PY
ls docs/validation.md docs/figures/validation-*.png
exit $status
