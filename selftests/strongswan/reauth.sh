#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10^3 consecutive IKE_SA reauthentications under traffic between two real
# charons with the plugin `qkd`, in the VM: every reauth takes a fresh QKD
# key, and none may fail (shared-PPK rotation schemes fail about 1 in 1,600
# from the race between the two ends; per-SA keys named on the wire have no
# such race). Its own suite, so that a failure is isolated from test.sh.
#
#   netns $gw1                                        netns $gw2
#   charon + qkd, initiator "qkd"                     charon + qkd, responder
#   pool stream "gw2", local-owned keys               stream "gw1", the same
#   ping -i 0.05 10.0.0.2 throughout                  keys, peer-owned
#        veth0 10.0.0.1/24 ------------------------- veth0 10.0.0.2/24
#
# reauthtool drives the reauths through vici and waits on ike-updown events
# (no swanctl process, no polling per round). The proposal is the cheapest
# realistic one: x25519 with AES-128-GCM / PRF-HMAC-SHA256.
#
#   reauth.sh [5|6 [REAUTHS]]    Debian's 5.9.8, or the 6.0.1 of the cache
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh

# argument 2 (after the version): fewer reauths, for strongswan6-reauth
reauths=${SS_REAUTHS:-${2:-1000}}
nkeys=$((reauths + 10))
tools=$top/selftests/strongswan
psk=0x$(ss_rand_hex 32)

ss_pick_version strongswan-reauth "${1:-}"
ss_require "$suite" pool x25519

# charon logs a few dozen lines per reauth: keep them on the VM's tmpfs
# and copy them into the checkout at the end for a look after the run.
tmp=$(mktemp -d /tmp/qkd-ss-reauth.XXXXXX)
logs=$top/build/strongswan/reauth
d1=$tmp/gw1 d2=$tmp/gw2 keys=$tmp/keys
mkdir -p "$d1" "$d2"

cleanup()
{
	ss_teardown "$d1" "$d2"
	rm -f "$keys"
	ss_keep_logs "$d1" "$d2" "$logs"
	rm -rf "$tmp"
}
trap cleanup EXIT

setup()
{
	qkd_load || return 1
	n1 "$tools/pooltool" stream gw2 &&
	n2 "$tools/pooltool" stream gw1 &&
	"$tools/pooltool" gen "$nkeys" "$keys" &&
	n1 "$tools/pooltool" load gw2 "$keys" &&
	n2 "$tools/pooltool" load gw1 "$keys" mirror || return 1
	rm -f "$keys"
	ss_preload_esp n1
	ss_install_plugin || return 1
	ss_conf "$d1" qkd "stream = gw2"
	ss_conf "$d2" qkd "stream = gw1"
	ss_start "$gw1" "$d1" && ss_start "$gw2" "$d2" || return 1
	ss_conn_conf qkd gw1 gw2 10.0.0.1 10.0.0.2 "$psk" "ppk_id = qkd" \
		>"$d1/swanctl.conf"
	ss_conn_conf gw1 gw2 gw1 10.0.0.2 10.0.0.1 "$psk" >"$d2/swanctl.conf"
	ss_load_conf "$d1" "$d1/swanctl.conf" &&
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

taken() { "$1" "$tools/pooltool" info "$2" | sed -n 's/.* taken \([0-9]*\).*/\1/p'; }
auth_failures() { cat "$d1/charon.log" "$d2/charon.log" | grep -c AUTHENTICATION_FAILED || true; }
# PPK_IDs the initiator sent (plugin) and the responder used (ike_auth.c)
sent_ids() { ss_sent_ids "$d1"; }
used_ids() { ss_used_ids "$d2"; }

test_reauths()
{
	# the first IKE_SA, so that every ping runs under its policies
	ss_sw "$d1" --initiate --ike qkd --child qkd --timeout 30 >/dev/null
	ip netns exec "$gw1" ping -q -i 0.05 10.0.0.2 >"$tmp/ping.out" 2>&1 &
	local ping_pid=$!
	local rc=0
	n1 "$tools/reauthtool" "unix://$(ss_sock "$d1")" qkd "$reauths" \
		>"$tmp/reauth.out" || rc=$?
	kill -INT "$ping_pid"
	wait "$ping_pid" || true
	cat "$tmp/reauth.out"
	echo "ping: $(grep -o '[0-9]* packets transmitted.*loss' "$tmp/ping.out")"
	((rc == 0))
}

test_zero_auth_failed()
{
	[[ $(auth_failures) == 0 ]]
}

# the initiate plus each reauth took exactly one key at each end, all
# different, and the responder used the very keys the initiator sent
test_one_key_each()
{
	[[ $(taken n1 gw2) == $((reauths + 1)) ]]
	[[ $(taken n2 gw1) == $((reauths + 1)) ]]
	[[ $(used_ids | wc -l) == $((reauths + 1)) ]]
	[[ $(used_ids | sort -u | wc -l) == $((reauths + 1)) ]]
	[[ $(sent_ids | md5sum) == $(used_ids | md5sum) ]]
}

test_traffic()
{
	grep -q " [1-9][0-9]* received" "$tmp/ping.out"
	n1 ping -c 1 -W 2 10.0.0.2 >/dev/null
	[[ $(ss_ike_count "$d1" qkd) == 1 ]]
	ss_sw "$d2" --list-sas --noblock | grep -q "/PPK$"
}

ktap_plan 5
topo_setup
ktap_test "$suite: two charons with the plugin, $nkeys keys" setup
((ktap_failed == 0)) || ktap_finish
ktap_test "$suite: $reauths reauths under traffic, each with a new PPK" test_reauths
ktap_test "$suite: zero AUTHENTICATION_FAILED at either end" test_zero_auth_failed
ktap_test "$suite: one fresh key per IKE_SA at each end" test_one_key_each
ktap_test "$suite: traffic passed, the last IKE_SA has the PPK" test_traffic
ktap_finish
