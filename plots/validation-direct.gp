# Published points against several viosim curves, on the same axes (scripts/validate.sh,
# the direct-delivery figures of docs/validation.md):
#   gnuplot -e "data='x.csv'; out='x.png'; fmt='png'; ttl='...'; xl='...'; yl='...'; ncol=5" plots/validation-direct.gp
# data: a CSV whose header row names the series: x, the published metric, then
# columns 3..ncol, one viosim curve each (an empty cell is a point not run).
load "plots/common.gp"
set title ttl
set xlabel xl
set ylabel yl
set yrange [0:105]
set datafile missing ""
plot data using 1:2 with points pt 7 ps 1.6 lc rgb "#d2462b" title columnheader(2), \
     for [i=3:ncol] data using 1:i with linespoints ls (i == 3 ? 1 : i) title columnheader(i)
