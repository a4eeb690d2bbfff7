# Clustered bars: one group per row (a tenant, a drop site), one bar per column (a variant).
# data: CSV "row,<col1>,<col2>,..."; ncols, ylabel, title, xlabel.
load dir."/common.gp"
set title title
set ylabel ylabel
set xlabel xlabel
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set yrange [0:*]
set xtics rotate by -20
plot for [i=2:ncols+1] data using i:xtic(1) title columnhead(i)
