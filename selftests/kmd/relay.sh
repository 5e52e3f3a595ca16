#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Key relay between qkd-kmd nodes (docs/kx-protocol.md §7); run as root in
# the VM (selftests/qemu/vm-run.sh selftests/kmd/relay.sh). The networks
# (selftests/kmd/relay-lib.sh), with far streams between their end nodes:
#
#   line of 3:  1 - 2 - 3                 far 1 <-> 3
#   line of 5:  1 - 2 - 3 - 4 - 5         far 1 <-> 5, node 2 tampers
#   ring of 6:  1 - 2 - 3 - 4 - 5 - 6 - 1 far 1 <-> 4, link 2-3 cut
#   line of 3:  1 - 2 - 3                 far 1 <-> 3, link 2-3 short of keys
#
# Key material stays in files under $work, compared with cmp and removed:
# the test never prints it.
set -u
# A failing test says which command failed (tests run under set -e).
set -E
trap 'echo "failed: line $LINENO: $BASH_COMMAND" >&2' ERR

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh
# shellcheck source=selftests/kmd/relay-lib.sh
. selftests/kmd/relay-lib.sh

kmd_faults=$top/selftests/kmd/qkd-kmd-faults
work=$top/build/kmd-test/relay
# One PKI for every topology: key generation is slow in the VM.
pki=$top/build/kmd-test/relay-pki
link_target=200
far_target=40
kme_rate=2000
tests=21

kmd_plan relay $tests "$kmd_faults" "$qkdctl"
trap relay_cleanup EXIT

test_line3_routes()
{
	wait_for 90 links_up
	echo "$(date +%T) all links up"
	wait_for 30 route_is 1 3 "node-1 node-2 node-3"
	wait_for 30 route_is 3 1 "node-3 node-2 node-1"
	[ "$(st 2 .relay.lsdb)" = 3 ]
}

test_line3_fill()
{
	local c

	wait_for 120 idle 1 3
	echo "$(date +%T) far stream full: node-1 $(info 1 3), node-3 $(info 3 1)"
	# Each end owns half: the other end relays its half to it.
	[ "$(info 1 3 | cut -d' ' -f1)" = $((far_target / 2)) ]
	[ "$(info 3 1 | cut -d' ' -f1)" = $((far_target / 2)) ]
	# Every relay crossed node-2, each hop of a batch of b 32-byte keys
	# spending b + 1 link keys: one for the pad or K of each key, one for
	# the MAC key. One reading of the counters: they go together.
	c=$(st 2 .relay.counters)
	echo "node-2 counters: $(echo "$c" | jq -c .)"
	echo "$c" | jq -e ".relayed >= $far_target and .mac_failures == 0 and
		.link_keys_sent == .relayed + .relays and
		.relays < .relayed" >/dev/null
}

test_line3_same()
{
	cross 1 3
	cross 3 1
	wait_for 120 idle 1 3
	settled 1 3
}

# ak I APP METHOD PATH [BODY]: node I's Ak (ETSI 014) as application APP;
# prints "HTTP-CODE BODY".
ak()
{
	local i=$1 args=(-sS --cacert "$pki/ca.pem" --cert "$pki/$2.pem"
			 --key "$pki/$2.key" -w ' %{http_code}' -X "$3")

	[ $# -ge 5 ] && args+=(-H 'Content-Type: application/json' -d "$5")
	in_ns "$i" curl "${args[@]}" "https://127.0.0.1:9443/api/v1/keys/$4" |
		awk '{ c = $NF; $NF = ""; print c, $0 }'
}

# enc_dec N: ETSI 014 on relayed keys: enc_keys for N keys by app-1 at
# node-1 for app-3, then dec_keys by app-3 at node-3 with the IDs: the
# same keys. The dec_keys body stays in $work/ids.json.
enc_dec()
{
	local r

	r=$(ak 1 app-1 GET "app-3/enc_keys?number=$1")
	[ "${r%% *}" = 200 ]
	echo "${r#* }" | jq -S '.keys | sort_by(.key_ID)' >"$work/enc.json"
	echo "${r#* }" | jq -c '{key_IDs: [.keys[] | {key_ID}]}' \
		>"$work/ids.json"
	r=$(ak 3 app-3 POST app-1/dec_keys "$(cat "$work/ids.json")")
	[ "${r%% *}" = 200 ]
	echo "${r#* }" | jq -S '.keys | sort_by(.key_ID)' >"$work/dec.json"
	echo "enc_keys at node-1: $(jq length "$work/enc.json") keys; dec_keys at node-3: $(jq length "$work/dec.json")"
	[ "$(jq length "$work/enc.json")" = "$1" ]
	cmp -s "$work/enc.json" "$work/dec.json"
	rm -f "$work/enc.json" "$work/dec.json"
}

test_line3_etsi014()
{
	local r

	wait_for 120 idle 1 3
	enc_dec 2
	# Taken once: the same IDs again are refused.
	r=$(ak 3 app-3 POST app-1/dec_keys "$(cat "$work/ids.json")")
	[ "${r%% *}" = 400 ]
}

# km I [-j]: qkdctl km status of node I.
km() { "$qkdctl" ${2-} km status file "$work/$1.status.json"; }

test_line3_km()
{
	wait_for 120 idle 1 3
	sleep 1.5
	"$qkdctl" km status file "$work/1.status.json" | tee "$work/1.km"
	grep -q '^node-3 .* ok .*node-1 node-2 node-3' "$work/1.km"
	grep -qE '^FAR ' "$work/1.km"
	grep -qE "^node-3 +node-3 +$far_target/$far_target " "$work/1.km"
	grep -q 'relayed .* delivered .* aborted .* MAC failures 0' "$work/1.km"
	"$qkdctl" -j km status file "$work/2.status.json" |
		jq -e '.relay.counters.relayed > 0 and
		       (.relay.routes | length) == 2'
}

# enc_keys for more keys than node-1 holds: none taken, a 503 saying that
# node-3 was asked for the rest (RELAY_REQUEST), which it relays at once
# past its fill target; the retry gets them, dec_keys at node-3 the same.
test_line3_request()
{
	local r n have taken

	wait_for 120 idle 1 3
	have=$(info 1 3 | cut -d' ' -f1)
	taken=$(info 1 3 | cut -d' ' -f5)
	n=$((have + 10))
	r=$(ak 1 app-1 GET "app-3/enc_keys?number=$n")
	echo "enc_keys for $n keys, $have stored: $r"
	[ "${r%% *}" = 503 ]
	echo "${r#* }" | jq -e '.message == "insufficient keys available"'
	echo "${r#* }" | jq -r '.details[0].reason' |
		grep -q '10 more asked of node-3 by key relay'
	[ "$(info 1 3 | cut -d' ' -f5)" = "$taken" ]
	wait_for 60 grep -q 'far node-1: 10 keys asked for' "$work/kmd-3.log"
	# Past the fill target, which alone would stop at $have.
	wait_for 60 local_at_least 1 3 "$n"
	echo "$(date +%T) node-1 holds $(info 1 3 | cut -d' ' -f1) keys"
	enc_dec "$n"
	wait_for 120 idle 1 3
}

local_at_least() { [ "$(info "$1" "$2" | cut -d' ' -f1)" -ge "$3" ]; }
connects() { st "$1" ".peers[] | select(.peer == \"node-$2\") | .kx.connects"; }
connects_above() { [ "$(connects "$1" "$2")" -gt "$3" ]; }

# node-1 (the fault build) sends its next 2 RELAY frames as relay version
# 3: node-2 aborts them back (unsupported relay version) and keeps the
# connection, node-1 drops the link keys those frames named at node-2 and
# relays again in version 1. Then no link key is at one end only.
test_line3_version()
{
	local c c0

	wait_for 120 idle 1 3
	c0=$(connects 2 1)
	kill "$(pidof_ kmd-1)"
	wait_for 10 gone "$(pidof_ kmd-1)"
	faults[1]="relay-version:2"
	start_kmd 1
	wait_for 90 links_up
	# node-2's status file, rewritten every second, may still show the
	# old connection up: count from the new one.
	wait_for 30 connects_above 2 1 "$c0"
	c=$(connects 2 1)
	# node-1 relays once node-3 used keys of its half.
	in_ns 3 "$keys" drain node-1 | cut -d' ' -f1 |
		in_ns 1 "$keys" take node-3 >/dev/null
	wait_for 120 idle 1 3
	echo "aborted at node-2: $(grep -c 'RELAY of relay version 3 aborted' "$work/kmd-2.log"), at node-1: $(grep -c 'aborted: unsupported relay version at node-2' "$work/kmd-1.log")"
	[ "$(grep -c 'RELAY of relay version 3 aborted' "$work/kmd-2.log")" = 2 ]
	[ "$(grep -c 'aborted: unsupported relay version at node-2' "$work/kmd-1.log")" = 2 ]
	[ "$(connects 2 1)" = "$c" ]
	[ "$(st 2 '.peers[] | select(.peer == "node-1") | .kx.rejected_frames')" = 0 ]
	links_mirrored 1 3
}

# far_st I J: node-I's far stream to node-J in one reading of its status.
far_st() { st "$1" ".relay.far[] | select(.node == \"node-$2\") | tostring"; }

# check_far JSON JQ: JQ holds of a far stream's status, or it is printed.
check_far()
{
	echo "$1" | jq -e "$2" >/dev/null && return 0
	echo "far stream status: $1, expected: $2"
	return 1
}

# A line of 3 where node-1 relays batches of up to 16 keys (relay version
# 2) and node-3 one key at a time (version 1): both far streams fill with
# the same keys at both ends, node-1's relays carry several keys, node-3's
# one, and node-2 spends b + 1 link keys a hop for a batch of b.
test_line3_batch()
{
	local j1 j3 c

	topology
	wait_for 120 links_up
	wait_for 180 idle 1 3 || { not_idle 1 3; return 1; }
	# Used at both ends: both relay again, in their own versions.
	in_ns 1 "$keys" drain node-3 | cut -d' ' -f1 |
		in_ns 3 "$keys" take node-1 >/dev/null
	in_ns 3 "$keys" drain node-1 | cut -d' ' -f1 |
		in_ns 1 "$keys" take node-3 >/dev/null
	wait_for 180 idle 1 3 || { not_idle 1 3; return 1; }
	j1=$(far_st 1 3)
	j3=$(far_st 3 1)
	c=$(st 2 .relay.counters)
	echo "node-1: $j1"
	echo "node-3: $j3"
	echo "node-2 counters: $(echo "$c" | jq -c .)"
	check_far "$j1" ".relay_version == 2 and .relays > 0 and
		.relayed >= $far_target and .relayed > .relays and
		.received >= $far_target"
	check_far "$j3" ".relay_version == 1 and .batch == 1 and
		.relays > 0 and .relayed == .relays and
		.relayed >= $far_target and .received >= $far_target"
	check_far "$c" ".mac_failures == 0 and
		.link_keys_sent == .relayed + .relays"
	! grep -q 'does not speak relay version 2' "$work/kmd-1.log" || false
	cross 1 3
	cross 3 1
	links_mirrored 1 3
}

# node-3 now refuses relay version 2 (the fault build, as a node of a
# release without batches): it aborts node-1's next batch (unsupported
# relay version), node-2 drops the link keys that batch named at node-3,
# and node-1 relays in version 1 from then on. Nothing at one end only.
test_line3_batch_refused()
{
	local j1

	faults[3]="refuse-v2:1000000"
	topology
	wait_for 120 links_up
	wait_for 180 idle 1 3 || { not_idle 1 3; return 1; }
	j1=$(far_st 1 3)
	echo "node-1: $j1"
	check_far "$j1" ".relay_version == 1 and .relayed == .relays and
		.relayed >= $((far_target / 2))"
	echo "node-3 refused: $(grep -c 'RELAY of relay version 2 aborted' "$work/kmd-3.log"), node-1 fell back: $(grep -c 'does not speak relay version 2' "$work/kmd-1.log")"
	grep -q 'RELAY of relay version 2 aborted' "$work/kmd-3.log"
	[ "$(grep -c 'does not speak relay version 2' "$work/kmd-1.log")" = 1 ]
	[ "$(st 3 '.peers[] | select(.peer == "node-2") | .kx.rejected_frames')" = 0 ]
	cross 1 3
	cross 3 1
	links_mirrored 1 3
}

test_line5()
{
	topology
	wait_for 120 links_up
	wait_for 60 route_is 1 5 "node-1 node-2 node-3 node-4 node-5"
	wait_for 180 idle 1 5
	echo "$(date +%T) far stream 1-5 full"
	cross 1 5
	cross 5 1
	wait_for 180 idle 1 5
}

# node-2 tampered with the first 3 RELAY frames it sent, to node-3 (relays
# from node-1) or to node-1 (from node-5): their receivers caught them.
test_tamper()
{
	local m1 m3

	m1=$(st 1 .relay.counters.mac_failures)
	m3=$(st 3 .relay.counters.mac_failures)
	echo "MAC failures: node-1 $m1, node-3 $m3; far aborted: node-1 $(far 1 5 .aborted), node-5 $(far 5 1 .aborted)"
	[ $((m1 + m3)) = 3 ]
	[ "$(grep -c 'aborted at node-[13]: MAC failure' "$work"/kmd-[13].log |
		awk -F: '{ n += $NF } END { print n }')" = 3 ]
	settled 1 5
}

# not_idle I J: why far I-J is not idle, for a failed test's output.
not_idle()
{
	local n

	for n in "$1" "$2"; do
		echo "node-$n: far stream $(info "$n" "$(($1 + $2 - n))"), status $(st "$n" "[.relay.far[] | {node, route_state, inflight, pool}, .relay.parked] | tostring")"
		grep -v 'Kx up\|KME .* is up' "$work/kmd-$n.log" | tail -n 8
	done
}

route_ok() { [ "$(far "$1" "$2" .route_state)" = ok ]; }

# kill_mid_relay N: node-N's key manager dies (kill -9) while relays
# between node-1 and node-5 run, three times, and starts again; then both
# ends hold the same keys.
kill_mid_relay()
{
	local round

	for round in 1 2 3; do
		wait_for 180 idle 1 5 || { not_idle 1 5; return 1; }
		# Use keys at both ends: both start relaying, and node-N dies
		# while relays run through it.
		in_ns 1 "$keys" drain node-5 | cut -d' ' -f1 |
			in_ns 5 "$keys" take node-1 >/dev/null
		in_ns 5 "$keys" drain node-1 | cut -d' ' -f1 |
			in_ns 1 "$keys" take node-5 >/dev/null
		sleep "0.$((round * 2))"
		kill -9 "$(pidof_ "kmd-$1")"
		wait_for 10 gone "$(pidof_ "kmd-$1")"
		# Reaped if ours (restarted in this test): no "Killed" line.
		wait "$(pidof_ "kmd-$1")" 2>/dev/null || true
		echo "$(date +%T) kmd-$1 killed (round $round): inflight node-1 $(far 1 5 '.inflight | add'), node-5 $(far 5 1 '.inflight | add')"
		sleep 1
		start_kmd "$1"
	done
	wait_for 180 idle 1 5 || { not_idle 1 5; return 1; }
	# The restarted node's status shows its route too, relaying or not.
	wait_for 10 route_ok 5 1
	wait_for 10 route_ok 1 5
	settled 1 5
	echo "aborted: node-1 $(far 1 5 .aborted), node-5 $(far 5 1 .aborted)"
}

test_kill_intermediate() { kill_mid_relay 3; }
test_kill_end() { kill_mid_relay 5; }

test_no_route()
{
	[ "$(pool_keys 1 9)" = 0 ]
	[ "$(far 1 9 .route_state)" = unreachable ]
	[ "$(st 1 .relay.counters.no_route)" -gt 0 ]
	km 1 | tee "$work/1.km"
	grep -qE '^node-9 .* unreachable' "$work/1.km"
}

# ETSI 014 for a far node without a route: a 503 with a JSON message,
# no RELAY_REQUEST, and nothing taken or spent anywhere at node-1.
test_no_route_etsi014()
{
	local r before

	wait_for 180 idle 1 5
	before="$(info 1 9) $(info 1 2) $(st 1 .relay.counters.link_keys_sent)"
	r=$(ak 1 app-1 GET 'app-9/enc_keys?number=1')
	echo "enc_keys at node-1 for app-9 at node-9: $r"
	[ "${r%% *}" = 503 ]
	echo "${r#* }" | jq -e '.message == "no route to the far KME"'
	echo "${r#* }" | jq -r '.details[0].reason' | grep -q 'no route to node-9'
	sleep 1.5
	[ "$(info 1 9) $(info 1 2) $(st 1 .relay.counters.link_keys_sent)" = "$before" ]
	! grep -q 'far node-9: .* keys asked for' "$work/kmd-1.log" || false
}

ring_route() { route_is 1 4 "$1"; }
lsdb_is() { [ "$(st "$1" .relay.lsdb)" = "$2" ]; }

test_ring_cut()
{
	local via

	topology
	wait_for 120 links_up
	wait_for 120 idle 1 4
	via=$(st 1 '.relay.routes[] | select(.node == "node-4") | .path | join(" ")')
	echo "$(date +%T) ring full, route $via"
	# Cut a link of the route in use while both ends relay.
	in_ns 1 "$keys" drain node-4 | cut -d' ' -f1 |
		in_ns 4 "$keys" take node-1 >/dev/null
	if [ "$via" = "node-1 node-2 node-3 node-4" ]; then
		ip -n "$(ns 2)" link set to3 down
		wait_for 30 ring_route "node-1 node-6 node-5 node-4"
	else
		ip -n "$(ns 5)" link set to6 down
		wait_for 30 ring_route "node-1 node-2 node-3 node-4"
	fi
	echo "$(date +%T) rerouted: $(st 1 '.relay.routes[] | select(.node == "node-4") | .path | join(" ")')"
	settled 1 4
	# The link comes back: hop records settle what the cut stranded.
	ip -n "$(ns 2)" link set to3 up
	ip -n "$(ns 5)" link set to6 up
	wait_for 120 links_up
	echo "$(date +%T) links up again"
}

# A node in the middle of the route in use stops (SIGTERM): it withdraws
# its routes, so every node forgets it at once (an LSA otherwise lives an
# hour), and relays take the other way round while it is down.
test_ring_stop()
{
	local via mid other

	wait_for 120 idle 1 4
	via=$(st 1 '.relay.routes[] | select(.node == "node-4") | .path | join(" ")')
	if [ "$via" = "node-1 node-2 node-3 node-4" ]; then
		mid=3 other="node-1 node-6 node-5 node-4"
	else
		mid=5 other="node-1 node-2 node-3 node-4"
	fi
	[ "$(st 1 .relay.lsdb)" = 6 ]
	in_ns 1 "$keys" drain node-4 | cut -d' ' -f1 |
		in_ns 4 "$keys" take node-1 >/dev/null
	kill "$(pidof_ "kmd-$mid")"
	wait_for 10 gone "$(pidof_ "kmd-$mid")"
	grep -q "routes through node-$mid withdrawn" "$work/kmd-$mid.log"
	wait_for 10 lsdb_is 1 5
	wait_for 10 lsdb_is 4 5
	wait_for 10 ring_route "$other"
	echo "$(date +%T) node-$mid stopped: node-1 routes via $other"
	wait_for 120 idle 1 4
	echo "$(date +%T) far stream full again"
	start_kmd "$mid"
	wait_for 120 links_up
	settled 1 4
}

# links_idle: every link stream at its target, no batch in delivery.
links_idle()
{
	local e a b i

	for e in $edges; do
		a=${e%-*} b=${e#*-}
		[ "$(pool_keys "$a" "$b")" = "$(target_of "$a" "$b")" ] || return 1
		[ "$(pool_keys "$b" "$a")" = "$(target_of "$a" "$b")" ] || return 1
	done
	for i in $(seq "$nodes"); do
		jq -e '[.peers[].batches] | all(. == 0)' \
			"$work/$i.status.json" >/dev/null 2>&1 || return 1
	done
}

# links_mirrored I J: every link stream mirrored once far I-J and the links
# are idle: what relays spent is gone at both ends, no link key is left at
# one end only. The key managers stay stopped.
links_mirrored()
{
	local e a b i

	wait_for 120 idle "$1" "$2"
	wait_for 120 links_idle
	for i in $(seq "$nodes"); do
		kill "$(pidof_ "kmd-$i")"
	done
	for i in $(seq "$nodes"); do
		wait_for 10 gone "$(pidof_ "kmd-$i")"
	done
	for e in $edges; do
		a=${e%-*} b=${e#*-}
		# A small link stream may be owned by one end only.
		cross "$a" "$b" 0
		cross "$b" "$a" 0
		echo "link $e left: $(pool_keys "$a" "$b") and $(pool_keys "$b" "$a") keys"
		[ "$(pool_keys "$a" "$b")" = 0 ]
		[ "$(pool_keys "$b" "$a")" = 0 ]
	done
}

test_links_mirrored() { links_mirrored 1 4; }

# A trusted node whose next link has too few keys parks the relays there
# until the link's fill brings more (§7.3): link 2-3 holds 16 keys at
# most, 8 relays' worth for its two ends, while each far end starts up to
# 20 at once. Nothing is aborted, so no link key is wasted; both ends
# get the same keys and every link stream stays mirrored.
test_park()
{
	local i aborted=0

	topology
	wait_for 120 links_up
	wait_for 180 idle 1 3
	for i in 1 2 3; do
		aborted=$((aborted + $(st "$i" .relay.counters.aborted)))
	done
	echo "node-2: relayed $(st 2 .relay.counters.relayed), waited for link keys $(st 2 .relay.counters.waited); relays aborted anywhere: $aborted"
	[ "$(st 2 .relay.counters.waited)" -gt 0 ]
	[ "$aborted" = 0 ]
	[ "$(st 2 .relay.parked)" = 0 ]
	cross 1 3
	cross 3 1
	links_mirrored 1 3
}

rm -rf "$pki"
nodes=3 edges="1-2 2-3" fars="1-3"
declare -A faults=() extra_far=()
ktap_test "relay: line of 3 nodes started" topology
ktap_test "relay: line of 3, routes learned by LSA" test_line3_routes
ktap_test "relay: line of 3, far stream fills, half owned at each end" \
	test_line3_fill
ktap_test "relay: line of 3, same key IDs and material at both ends" \
	test_line3_same
ktap_test "relay: ETSI 014 enc_keys at node-1, dec_keys at node-3" \
	test_line3_etsi014
ktap_test "relay: qkdctl km shows routes, far streams, counters" \
	test_line3_km
ktap_test "relay: ETSI 014 short of keys: 503, key request, relayed at once" \
	test_line3_request
ktap_test "relay: unknown relay version: ABORT, link kept, link keys mirrored" \
	test_line3_version
relay_batches=([3]=1)
ktap_test "relay: batch relays (version 2) and single ones (version 1) interoperate" \
	test_line3_batch
ktap_test "relay: a node refusing relay version 2: the source falls back to version 1" \
	test_line3_batch_refused
faults=() relay_batches=()
nodes=5 edges="1-2 2-3 3-4 4-5" fars="1-5"
faults=([2]="tamper-relay:3") extra_far=([1]=9)
ktap_test "relay: line of 5, far stream fills, same keys at both ends" \
	test_line5
ktap_test "relay: tampered RELAY frames: MAC failures counted, nothing delivered" \
	test_tamper
ktap_test "relay: no route: clear error, nothing added" test_no_route
ktap_test "relay: no route: ETSI 014 503 with a JSON message, nothing used" \
	test_no_route_etsi014
ktap_test "relay: kill -9 of an intermediate KM mid-relay: both ends agree" \
	test_kill_intermediate
ktap_test "relay: kill -9 of an end KM mid-relay: both ends agree" \
	test_kill_end
nodes=6 edges="1-2 2-3 3-4 4-5 5-6 1-6" fars="1-4" faults=() extra_far=()
ktap_test "relay: ring of 6, link cut: reroute, both ends agree" test_ring_cut
ktap_test "relay: ring of 6, middle node stopped: routes withdrawn, other way" \
	test_ring_stop
ktap_test "relay: link streams mirrored: no link key at one end only" \
	test_links_mirrored
nodes=3 edges="1-2 2-3" fars="1-3" link_targets=([2-3]=16) relay_timeout=60 relay_window=32
ktap_test "relay: a dry link on the path: relays wait for its keys, none aborted" \
	test_park
ktap_test "relay: no key manager crashed" \
	bash -c "! grep -l 'qkd-kmd: crashed' $work/kmd-*.log"
for f in kmd-1 kmd-2 kmd-3; do
	[ -f "$work/$f.log" ] || continue
	echo "# --- $f.log (last lines)"
	tail -n 6 "$work/$f.log" | sed 's/^/# /'
done
ktap_finish
