# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The two-gateway topology: network namespaces $gw1 and $gw2 joined by a
# veth pair (veth0 on each side, 10.0.0.1/24 and 10.0.0.2/24), with the
# wrappers n1/n2 (run in a gateway) and ip1/ip2 (ip in a gateway).

gw1=qkd-gw1-$$
gw2=qkd-gw2-$$

n1() { ip netns exec "$gw1" "$@"; }
n2() { ip netns exec "$gw2" "$@"; }
ip1() { ip -n "$gw1" "$@"; }
ip2() { ip -n "$gw2" "$@"; }

topo_setup()
{
	ip netns add "$gw1"
	ip netns add "$gw2"
	ip1 link set lo up
	ip2 link set lo up
	ip1 link add veth0 type veth peer name veth0 netns "$gw2"
	ip1 addr add 10.0.0.1/24 dev veth0
	ip2 addr add 10.0.0.2/24 dev veth0
	ip1 link set veth0 up
	ip2 link set veth0 up
}

topo_cleanup()
{
	ip netns del "$gw1" 2>/dev/null
	ip netns del "$gw2" 2>/dev/null
	return 0
}

# wait_listen NSWRAPPER ADDR PORT: wait up to 5 s for a TCP listener on
# ADDR:PORT in a gateway (a daemonized server returns before it listens).
wait_listen()
{
	for _ in $(seq 50); do
		$1 ss -ltn | grep -q "$2:$3 " && return 0
		sleep 0.1
	done
	return 1
}

# rxsc_counter NSWRAPPER NAME [DEV]: a per-RX-SC MACsec counter (InPktsOK,
# InPktsNotValid, InPktsNotUsingSA, ...) summed over the RX SCs of DEV.
rxsc_counter()
{
	$1 ip -j -s macsec show "${3:-macsec0}" |
		jq "[.[].rx_sc[].$2] | add // 0"
}
