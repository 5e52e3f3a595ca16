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
. selftests/macsec/mka.sh

secs=${QKD_BENCH_SECS:-5}
rekeys=${QKD_BENCH_REKEYS:-30}
base=(grace=300ms handshake-timeout=4s)

if ! ms_built; then
	echo "qkd-macsecd, qkdctl or qkdpool.ko not built: skipped"
	exit 0
fi
trap 'mka_stop 1; mka_stop 2; ms_cleanup; topo_cleanup' EXIT
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

# Rekey latency over $rekeys rekeys on demand: median and p99, in ms;
# every rekey's (ms) in build/bench/macsec-rekey-latency.dat for plot.sh.
latency()
{
	local i before out=$top/build/bench

	for i in $(seq "$rekeys"); do
		before=$(ms_field 1 rekeys)
		kill -USR1 "$(ms_pid 1)"
		wait_for 30 ms_is 1 rekeys -gt "$before"
	done
	grep -o 'latency_us=[0-9]*' "$ms_dir/gw1.log" | tail -n "$rekeys" |
		cut -d= -f2 | sort -n >"$ms_dir/latency_us"
	mkdir -p "$out"
	awk '{ printf "%.3f\n", $1 / 1000 }' "$ms_dir/latency_us" \
		>"$out/macsec-rekey-latency.dat"
	awk '{ v[NR] = $1 } END {
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]
		printf "%.1f %.1f %d\n", m / 1000, p / 1000, NR }' "$ms_dir/latency_us"
}

iperf_server()
{
	n2 iperf3 -s -1 -D -B 10.1.0.2 >/dev/null
	wait_listen n2 10.1.0.2 5201
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

# UDP datagrams gw2's sockets dropped for a full receive buffer.
udp_rcvbuf_errors()
{
	n2 awk '/^Udp:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
			  else print $c }' /proc/net/snmp
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

# CPU time both daemons have used, in microseconds (schedstat: ns).
daemon_cpu_us()
{
	local n f t=0
	for n in 1 2; do
		f=/proc/$(ms_pid "$n")/schedstat
		if [ ! -e "$f" ]; then
			echo "gw$n's daemon is gone; its log ends:" >&2
			tail -n 5 "$ms_dir/gw$n.log" >&2
			return 1
		fi
		t=$((t + $(cut -d' ' -f1 "$f") / 1000))
	done
	echo "$t"
}

# One TCP round with the daemons rekeying every $1 ("1h": not at all):
# "Mbit/s retransmits rekeys daemon_cpu_us".
tcp_round()
{
	local r0 c0 mbit retr

	start_daemons "rekey-interval=$1"
	r0=$(ms_field 1 rekeys)
	c0=$(daemon_cpu_us)
	read -r mbit retr < <(tcp_run)
	echo "$mbit $retr $(($(ms_field 1 rekeys) - r0)) $(($(daemon_cpu_us) - c0))"
	stop_daemons
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
an_moved() { [ "$(mka_encoding_sa n1)" != "$1" ]; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }

ms_link2
t0=$(now_ms)
start_daemons rekey-interval=1h
our_up=$(($(now_ms) - t0))
read -r lat_med lat_p99 lat_n < <(latency)
stop_daemons
echo "qkd-macsecd rekey latency (key taken -> both ends on the new key), $lat_n rekeys on demand"
printf '  median %s ms, p99 %s ms\n\n' "$lat_med" "$lat_p99"

# Rounds interleaved A/B/A/B so that a neighbour's load on the host hits
# both alike; medians, and the spread of A against itself as the noise.
rounds=${QKD_BENCH_ROUNDS:-3}
echo "TCP throughput over MACsec GCM-AES-128, iperf3 ${secs}s, $rounds interleaved rounds each, 2 vCPUs"
printf '%-6s %-10s %8s %12s %7s %14s\n' round rekeying Mbit/s retransmits rekeys "daemons CPU ms"
: > "$ms_dir/rounds"
for i in $(seq "$rounds"); do
	for iv in 1h 1s; do
		# Not < <(...): the round must have stopped its daemons.
		tcp_round "$iv" > "$ms_dir/round"
		read -r mbit retr nrk cpu < "$ms_dir/round"
		echo "$iv $mbit $nrk $cpu" >> "$ms_dir/rounds"
		printf '%-6s %-10s %8s %12s %7s %14s\n' "$i" \
			"$([ "$iv" = 1h ] && echo none || echo "every 1 s")" \
			"$mbit" "$retr" "$nrk" "$((cpu / 1000)).$((cpu % 1000 / 100))"
	done
done
col() { awk -v iv="$1" -v c="$2" '$1 == iv { print $c }' "$ms_dir/rounds"; }
tcp_none=$(col 1h 2 | median)
tcp_1s=$(col 1s 2 | median)
echo "median: none $tcp_none Mbit/s, every 1 s $tcp_1s Mbit/s, ratio $(ratio "$tcp_1s" "$tcp_none")"
echo "noise: the no-rekey rounds alone span $(col 1h 2 | sort -n | head -1)..$(col 1h 2 | sort -n | tail -1) Mbit/s (min/max $(ratio "$(col 1h 2 | sort -n | head -1)" "$(col 1h 2 | sort -n | tail -1)"))"
# Daemon cost: idle rounds give the polling, the difference per rekey.
awk -v s="$secs" '
	$1 == "1h" { ic += $4; in_ += 1 }
	$1 == "1s" { rc += $4; rk += $3; rn += 1 }
	END {
		idle = ic / in_ / s; busy = rc / rn / s
		printf "daemons CPU (both): idle %.2f ms/s, rekeying %.2f ms/s = %.2f%% of one vCPU; ", idle / 1000, busy / 1000, busy / 10000
		printf "%.2f ms per rekey\n\n", rk ? (rc - ic / in_ * rn) / rk / 1000 : 0
	}' "$ms_dir/rounds"
cpu_idle=$(awk -v s="$secs" '$1 == "1h" { c += $4; n++ } END { printf "%.2f", c / n / s / 1000 }' "$ms_dir/rounds")

# A rate the emulated link carries without loss when nothing rekeys (the
# "none" row says whether it does).
rate=$((tcp_none / 4))
((rate <= 50)) || rate=50
((rate >= 1)) || rate=1
echo "UDP ${rate} Mbit/s for ${secs}s at shorter rekey intervals (zero loss wanted)"
echo "(rcvbuf: datagrams gw2's socket dropped, full buffer under TCG: not MACsec's;"
echo " dropped: MACsec's loss counters, RX SC NotValid/NotUsingSA/UnusedSA/Late + tx_dropped)"
printf '%-12s %8s %10s %10s %10s %10s\n' "interval" "rekeys" "sent" "lost" "rcvbuf" "dropped"
smallest=none clean=1
for iv in none 1000 500 200 100 50; do
	if [ "$iv" = none ]; then
		start_daemons rekey-interval=1h
	else
		start_daemons "rekey-interval=${iv}ms"
	fi
	d0=$(dropped)
	b0=$(udp_rcvbuf_errors)
	r0=$(ms_field 1 rekeys)
	read -r lost sent < <(udp_run "$rate")
	r1=$(($(ms_field 1 rekeys) - r0))
	d1=$(($(dropped) - d0))
	b1=$(($(udp_rcvbuf_errors) - b0))
	stop_daemons
	label=$iv
	[ "$iv" = none ] || label="$iv ms"
	printf '%-12s %8s %10s %10s %10s %10s\n' "$label" "$r1" "$sent" "$lost" "$b1" "$d1"
	[ "$iv" = none ] && continue
	# Every lost datagram is one the receiving socket dropped: MACsec
	# lost nothing.
	if ((clean && lost <= b1 && d1 == 0)); then
		smallest="${iv} ms"
	else
		clean=0
	fi
done
echo "smallest rekey interval with zero loss (by MACsec): $smallest"

# MKA for comparison: the same link keyed by wpa_supplicant instead.
echo
echo "MKA (wpa_supplicant, driver macsec_linux, pre-shared CAK) on the same link"
why=$(mka_unusable)
if [ -n "$why" ]; then
	echo "MKA: not measured: $why"
	exit 0
fi
ip1 link del macsec0
ip2 link del macsec0
t0=$(now_ms)
mka_start 1
mka_start 2
if ! wait_for 60 mka_addr 1 || ! wait_for 60 mka_addr 2 || ! wait_for 60 ms_ping; then
	echo "MKA: no secured link within 60 s; wpa_supplicant said:"
	grep -m3 -iE 'error|fail|could' "$ms_dir"/mka[12].log | sed 's/^/  /' || true
	exit 0
fi
mka_up=$(($(now_ms) - t0))
: > "$ms_dir/mka_tcp"
c0=$(mka_cpu_us)
t0=$(now_ms)
for i in $(seq "$rounds"); do
	tcp_run | cut -d' ' -f1 >> "$ms_dir/mka_tcp"
done
mka_cpu=$(awk -v c=$(($(mka_cpu_us) - c0)) -v t=$(($(now_ms) - t0)) 'BEGIN { printf "%.2f", c / t }')
tcp_mka=$(median < "$ms_dir/mka_tcp")
printf '%-44s %10s %10s\n' "" "MKA" "qkd-macsecd"
printf '%-44s %10s %10s\n' "start -> first ping over the secured link, ms" "$mka_up" "$our_up"
printf '%-44s %10s %10s\n' "TCP Mbit/s, no rekey (median of $rounds)" "$tcp_mka" "$tcp_none"
printf '%-44s %10s %10s\n' "ratio to qkd-macsecd" "$(ratio "$tcp_mka" "$tcp_none")" 1.000
printf '%-44s %10s %10s\n' "daemons' CPU under TCP load, ms/s (both)" "$mka_cpu" "$cpu_idle"

# MKA's own rekey: a new SAK when the key server's TX PN passes 0xC0000000
# (PN exhaustion; nothing else rekeys a stable two-member CA). Set the PN
# just past it under a UDP stream and watch the encoding AN change.
an0=$(mka_encoding_sa n1)
d0=$(dropped)
b0=$(udp_rcvbuf_errors)
iperf_server
n1 iperf3 -u -b "${rate}M" -c 10.1.0.2 -t 12 -J > "$ms_dir/mka_udp.json" &
iperf=$!
sleep 2
n1 ip macsec set macsec0 tx sa "$an0" pn $((0xC0000000 + 16)) on ||
	echo "MKA: cannot raise the PN of TX SA $an0"
t0=$(now_ms)
if wait_for 20 an_moved "$an0"; then
	mka_rekey="after $(($(now_ms) - t0)) ms, AN $an0 -> $(mka_encoding_sa n1)"
else
	mka_rekey="none within 20 s"
fi
wait "$iperf" || true
read -r lost sent < <(jq -r '"\(.end.sum.lost_packets) \(.end.sum.packets)"' "$ms_dir/mka_udp.json") ||
	lost="?" sent="?"
echo "MKA rekey at PN exhaustion: $mka_rekey; UDP ${rate} Mbit/s across it: sent $sent, lost $lost (rcvbuf $(($(udp_rcvbuf_errors) - b0))), dropped by MACsec $(($(dropped) - d0))"

# A CAK change: wpa_supplicant has no live CAK update, so both ends restart
# with the new CAK (a new CA): the link is down meanwhile.
n1 ping -q -c 1000 -i 0.01 -W 1 10.1.0.2 > "$ms_dir/mka_ping" 2>&1 &
ping=$!
sleep 2
mka_stop 1
mka_stop 2
mka_cak=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
t0=$(now_ms)
mka_start 1
mka_start 2
if ! wait_for 60 mka_addr 1 || ! wait_for 60 mka_addr 2 || ! wait_for 60 ms_ping; then
	echo "MKA: not secured again within 60 s after the CAK change"
fi
mka_cak_ms=$(($(now_ms) - t0))
wait "$ping" || true
echo "MKA CAK change (both ends restarted): secured again after $mka_cak_ms ms; ping every 10 ms across it: $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$ms_dir/mka_ping" || echo "no summary")"
mka_stop 1
mka_stop 2
