#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the key exchange method `qkd` costs charon on strongSwan 6.0.1, in
# the VM (the pool needs the module): CHILD_SA rekeys per CPU second with
# esp_proposals aes256gcm16-qkd against aes256gcm16-x25519 (goal >= 1.0: a
# QKD rekey should cost less than an ECDH one), and IKE_SAs (with their
# CHILD_SA, then deleted) with aes256-sha384-x25519-ke1_qkd against
# aes256-sha384-x25519. CPU is the user + system time of both charons
# (/proc/PID/stat), so swanctl and the waiting shell are not counted.
# Modes alternate in rounds so that drift of the shared CPUs hits both.
# Under TCG there is no PMU and callgrind is too slow, so no instruction
# counts here (cost.sh counts strongSwan's PPK cost on the host).
#
#   netns $gw1: charon 6.0.1 + qkd, initiator     netns $gw2: charon 6.0.1 + qkd
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/strongswan/lib.sh

# under TCG on a shared machine an operation takes seconds of wall time
# (swanctl's start-up mostly), so the defaults keep the run near 10 min
n=${QKD_BENCH_OPS:-8}
rounds=${QKD_BENCH_ROUNDS:-2}
pooltool=$top/selftests/strongswan/pooltool

if ! ss_use_strongswan6 || [ ! -f kmod/qkdpool.ko ] || [ ! -f "$ss_plugin" ] ||
   ! make -s -C selftests/strongswan >/dev/null; then
	echo "strongswan6-ke bench: strongSwan 6.0.1 or the plugin not built, skipped"
	exit 0
fi

# in the checkout, so that a VM killed at its timeout leaves the logs
tmp=$top/build/strongswan/bench-ke6
rm -rf "$tmp"
mkdir -p "$tmp"
d1=$tmp/gw1 d2=$tmp/gw2
psk=0x$(ss_rand_hex 32)
ss_charon_opts="send_vendor_id = yes"

cleanup()
{
	ss_teardown "$d1" "$d2"
	rm -f "$d1/swanctl.conf" "$d2/swanctl.conf"
}
trap cleanup EXIT


# the modes: NAME IKE-PROPOSAL ESP-PROPOSAL
modes="cx aes256-sha384-x25519 aes256gcm16-x25519
cq aes256-sha384-x25519 aes256gcm16-qkd
ix aes256-sha384-x25519 aes256gcm16
iq aes256-sha384-x25519-ke1_qkd aes256gcm16"

confs()
{
	local m ike esp

	echo "connections {" >"$d1/swanctl.conf"
	echo "connections {" >"$d2/swanctl.conf"
	while read -r m ike esp; do
		ss_ke_conn "$m" "$m.gw1" gw2 10.0.0.1 10.0.0.2 "$ike" "$esp" >>"$d1/swanctl.conf"
		ss_ke_conn "$m" gw2 "$m.gw1" 10.0.0.2 10.0.0.1 "$ike" "$esp" >>"$d2/swanctl.conf"
	done <<<"$modes"
	for d in "$d1" "$d2"; do
		echo "}
		secrets { ike { id-1 = *.gw1
			id-2 = gw2
			secret = $psk } }" >>"$d/swanctl.conf"
	done
}

setup()
{
	local keys=$tmp/keys

	topo_setup
	insmod kmod/qkdpool.ko
	n1 "$pooltool" stream gw2
	n2 "$pooltool" stream gw1
	"$pooltool" gen $((2 * n * (rounds + 1) + 10)) "$keys"
	n1 "$pooltool" load gw2 "$keys"
	n2 "$pooltool" load gw1 "$keys" mirror
	rm -f "$keys"
	ss_preload_esp n1
	ss_install_plugin
	ss_conf "$d1" qkd "stream = gw2"
	ss_conf "$d2" qkd "stream = gw1"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d2"
	confs
	ss_load_conf "$d1" "$d1/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

# cpu: clock ticks both charons spent so far (user + system)
cpu()
{
	cat "/proc/$(cat "$d1/pid")/stat" "/proc/$(cat "$d2/pid")/stat" |
		awk '{ t += $14 + $15 } END { print t }'
}

# count PATTERN: lines of gw1's log matching PATTERN (DBG0 lines of charon)
count() { grep -c "$1" "$d1/charon.log" || true; }

# child_rekeys MODE: n CHILD_SA rekeys, each waited for until the old
# CHILD_SA is deleted
child_rekeys()
{
	local m=$1 i e c

	for ((i = 0; i < n; i++)); do
		e=$(count "rekeyed CHILD_SA $m{")
		c=$(count "closing CHILD_SA $m{")
		ss_sw "$d1" --rekey --child "$m" >/dev/null
		wait_for 60 ss_gt "$e" count "rekeyed CHILD_SA $m{" &&
			wait_for 60 ss_gt "$c" count "closing CHILD_SA $m{" ||
			return 1
	done
}

# ike_sas MODE: n IKE_SAs with their CHILD_SA, set up and deleted
ike_sas()
{
	local m=$1 i

	for ((i = 0; i < n; i++)); do
		ss_sw "$d1" --initiate --child "$m" --timeout 60 >/dev/null &&
			ss_sw "$d1" --terminate --ike "$m" --timeout 60 >/dev/null ||
			return 1
	done
}

# round MODE FUNCTION: adds the ticks of n operations to ticks_MODE
round()
{
	local t0 t

	t0=$(cpu)
	"$2" "$1" || { echo "strongswan6-ke bench: $1 failed"; return 1; }
	t=$(($(cpu) - t0))
	echo "$1 round: $n operations, $t ticks"
	eval "ticks_$1=\$((\${ticks_$1:-0} + t))"
}

setup || { echo "strongswan6-ke bench: setup failed"; exit 1; }
ss_sw "$d1" --initiate --child cx --timeout 60 >/dev/null &&
	ss_sw "$d1" --initiate --child cq --timeout 60 >/dev/null ||
	{ echo "strongswan6-ke bench: initiating failed"; exit 1; }
# two warm-up operations each, not counted
for m in cx cq; do n=2 child_rekeys $m || exit 1; done
for m in ix iq; do n=2 ike_sas $m || exit 1; done
ticks_cx=0 ticks_cq=0 ticks_ix=0 ticks_iq=0
for ((r = 0; r < rounds; r++)); do
	if ((r % 2)); then order="cq cx iq ix"; else order="cx cq ix iq"; fi
	for m in $order; do
		case $m in
		c*) round $m child_rekeys || exit 1 ;;
		i*) round $m ike_sas || exit 1 ;;
		esac
	done
done
keys="$(n1 "$pooltool" info gw2) / $(n2 "$pooltool" info gw1)"

awk -v n=$((n * rounds)) -v hz="$(getconf CLK_TCK)" -v cx=$ticks_cx \
    -v cq=$ticks_cq -v ix=$ticks_ix -v iq=$ticks_iq -v keys="$keys" '
function row(name, t) {
	printf "%-44s %6d %9.2f %10.2f\n", name, n, t / hz, n * hz / t
}
BEGIN {
	printf "strongSwan 6.0.1, CPU of both charons, %d operations per mode\n", n
	printf "%-44s %6s %9s %10s\n", "mode", "ops", "CPU s", "ops/CPU s"
	row("CHILD_SA rekey, aes256gcm16-x25519", cx)
	row("CHILD_SA rekey, aes256gcm16-qkd", cq)
	row("IKE_SA, aes256-sha384-x25519", ix)
	row("IKE_SA, aes256-sha384-x25519-ke1_qkd", iq)
	printf "ratio CHILD rekeys qkd / x25519: %.3f (goal >= 1.0)\n", cx / cq
	printf "ratio IKE_SAs x25519-ke1_qkd / x25519: %.3f\n", ix / iq
	printf "pools after the run (gw1 / gw2): %s\n", keys
}'
