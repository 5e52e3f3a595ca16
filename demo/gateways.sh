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
# Each later component adds its step below; a step whose component is not
# built yet says so and is skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/selftests/lib/topo.sh"

step() { printf '\n== %s\n' "$*"; }

trap topo_cleanup EXIT

step "topology: two gateways, $gw1 and $gw2, joined by a veth link"
topo_setup
for n in 1 2; do
	echo "gw$n:"
	ip$n -br addr show dev veth0 | sed 's/^/    /'
done
n1 ping -q -c 3 -i 0.2 -W 2 10.0.0.2 | sed -n 's/^/    /; /packets transmitted/p'

step "key pool (qkdpool.ko)"
if [ -e kmod/qkdpool.ko ]; then
	insmod kmod/qkdpool.ko
	echo "    loaded; /dev/qkdpool: $(stat -c '%A %U' /dev/qkdpool 2>/dev/null || echo absent)"
else
	echo "    not built yet: skipped"
fi

for part in "key manager (qkd-kmd)" "IPsec with QKD PPK (strongSwan plugin qkd)" \
	    "MACsec rekeyed from the pool (qkd-macsecd)"; do
	step "$part"
	echo "    not built yet: skipped"
done
step "done"
