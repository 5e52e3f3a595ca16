#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdpool benchmark; run as root in the VM (selftests/qemu/vm-run.sh):
#   selftests/pool/bench.sh [MODULE.ko] [-- bench_pool args]
# Loads the module with room for 10^6 keys, prints bench_pool's table and
# unloads it. Timings are for the table only; nothing is asserted. The
# per-op cost against stream size also goes to build/bench/pool-take-cost.dat
# (size, then ns per take of each operation) for selftests/plot.sh.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ko=$top/kmod/qkdpool.ko
[ $# -gt 0 ] && [ "$1" != -- ] && { ko=$1; shift; }
[ "${1-}" = -- ] && shift

cleanup() { rmmod qkdpool 2>/dev/null; }
trap cleanup EXIT

lsmod | grep -q '^qkdpool ' && rmmod qkdpool
# Room for the 10^4-stream rows too (a module without max_streams has no cap).
insmod "$ko" mem_max=$((512 << 20)) max_streams=20000 2>/dev/null ||
	insmod "$ko" mem_max=$((512 << 20)) || exit 1
out=$top/build/bench
mkdir -p "$out"
"$top/build/pool/bench_pool" "$@" | tee "$out/pool.txt"
rc=${PIPESTATUS[0]}
# The table's rows are operations, its columns sizes: one row per size.
awk '/^per-op cost \(ns\) vs stream size/ { on = 1; next }
     on && /^operation/ { next }
     on && !NF { exit }
     on { for (i = 0; i < 4; i++) v[i, n] = $(NF - 4 + i); n++ }
     END { if (!n) exit
	   print "# keys take-next-read take-by-ID take-by-ID-scattered (ns)"
	   for (i = 0; i < 4; i++) {
		   printf "%d", 10 ^ (i + 3)
		   for (j = 0; j < n; j++)
			   printf " %s", v[i, j]
		   print ""
	   } }' "$out/pool.txt" >"$out/pool-take-cost.dat"
[ -s "$out/pool-take-cost.dat" ] || rm -f "$out/pool-take-cost.dat"
exit "$rc"
