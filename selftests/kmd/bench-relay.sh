#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key relay benchmark; run as root in the VM (selftests/qemu/vm-run.sh
# selftests/kmd/bench-relay.sh). Networks of selftests/kmd/relay-lib.sh,
# each far stream with a target it never reaches, so that both its ends
# relay without pause. Prints:
#
# 1. Throughput of a 3-hop relay (line 1-2-3-4, far stream 1-4) against
#    the limit its links set: a relay of b 32-byte keys spends b + 1 link
#    keys (K or pad of each key, and one MAC key) of every hop, and both
#    directions share a link, so the far stream can gain at most
#    (link rate) x b / (b + 1) keys/s: rate / 2 for one key a relay
#    (relay version 1, [relay] batch 1), 16/17 of it for batches of 16
#    (version 2). For [relay] batch 1 and 16 (QKD_RELAY_BENCH_BATCHES),
#    link rates (qkd-simkme --rate) from 200 to 50,000 keys/s
#    (QKD_RELAY_BENCH_RATES), and the ratio of the two batches' far keys/s
#    at each rate. Where the key managers' CPU is the bottleneck, not the
#    links, the "cpu/s" column (CPU seconds the key managers used per
#    second) says so.
# 2. Link keys spent per relayed key per hop (the OTP + MAC cost is
#    (b + 1) / b),
#    relays aborted, and relays that waited at a trusted node for keys of
#    their next link, over the same spans.
# 3. Latency of one key: [relay] window 1 and batch 1 (one relay of one
#    key at a time at each end, no queue anywhere), so one relay takes
#    2 / (far keys/s); a line
#    of 3 (2 hops) against the line of 4 (3 hops) gives what a hop adds.
# 4. Scale: a ring of 10 nodes with 5 far streams of 5 hops each, every
#    node an end of one, batches of 16: keys/s over all far streams, and the CPU time of
#    all key managers per relayed key.
#
# CPU time is the scheduler's (/proc/PID/schedstat), not clock ticks:
# under TCG the guest's tick accounting overcounts. Ratios are measured
# in this one run; absolute numbers depend on the machine (TCG in CI). No
# assertion: this is not a test. Rows of 1. also go to
# build/bench/kmd-relay.dat for selftests/plot.sh. QKD_RELAY_BENCH_EXTRA=0
# skips 3. and 4.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh
# shellcheck source=selftests/kmd/relay-lib.sh
. selftests/kmd/relay-lib.sh

# The daemons' status files are rewritten every second: on the VM's tmpfs,
# not on the 9p share of build/, which took 14% of a key manager's CPU
# (prof-relay.sh) and no gateway would pay.
work=/tmp/kmd-bench-relay
pki=/tmp/kmd-bench-relay-pki
rates=${QKD_RELAY_BENCH_RATES:-200 2000 10000 50000}
span=${QKD_RELAY_BENCH_SPAN:-10}	# seconds measured
warmup=${QKD_RELAY_BENCH_WARMUP:-5}	# longer on a loaded machine
window=${QKD_RELAY_BENCH_WINDOW:-32}	# [relay] window
batches=${QKD_RELAY_BENCH_BATCHES:-1 16}	# [relay] batch
extra=${QKD_RELAY_BENCH_EXTRA:-1}
far_target=2000000
far_max=2000000
declare -A faults=() extra_far=()

for f in "$kmd" "$sim" "$keys" "$ko"; do
	[ -e "$f" ] || { echo "# SKIP relay bench: $f not built"; exit 0; }
done
trap relay_cleanup EXIT
rm -rf "$pki"

# measure HOPS: start the network, warm up, then print one row:
# "batch link_rate far_keys/s limit ratio link_keys/key/hop aborted
# cpu_ms/key cpu_s/s waited" over $span seconds, relay_batch keys a relay
# at most (32-byte keys). The link streams hold about a
# second of their rate, so that after the warm-up the relays live on
# what the links bring, not on a stock filled before.
measure()
{
	local hops=$1 k0 k1 l0 l1 a0 a1 c0 c1 w0 w1 t0 t1

	relay_bench_up || return 1
	k0=$(far_keys) l0=$(counter link_keys_sent) a0=$(counter aborted)
	w0=$(counter waited) c0=$(cpu) t0=$(now)
	sleep "$span"
	k1=$(far_keys) l1=$(counter link_keys_sent) a1=$(counter aborted)
	w1=$(counter waited) c1=$(cpu) t1=$(now)
	awk -v r="$kme_rate" -v k=$((k1 - k0)) -v l=$((l1 - l0)) \
		-v a=$((a1 - a0)) -v c=$((c1 - c0)) -v w=$((w1 - w0)) \
		-v t0="$t0" -v t1="$t1" -v h="$hops" -v b="${relay_batch:-16}" \
		-v n="$(wc -w <<<"$edges")" 'BEGIN {
		t = t1 - t0
		s = k / t
		lim = n * r * b / ((b + 1) * h)
		printf "%5d %8d %10.1f %8.0f %7.3f %8.2f %7d %9.2f %6.2f %7d\n",
			b, r, s, lim, s / lim, (k ? l / k / h : 0), a,
			(k ? c / 1e6 / k : 0), c / 1e9 / t, w }'
}

header()
{
	printf '# %5s %8s %10s %8s %7s %8s %7s %9s %6s %7s\n' "batch" "link/s" \
		"far keys/s" "limit/s" "ratio" "lk/k/hop" "aborted" \
		"cpu ms/k" "cpu/s" "waited"
}

out=$top/build/bench
mkdir -p "$out"
echo "# 3-hop relay, line 1-2-3-4, far stream 1-4; limit = link rate x b / (b + 1)"
echo "# (links x link rate x b / ((b + 1) x hops): every link key spent on a relay);"
echo "# lk/k/hop: link keys spent per relayed key per hop (OTP + MAC: (b + 1) / b);"
echo "# cpu/s: CPU seconds of all key managers per second (the VM has 2);"
echo "# waited: relays parked at a trusted node for link keys;" \
	"[relay] window $window; ${span}s measured after ${warmup}s"
header
echo "# batch link_keys_per_s far_keys_per_s limit ratio link_keys_per_key_hop aborted cpu_ms_per_key cpu_s_per_s waited" \
	>"$out/kmd-relay.dat"
relay_window=$window
nodes=4 edges="1-2 2-3 3-4" fars="1-4"
declare -A by=()
for kme_rate in $rates; do
	for relay_batch in $batches; do
		row=$(measure 3)
		echo "$row" | tee -a "$out/kmd-relay.dat" | sed 's/^/# /'
		by[$relay_batch-$kme_rate]=$(awk '{ print $3 }' <<<"$row")
	done
done
# Batches against single keys, in this run, at each link rate.
first=${batches%% *} last=${batches##* }
if [ "$first" != "$last" ]; then
	for kme_rate in $rates; do
		awk -v a="${by[$last-$kme_rate]:-0}" -v b="${by[$first-$kme_rate]:-0}" \
			-v r="$kme_rate" -v f="$first" -v l="$last" 'BEGIN {
			printf "# %d link keys/s: batch %d / batch %d far keys/s = %s\n",
				r, l, f, (b > 0 ? sprintf("%.2f", a / b) : "n/a") }'
	done
fi
unset relay_batch
[ "$extra" = 0 ] && exit 0

# One key at a time, where the links are no limit: one relay in flight
# at each end, of one key ([relay] batch 1).
relay_window=1
relay_batch=1
kme_rate=${rates##* }
echo "# one key at a time ([relay] window 1, batch 1) at $kme_rate link keys/s:"
r3=$(measure 3)
echo "# $r3  (3 hops)"
nodes=3 edges="1-2 2-3" fars="1-3"
r2=$(measure 2)
echo "# $r2  (2 hops)"
# (far keys/s is the row's third column)
awk -v a="$(awk '{ print $3 }' <<<"$r3")" -v b="$(awk '{ print $3 }' <<<"$r2")" 'BEGIN {
	if (a > 0 && b > 0)
		printf "# one relay: %.1f ms over 3 hops, %.1f ms over 2: %.1f ms per hop\n",
			2000 / a, 2000 / b, 2000 / a - 2000 / b }'

echo "# scale: ring of 10, far streams 1-6 2-7 3-8 4-9 5-10 (5 hops each),"
unset relay_batch
echo "# limit: 10 links x link rate x b / ((b + 1) x 5 hops), b = 16; [relay] window $window"
relay_window=$window
kme_rate=2000
nodes=10 edges="1-2 2-3 3-4 4-5 5-6 6-7 7-8 8-9 9-10 1-10"
fars="1-6 2-7 3-8 4-9 5-10"
header
measure 5 | sed 's/^/# /'
