#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key manager benchmark; run as root in the VM (selftests/qemu/vm-run.sh
# selftests/kmd/bench.sh). Same two-node setup as test.sh. Prints:
#
# 1. Ingest: keys/s that reach node-a's pool from a simulated QKD link
#    through qkd-kmd (ETSI 014 client, Kx, pool adds at both ends), against
#    the KME's raw rate, for several rates of 256-bit keys up to 250000
#    keys/s (64 Mbit/s, the fastest QKD link reported), and against the
#    KME pair's end-to-end rate (enc_keys on A, then dec_keys on B, the
#    work a key needs at the KMEs; qkd-kmd overlaps batches, so it can
#    beat this sequential figure).
# 2. Latency: one ETSI 014 enc_keys call on qkd-kmd's Ak server (HTTPS,
#    kept-alive connection) against one take from /dev/qkdpool.
#
# Absolute numbers depend on the machine (TCG in CI); the ratios are the
# result. No assertion: this is not a test. The ingest rows also go to
# build/bench/kmd-ingest.dat for selftests/plot.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh

work=$top/build/kmd-bench
pki=$work/pki
rates=${KMD_BENCH_RATES:-2000 10000 50000 250000}
window=${KMD_BENCH_WINDOW:-8}
warmup=${QKD_KMD_BENCH_WARMUP:-4}	# longer on a loaded machine

for f in "$kmd" "$sim" "$keys" "$ko"; do
	[ -e "$f" ] || { echo "# SKIP kmd bench: $f not built"; exit 0; }
done

trap kmd_cleanup EXIT

kmd_setup || { echo "# kmd bench: insmod failed"; exit 1; }

now() { date +%s.%N; }

conf()
{
	local me=$1 you role=$2
	you=$(other "$1")
	{
		printf '[node]\nid = node-%s\n' "$me"
		[ "$role" = slave ] && echo "kx_listen = 10.0.0.2:7001"
		printf 'cert = %s\nkey = %s\nca = %s\n' "$pki/node-$me.pem" \
			"$pki/node-$me.key" "$pki/ca.pem"
		printf 'status_file = %s\nlog_level = warning\n' "$work/$me.json"
		[ "$role" = slave ] && printf '[ak]\nlisten = 127.0.0.1:9443\n'
		printf '[peer node-%s]\nrole = %s\n' "$you" "$role"
		[ "$role" = master ] && echo "address = 10.0.0.2:7001"
		printf 'kme_url = https://127.0.0.1:8443\n'
		printf 'sae_id = sae-%s\npeer_sae_id = sae-%s\n' "$me" "$you"
		printf 'kme_cert = %s\nkme_key = %s\n' "$pki/sae-$me.pem" \
			"$pki/sae-$me.key"
		printf 'fill_target = 4000000\nmax_keys = 4000000\nbatch = 1024\n'
		printf 'app_sae_id = app-%s\npeer_app_sae_id = app-%s\n' "$me" "$you"
	} >"$work/$me.conf"
}

stop_all()
{
	local f

	for f in "$work"/*.pid; do
		kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	sleep 0.5
	ip netns exec "$gw1" "$top/userspace/qkdctl/qkdctl" pool stream del node-b 2>/dev/null
	ip netns exec "$gw2" "$top/userspace/qkdctl/qkdctl" pool stream del node-a 2>/dev/null
	true
}

added() { ip netns exec "$gw1" "$keys" info node-b 2>/dev/null | cut -d' ' -f4; }
kx_up() { [ "$(jq -r '.peers[0].kx.state' "$work/a.json" 2>/dev/null)" = up ]; }

# run_rate RATE: the KMEs start producing a few seconds after the daemons
# start (common epoch in the future); after a warm-up, the keys added to
# node-a's pool per second over a window, against the KME's rate.
run_rate()
{
	local rate=$1 epoch n0 n1 t0 t1 i

	epoch=$(($(date +%s) + 3))
	for i in a b; do
		start_kme "$i" "$epoch" "$rate" --max-keys 4000000
	done
	conf a master
	conf b slave
	start_daemon kmd-b b "$kmd" -c "$work/b.conf"
	start_daemon kmd-a a "$kmd" -c "$work/a.conf"
	while [ "$(date +%s)" -lt $((epoch + warmup)) ]; do
		sleep 0.1
	done
	n0=$(added); t0=$(now)
	sleep "$window"
	n1=$(added); t1=$(now)
	awk -v r="$rate" -v n="$((n1 - n0))" -v t0="$t0" -v t1="$t1" \
		-v raw="$raw" -v pair="$pair" 'BEGIN {
		k = n / (t1 - t0)
		m = r < raw ? r : raw
		p = r < pair ? r : pair
		printf "%10d %8.2f %12.0f %8.2f %10.2f %10.2f\n", r, r * 256 / 1e6,
			k, k / r, k / m, (p > 0 ? k / p : 0) }'
}

# The KME's raw serving rate: enc_keys of 1024 keys over one kept-alive
# HTTPS connection, from a KME with an endless backlog.
raw_rate()
{
	local n=20 urls=() t0 t1

	start_daemon kme-raw a "$sim" --listen 127.0.0.1:8444 --cert "$pki/kme-a.pem" \
		--key "$pki/kme-a.key" --ca "$pki/ca.pem" --sae sae-a \
		--peer-sae sae-b --seed-file "$pki/seed" --epoch 1 \
		--rate 1000000 --max-keys 4000000
	for _ in $(seq $n); do
		urls+=(-o /dev/null "https://127.0.0.1:8444/api/v1/keys/sae-b/enc_keys?number=1024")
	done
	for _ in $(seq 50); do
		ip netns exec "$gw1" curl -sf --cacert "$pki/ca.pem" \
			--cert "$pki/sae-a.pem" --key "$pki/sae-a.key" \
			https://127.0.0.1:8444/api/v1/keys/sae-b/status >/dev/null && break
		sleep 0.1
	done
	t0=$(now)
	ip netns exec "$gw1" curl -sf --cacert "$pki/ca.pem" --cert "$pki/sae-a.pem" \
		--key "$pki/sae-a.key" "${urls[@]}"
	t1=$(now)
	kill "$(cat "$work/kme-raw.pid")"
	rm -f "$work/kme-raw.pid"
	awk -v n=$((n * 1024)) -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.0f\n", n / (t1 - t0) }'
}

# kme_call NODE PORT PATH [CURL ARGS...]: one request from sae-NODE to the
# KME on PORT; prints the body, then a last line with the serving time
# (total less the TLS handshake, as on qkd-kmd's kept-alive connections).
kme_call()
{
	local me=$1 port=$2 path=$3
	shift 3
	ip netns exec "$gw1" curl -sf --cacert "$pki/ca.pem" \
		--cert "$pki/sae-$me.pem" --key "$pki/sae-$me.key" \
		-w '\n%{time_appconnect} %{time_total}\n' "$@" \
		"https://127.0.0.1:$port/api/v1/keys/$path"
}

# The KME pair's end-to-end serving rate, a fairer bound on ingest than
# the raw rate: enc_keys of 1024 keys on KME A, then dec_keys of the same
# key IDs on KME B, one after the other; only serving time is counted.
pair_rate()
{
	local n=20 i port out ids t="" dt epoch

	# A fresh common epoch: both KMEs must still hold what the other served
	# (they keep the newest --max-keys), so the rate stays modest.
	epoch=$(date +%s)
	for i in a b; do
		port=8445
		[ "$i" = b ] && port=8446
		start_daemon "kme-pair-$i" a "$sim" --listen "127.0.0.1:$port" \
			--cert "$pki/kme-$i.pem" --key "$pki/kme-$i.key" \
			--ca "$pki/ca.pem" --sae "sae-$i" \
			--peer-sae "sae-$(other "$i")" --seed-file "$pki/seed" \
			--epoch "$epoch" --rate 100000 --max-keys 4000000
	done
	for _ in $(seq 50); do
		kme_call a 8445 sae-b/status >/dev/null &&
			kme_call b 8446 sae-a/status >/dev/null && break
		sleep 0.1
	done
	while [ "$(date +%s)" -le "$epoch" ]; do
		sleep 0.1
	done
	for _ in $(seq $n); do
		out=$(kme_call a 8445 "sae-b/enc_keys?number=1024") || break
		ids=$(head -n -1 <<<"$out" | jq -c '{key_IDs: [.keys[] | {key_ID}]}')
		dt=$(tail -n 1 <<<"$out")
		out=$(kme_call b 8446 sae-a/dec_keys -H 'Content-Type: application/json' \
			-d "$ids") || break
		t+="$dt $(tail -n 1 <<<"$out") "
	done
	out=""	# the last reply held (simulated) key material
	for i in a b; do
		kill "$(cat "$work/kme-pair-$i.pid")"
		rm -f "$work/kme-pair-$i.pid"
	done
	# shellcheck disable=SC2086 # t is a list of numbers
	set -- $t
	awk -v n=$n -v c="$#" -v t="$t" 'BEGIN {
		split(t, v, " ")
		for (i = 1; i < c; i += 2)
			s += v[i + 1] - v[i]
		if (c != 4 * n || s <= 0) { print 0; exit }
		printf "%.0f\n", n * 1024 / s }'
}

raw=$(raw_rate)
pair=$(pair_rate)
echo "# KME raw serving rate (enc_keys, 1024 keys per call): $raw keys/s"
echo "# KME pair end-to-end rate (enc_keys on A, then dec_keys on B): $pair keys/s"
echo "# ingest: KME rate vs keys/s added to node-a's pool (${window}s after ${warmup}s)"
printf '# %8s %8s %12s %8s %10s %10s\n' "keys/s" "Mbit/s" "ingested/s" "ratio" \
	"vs raw" "vs pair"
out=$top/build/bench
mkdir -p "$out"
{
	echo "# raw $raw pair $pair"
	echo "# kme_keys_per_s mbit_per_s ingested_per_s ratio vs_raw vs_pair"
} >"$out/kmd-ingest.dat"
for rate in $rates; do
	run_rate "$rate" | tee -a "$out/kmd-ingest.dat" | sed 's/^/# /'
	[ "$rate" = "${rates##* }" ] || stop_all
done

# Latency, with the last rate's pools full: Ak at node-b serves app-b.
n=200
urls=()
for _ in $(seq $n); do
	urls+=(-o /dev/null "https://127.0.0.1:9443/api/v1/keys/app-a/enc_keys?number=1")
done
etsi=$(ip netns exec "$gw2" curl -s --cacert "$pki/ca.pem" \
	--cert "$pki/app-b.pem" --key "$pki/app-b.key" \
	-w '%{http_code} %{time_total}\n' "${urls[@]}" | tail -n +2 |
	awk '$1 == 200 { print $2 }' | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 1e6 }')
take=$(ip netns exec "$gw2" "$keys" time node-a $n | cut -d' ' -f2)
echo "# latency of one key (median of $n, node-b):"
printf '#   ETSI 014 enc_keys on qkd-kmd (HTTPS keep-alive): %10.1f us\n' "$etsi"
printf '#   take from /dev/qkdpool:                          %10.1f us\n' "$take"
awk -v a="$etsi" -v b="$take" 'BEGIN { printf "#   ratio ETSI 014 / pool: %.1f\n", a / b }'
stop_all
