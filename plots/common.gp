# Shared look of viosim's figures. viosim plot calls each script with
#   gnuplot -e "data='...'; out='...'; fmt='png|svg'; ..." plots/NAME.gp
# and writes the CSV it reads; restyle here without touching C.
if (fmt eq "svg") {
    set terminal svg size 1000,520 dynamic font "Sans,13" background "white"
} else {
    set terminal pngcairo size 1000,520 font "Sans,11" noenhanced
}
set termoption noenhanced
set output out
set datafile separator ","
set key outside right top box opaque font ",10"   # legends outside the data
set grid lc rgb "#d0d0d0"
set border 3
set tics nomirror
set style line 1 lc rgb "#1b6ac9" lw 2 pt 7 ps 0.8
set style line 2 lc rgb "#d2462b" lw 2 pt 5 ps 0.8
set style line 3 lc rgb "#2a9d4b" lw 2 pt 9 ps 0.9
set style line 4 lc rgb "#8e44ad" lw 2 pt 11 ps 0.9
set style line 5 lc rgb "#e08e0b" lw 2 pt 13 ps 0.9
set style line 6 lc rgb "#555555" lw 2 pt 3 ps 0.9
set style line 7 lc rgb "#17becf" lw 2 pt 1 ps 0.9
set style line 8 lc rgb "#bcbd22" lw 2 pt 2 ps 0.9
set style increment user
