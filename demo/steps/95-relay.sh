# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: key relay. A third gateway, gw3, has a QKD link to gw2 only.
# The key managers of gw1, gw2 and gw3 learn the network and keep a far
# stream between gw1 and gw3 filled with keys relayed through gw2 (each
# hop under a one-time pad and a one-time MAC from that link's keys,
# docs/kx-protocol.md section 7); gw1 and gw3 then run IPsec with those
# keys as PPKs, their packets routed through gw2.
#
#   gw1 ==QKD link 1-2== gw2 ==QKD link 2-3== gw3    far stream gw1 <-> gw3
#
# After 90-kmd-stop.sh: these key managers listen on the Kx port too.
step "key relay: gw3, linked to gw2 only, shares keys with gw1 through gw2"
if [ ! -x userspace/kmd/qkd-kmd ] || [ ! -x userspace/simkme/qkd-simkme ] ||
   [ ! -x selftests/kmd/kmd-keys ] || [ ! -e kmod/qkdpool.ko ] ||
   [ ! -e strongswan-plugin/libstrongswan-qkd.so ] || [ ! -x /usr/lib/ipsec/charon ]; then
	echo "    not built yet: skipped"
else
	. "$top/selftests/kmd/lib.sh"
	. "$top/selftests/kmd/relay-lib.sh"
	. "$top/selftests/strongswan/lib.sh"
	relay_dir=$(mktemp -d /tmp/qkd-demo-relay.XXXXXX)
	work=$relay_dir/run pki=$relay_dir/pki
	link_target=64 far_target=32 kme_rate=1000
	nodes=3 edges="1-2 2-3" fars="1-3"
	declare -A faults=() extra_far=()
	gw3=qkd-gw3-$$
	# Node I of the relay network is gateway gwI.
	ns() { case $1 in 1) echo "$gw1" ;; 2) echo "$gw2" ;; *) echo "$gw3" ;; esac; }
	relay_path() { st "$1" ".relay.routes[] | select(.node == \"node-$2\") | .path | join(\" -> \")"; }
	# relay_taken I J: link keys of link I-J taken at node I (by relays).
	relay_taken() { info "$1" "$2" | cut -d' ' -f5; }

	ip netns add "$gw3"
	ip -n "$gw3" link set lo up
	relay_links
	relay_start
	# IP between gw1 and gw3 goes through gw2, as their keys do.
	ip netns exec "$gw2" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$gw1" route add 10.2.3.0/24 via 10.1.2.2
	ip -n "$gw3" route add 10.1.2.0/24 via 10.2.3.1
	echo "    QKD links: gw1 10.1.2.1 -- 10.1.2.2 gw2 10.2.3.1 -- 10.2.3.2 gw3," \
		"a qkd-simkme pair each ($kme_rate keys/s)"
	echo "    gw1 and gw3 list each other as [far] nodes; no route is configured"
	wait_for 120 links_up
	wait_for 60 route_is 1 3 "node-1 node-2 node-3"
	wait_for 60 route_is 3 1 "node-3 node-2 node-1"
	echo "    routes learned (link-state over Kx): gw1: $(relay_path 1 3);" \
		"gw3: $(relay_path 3 1)"
	wait_for 120 idle 1 3
	echo "    qkdctl km status (gw1): links, routes, the far stream to node-3:"
	"$qkdctl" km status file "$work/1.status.json" | sed 's/^/      /'

	ss_preload_esp n1
	ss_install_plugin
	relay_psk=$(ss_rand_hex 16)
	ss_conf "$relay_dir/gw1" qkd "stream = node-3"
	ss_conf "$relay_dir/gw3" qkd "stream = node-1"
	ss_start "$gw1" "$relay_dir/gw1"
	ss_start "$gw3" "$relay_dir/gw3"
	ss_conn_conf relay gw1 gw3 10.1.2.1 10.2.3.2 "$relay_psk" "ppk_id = qkd" \
		>"$relay_dir/gw1.conf"
	ss_conn_conf relay gw3 gw1 10.2.3.2 10.1.2.1 "$relay_psk" \
		>"$relay_dir/gw3.conf"
	ss_load_conf "$relay_dir/gw1" "$relay_dir/gw1.conf"
	ss_load_conf "$relay_dir/gw3" "$relay_dir/gw3.conf"
	ss_sw "$relay_dir/gw1" --initiate --child relay --timeout 30 >/dev/null
	echo "    gw1 initiated IKEv2 to gw3; swanctl --list-sas at gw1:"
	ss_sw "$relay_dir/gw1" --list-sas --noblock | sed -n '1,3p' | sed 's/^/      /'
	echo "    PPK_ID sent by gw1: $(sed -n "s/.*sending PPK_ID '\([^']*\)'.*/\1/p" "$relay_dir/gw1/charon.log" | tail -n 1)"
	echo "    PPK used by gw3:    $(sed -n "s/.*using PPK for PPK_ID '\([^']*\)'.*/\1/p" "$relay_dir/gw3/charon.log" | tail -n 1)"
	echo "    ping gw1 -> gw3 (through gw2) under ESP:"
	n1 ping -q -c 3 -i 0.2 -W 2 10.2.3.2 | sed -n 's/^/      /; /packets transmitted/p'
	ss_stop "$relay_dir/gw1"
	ss_stop "$relay_dir/gw3"

	wait_for 60 idle 1 3
	relay_keys=$(info 1 3 | cut -d' ' -f4)
	echo "    far stream gw1 <-> gw3: $relay_keys keys relayed in all, 1 taken at each end by IPsec"
	echo "    link keys each hop spent (taken at both ends of the link: one-time pad or K, and MAC key):"
	for e in $edges; do
		a=${e%-*} b=${e#*-}
		echo "      link gw$a-gw$b: gw$a $(relay_taken "$a" "$b"), gw$b $(relay_taken "$b" "$a")," \
			"$(awk -v n="$(relay_taken "$a" "$b")" -v k="$relay_keys" \
				'BEGIN { printf "%.2f", n / k }') per relayed key"
	done
	echo "    gw2 relayed $(st 2 .relay.counters.relayed) keys, MAC failures $(st 2 .relay.counters.mac_failures)"
	# The daemons are this shell's jobs: reaped quietly once killed.
	relay_pids=$(cat "$work"/*.pid)
	teardown
	# shellcheck disable=SC2086 # a list of PIDs
	wait $relay_pids 2>/dev/null || true
	ip netns del "$gw3"
	ip netns exec "$gw2" sysctl -qw net.ipv4.ip_forward=0
	rm -rf "$relay_dir"
	unset -f ns relay_path relay_taken
fi
