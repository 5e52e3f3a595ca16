#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two-gateway topology every qkdpool suite builds on, proved with static
# keys: a MACsec link and an ESP transport SA across a veth pair. Runs as
# root inside the test VM (Debian's kernel; the host kernel has no ESP).
#
#   +-------------------------+          +-------------------------+
#   | $gw1                    |          | $gw2                    |
#   |  macsec0  10.1.0.1/24   |          |  macsec0  10.1.0.2/24   |
#   |     |                   |          |     |                   |
#   |  veth0    10.0.0.1/24 ==|==========|== veth0  10.0.0.2/24    |
#   |  (ESP transport SA between 10.0.0.1 and 10.0.0.2)            |
#   +-------------------------+          +-------------------------+
#
# MACsec keys: the SAK is the same on both ends for the positive case; the
# negative case gives gw2 a different RX key, so gw1's frames fail the ICV.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/ktap.sh"
. "$here/../lib/topo.sh"
. "$here/../lib/static-links.sh"

test_modules()
{
	for mod in macsec esp4 xfrm_user veth; do
		modprobe "$mod"
		grep -q "^$mod " /proc/modules
	done
}

test_macsec_static()
{
	setup_macsec "$key1" "$key1"
	n1 ping -c 3 -i 0.2 -W 2 10.1.0.2
	# The frames really went through MACsec: gw2 validated them.
	(($(rxsc_counter n2 InPktsOK) >= 3))
	(($(rxsc_counter n2 InPktsNotValid) == 0))
	teardown_macsec
}

test_macsec_mismatch()
{
	setup_macsec "$key1" "$key2"
	! n1 ping -c 3 -i 0.2 -W 1 10.1.0.2 || false
	# gw2 drops gw1's frames as not valid, never as OK.
	(($(rxsc_counter n2 InPktsNotValid) + $(rxsc_counter n2 InPktsNotUsingSA) >= 3))
	(($(rxsc_counter n2 InPktsOK) == 0))
	teardown_macsec
}

test_esp_transport()
{
	setup_esp
	n1 ping -c 3 -i 0.2 -W 2 10.0.0.2
	# Both directions used the SAs: 3 packets each way, per xfrm stats.
	(($(esp_packets n2 0x1001) >= 3))
	(($(esp_packets n1 0x1002) >= 3))
	teardown_esp
}

topo_setup
trap topo_cleanup EXIT

ktap_plan 4
ktap_test "modules: macsec, esp4, xfrm_user, veth load" test_modules
ktap_test "macsec: static key, ping passes, frames validated" test_macsec_static
ktap_test "macsec: mismatched key, ping fails, InPktsNotValid grows" test_macsec_mismatch
ktap_test "esp: transport SA rfc4106(gcm(aes)), ping passes both ways" test_esp_transport
ktap_finish
