#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key relay benchmark; run as root in the VM (selftests/qemu/vm-run.sh
# selftests/kmd/bench-relay.sh). Networks of selftests/kmd/relay-lib.sh,
# each far stream with a target it never reaches, so that both its ends
# relay without pause. Prints:
#
# 1. Throughput of a 3-hop relay (line 1-2-3-4, far stream 1-4) against
#    the limit its links set: a relayed 32-byte key spends 2 link keys (K
#    or pad, and the MAC key) of every hop, and both directions share a
#    link, so the far stream can gain at most (link rate) / 2 keys/s. For
#    link rates (qkd-simkme --rate) from 2,000 to 50,000 keys/s.
# 2. Link keys spent per relayed key per hop (the OTP + MAC cost is 2),
#    and relays aborted, over the same windows.
# 3. Latency: relays are sourced FAR_INFLIGHT (relay.c) at a time at each
#    end, so by Little's law one relay takes (relays in flight) / (relays
#    per second); a line of 3 (2 hops) against the line of 4 (3 hops) at
#    the same rate gives the latency one hop adds.
# 4. Scale: a ring of 10 nodes with 5 far streams of 5 hops each, every
#    node an end of one: keys/s over all far streams, and the CPU time of
#    all key managers per relayed key (and per relayed key and hop).
#
# Ratios are measured in this one run; absolute numbers depend on the
# machine (TCG in CI). No assertion: this is not a test. Rows of 1. also
# go to build/bench/kmd-relay.dat for selftests/plot.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh
# shellcheck source=selftests/kmd/relay-lib.sh
. selftests/kmd/relay-lib.sh

work=$top/build/kmd-bench-relay
pki=$top/build/kmd-bench-relay-pki
rates=${RELAY_BENCH_RATES:-2000 10000 50000}
window=${RELAY_BENCH_WINDOW:-10}
warmup=${RELAY_BENCH_WARMUP:-5}	# longer on a loaded machine
inflight=4				# FAR_INFLIGHT in userspace/kmd/relay.c
link_target=4000
link_max=40000
link_batch=1024
far_target=2000000
far_max=2000000
declare -A faults=() extra_far=()

for f in "$kmd" "$sim" "$keys" "$ko"; do
	[ -e "$f" ] || { echo "# SKIP relay bench: $f not built"; exit 0; }
done
trap relay_cleanup EXIT
rm -rf "$pki"

now() { date +%s.%N; }
# added I J: keys ever added to node I's far stream to node J.
added() { info "$1" "$2" | cut -d' ' -f4; }
# counter NAME: the relay counter NAME summed over every node.
counter()
{
	local i n=0 v

	for i in $(seq "$nodes"); do
		v=$(st "$i" ".relay.counters.$1 // 0")
		n=$((n + ${v:-0}))
	done
	echo $n
}
# cpu: clock ticks (user + system) of every key manager so far.
cpu()
{
	local i n=0

	for i in $(seq "$nodes"); do
		n=$((n + $(awk '{ print $14 + $15 }' "/proc/$(pidof_ "kmd-$i")/stat")))
	done
	echo $n
}
# far_keys: keys added to the far streams, each counted at one end.
far_keys()
{
	local e n=0

	for e in $fars; do
		n=$((n + $(added "${e%-*}" "${e#*-}")))
	done
	echo $n
}
routes_up()
{
	local e

	for e in $fars; do
		[ -n "$(st "${e%-*}" ".relay.routes[] | select(.node == \"node-${e#*-}\") | .path[0]")" ] ||
			return 1
	done
}

# measure HOPS: start the network, warm up, then print one row:
# "link_rate far_keys/s limit ratio link_keys/key/hop aborted cpu_ms/key
# latency_ms" over $window seconds.
measure()
{
	local hops=$1 k0 k1 l0 l1 a0 a1 c0 c1 t0 t1

	topology
	wait_for 180 links_up || { echo "# links not up"; return 1; }
	wait_for 120 routes_up || { echo "# no route"; return 1; }
	sleep "$warmup"
	k0=$(far_keys) l0=$(counter link_keys_sent) a0=$(counter aborted)
	c0=$(cpu) t0=$(now)
	sleep "$window"
	k1=$(far_keys) l1=$(counter link_keys_sent) a1=$(counter aborted)
	c1=$(cpu) t1=$(now)
	awk -v r="$kme_rate" -v k=$((k1 - k0)) -v l=$((l1 - l0)) \
		-v a=$((a1 - a0)) -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
		-v t0="$t0" -v t1="$t1" -v h="$hops" -v f="$(wc -w <<<"$fars")" \
		-v n="$(wc -w <<<"$edges")" -v q="$inflight" 'BEGIN {
		s = k / (t1 - t0)
		lim = n * r / (2 * h)
		printf "%8d %10.1f %8.0f %7.3f %8.2f %7d %9.2f %9.1f\n", r, s,
			lim, s / lim, (k ? l / k / h : 0), a,
			(k ? c * 1000 / hz / k : 0), (s ? 2 * q * f / s * 1000 : 0) }'
}

header()
{
	printf '# %6s %10s %8s %7s %8s %7s %9s %9s\n' "link/s" "far keys/s" \
		"limit/s" "ratio" "lk/k/hop" "aborted" "cpu ms/k" "lat ms"
}

out=$top/build/bench
mkdir -p "$out"
echo "# 3-hop relay, line 1-2-3-4, far stream 1-4; limit = link rate / 2"
echo "# (links x link rate / (2 x hops): every link key spent on a relay);"
echo "# lk/k/hop: link keys spent per relayed key per hop (OTP + MAC: 2);"
echo "# lat: one relay's time, $((2 * inflight)) in flight (Little's law);" \
	"window ${window}s after ${warmup}s"
header
echo "# link_keys_per_s far_keys_per_s limit ratio link_keys_per_key_hop aborted cpu_ms_per_key latency_ms" \
	>"$out/kmd-relay.dat"
nodes=4 edges="1-2 2-3 3-4" fars="1-4"
for kme_rate in $rates; do
	measure 3 | tee -a "$out/kmd-relay.dat" | sed 's/^/# /'
done
l3=$(tail -n 1 "$out/kmd-relay.dat" | awk '{ print $8 }')

echo "# the same, 2 hops (line 1-2-3), at ${kme_rate} link keys/s:"
nodes=3 edges="1-2 2-3" fars="1-3"
r2=$(measure 2)
echo "# $r2"
l2=$(awk '{ print $8 }' <<<"$r2")
awk -v a="$l3" -v b="$l2" 'BEGIN {
	printf "# latency added per hop (3 hops less 2 hops): %.1f ms\n", a - b }'

echo "# scale: ring of 10, far streams 1-6 2-7 3-8 4-9 5-10 (5 hops each),"
echo "# the same limit: 10 links x link rate / (2 x 5 hops)"
kme_rate=${rates%% *}
nodes=10 edges="1-2 2-3 3-4 4-5 5-6 6-7 7-8 8-9 9-10 1-10"
fars="1-6 2-7 3-8 4-9 5-10"
header
measure 5 | sed 's/^/# /'
