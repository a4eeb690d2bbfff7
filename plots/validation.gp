# Published points against viosim's curve, on the same axes (scripts/validate.sh):
#   gnuplot -e "data='x.csv'; out='x.png'; fmt='png'; ttl='...'; xl='...'; yl='...'" plots/validation.gp
# data: a CSV with a header row and columns x, published, viosim.
load "plots/common.gp"
set title ttl
set xlabel xl
set ylabel yl
set yrange [0:105]
set key inside left bottom box opaque
plot data every ::1 using 1:2 with points pt 7 ps 1.6 lc rgb "#d2462b" title "published (ddio-bench, ATC'20)", \
     data every ::1 using 1:3 with linespoints ls 1 title "viosim (skylake-sp-6140 preset)"
