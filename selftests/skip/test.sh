#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SKIP (draft-cisco-skip) from qkd-kmd, in the VM: skipc at each gateway
# plays the router of an IKEv2 dynamic-PPK handshake, asking its own key
# manager over TLS-PSK. router-a (initiator) takes a key with GET /key and
# would send its keyId as the PPK_ID; router-b (responder) fetches that key
# by ID with GET /key/{keyId}.
#
#   $gw1: skipc (router-a) -> node-a SKIP 127.0.0.1:9444   stream "node-b"
#   $gw2: skipc (router-b) -> node-b SKIP 127.0.0.1:9444   stream "node-a"
#   node-a 10.0.0.1 ---- Kx ---- 10.0.0.2 node-b, each fed by its qkd-simkme
#
# Each assertion on "nothing consumed" reads the pools' taken counters
# (kmd-keys info), which only consumers move (reservations come and go
# with the key managers' own deliveries).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh

skipc=$top/selftests/skip/skipc
work=$top/build/skip-test/vm
pki=$work/pki
target=64
tests=8

kmd_plan skip $tests "$skipc"
kmd_pair

# write_conf NODE PEER ROLE: node-NODE serving SKIP to router-NODE.
write_conf()
{
	local me=$1 peer=$2 role=$3

	cat >"$work/$me.conf" <<-EOF
	[node]
	id = node-$me
	$([ "$role" = slave ] && echo "kx_listen = 10.0.0.2:7001")
	cert = $pki/node-$me.pem
	key = $pki/node-$me.key
	ca = $pki/ca.pem
	log_level = info
	[skip]
	listen = 127.0.0.1:9444
	psk_file = $work/$me.psk
	system_id = router-$me
	[peer node-$peer]
	$([ "$role" = master ] && echo "address = 10.0.0.2:7001")
	role = $role
	kme_url = https://127.0.0.1:8443
	sae_id = sae-$me
	peer_sae_id = sae-$peer
	kme_cert = $pki/sae-$me.pem
	kme_key = $pki/sae-$me.key
	fill_target = $target
	batch = 16
	skip_remote_system_id = router-$peer
	EOF
	head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/router-$me.psk"
	echo "router-$me $(cat "$work/router-$me.psk")" >"$work/$me.psk"
	chmod 600 "$work/$me.psk" "$work/router-$me.psk"
}

ns() { [ "$1" = a ] && echo n1 || echo n2; }
stream() { [ "$1" = a ] && echo node-b || echo node-a; }
# info NODE: "avail_local avail_peer reserved added taken".
info() { $(ns "$1") "$keys" info "$(stream "$1")"; }
taken() { info "$1" | cut -d' ' -f5; }
filled() { [ "$(info a | cut -d' ' -f1)" -gt 4 ] && [ "$(info b | cut -d' ' -f1)" -gt 4 ]; }

# skip NODE PATH [SKIPC-OPTIONS...]: router-NODE asks its key manager;
# prints "HTTP-CODE BODY".
skip()
{
	local me=$1 path=$2
	shift 2
	$(ns "$me") "$skipc" "$@" 127.0.0.1:9444 "router-$me" \
		"$work/router-$me.psk" "$path"
}
code() { echo "${1%% *}"; }
body() { echo "${1#* }"; }

# An error: the code, a JSON message, and nothing taken at either end.
refused()
{
	local r=$1 want=$2 ta=$3 tb=$4
	echo "$r"
	[ "$(code "$r")" = "$want" ]
	body "$r" | jq -e '.message | length > 0' >/dev/null
	[ "$(taken a)" = "$ta" ]
	[ "$(taken b)" = "$tb" ]
}

write_conf a b master
write_conf b a slave
start_kme a "$epoch" 1000
start_kme b "$epoch" 1000
start_daemon kmd-b b "$kmd" -c "$work/b.conf"
start_daemon kmd-a a "$kmd" -c "$work/a.conf"

test_capabilities()
{
	local r
	wait_for 60 filled
	r=$(skip a /capabilities)
	echo "$r"
	[ "$(code "$r")" = 200 ]
	[ "$(body "$r" | jq -c '[.key, .entropy, .localSystemID, .remoteSystemID]')" = \
	  '[true,false,"router-a",["router-b"]]' ]
	[ "$(body "$(skip b /capabilities)" | jq -c .remoteSystemID)" = '["router-a"]' ]
}

# pair NODE-OPTIONS...: router-a takes a key, router-b fetches it by ID;
# the same 256-bit key at both ends, one key taken at each.
pair()
{
	local ta tb r id key
	ta=$(taken a) tb=$(taken b)
	r=$(skip a '/key?remoteSystemID=router-b&size=256' "$@")
	[ "$(code "$r")" = 200 ]
	id=$(body "$r" | jq -r .keyId)
	key=$(body "$r" | jq -r .key)
	[[ "$id" =~ ^[0-9a-f]{32}$ ]]
	[[ "$key" =~ ^[0-9a-f]{64}$ ]]
	r=$(skip b "/key/$id?remoteSystemID=router-a" "$@")
	[ "$(code "$r")" = 200 ]
	[ "$(body "$r" | jq -r .keyId)" = "$id" ]
	[ "$(body "$r" | jq -r .key)" = "$key" ]
	echo "taken: node-a $ta -> $(taken a), node-b $tb -> $(taken b)"
	[ "$(taken a)" = $((ta + 1)) ]
	[ "$(taken b)" = $((tb + 1)) ]
	echo "$id" >"$work/last.id"
	echo "pair $id ok"
}

test_same_key()
{
	pair
	pair
}

test_tls12()
{
	local c
	for c in DHE-PSK-AES256-CBC-SHA384 DHE-PSK-AES256-CBC-SHA \
		 DHE-PSK-AES256-GCM-SHA384; do
		pair -2 -c "$c"
	done
	# No other TLS 1.2 suite: plain PSK (no DHE) and AES-128 are refused.
	! skip a /capabilities -2 -c PSK-AES256-CBC-SHA384 || false
	! skip a /capabilities -2 -c DHE-PSK-AES128-CBC-SHA256 || false
}

test_second_fetch()
{
	local ta tb id
	pair
	id=$(cat "$work/last.id")
	ta=$(taken a) tb=$(taken b)
	refused "$(skip b "/key/$id?remoteSystemID=router-a")" 400 "$ta" "$tb"
	# The initiator cannot fetch its own key by ID either.
	refused "$(skip a "/key/$id?remoteSystemID=router-b")" 400 "$ta" "$tb"
}

test_wrong_psk()
{
	local ta tb
	ta=$(taken a) tb=$(taken b)
	head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/wrong.psk"
	! n1 "$skipc" 127.0.0.1:9444 router-a "$work/wrong.psk" '/key?remoteSystemID=router-b' || false
	! n1 "$skipc" -2 127.0.0.1:9444 router-a "$work/wrong.psk" '/key?remoteSystemID=router-b' || false
	# router-b's PSK is not known at node-a; an unknown identity neither.
	! n1 "$skipc" 127.0.0.1:9444 router-b "$work/router-b.psk" '/key?remoteSystemID=router-b' || false
	! n1 "$skipc" 127.0.0.1:9444 router-x "$work/router-a.psk" '/key?remoteSystemID=router-b' || false
	set +e
	n1 "$skipc" 127.0.0.1:9444 router-a "$work/wrong.psk" /capabilities
	[ $? = 3 ] || exit 1
	set -e
	[ "$(taken a)" = "$ta" ]
	[ "$(taken b)" = "$tb" ]
}

test_unknown_remote()
{
	local ta tb id
	ta=$(taken a) tb=$(taken b)
	refused "$(skip a '/key?remoteSystemID=router-x')" 400 "$ta" "$tb"
	refused "$(skip a '/key?remoteSystemID=router-a')" 400 "$ta" "$tb"
	refused "$(skip a '/key')" 400 "$ta" "$tb"
	# A valid keyId asked for under another remoteSystemID is not given.
	$(ns a) "$keys" drain node-b >"$work/drained"
	id=$(head -n 1 "$work/drained" | cut -d' ' -f1 | tr -d -)
	ta=$(taken a)
	refused "$(skip b "/key/$id?remoteSystemID=router-x")" 400 "$ta" "$tb"
	[ "$(code "$(skip b "/key/$id?remoteSystemID=router-a")")" = 200 ]
	# The other drained keys go at node-b too: the pools stay mirrored.
	tail -n +2 "$work/drained" | cut -d' ' -f1 | $(ns b) "$keys" take node-a >/dev/null
}

test_bad_requests()
{
	local ta tb
	ta=$(taken a) tb=$(taken b)
	refused "$(skip a '/key?remoteSystemID=router-b&size=128')" 400 "$ta" "$tb"
	refused "$(skip a '/key?remoteSystemID=router-b&size=0')" 400 "$ta" "$tb"
	refused "$(skip a '/key?remoteSystemID=router-b&bogus=1')" 400 "$ta" "$tb"
	refused "$(skip b '/key/nothex?remoteSystemID=router-a')" 400 "$ta" "$tb"
	refused "$(skip b '/key/00000000000000000000000000000000?remoteSystemID=router-a')" 400 "$ta" "$tb"
	refused "$(skip a /entropy)" 404 "$ta" "$tb"
	refused "$(skip a /keys)" 404 "$ta" "$tb"
}

# The PSK file must be root's alone: a readable one stops the start.
test_psk_file_private()
{
	# A node of its own (no Kx with node-b): it stops at the PSK file.
	cat >"$work/open.conf" <<-EOF
	[node]
	id = node-x
	kx_listen = 127.0.0.1:7002
	cert = $pki/node-a.pem
	key = $pki/node-a.key
	ca = $pki/ca.pem
	[skip]
	listen = 127.0.0.1:9445
	psk_file = $work/a.psk
	[peer node-y]
	role = slave
	stream = probe
	kme_url = https://127.0.0.1:1
	sae_id = sae-x
	peer_sae_id = sae-y
	skip_remote_system_id = router-y
	EOF
	chmod 644 "$work/a.psk"
	! timeout 20 ip netns exec "$gw1" "$kmd" -c "$work/open.conf" \
		2>"$work/open.log" || false
	chmod 600 "$work/a.psk"
	cat "$work/open.log"
	grep -q 'mode 0600' "$work/open.log"
	! grep -q "$(cut -c1-16 "$work/router-a.psk")" "$work"/*.log || false
}

ktap_test "skip: /capabilities lists the remote systems, no entropy" test_capabilities
ktap_test "skip: TLS 1.3 PSK: the same key at both routers" test_same_key
ktap_test "skip: TLS 1.2 DHE-PSK AES-256 suites, and only those" test_tls12
ktap_test "skip: a second fetch of a keyId is refused (400)" test_second_fetch
ktap_test "skip: wrong or unknown PSK fails the handshake" test_wrong_psk
ktap_test "skip: unknown remoteSystemID refused, nothing consumed" test_unknown_remote
ktap_test "skip: bad size, keyId or path refused, nothing consumed" test_bad_requests
ktap_test "skip: a PSK file others can read is refused" test_psk_file_private
ktap_finish
