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
# The replay's tables: targets (None: every row) get the tolerance and a verdict,
# the other rows (the full run's other published points) a note or "reported".
def table(name, xname, tol, targets=None, notes={}):
    out = ["| %s | published (%%) | viosim (%%) | difference (pp) | tolerance | verdict |" % xname,
           "|---|---|---|---|---|---|"]
    for r in rows(name):
        p, v = float(r["published"]), float(r["viosim"])
        if targets is None or r["x"] in targets:
            out.append("| %s | %.1f | %.1f | %+.1f | %g pp | %s |" % (r["x"], p, v, v - p, tol,
                       "pass" if abs(v - p) <= tol else "**miss** (documented below)"))
        else:
            out.append("| %s | %.1f | %.1f | %+.1f | - | %s |" % (r["x"], p, v, v - p,
                       notes.get(r["x"], "reported (not a target)")))
    return "\n".join(out)
# The direct-delivery tables: every published point of each experiment, the write
# hits (ItoM) in one table, the transmit reads (PCIeRdCur) and the throughput in the
# next, and figures of all three metrics (published points, viosim's curves).
# targets: the issue's points, with the tolerance the table's verdict uses; notes:
# a verdict for a point that is not a target; checks: what test_validation_direct.c
# asserts about the model's transmit reads at that point.
BACKLOG = "the transmit-backlog bullet of \"The two misses, hypothesis by hypothesis\""
figs = []
def direct(name, replay_name, xname, tol, targets, notes={}, checks=lambda x: "-", fig=None):
    rep = {r["x"]: float(r["viosim"]) for r in rows(replay_name)}
    got = {}
    for r in rows(name):
        got.setdefault(r["x"], {})[r["mode"]] = r
    w = ["| %s | published (%%) | replay (%%) | fixed (%%) | mempool (%%) | mempool - published (pp) | tolerance | verdict (mempool) |" % xname,
         "|---|---|---|---|---|---|---|---|"]
    t = ["| %s | published PCIeRdCur (%%) | fixed, LLC + snooped (%%) | mempool, LLC + snooped (%%) | mempool - published (pp) | mempool, LLC only (%%) | checked (model) | published THROUGHPUT (Gb/s) | fixed (Gb/s) | mempool (Gb/s) | mempool - published (Gb/s) |" % xname,
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    def cell(r, key, fmt="%.1f"):
        return fmt % float(r[key]) if r else "-"
    series = {"itom": [], "pcierdcur": [], "throughput": []}
    for x, m in got.items():
        f, mp = m.get("fixed"), m.get("mempool")
        ref = mp or f
        p, prd, pg = float(ref["published"]), float(ref["published_rdcur"]), float(ref["published_gbps"])
        if x in targets:
            tcell = "%g pp" % tol
            verdict = ("pass" if abs(float(mp["viosim"]) - p) <= tol else "**miss**") if mp else "-"
        else:
            tcell, verdict = "-", notes.get(x, "reported (not a target)")
        diff = "%+.1f" % (float(mp["viosim"]) - p) if mp else "-"
        w.append("| %s | %.1f | %s | %s | %s | %s | %s | %s |" % (x, p, "%.1f" % rep[x] if x in rep else "-",
                 cell(f, "viosim"), cell(mp, "viosim"), diff, tcell, verdict))
        t.append("| %s | %.2f | %s | %s | %s | %s | %s | %.2f | %s | %s | %s |" % (x, prd, cell(f, "rd_cache", "%.2f"),
                 cell(mp, "rd_cache", "%.2f"), "%+.2f" % (float(mp["rd_cache"]) - prd) if mp else "-",
                 cell(mp, "rd_llc", "%.2f"), checks(float(x)), pg, cell(f, "gbps", "%.2f"), cell(mp, "gbps", "%.2f"),
                 "%+.2f" % (float(mp["gbps"]) - pg) if mp else "-"))
        e = lambda r, k: r[k] if r else ""
        series["itom"].append((x, ref["published"], e(f, "viosim"), e(mp, "viosim")))
        series["pcierdcur"].append((x, ref["published_rdcur"], e(f, "rd_cache"), e(mp, "rd_cache"), e(mp, "rd_llc")))
        series["throughput"].append((x, ref["published_gbps"], e(f, "gbps"), e(mp, "gbps")))
    if fig:
        stem, title, xlabel = fig
        heads = {"itom": ("DMA write hit rate (ItoM hits, %)", "published ItoM-HIT-RATE (ddio-bench ATC'20)",
                          ["viosim fixed buffers", "viosim mempool"]),
                 "pcierdcur": ("NIC transmit-read hit rate (%)", "published PCIeRdCur-HIT-RATE (ddio-bench ATC'20)",
                               ["viosim fixed (LLC + snooped)", "viosim mempool (LLC + snooped)", "viosim mempool (LLC only)"]),
                 "throughput": ("forwarded (Gb/s)", "published THROUGHPUT (ddio-bench ATC'20)",
                                ["viosim fixed buffers", "viosim mempool"])}
        for metric, data in series.items():
            yl, pub, curves = heads[metric]
            csvname = os.path.join(work, "fig-%s-%s.csv" % (stem, metric))
            with open(csvname, "w") as fh:
                fh.write(",".join(["x", pub] + curves) + "\n")
                for r in data:
                    fh.write(",".join(r) + "\n")
            figs.append("|".join([csvname, "docs/figures/validation-direct-%s-%s.png" % (stem, metric),
                                  title, xlabel, yl, str(2 + len(curves))]))
    out = ["Write hits (`dma.itom_hit_rate` against ItoM-HIT-RATE):", ""] + w + ["",
           "Transmit reads (`dma.device_reads.cache_hit_rate`, LLC + snooped, and `llc_hit_rate`, LLC only, against PCIeRdCur-HIT-RATE) and throughput (`throughput.gbps` against THROUGHPUT):", ""] + t
    if fig:
        out += ["", " ".join("![%s %s](figures/validation-direct-%s-%s.png)" % (fig[0], m, fig[0], m)
                             for m in ("itom", "pcierdcur", "throughput"))]
    return "\n".join(out)
ways_t = {str(w) for w in range(2, 7)}
cores_t = {"1", "4", "8", "12", "16", "18"}
rate_t = {"9.75", "99.16"}
dt = ["#### DDIO ways (1024 B, 1 core, 4096 descriptors, 100 Gb/s)", "",
      direct("direct-ways.csv", "ddio-ways.csv", "DDIO ways", 10, ways_t,
             notes={str(w): "reported (not a target; the test checks >= 99 %)" for w in range(7, 12)},
             fig=("ways", "Direct delivery, DDIO ways: 1024 B, 1 core, 4096 descriptors, 100 Gb/s", "DDIO ways (IIO LLC WAYS)")), "",
      "#### Cores (1500 B, 256 descriptors per core, 100 Gb/s over k cores, 2 ways)", "",
      direct("direct-cores.csv", "ddio-cores.csv", "cores", 10, cores_t,
             notes={"2": "**miss**, not a target: the hardware's transmit backlog (%s); the test checks >= 90 %%" % BACKLOG},
             checks=lambda x: ">= 98 %" if x >= 2 else "-",
             fig=("cores", "Direct delivery, cores sharing 2 I/O ways: 1500 B, 256 descriptors per core, 100 Gb/s", "cores (one RX queue each)")), "",
      "#### Rate (1500 B, 2 cores, 4096 descriptors each, 2 ways; the replay's 99.16 Gb/s is its full-rings case)", "",
      direct("direct-rate.csv", "ddio-rate.csv", "rate (Gb/s)", 10, rate_t,
             checks=lambda x: ">= 99 %" if x <= 92.63 else "-",
             fig=("rate", "Direct delivery, rate: 1500 B, 2 cores, 4096 descriptors each, 2 ways", "offered rate = published THROUGHPUT of the step (Gb/s)")), "",
      "#### ddio-bench's process-time experiment at 0 WorkPackage calls (1500 B, 2 cores, 2048 descriptors each, 2 ways, unpaced, 99.15 Gb/s)", "",
      direct("direct-process-time.csv", "ddio-rate.csv", "descriptors per queue", 10, {"2048"})]
open(os.path.join(work, "figs.txt"), "w").write("\n".join(figs) + "\n")
lr = ["| frame | wire | published (Mpps) | viosim constant (Mpps) | viosim Poisson (Mpps) | viosim datapath (Mpps) | tolerance | verdict |",
      "|---|---|---|---|---|---|---|---|"]
for r in rows("linerate.csv"):
    p, c, q = float(r["published_mpps"]), float(r["viosim_constant_mpps"]), float(r["viosim_poisson_mpps"])
    d = float(r["viosim_datapath_mpps"])
    ok = all(abs(x - p) / p < 1e-3 for x in (c, q, d))
    lr.append("| %s B | %s GbE | %.2f | %.3f | %.3f | %.3f | 0.1 %% | %s |" % (r["frame_bytes"], r["wire_gbps"], p, c, q, d,
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
text = text.replace("@WAYS@", table("ddio-ways.csv", "DDIO ways", 10, ways_t,
                                    {str(w): "reported (not a target; the test checks >= 99 %)" for w in range(7, 12)}))
text = text.replace("@CORES@", table("ddio-cores.csv", "cores", 10, cores_t,
                                     {"2": "**miss**, not a target: the hardware's transmit backlog (%s)" % BACKLOG}))
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
while IFS='|' read -r csv png ttl xl yl ncol; do
  gnuplot -e "data='$csv'; out='$png'; fmt='png'; ttl='$ttl'; xl='$xl'; yl='$yl'; ncol=$ncol" plots/validation-direct.gp
done <"$work/figs.txt"
ls docs/validation.md docs/figures/validation-*.png
exit $status
