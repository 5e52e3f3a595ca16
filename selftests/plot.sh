#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The plots of `make bench`: gnuplot (Debian's gnuplot-nox) turns the data
# files the benchmarks left in a directory into PNGs beside them, where a
# curve says more than a table row:
#
#   kmd-ingest.dat            -> kmd-ingest.png: ingest rate against the
#                                KME rate (selftests/kmd/bench.sh)
#   kmd-relay.dat             -> kmd-relay.png: 3-hop relay throughput
#                                against the link rate and the limit the
#                                links set, batch 1 and 16
#                                (kmd/bench-relay.sh)
#   macsec-rekey-latency.dat  -> macsec-rekey-latency.png: the rekey
#                                latencies' distribution (macsec/bench.sh)
#   pool-take-cost.dat        -> pool-take-cost.png: a take's cost against
#                                the stream size (pool/bench.sh)
#
# usage: selftests/plot.sh [DIR]     (default build/bench)
# A data file that is absent is skipped; exit status 1 if gnuplot failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build/bench}
rc=0

if ! command -v gnuplot >/dev/null; then
	echo "plot.sh: no gnuplot (scripts/deps.sh bench installs it)" >&2
	exit 1
fi

# plot NAME: gnuplot reads the script on stdin; $dir/NAME.dat exists.
plot()
{
	local name=$1

	[ -s "$dir/$name.dat" ] || return 0
	if gnuplot -e "dat = '$dir/$name.dat'; png = '$dir/$name.png'" - ; then
		echo "plot: $dir/$name.png"
	else
		echo "plot: $name failed" >&2
		rc=1
	fi
}

common="set terminal pngcairo size 720,440 font 'sans,10'
set output png
set grid
set key top left"

# The KME pair's end-to-end rate bounds what the KMs can ingest: a line.
pair=$(sed -n 's/^# raw [0-9]* pair \([0-9]*\).*/\1/p' "$dir/kmd-ingest.dat" 2>/dev/null)
plot kmd-ingest <<EOF
$common
set title 'qkd-kmd: keys ingested into the pool against the KME rate (256-bit keys)'
set xlabel 'KME key rate (keys/s)'
set ylabel 'keys/s added to the pool'
set logscale xy
set format x '10^{%T}'
set format y '10^{%T}'
plot dat using 1:3 with linespoints lw 2 pt 7 title 'qkd-kmd ingest', \
     dat using 1:1 with lines dt 2 title 'KME rate (ideal)'${pair:+, \\
     ${pair} with lines dt 3 title 'KME pair end-to-end rate'}
EOF

plot kmd-relay <<EOF
$common
set title 'qkd-kmd: keys relayed over 3 hops against the link key rate'
set xlabel 'link key rate (keys/s)'
set ylabel 'keys/s added to the far stream'
set logscale xy
set format x '10^{%T}'
set format y '10^{%T}'
# Rows alternate batch 1 and batch 16 (bench-relay.sh's default batches).
plot dat every 2 using 2:3 with linespoints lw 2 pt 7 title '3-hop relay, batch 1 (version 1)', \
     dat every 2::1 using 2:3 with linespoints lw 2 pt 5 title '3-hop relay, batch 16 (version 2)', \
     dat every 2 using 2:4 with lines dt 2 title 'limit, batch 1: link rate / 2', \
     dat every 2::1 using 2:4 with lines dt 3 title 'limit, batch 16: link rate x 16/17'
EOF

plot macsec-rekey-latency <<EOF
$common
set title 'qkd-macsecd: rekey latency, key taken to both ends on it'
set xlabel 'latency (ms)'
set ylabel 'rekeys'
stats dat using 1 nooutput
bw = (STATS_max - STATS_min) / 20
if (bw <= 0) bw = 1
set boxwidth bw * 0.9
set style fill solid 0.6
set key top right
set xrange [STATS_min - bw : STATS_max + 2 * bw]
set yrange [0 : *]
set ytics 1
if (STATS_records > 40) set ytics autofreq
set arrow from STATS_median, graph 0 to STATS_median, graph 1 nohead dt 2
set label sprintf('median %.1f ms', STATS_median) at STATS_median, graph 0.85 offset 1,0 front
plot dat using (bw * floor(\$1 / bw) + bw / 2):(1) smooth frequency with boxes \
     title sprintf('%d rekeys on demand', STATS_records)
EOF

plot pool-take-cost <<EOF
$common
set title 'qkdpool: cost of one take against the stream size (32-byte keys)'
set xlabel 'keys in the stream'
set ylabel 'ns per take'
set logscale x
set format x '10^{%T}'
set yrange [0:*]
plot dat using 1:2 with linespoints lw 2 pt 7 title 'take-next, read() 1 key/call', \
     dat using 1:3 with linespoints lw 2 pt 5 title 'take-by-ID ioctl, add order', \
     dat using 1:4 with linespoints lw 2 pt 9 title 'take-by-ID ioctl, scattered'
EOF

exit $rc
