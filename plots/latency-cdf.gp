# Latency CDF per variant from the quantiles results.json records (min, p50, p90, p99, p99.9, max):
# six points per variant joined by lines, not the full distribution.
# data: CSV "<v1> latency,<v1> fraction,<v2> latency,..."; nseries, xlabel, title.
load dir."/common.gp"
set title title
set xlabel xlabel
set ylabel "fraction of packets (CDF)"
set yrange [0:1]
set xrange [0:*]
plot for [i=1:nseries] data using (column(2*i-1)):(column(2*i)) with linespoints title columnhead(2*i-1)
