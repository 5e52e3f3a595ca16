#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The applications on relayed keys: an IKE_SA with a QKD PPK (strongSwan,
# plugin qkd) and a MACsec link (qkd-macsecd) between two nodes three hops
# apart; run as root in the VM (selftests/qemu/vm-run.sh
# selftests/kmd/relay-apps.sh). The network (selftests/kmd/relay-lib.sh):
#
#   QKD links:  node-1 - node-2 - node-3 - node-4    far stream 1 <-> 4
#   data link:  node-1 veth0 10.0.0.1 ========= 10.0.0.2 veth0 node-4
#
# The data link carries IKE, ESP and MACsec and is no QKD link: every key
# the applications use crossed node-2 and node-3 as a relay. Nodes 1 and 4
# are $gw1 and $gw2 of the strongSwan and MACsec helpers. Key material
# never leaves the pools and the daemons: the test compares key IDs and
# counters only.
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
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh
# shellcheck source=selftests/macsec/lib.sh
. selftests/macsec/lib.sh

work=$top/build/kmd-test/relay-apps
pki=$top/build/kmd-test/relay-apps-pki
link_target=200
far_target=40
kme_rate=2000
tests=6
d1=$work/charon-1
d4=$work/charon-4

kmd_plan relay-apps $tests "$qkdctl" "$ss_plugin" "$ss_charon" "$macsecd" \
	"$top/selftests/macsec/msctl"

apps_cleanup()
{
	ss_stop "$d1"
	ss_stop "$d4"
	ms_cleanup
	relay_cleanup
}
trap apps_cleanup EXIT

gw1=$(ns 1) gw2=$(ns 4)
# Here: the tests run in subshells, and the MACsec helpers keep their
# daemons' files in $ms_dir.
ms_init

# The data link between the end nodes, named and addressed as topo.sh's.
data_link()
{
	ip -n "$gw1" link add veth0 type veth peer name veth0 netns "$gw2"
	ip1 addr add 10.0.0.1/24 dev veth0
	ip2 addr add 10.0.0.2/24 dev veth0
	ip1 link set veth0 up
	ip2 link set veth0 up
}

taken() { info "$1" "$2" | cut -d' ' -f5; }
# consumed I J ID: the key ID is in no pool of the far stream at node I
# any more (taking it again fails).
consumed() { echo "$3" | in_ns "$1" "$keys" take "node-$2" | grep -q ' error$'; }

test_line4()
{
	topology
	data_link
	wait_for 120 links_up
	wait_for 60 route_is 1 4 "node-1 node-2 node-3 node-4"
	wait_for 180 idle 1 4
	echo "$(date +%T) far stream 1-4 full: node-1 $(info 1 4), node-4 $(info 4 1)"
	n1 ping -q -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

sent_ids() { ss_sent_ids "$d1"; }
used_ids() { ss_used_ids "$d4"; }
used_twice() { [ "$(used_ids | wc -l)" -ge 2 ]; }

# node-1 initiates to node-4 with the example configurations: each end's
# plugin takes its PPK from its end of the far stream.
test_ike()
{
	local t1 t4 before

	ss_preload_esp n1
	ss_install_plugin
	ss_conf "$d1" qkd "stream = node-4"
	ss_conf "$d4" qkd "stream = node-1"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d4"
	ss_load_conf "$d1" strongswan-plugin/swanctl/gw1-initiator.conf
	ss_load_conf "$d4" strongswan-plugin/swanctl/gw2-responder.conf
	wait_for 120 idle 1 4
	t1=$(taken 1 4) t4=$(taken 4 1)
	ss_sw "$d1" --initiate --child net --timeout 60 >/dev/null
	ss_has_ppk "$d1" qkd-gw2
	ss_has_ppk "$d4" qkd-gw1
	echo "PPK_ID sent by node-1: $(sent_ids); used by node-4: $(used_ids)"
	[ "$(sent_ids | wc -l)" = 1 ]
	[ "$(sent_ids)" = "$(used_ids)" ]
	[ "$(taken 1 4)" = $((t1 + 1)) ]
	[ "$(taken 4 1)" = $((t4 + 1)) ]
	consumed 1 4 "$(sent_ids)"
	consumed 4 1 "$(sent_ids)"
	before=$(ss_esp_packets "$gw1")
	n1 ping -q -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null
	echo "ESP packets at node-1: $before, then $(ss_esp_packets "$gw1")"
	(($(ss_esp_packets "$gw1") >= before + 6))
}

# A reauthentication takes the next key of the far stream at both ends,
# while relays refill it.
test_ike_reauth()
{
	local t1 t4 id

	t1=$(taken 1 4) t4=$(taken 4 1)
	id=$(ss_sw "$d1" --list-sas --noblock | sed -n 's/^qkd-gw2: #\([0-9]*\),.*/\1/p')
	ss_sw "$d1" --rekey --ike-id "$id" --reauth >/dev/null
	wait_for 60 used_twice
	wait_for 30 ss_has_ppk "$d1" qkd-gw2
	echo "PPK_IDs sent by node-1: $(sent_ids | xargs); used by node-4: $(used_ids | xargs)"
	[ "$(sent_ids | xargs)" = "$(used_ids | xargs)" ]
	[ "$(sent_ids | sort -u | wc -l)" = 2 ]
	[ "$(taken 1 4)" = $((t1 + 1)) ]
	[ "$(taken 4 1)" = $((t4 + 1)) ]
	consumed 1 4 "$(sent_ids | tail -n 1)"
	consumed 4 1 "$(sent_ids | tail -n 1)"
	n1 ping -q -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
	ss_stop "$d1"
	ss_stop "$d4"
	n1 ip xfrm state flush
	n2 ip xfrm state flush
	wait_for 120 idle 1 4
	echo "far stream full again: node-1 $(info 1 4), node-4 $(info 4 1)"
}

# qkd-macsecd at both ends, node-1 the leader; a rekey a second for 8 s,
# a ping through it all. Each rekey takes one key of the far stream at
# each end, the same ID (the follower takes it by the leader's ID).
test_macsec()
{
	local t1 t4 r0 r1 out k d1 d4

	ms_stream=node-4 ms_config 1 rekey-interval=1s grace=300ms handshake-timeout=8s
	ms_stream=node-1 ms_config 2 rekey-interval=1s grace=300ms handshake-timeout=8s
	ms_link2
	t1=$(taken 1 4) t4=$(taken 4 1)
	ms_start 1
	ms_start 2
	wait_for 60 ms_ping
	r0=$(ms_field 1 rekeys)
	n1 ping -q -c 80 -i 0.1 -W 2 10.1.0.2 >"$ms_dir/ping.out" &
	sleep 8
	wait $! || true
	out=$(grep 'packets transmitted' "$ms_dir/ping.out")
	r1=$(ms_field 1 rekeys)
	echo "rekeys at node-1: $((r1 - r0)) in 8 s; ping over MACsec: $out"
	echo "node-1: $(ms_admin 1 status | cut -d' ' -f1-12) ..."
	((r1 - r0 >= 3))
	[[ "$out" == *" 0% packet loss"* ]]
	[ "$(rxsc_counter n2 InPktsNotValid)" = 0 ]
	# The key node-1 transmits with came from the far stream: it is gone
	# from both ends' pools (the follower takes it before the leader
	# sends with it).
	k=$(ms_encoding_key n1)
	consumed 1 4 "$k"
	consumed 4 1 "$k"
	# The leader takes each key first: stopped, it may have taken one
	# that the follower never did.
	ms_stop 1
	ms_stop 2
	d1=$(($(taken 1 4) - t1)) d4=$(($(taken 4 1) - t4))
	echo "keys taken: node-1 $d1, node-4 $d4"
	((d1 >= r1 - r0))
	((d1 - d4 == 0 || d1 - d4 == 1))
}

# Everything the applications left: the far stream refills, and its ends
# still hold the same key IDs and material (settled stops and restarts
# both end nodes' key managers).
test_after()
{
	settled 1 4
	echo "node-2: relayed $(st 2 .relay.counters.relayed), MAC failures $(st 2 .relay.counters.mac_failures)"
	[ "$(st 2 .relay.counters.mac_failures)" = 0 ]
	[ "$(st 3 .relay.counters.mac_failures)" = 0 ]
}

rm -rf "$pki"
nodes=4 edges="1-2 2-3 3-4" fars="1-4"
declare -A faults=() extra_far=()
ktap_test "relay-apps: line of 4 nodes, far stream 1-4 fills over 3 hops" \
	test_line4
ktap_test "relay-apps: IKE_SA with a PPK from the far stream, same key ID at both ends" \
	test_ike
ktap_test "relay-apps: IKE reauthentication takes the next relayed key" \
	test_ike_reauth
ktap_test "relay-apps: MACsec rekeyed from relayed keys, traffic passes" \
	test_macsec
ktap_test "relay-apps: far stream refills, both ends hold the same keys" \
	test_after
ktap_test "relay-apps: no key manager crashed" \
	bash -c "! grep -l 'qkd-kmd: crashed' $work/kmd-*.log"
for f in kmd-1 kmd-4; do
	[ -f "$work/$f.log" ] || continue
	echo "# --- $f.log (last lines)"
	tail -n 6 "$work/$f.log" | sed 's/^/# /'
done
ktap_finish
