#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The key exchange method `qkd` of the plugin on strongSwan 6.0.1 (RFC 9370):
# every IKE_SA setup, IKE_SA rekey and CHILD_SA rekey that negotiates it
# takes a fresh QKD key, next to x25519 and ML-KEM-768, in the VM.
#
#   netns $gw1                                       netns $gw2
#   charon 6.0.1 + qkd, initiator                    charon 6.0.1 + qkd
#   streams "gw2" (conn ke), "dry", "bad":           streams "gw1", "dry",
#   local-owned keys                                 "bad": the same keys,
#                                                    peer-owned ("bad": wrong)
#        veth0 10.0.0.1/24 ------------------------- veth0 10.0.0.2/24
#
# Connections: ke   IKE aes256-sha384-x25519-ke1_mlkem768-ke2_qkd,
#                   ESP aes256gcm16-x25519-ke1_qkd (PFS: x25519 and QKD)
#              dry  IKE x25519-ke1_qkd, ESP aes256gcm16-qkd, its stream
#                   holds one key: every rekey finds the pool empty
#              bad  as ke, gw2's copies of the keys differ
#              opt  as ke, but QKD is optional (ke2_none, ke1_none)
#
# Last, gw2 runs a stock 6.0.1 without the plugin and without qkd in its
# proposals.
#
# usage: ke6.sh [SECONDS]   the rekey loop under ping runs SECONDS (120 in
#                           make check, suite strongswan6-ke)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh

seconds=${1:-30}
rounds=$(((seconds + 4) / 5))
pooltool=$top/selftests/strongswan/pooltool
psk=0x$(ss_rand_hex 32)
ike=aes256-sha384-x25519-ke1_mlkem768-ke2_qkd
esp=aes256gcm16-x25519-ke1_qkd

ss_pick_version strongswan-ke 6
((seconds > 30)) && suite=$suite-long
ss_require "$suite" pool x25519

tmp=$top/build/strongswan/ke6
rm -rf "$tmp"
d1=$tmp/gw1 d2=$tmp/gw2
mkdir -p "$d1" "$d2"
# ml: ML-KEM; the vendor ID makes each end accept the other's private-use
# transform IDs; a half-open SA of a failed exchange goes within 5 s
ss_load="$ss_load ml"
ss_charon_opts="send_vendor_id = yes
		half_open_timeout = 5"

cleanup()
{
	ss_teardown "$d1" "$d2"
	rm -f "$tmp"/keys* "$d1/swanctl.conf" "$d2/swanctl.conf"
}
trap cleanup EXIT


secrets()
{
	echo "secrets { ike { id-1 = gw1
		id-2 = gw2
		id-3 = gw1-dry
		id-4 = gw1-bad
		secret = $psk } }"
}

write_confs()
{
	local a=10.0.0.1 b=10.0.0.2 dike=aes256-sha384-x25519-ke1_qkd

	{
		echo "connections {"
		ss_ke_conn ke gw1 gw2 $a $b "$ike" "$esp"
		ss_ke_conn dry gw1-dry gw2 $a $b "$dike" aes256gcm16-qkd
		ss_ke_conn bad gw1-bad gw2 $a $b "$ike" "$esp"
		ss_ke_conn opt gw1 gw2 $a $b "$ike-ke2_none" "$esp-ke1_none"
		echo "}"
		secrets
	} >"$d1/swanctl.conf"
	{
		echo "connections {"
		ss_ke_conn gw1 gw2 gw1 $b $a "$ike" "$esp"
		ss_ke_conn gw1-dry gw2 gw1-dry $b $a "$dike" aes256gcm16-qkd
		ss_ke_conn gw1-bad gw2 gw1-bad $b $a "$ike" "$esp"
		echo "}"
		secrets
	} >"$d2/swanctl.conf"
}

gw1_qkd='stream = gw2
	streams { dry { connection = dry
		stream = dry }
	bad { connection = bad
		stream = bad } }'
gw2_qkd='stream = gw1
	streams { dry { id = gw1-dry
		stream = dry }
	bad { id = gw1-bad
		stream = bad } }'

# load FILE N GW1_STREAM GW2_STREAM [corrupt]: N new keys, gw2's mirrored
load()
{
	"$pooltool" gen "$2" "$1"
	n1 "$pooltool" load "$3" "$1"
	n2 "$pooltool" load "$4" "$1" mirror ${5:-}
}

setup()
{
	insmod kmod/qkdpool.ko
	for s in gw2 dry bad; do n1 "$pooltool" stream $s; done
	for s in gw1 dry bad; do n2 "$pooltool" stream $s; done
	load "$tmp/keys" $((20 + 2 * rounds)) gw2 gw1
	load "$tmp/keys-dry" 1 dry dry
	load "$tmp/keys-bad" 4 bad bad corrupt
	ss_preload_esp n1
	ss_install_plugin
	ss_conf "$d1" qkd "$gw1_qkd"
	ss_conf "$d2" qkd "$gw2_qkd"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d2"
	write_confs
	ss_load_conf "$d1" "$d1/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

info() { "$1" "$pooltool" info "$2"; }
taken() { info "$1" "$2" | sed -n 's/.* taken \([0-9]*\).*/\1/p'; }
probe() { "$1" "$pooltool" probe "$2" "$3"; }
key_id() { "$pooltool" id "$1" "$2"; }
sa_list() { ss_sw "$1" --list-sas --ike "$2" --noblock 2>/dev/null; }

# ids DIR offers|accepts STREAM: key IDs of the key exchanges, in order
ids()
{
	sed -n "s/.*qkd: key exchange $2 QKD key \([0-9a-f-]*\) of stream '$3'.*/\1/p" \
		"$1/charon.log"
}

# consumed DIR IKE|CHILD STREAM: keys committed for IKE_SAs or CHILD_SAs
consumed()
{
	local what="IKE_SA established"

	[ "$2" = CHILD ] && what="CHILD_SA .* installed"
	grep -c "qkd: $what, consumed QKD key .* of stream '$3'" "$1/charon.log" ||
		true
}

# the number of error notifies either end sent or received so far
errors()
{
	cat "$d1/charon.log" "$d2/charon.log" |
		grep -cE "AUTHENTICATION_FAILED|NO_PROPOSAL_CHOSEN" || true
}

# count PATTERN: lines of gw1's log matching PATTERN
count() { grep -c "$1" "$d1/charon.log" || true; }

# rekey IKE|CHILD CONN STREAM: rekey, wait until the new SA consumed its key
# and the old one is gone (from the logs: swanctl is slow under TCG)
rekey()
{
	local n d opt=--child done="rekeyed CHILD_SA $2{"

	[ "$1" = IKE ] && opt=--ike done="IKE_SA deleted"
	n=$(consumed "$d1" "$1" "$3")
	d=$(count "$done")
	ss_sw "$d1" --rekey $opt "$2" >/dev/null
	wait_for 60 ss_gt "$n" consumed "$d1" "$1" "$3"
	wait_for 60 ss_gt "$d" count "$done"
}

test_establish()
{
	ss_sw "$d1" --initiate --child ke --timeout 60 >/dev/null
	sa_list "$d1" ke
	sa_list "$d1" ke | grep -q "CURVE_25519/KE1_ML_KEM_768/KE2_QKD$"
	sa_list "$d2" gw1 | grep -q "CURVE_25519/KE1_ML_KEM_768/KE2_QKD$"
	grep -q "IKE_INTERMEDIATE" "$d1/charon.log"
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

# both ends used the first key of the file, one key each, for the IKE_SA
test_ike_keys()
{
	[[ $(ids "$d1" offers gw2) == "$(key_id "$tmp/keys" 0)" ]]
	[[ $(ids "$d2" accepts gw1) == "$(key_id "$tmp/keys" 0)" ]]
	[[ $(taken n1 gw2) == 1 && $(taken n2 gw1) == 1 ]]
	[[ $(consumed "$d1" IKE gw2) == 1 && $(consumed "$d2" IKE gw1) == 1 ]]
	[[ $(probe n2 gw1 "$(key_id "$tmp/keys" 0)") == absent ]]
}

# a CHILD_SA rekey with PFS via x25519 + qkd takes the next key
test_child_rekey()
{
	rekey CHILD ke gw2
	sa_list "$d1" ke
	sa_list "$d1" ke | grep -q "INSTALLED, TRANSPORT, ESP:AES_GCM_16-256/CURVE_25519/KE1_QKD$"
	[[ $(ids "$d1" offers gw2 | tail -n1) == "$(key_id "$tmp/keys" 1)" ]]
	[[ $(ids "$d2" accepts gw1 | tail -n1) == "$(key_id "$tmp/keys" 1)" ]]
	[[ $(consumed "$d1" CHILD gw2) == 1 && $(consumed "$d2" CHILD gw1) == 1 ]]
	[[ $(taken n1 gw2) == 2 && $(taken n2 gw1) == 2 ]]
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

test_ike_rekey()
{
	rekey IKE ke gw2
	sa_list "$d1" ke | grep -q "CURVE_25519/KE1_ML_KEM_768/KE2_QKD$"
	[[ $(ids "$d2" accepts gw1 | tail -n1) == "$(key_id "$tmp/keys" 2)" ]]
	[[ $(consumed "$d1" IKE gw2) == 2 && $(consumed "$d2" IKE gw1) == 2 ]]
	[[ $(taken n1 gw2) == 3 && $(taken n2 gw1) == 3 ]]
	grep -q "IKE_FOLLOWUP_KE" "$d1/charon.log"
}

# no_gaps FILE: ping's replies in FILE have the sequence numbers 1..N
# without a gap (only a request still in flight when ping was stopped
# may lack its reply; under TCG a reply may come after the next one)
no_gaps()
{
	sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' "$1" | sort -n |
		awk '$1 != NR { bad = 1 } END { exit bad || NR < 20 }'
}

# a CHILD and an IKE rekey every 5 s (or as fast as they complete) under a
# 20/s ping
test_rekey_loop()
{
	local i t0 t1 pid errs before1 before2 out

	before1=$(taken n1 gw2)
	before2=$(taken n2 gw1)
	errs=$(errors)
	ip netns exec "$gw1" ping -i 0.05 -W 2 10.0.0.2 >"$tmp/ping.out" 2>&1 &
	pid=$!
	sleep 1
	t1=$SECONDS
	for ((i = 0; i < rounds; i++)); do
		t0=$SECONDS
		rekey CHILD ke gw2
		rekey IKE ke gw2
		while ((SECONDS < t0 + 5)); do sleep 0.2; done
	done
	t1=$((SECONDS - t1))
	sleep 1
	kill -INT "$pid"
	wait "$pid" || true
	out=$(grep -o "[0-9]* packets transmitted, [0-9]* received" "$tmp/ping.out")
	echo "# $rounds rounds of a CHILD and an IKE rekey in $t1 s; ping: $out"
	no_gaps "$tmp/ping.out"
	[[ $(errors) == "$errs" ]]
	[[ $(taken n1 gw2) == $((before1 + 2 * rounds)) ]]
	[[ $(taken n2 gw1) == $((before2 + 2 * rounds)) ]]
	# every exchange its own key, the same at both ends
	[[ $(ids "$d1" offers gw2) == "$(ids "$d2" accepts gw1)" ]]
	[[ $(ids "$d1" offers gw2 | sort -u | wc -l) == $(ids "$d1" offers gw2 | wc -l) ]]
}

# spis DIR CONN: the IKE_SA's unique ID and the CHILD_SA's SPIs
spis()
{
	sa_list "$1" "$2" | sed -n 's/^\([a-z0-9-]*: #[0-9]*\),.*/\1/p;
		s/^ *\(in\|out\) *\([0-9a-f]*\),.*/\2/p' | tr '\n' ' '
}

test_empty_pool()
{
	local before

	ss_sw "$d1" --initiate --child dry --timeout 60 >/dev/null
	[[ $(info n1 dry) == "local 0 peer 0 reserved 0 taken 1" ]]
	before=$(spis "$d1" dry)
	ss_sw "$d1" --rekey --child dry >/dev/null
	wait_for 60 grep -q "CHILD_SA rekeying failed, trying again" "$d1/charon.log"
	ss_sw "$d1" --rekey --ike dry >/dev/null
	wait_for 60 grep -q "IKE_SA rekeying failed, trying again" "$d1/charon.log"
	grep -q "qkd: no key available in stream 'dry': pool empty" "$d1/charon.log"
	grep -q "qkd: no QKD key for the key exchange of IKE_SA dry" "$d1/charon.log"
	grep -q "qkd: peer has no QKD key for this key exchange (its pool is empty), refusing" \
		"$d2/charon.log"
	# nothing was rekeyed without QKD, the old SAs carry the traffic
	[[ $(spis "$d1" dry) == "$before" ]]
	[[ $(consumed "$d1" IKE dry) == 1 && $(consumed "$d1" CHILD dry) == 0 ]]
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
	# keys arrive: the retries succeed. The two retries may collide (the
	# responder answers one with TEMPORARY_FAILURE): the initiator then
	# discards the key it sent, so give more than two.
	load "$tmp/keys-dry2" 4 dry dry
	wait_for 120 ss_gt 0 consumed "$d1" CHILD dry
	wait_for 120 ss_gt 1 consumed "$d1" IKE dry
	wait_for 30 ss_is 1 ss_ike_count "$d1" dry
	sa_list "$d1" dry
	[[ $(spis "$d1" dry) != "$before" ]]
	sa_list "$d1" dry | grep -q "ESP:AES_GCM_16-256/QKD$"
	# what the responder consumed, the initiator consumed too
	[[ $(consumed "$d2" CHILD dry) == $(consumed "$d1" CHILD dry) ]]
	[[ $(consumed "$d2" IKE dry) == $(consumed "$d1" IKE dry) ]]
	(($(taken n1 dry) >= $(taken n2 dry) && $(taken n2 dry) >= 3))
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

test_mismatch()
{
	local id0 id1

	id0=$(key_id "$tmp/keys-bad" 0)
	id1=$(key_id "$tmp/keys-bad" 1)
	! ss_sw "$d1" --initiate --child bad --timeout 60 >/dev/null || false
	grep -q "qkd: key exchange failed: the peer's material differs for QKD key $id0" \
		"$d1/charon.log"
	[[ $(ss_ike_count "$d1" bad) == 0 ]]
	# the responder's half-open SA times out and releases its copy; the
	# initiator never offers a sent ID again
	wait_for 30 ss_is present probe n2 bad "$id0"
	[[ $(ss_ike_count "$d2" gw1-bad) == 0 ]]
	[[ $(probe n1 bad "$id0") == absent ]]
	! ss_sw "$d1" --initiate --child bad --timeout 60 >/dev/null || false
	[[ $(ids "$d1" offers bad | tr '\n' ' ') == "$id0 $id1 " ]]
}

# a responder that does not know qkd: only a proposal allowing none works
test_peer_without_qkd()
{
	local before

	ss_sw "$d1" --terminate --ike ke --timeout 30 >/dev/null
	ss_sw "$d1" --terminate --ike dry --timeout 30 >/dev/null
	ss_stop "$d2"
	ss_conf "$d2" stock
	ss_start "$gw2" "$d2"
	{
		echo "connections {"
		ss_ke_conn gw1 gw2 gw1 10.0.0.2 10.0.0.1 \
			aes256-sha384-x25519-ke1_mlkem768 aes256gcm16-x25519
		echo "}"
		secrets
	} >"$d2/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
	before=$(info n1 gw2)
	! ss_sw "$d1" --initiate --child ke --timeout 30 >/dev/null || false
	grep -q "received NO_PROPOSAL_CHOSEN notify error" "$d1/charon.log"
	ss_sw "$d1" --initiate --child opt --timeout 60 >/dev/null
	sa_list "$d1" opt
	sa_list "$d1" opt | grep -q "CURVE_25519/KE1_ML_KEM_768$"
	[[ $(info n1 gw2) == "$before" ]]
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

ktap_plan 8
topo_setup
setup

ktap_test "$suite: IKE_SA x25519 + ML-KEM-768 + qkd, ESP PFS via qkd" test_establish
ktap_test "$suite: both ends consumed the same key for the IKE_SA" test_ike_keys
ktap_test "$suite: a CHILD_SA rekey takes the next key" test_child_rekey
ktap_test "$suite: an IKE_SA rekey takes the next key (IKE_FOLLOWUP_KE)" test_ike_rekey
ktap_test "$suite: rekeys every 5 s for $seconds s under 20/s ping, no loss" \
	test_rekey_loop
ktap_test "$suite: empty pool: rekeys refused, none without QKD, then recover" \
	test_empty_pool
ktap_test "$suite: mismatched material fails the exchange, no key reused" \
	test_mismatch
ktap_test "$suite: a responder without qkd: only an optional qkd falls back" \
	test_peer_without_qkd
ktap_finish
