#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkd-macsecd benchmark in the VM (topology of test.sh): rekey latency
# (key taken -> both ends transmitting on it), iperf3 throughput with a
# rekey every second against none, and the loss of a fixed-rate UDP stream
# at shorter and shorter rekey intervals. TCG makes absolute figures
# meaningless: read the ratios, all measured in this one run.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. selftests/lib/ktap.sh
. selftests/lib/topo.sh
. selftests/macsec/lib.sh

secs=${QKD_BENCH_SECS:-5}
rekeys=${QKD_BENCH_REKEYS:-30}
base=(grace=300ms handshake-timeout=4s)

if ! ms_built; then
	echo "qkd-macsecd, qkdctl or qkdpool.ko not built: skipped"
	exit 0
fi
trap 'ms_cleanup; topo_cleanup' EXIT
topo_setup
ms_init
ms_pools 2000

start_daemons()
{
	ms_config 1 "${base[@]}" "$@"
	ms_config 2 "${base[@]}" "$@"
	ms_start 1
	ms_start 2
	wait_for 60 ms_ping
}

stop_daemons()
{
	ms_stop 1
	ms_stop 2
}

# Rekey latency over $rekeys rekeys on demand: median and p99, in ms.
latency()
{
	local i before

	for i in $(seq "$rekeys"); do
		before=$(ms_field 1 rekeys)
		kill -USR1 "$(ms_pid 1)"
		wait_for 30 ms_is 1 rekeys -gt "$before"
	done
	grep -o 'latency_us=[0-9]*' "$ms_dir/gw1.log" | tail -n "$rekeys" |
		cut -d= -f2 | sort -n |
		awk '{ v[NR] = $1 } END {
			m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]
			printf "%.1f %.1f %d\n", m / 1000, p / 1000, NR }'
}

iperf_server()
{
	n2 iperf3 -s -1 -D -B 10.1.0.2 >/dev/null
	local i
	for i in $(seq 50); do
		n2 ss -ltn | grep -q '10.1.0.2:5201' && return 0
		sleep 0.1
	done
	return 1
}

# TCP throughput gw1 -> gw2 over MACsec: "Mbit/s retransmits".
tcp_run()
{
	iperf_server
	n1 iperf3 -c 10.1.0.2 -t "$secs" -J |
		jq -r '"\(.end.sum_received.bits_per_second / 1e6 | floor) \(.end.sum_sent.retransmits)"'
}

# UDP at a fixed rate: "lost sent".
udp_run()
{
	iperf_server
	n1 iperf3 -u -b "${1}M" -c 10.1.0.2 -t "$secs" -J |
		jq -r '"\(.end.sum.lost_packets) \(.end.sum.packets)"'
}

# Frames the receivers dropped for want of an SA (or with the wrong one).
dropped()
{
	local c s=0
	for c in InPktsNotValid InPktsNotUsingSA InPktsUnusedSA InPktsLate; do
		s=$((s + $(rxsc_counter n1 $c) + $(rxsc_counter n2 $c)))
	done
	echo $((s + $(ms_tx_dropped n1) + $(ms_tx_dropped n2)))
}

ms_link2
start_daemons rekey-interval=1h
read -r lat_med lat_p99 lat_n < <(latency)
read -r tcp_none retr_none < <(tcp_run)
stop_daemons
start_daemons rekey-interval=1s
r0=$(ms_field 1 rekeys)
read -r tcp_1s retr_1s < <(tcp_run)
r1=$(($(ms_field 1 rekeys) - r0))
stop_daemons

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }
echo "qkd-macsecd rekey latency (key taken -> both ends on the new key), $lat_n rekeys on demand"
printf '  median %s ms, p99 %s ms\n\n' "$lat_med" "$lat_p99"
echo "TCP throughput over MACsec GCM-AES-128, iperf3 ${secs}s (baseline: no rekey)"
printf '%-28s %10s %12s %8s %8s\n' "rekeying" "Mbit/s" "retransmits" "rekeys" "ratio"
printf '%-28s %10s %12s %8s %8s\n' "none" "$tcp_none" "$retr_none" 0 1.000
printf '%-28s %10s %12s %8s %8s\n' "every 1 s" "$tcp_1s" "$retr_1s" "$r1" "$(ratio "$tcp_1s" "$tcp_none")"
echo

# A rate the emulated link carries without loss when nothing rekeys (the
# "none" row says whether it does).
rate=$((tcp_none / 4))
((rate <= 50)) || rate=50
((rate >= 1)) || rate=1
echo "UDP ${rate} Mbit/s for ${secs}s at shorter rekey intervals (zero loss wanted)"
printf '%-12s %8s %10s %10s %10s\n' "interval" "rekeys" "sent" "lost" "dropped"
smallest=none clean=1
for iv in none 1000 500 200 100 50; do
	if [ "$iv" = none ]; then
		start_daemons rekey-interval=1h
	else
		start_daemons "rekey-interval=${iv}ms"
	fi
	d0=$(dropped)
	r0=$(ms_field 1 rekeys)
	read -r lost sent < <(udp_run "$rate")
	r1=$(($(ms_field 1 rekeys) - r0))
	d1=$(($(dropped) - d0))
	stop_daemons
	label=$iv
	[ "$iv" = none ] || label="$iv ms"
	printf '%-12s %8s %10s %10s %10s\n' "$label" "$r1" "$sent" "$lost" "$d1"
	[ "$iv" = none ] && continue
	if ((clean && lost == 0 && d1 == 0)); then
		smallest="${iv} ms"
	else
		clean=0
	fi
done
echo "smallest rekey interval with zero loss: $smallest"
