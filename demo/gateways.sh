#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the VM: two gateways and the link between them.
#
#   +---------------- gw1 ----------------+      +---------------- gw2 ----------------+
#   | qkdpool.ko pool (per netns)         |      | qkdpool.ko pool (per netns)         |
#   | MACsec  macsec0 10.1.0.1            |      | MACsec  macsec0 10.1.0.2            |
#   | veth0   10.0.0.1 ===================|======|=================== 10.0.0.2 veth0  |
#   +-------------------------------------+      +-------------------------------------+
#
# The key relay step (steps/95-relay.sh) adds a third gateway, gw3, with a
# QKD link to gw2 only: gw1 and gw3 share keys relayed through gw2.
#
# QKD_INSTALLED=1: the installed packages' qkdpool instead of the build
# tree's (demo/paths.sh); QKD_DEMO_STEPS="10 20 ...": only the steps of
# these numbers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/selftests/lib/topo.sh"
. "$here/paths.sh"

step() { printf '\n== %s\n' "$*"; }

trap topo_cleanup EXIT

step "topology: two gateways, $gw1 and $gw2, joined by a veth link"
topo_setup
echo "    ping gw1 -> gw2:"
n1 ping -q -c 3 -i 0.2 -W 2 10.0.0.2 | sed -n 's/^/      /; /packets transmitted/p'
for n in 1 2; do
	echo "    gw$n: veth0 $(ip$n -o -4 addr show dev veth0 | awk '{ print $4 }')"
done

# Each component adds a step file demo/steps/NN-name.sh, sourced in order
# with this file's functions and the topology at hand. A step prints what it
# did, and says "not built yet" if its component is missing.
for file in "$here"/steps/[0-9]*.sh; do
	[ -e "$file" ] || continue
	demo_no=$(basename "$file")
	demo_no=${demo_no%%-*}
	[[ " ${QKD_DEMO_STEPS:-$demo_no} " == *" $demo_no "* ]] || continue
	. "$file"
done
step "done"
