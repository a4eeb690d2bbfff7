# One sweep metric against one parameter, a curve per series (variant), 95 % CI error bars.
# data: CSV "x,<series1> mean,<series1> ci,..."; nseries, xlabel, ylabel, title, log2x (0/1).
load dir."/common.gp"
set title title
set xlabel xlabel
set ylabel ylabel
if (log2x) {
    set logscale x 2
    set format x "%.0f"
}
set yrange [0:*]
plot for [i=1:nseries] data using 1:(column(2*i)):(column(2*i+1)) with yerrorlines title columnhead(2*i)
