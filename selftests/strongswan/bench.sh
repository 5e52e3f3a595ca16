#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IKE_SAs per second with a QKD key as PPK (plugin `qkd`, a fresh key from
# the pool per IKE_SA) against the same setup without PPK, measured in one
# run with strongSwan's load-tester plugin between two real charons in two
# netns (topology in lib/topo.sh). A third mode, "static", runs the same
# RFC 8784 exchange with one fixed PPK that strongSwan resolves itself
# (load-tester credential set on gw1, swanctl secret on gw2; the qkd plugin
# is loaded but takes no keys), which splits the cost of PPK into
# strongSwan's own part (static / plain) and our plugin's (qkd / static).
# TCG makes absolute rates meaningless: read the ratios (goal for
# qkd / plain >= 0.95).
#
#   netns $gw1: charon + load-tester + qkd     netns $gw2: charon + qkd
#   initiators: IKE_SA + CHILD_SA, then delete  swanctl connections "ppk",
#   (identity i<n>.<mode>-gw1,                  "static" (ppk_required) and
#   one per IKE_SA, else they share one)        "plain"
#
# Debian does not package the load-tester: build-load-tester.sh builds it
# from the Debian source tree with load-tester-ppk.patch, which adds the
# ppk_id, ppk_required and ppk_secret settings it lacks. The order of the
# modes rotates from round to round (plain static ppk, static ppk plain,
# ...) so that drift of the shared CPUs hits all alike; each
# round is one run of gw1's charon, timed from its first IKE_SA_INIT to the
# load-tester's "load-test complete" (charon's start-up is not counted).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/strongswan/lib.sh

initiators=${QKD_BENCH_INITIATORS:-2}
iterations=${QKD_BENCH_ITERATIONS:-75}
rounds=${QKD_BENCH_ROUNDS:-4}
# Both charons load kdf before openssl, as strongswan-plugin/README.md
# advises (cost.sh: it cuts strongSwan's own cost of a PPK to under a
# third); QKD_BENCH_CRYPTO=openssl-first keeps the suites' order.
[ "${QKD_BENCH_CRYPTO:-kdf-first}" = openssl-first ] ||
	ss_load=${ss_load/openssl kdf/kdf openssl}
per_round=$((initiators * iterations))
pooltool=$top/selftests/strongswan/pooltool
# as text: the load-tester takes preshared_key literally, no 0x hex
psk=qkd-bench-$(ss_rand_hex 16)
# the static mode's PPK (text, like psk) and its PPK_ID: the responder
# parses a received PPK_ID as a string, so a plain name is an FQDN on both
# ends
static_ppk=$(ss_rand_hex 32)
static_ppk_id=static-ppk
# QKD_BENCH_MODES runs a subset (for profiling), QKD_BENCH_PERF=DIR records
# a system-wide perf profile of each counted round into DIR
modes=${QKD_BENCH_MODES:-plain static ppk}
perf_dir=${QKD_BENCH_PERF:-}

if [ ! -f kmod/qkdpool.ko ] || [ ! -f "$ss_plugin" ] ||
   ! make -s -C selftests/strongswan >/dev/null; then
	echo "strongswan bench: not built yet, skipped"
	exit 0
fi
if ! lt=$(selftests/strongswan/build-load-tester.sh); then
	echo "strongswan bench: building the load-tester failed, skipped"
	exit 0
fi

tmp=$(mktemp -d /tmp/qkd-ss-bench.XXXXXX)
d1=$tmp/gw1 d2=$tmp/gw2 logs=$top/build/strongswan/bench

cleanup()
{
	ss_teardown "$d2"
	# the logs of the last round
	ss_keep_logs "$d1" "$d2" "$logs"
	rm -rf "$tmp"
}
trap cleanup EXIT

# responder: one connection per mode, told apart by the initiator's identity
responder_conf()
{
	local mode req

	echo "connections {"
	for mode in $modes; do
		req=yes
		[ "$mode" = plain ] && req=no
		cat <<-EOF
		$mode {
			version = 2
			local_addrs = 10.0.0.2
			remote_addrs = 10.0.0.1
			proposals = aes128gcm16-prfsha256-x25519
			ppk_required = $req
			local { auth = psk
				id = gw2 }
			remote { auth = psk
				id = *.$mode-gw1 }
			children { $mode { esp_proposals = aes128gcm16 } }
		}
		EOF
	done
	echo "}"
	echo "secrets { ike { id-1 = *.ppk-gw1
		id-2 = *.plain-gw1
		id-3 = *.static-gw1
		id-4 = gw2
		secret = $psk }
		ppk-static { id = $static_ppk_id
		secret = \"$static_ppk\" } }"
}

# load_tester MODE: the load-tester's settings for a round of MODE
load_tester()
{
	cat <<-EOF
	load-tester {
		enable = yes
		initiators = $initiators
		iterations = $iterations
		# at most this many IKE_SAs being set up at once: more overload
		# the emulated CPUs, and IKE_AUTH retransmissions (2 s) then
		# decide the rate; the throttle polls every "delay" ms (it spins
		# with 0), which caps the rate far above what TCG reaches
		init_limit = $initiators
		delay = 20
	EOF
	ss_load_tester_peers "i%d.$1-gw1" "$psk"
	case $1 in
	ppk)	printf '\tppk_id = qkd\n\tppk_required = yes\n' ;;
	static)	printf '\tppk_id = %s\n\tppk_secret = %s\n\tppk_required = yes\n' \
			"$static_ppk_id" "$static_ppk" ;;
	esac
	echo "}"
}

setup()
{
	local keys=$tmp/keys n=$((per_round * (rounds + 1) + 10))

	topo_setup
	insmod kmod/qkdpool.ko
	n1 "$pooltool" stream gw2
	n2 "$pooltool" stream gw1
	"$pooltool" gen "$n" "$keys"
	n1 "$pooltool" load gw2 "$keys"
	n2 "$pooltool" load gw1 "$keys" mirror
	rm -f "$keys"
	ss_preload_esp n1
	ss_install_plugin
	install -m 0644 "$lt" "$ss_plugindir/"
	ss_conf "$d2" qkd "stream = gw1"
	ss_start "$gw2" "$d2"
	responder_conf >"$d2/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

# round MODE [warm-up]: one load-test of MODE; adds its seconds to
# list_MODE unless it is the warm-up. charon ends itself (SIGTERM to its
# process group: setsid gives it its own).
round()
{
	local mode=$1 log=$d1/charon.log t perf_pid=""

	rm -f "$log"
	if [ -n "$perf_dir" ] && [ -z "${2:-}" ]; then
		perf_n=$((${perf_n:-0} + 1))
		perf record -q -a -g -e cpu-clock -o "$perf_dir/$perf_n-$mode.data" \
			>/dev/null 2>&1 &
		perf_pid=$!
	fi
	ss_extra_load=load-tester ss_conf "$d1" qkd "stream = gw2" \
		"$(load_tester "$mode")"
	timeout -k 10 "${QKD_BENCH_TIMEOUT:-300}" setsid ip netns exec "$gw1" sh -c \
		'mount --bind "$1/run" /run && STRONGSWAN_CONF="$1/strongswan.conf" exec /usr/lib/ipsec/charon' \
		sh "$d1" >/dev/null 2>&1 </dev/null
	[ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid"; }
	(($(grep -c "IKE_SA load-test\[[0-9]*\] established" "$log") == per_round)) ||
		return 1
	t=$(awk '/initiating IKE_SA load-test/ && !s { s = $1 }
		 /load-test complete/ { e = $1 }
		 END { if (s && e) printf "%.3f", e - s }' "$log")
	[ -n "$t" ] || return 1
	printf "%-6s round: %d IKE_SAs in %6.2f s%s\n" "$mode" "$per_round" "$t" \
		"${2:+ (warm-up, not counted)}"
	[ -z "${2:-}" ] || return 0
	eval "list_$mode=\"\$list_$mode $t\""
}

setup || { echo "strongswan bench: setup failed"; exit 1; }
list_plain="" list_static="" list_ppk=""
# the first rounds run with cold caches and lazily loaded modules
for mode in $modes; do
	round "$mode" warm-up || { echo "warm-up failed"; exit 1; }
done
# the order rotates: over each three rounds every mode runs once first,
# once second and once last, so a drift of the shared CPUs hits all alike
read -ra order <<<"$modes"
for ((i = 0; i < rounds; i++)); do
	for ((j = 0; j < ${#order[@]}; j++)); do
		mode=${order[(i + j) % ${#order[@]}]}
		round "$mode" || { echo "$mode round failed"; exit 1; }
	done
done
used=$(grep -c "using PPK for PPK_ID 'qkd:" "$d2/charon.log")
used_static=$(($(grep -c "using PPK for PPK_ID" "$d2/charon.log") - used))
# the responder logs each retransmitted request it answers again
retx=$(grep -c "received retransmit of request" "$d2/charon.log")
keys=$(n1 "$pooltool" info gw2)

awk -v n="$((per_round * rounds))" -v lp="$list_plain" -v ls="$list_static" \
    -v lq="$list_ppk" -v per="$per_round" -v used="$used" \
    -v used_static="$used_static" -v retx="$retx" -v keys="$keys" \
    -v c="$initiators" '
function sum(l,   k, x, i, t) {
	k = split(l, x, " ")
	for (i = 1; i <= k; i++)
		t += x[i]
	return t
}
# median over the rounds of (seconds of la / seconds of lb) of the same
# round: the rate of lb relative to la
function median_ratio(la, lb,   k, x, y, r, i, j, t) {
	k = split(la, x, " ")
	split(lb, y, " ")
	for (i = 1; i <= k; i++) {
		t = x[i] / y[i]
		for (j = i - 1; j >= 1 && r[j] > t; j--)
			r[j + 1] = r[j]
		r[j + 1] = t
	}
	return k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2
}
function range(l, per,   k, x, i, r, lo, hi) {
	k = split(l, x, " ")
	for (i = 1; i <= k; i++) {
		r = per / x[i]
		if (i == 1 || r < lo) lo = r
		if (i == 1 || r > hi) hi = r
	}
	return sprintf("%.2f-%.2f", lo, hi)
}
function row(name, l,   t) {
	t = sum(l)
	if (!t)
		return 0
	printf "%-26s %8d %9.2f %10.2f %14s\n", name, n, t, n / t, range(l, per)
	return n / t
}
function ratio(name, a, b, la, lb) {
	if (!a || !b)
		return
	printf "ratio %-14s %.3f overall, %.3f median of %d rounds\n", name, b / a,
		median_ratio(la, lb), split(la, tmp, " ")
}
BEGIN {
	printf "load-tester, %d initiators, IKE_SA + CHILD_SA then delete\n", c
	printf "%-26s %8s %9s %10s %14s\n", "mode", "IKE_SAs", "seconds", "IKE_SAs/s", "rounds (SAs/s)"
	rp = row("no PPK (baseline)", lp)
	rs = row("static PPK (strongSwan)", ls)
	rq = row("QKD key as PPK (qkd)", lq)
	printf "IKE_AUTH retransmissions (all modes): %d\n", retx
	ratio("static / plain:", rp, rs, lp, ls)
	ratio("qkd / static:", rs, rq, ls, lq)
	ratio("qkd / plain:", rp, rq, lp, lq)
	printf "(goal qkd / plain >= 0.95)\n"
	printf "responder used %d QKD PPKs, %d static PPKs; gw1 pool after the run: %s\n", used, used_static, keys
}'
