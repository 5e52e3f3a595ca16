#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The strongSwan plugin `qkd` between two real charons, in the VM (ESP needs
# Debian's kernel). Every IKE_SA takes a fresh QKD key from the pool as its
# RFC 8784 PPK; the key ID goes on the wire as PPK_ID "qkd:<uuid>".
#
#   netns $gw1                                        netns $gw2
#   charon + qkd, initiator                           charon + qkd, responder
#   pool stream "gw2": local-owned keys               pool stream "gw1": the
#   (and "bad", "empty")                              same keys, peer-owned
#        veth0 10.0.0.1/24 ------------------------- veth0 10.0.0.2/24
#
# Later tests replace gw2's charon by a stock one (no plugin) to check the
# initiator against responders that ignore the PPK or hold it statically.
#
# Against Debian's strongSwan 5.9.8 (suite strongswan), or with argument 6
# against the 6.0.1 of the cache (suite strongswan6; the stock peer is then
# stock 6.0.1).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh

# consecutive reauths under traffic (10^3 run in their own suite,
# reauth.sh; this one keeps the count small)
reauths=${SS_REAUTHS:-25}
nkeys=$((20 + reauths))
pooltool=$top/selftests/strongswan/pooltool
psk=0x$(printf 'qkd-selftest-psk-%s' $$ | od -An -tx1 | tr -d ' \n')

ss_pick_version strongswan "${1:-}"
ss_require "$suite" pool

# In the checkout (shared with the host), so that a hung VM leaves its logs.
tmp=$top/build/strongswan/run
rm -rf "$tmp"
d1=$tmp/gw1 d2=$tmp/gw2 keys=$tmp/keys bad=$tmp/bad other=$tmp/other
mkdir -p "$d1" "$d2"

cleanup()
{
	ss_teardown "$d1" "$d2"
	# keep the logs (no key material in them) for a look after the run
	rm -f "$keys" "$bad" "$other" "$d1/swanctl.conf" "$d2/swanctl.conf"
}
trap cleanup EXIT

# conn NAME LOCAL_ID REMOTE_ID LOCAL_ADDR REMOTE_ADDR [OPTION...]: one
# swanctl connection with a transport-mode CHILD_SA of the same name.
conn()
{
	local name=$1 lid=$2 rid=$3 laddr=$4 raddr=$5 opt
	shift 5

	echo "	$name {"
	echo "		version = 2"
	echo "		local_addrs = $laddr"
	echo "		remote_addrs = $raddr"
	echo "		proposals = aes256-sha256-modp2048"
	for opt in "$@"; do
		echo "		$opt"
	done
	echo "		local { auth = psk"
	echo "			id = $lid }"
	echo "		remote { auth = psk"
	echo "			id = $rid }"
	echo "		children { $name { mode = transport"
	echo "			esp_proposals = aes256gcm16 } }"
	echo "	}"
}

# secrets [PPK_ID PPK_SECRET]: the PSK of every identity, and a static PPK.
secrets()
{
	echo "secrets {"
	echo "	ike { id-1 = gw1"
	echo "		id-2 = gw2"
	echo "		id-3 = gw1-bad"
	echo "		id-4 = gw1-lax"
	echo "		secret = $psk }"
	if [ $# = 2 ]; then
		echo "	ppk { id = $1"
		echo "		secret = $2 }"
	fi
	echo "}"
}

# gw1_conf [PPK_ID PPK_SECRET]: the initiator's connections; with
# arguments, a connection "static" offering that static PPK.
gw1_conf()
{
	local a=10.0.0.1 b=10.0.0.2

	echo "connections {"
	conn qkd gw1 gw2 $a $b "ppk_id = qkd" "ppk_required = yes"
	conn bad gw1-bad gw2 $a $b "ppk_id = qkd" "ppk_required = yes"
	conn empty gw1 gw2 $a $b "ppk_id = qkd" "ppk_required = yes"
	conn lax gw1-lax gw2 $a $b "ppk_id = qkd" "ppk_required = no"
	[ $# = 2 ] && conn static gw1 gw2 $a $b "ppk_id = $1" \
		"ppk_required = yes"
	echo "}"
	secrets "$@"
} >"$d1/swanctl.conf"

# gw2_conf PPK_REQUIRED [PPK_ID PPK_SECRET]: the responder's connections.
gw2_conf()
{
	local a=10.0.0.2 b=10.0.0.1 req=$1
	shift

	echo "connections {"
	conn gw1 gw2 gw1 $a $b "ppk_required = $req"
	conn gw1-bad gw2 gw1-bad $a $b "ppk_required = $req"
	conn gw1-lax gw2 gw1-lax $a $b "ppk_required = $req"
	echo "}"
	secrets "$@"
} >"$d2/swanctl.conf"

gw1_qkd='streams { peer { id = gw2
		stream = gw2 }
	bad { connection = bad
		stream = bad }
	empty { connection = empty
		stream = empty } }'
gw2_qkd='stream = gw1
	streams { bad { id = gw1-bad
		stream = bad } }'

# Pools: N mirrored keys between gw1 "gw2" and gw2 "gw1"; a second set for
# the "bad" streams with gw2's copy corrupted; one key in gw2 "other".
setup_pools()
{
	qkd_load
	n1 "$pooltool" stream gw2
	n1 "$pooltool" stream bad
	n1 "$pooltool" stream empty
	n2 "$pooltool" stream gw1
	n2 "$pooltool" stream bad
	n2 "$pooltool" stream other
	"$pooltool" gen "$nkeys" "$keys"
	"$pooltool" gen 4 "$bad"
	"$pooltool" gen 1 "$other"
	n1 "$pooltool" load gw2 "$keys"
	n2 "$pooltool" load gw1 "$keys" mirror
	n1 "$pooltool" load bad "$bad"
	n2 "$pooltool" load bad "$bad" mirror corrupt
	n2 "$pooltool" load other "$other" mirror
}

start_gw1()
{
	ss_conf "$d1" qkd "$gw1_qkd"
	ss_start "$gw1" "$d1"
	gw1_conf
	ss_load_conf "$d1" "$d1/swanctl.conf"
}

# start_gw2 qkd|stock PPK_REQUIRED [PPK_ID PPK_SECRET]
start_gw2()
{
	local mode=$1
	shift

	ss_stop "$d2"
	ss_conf "$d2" "$mode" "$gw2_qkd"
	ss_start "$gw2" "$d2"
	gw2_conf "$@"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

info() { "$1" "$pooltool" info "$2"; }
probe() { "$1" "$pooltool" probe "$2" "$3"; }
key_id() { "$pooltool" id "$1" "$2"; }
taken() { info "$1" "$2" | sed -n 's/.* taken \([0-9]*\).*/\1/p'; }

initiate() { ss_sw "$d1" --initiate --ike "$1" --child "$1" --timeout 20; }
terminate() { ss_sw "$d1" --terminate --ike "$1" --timeout 10 >/dev/null; }

used_ids() { ss_used_ids "$d2"; }

test_establish()
{
	initiate qkd >/dev/null
	ss_has_ppk "$d1" qkd
	ss_has_ppk "$d2" gw1
	ss_sw "$d1" --list-sas --ike qkd --noblock | grep -q "qkd: #.*INSTALLED, TRANSPORT"
}

test_ping()
{
	local before
	before=$(ss_esp_packets "$gw1")
	n1 ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null
	(( $(ss_esp_packets "$gw1") >= before + 6 ))
}

test_key_accounting()
{
	local id0 id1
	id0=$(key_id "$keys" 0)
	id1=$(key_id "$keys" 1)
	[[ $(used_ids) == "$id0" ]]
	[[ $(info n1 gw2) == "local $((nkeys - 1)) peer 0 reserved 0 taken 1" ]]
	[[ $(info n2 gw1) == "local 0 peer $((nkeys - 1)) reserved 0 taken 1" ]]
	[[ $(probe n1 gw2 "$id0") == absent ]]
	[[ $(probe n2 gw1 "$id0") == absent ]]
	[[ $(probe n1 gw2 "$id1") == present ]]
	[[ $(probe n2 gw1 "$id1") == present ]]
}

sa_gone() { ! ss_sw "$d1" --list-sas --ike qkd --noblock | grep -q "^qkd: #$1,"; }

# reauth: a new IKE_SA replaces the old; returns once it is established.
reauth()
{
	local old
	old=$(ss_sw "$d1" --list-sas --ike qkd --noblock |
		sed -n 's/^qkd: #\([0-9]*\),.*/\1/p')
	ss_sw "$d1" --rekey --ike-id "$old" --reauth >/dev/null
	wait_for 30 sa_gone "$old"
	wait_for 30 ss_has_ppk "$d1" qkd
}

test_reauth()
{
	local i want=""
	for i in 1 2 3; do
		reauth
	done
	for i in 0 1 2 3; do
		want="$want$(key_id "$keys" $i) "
	done
	[[ $(used_ids | tr '\n' ' ') == "$want" ]]
	[[ $(taken n1 gw2) == 4 && $(taken n2 gw1) == 4 ]]
	ss_has_ppk "$d2" gw1
	n1 ping -c 1 -W 2 10.0.0.2 >/dev/null
}

auth_failures() { cat "$d1/charon.log" "$d2/charon.log" | grep -c AUTHENTICATION_FAILED || true; }

test_reauth_many()
{
	local before fails pid rc=0
	before=$(taken n1 gw2)
	fails=$(auth_failures)
	# not through n1: $! must be ping itself (ip netns exec execs it)
	ip netns exec "$gw1" ping -q -i 0.05 10.0.0.2 >"$tmp/ping.out" 2>&1 &
	pid=$!
	# through vici, waiting on events (see reauthtool.c)
	n1 "$top/selftests/strongswan/reauthtool" "unix://$(ss_sock "$d1")" \
		qkd "$reauths" || rc=$?
	kill -INT "$pid"
	wait_for 10 sh -c "! kill -0 $pid" || kill "$pid"
	wait "$pid" || true
	echo "ping: $(grep -o '[0-9]* packets transmitted.*loss' "$tmp/ping.out")"
	((rc == 0))
	[[ $(auth_failures) == "$fails" ]]
	[[ $(taken n1 gw2) == $((before + reauths)) ]]
	[[ $(taken n2 gw1) == $((before + reauths)) ]]
	[[ $(used_ids | sort -u | wc -l) == $(used_ids | wc -l) ]]
	grep -q " [1-9][0-9]* received" "$tmp/ping.out"
	ss_has_ppk "$d2" gw1
}

# refused_static UUID: gw1 offers a static PPK "qkd:UUID"; gw2 must refuse.
refused_static()
{
	local id=$1 secret
	secret=$("$pooltool" secret "$keys" "$id" 2>/dev/null ||
		 "$pooltool" secret "$other" "$id" 2>/dev/null ||
		 echo 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f)
	gw1_conf "qkd:$id" "$secret"
	ss_load_conf "$d1" "$d1/swanctl.conf"
	! initiate static >/dev/null || false
	grep -q "qkd: key $id of stream 'gw1' refused" "$d2/charon.log"
	[[ $(ss_ike_count "$d2" gw1) == 0 ]]
}

test_replay()
{
	local before
	before=$(taken n2 gw1)
	refused_static "$(key_id "$keys" 0)"
	[[ $(taken n2 gw1) == "$before" ]]
}

test_unknown()
{
	refused_static 0b5e55ed-0000-4000-8000-00000000beef
	grep -q "unknown, expired or already used" "$d2/charon.log"
}

test_other_stream()
{
	local id
	id=$(key_id "$other" 0)
	refused_static "$id"
	[[ $(probe n2 other "$id") == present ]]
}

test_mismatch()
{
	local id
	id=$(key_id "$bad" 0)
	! initiate bad >/dev/null || false
	grep -q "received AUTHENTICATION_FAILED notify error" "$d1/charon.log"
	# the responder released its copy; the initiator never reuses a sent ID
	[[ $(probe n2 bad "$id") == present ]]
	[[ $(probe n1 bad "$id") == absent ]]
	[[ $(ss_ike_count "$d1" bad) == 0 ]]
}

test_empty()
{
	! initiate empty >/dev/null || false
	grep -q "qkd: no key available in stream 'empty': pool empty" "$d1/charon.log"
	grep -q "PPK required but no PPK found for 'qkd'" "$d1/charon.log"
	[[ $(ss_ike_count "$d1" empty) == 0 ]]
}

test_no_ppk_responder()
{
	local before
	start_gw2 stock no
	before=$(info n1 gw2)
	! initiate qkd >/dev/null || false
	grep -q "PPK required but peer does not support PPK" "$d1/charon.log"
	[[ $(info n1 gw2) == "$before" ]]
}

# 5.9.8 completes an IKE_SA without PPK when the responder ignores it (here
# legitimately: ppk_required = no, NO_PPK_AUTH); the plugin refuses it.
test_ignoring_responder()
{
	local before
	start_gw2 stock no unrelated 0x00112233445566778899aabbccddeeff
	before=$(taken n1 gw2)
	! initiate lax >/dev/null || false
	grep -q "qkd: IKE_SA lax\[[0-9]*\] completed without the QKD PPK" "$d1/charon.log"
	[[ $(ss_ike_count "$d1" lax) == 0 ]]
	[[ $(taken n1 gw2) == $((before + 1)) ]]
}

test_wire_conformance()
{
	local id
	id=$(key_id "$keys" "$(taken n1 gw2)")
	start_gw2 stock yes "qkd:$id" "$("$pooltool" secret "$keys" "$id")"
	initiate qkd >/dev/null
	ss_has_ppk "$d1" qkd
	ss_has_ppk "$d2" gw1
	[[ $(used_ids | tail -n1) == "$id" ]]
	[[ $(probe n1 gw2 "$id") == absent ]]
	n1 ping -c 1 -W 2 10.0.0.2 >/dev/null
}

ktap_plan 13
topo_setup
setup_pools
ss_preload_esp n1
ss_install_plugin
start_gw1
start_gw2 qkd yes
# for debugging: ". test.sh" with SS_SETUP_ONLY=1 stops here
[ -z "${SS_SETUP_ONLY:-}" ] || return 0

ktap_test "$suite: IKE_SA and ESP CHILD_SA with a QKD PPK" test_establish
ktap_test "$suite: ping through the ESP SA" test_ping
ktap_test "$suite: each pool lost exactly the key on the wire" test_key_accounting
ktap_test "$suite: each reauth takes a new key" test_reauth
ktap_test "$suite: $reauths reauths under traffic, zero AUTH_FAILED" test_reauth_many
terminate qkd
ktap_test "$suite: a replayed key ID is refused" test_replay
ktap_test "$suite: an unknown key ID is refused" test_unknown
ktap_test "$suite: a key of another peer's stream is refused" test_other_stream
ktap_test "$suite: mismatched key material gives AUTH_FAILED" test_mismatch
ktap_test "$suite: empty pool fails closed" test_empty
ktap_test "$suite: responder without PPK is refused" test_no_ppk_responder
ktap_test "$suite: responder ignoring the PPK is refused" test_ignoring_responder
ktap_test "$suite: stock responder with the static PPK accepts" test_wire_conformance
ktap_finish
