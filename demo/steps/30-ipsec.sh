# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: IKEv2 between the gateways with a fresh QKD key as the PPK of
# every IKE_SA (strongSwan plugin `qkd`), ESP traffic through it, and a
# reauthentication that takes the next key. Runs two charons, one per
# gateway, configured with the plugin's example swanctl files.
#
# Installed (QKD_INSTALLED=1): charon loads the packaged plugin from its
# own directory, each instance's strongswan.conf includes the packaged
# strongswan.d/charon/qkd.conf, and the swanctl files are the package's
# examples. The test helpers must be built then: the tree's sources may be
# out of reach.
step "IPsec: IKEv2 with a QKD key as PPK (strongSwan plugin qkd)"
ipsec_pt=$top/selftests/strongswan/pooltool
if demo_installed; then
	ipsec_helpers() { [ -x "$ipsec_pt" ]; }
	ipsec_more="include /etc/strongswan.d/charon/qkd.conf"
else
	ipsec_helpers() { make -s -C selftests/strongswan >/dev/null 2>&1; }
	ipsec_more=
fi
if ! demo_have_pool || [ ! -e "$demo_plugin" ] ||
   [ ! -x /usr/lib/ipsec/charon ] || ! ipsec_helpers; then
	echo "    not built yet: skipped"
else
	. "$top/selftests/lib/ktap.sh"
	. "$top/selftests/strongswan/lib.sh"
	ss_plugin=$demo_plugin
	demo_load_pool
	ipsec_tmp=$(mktemp -d /tmp/qkd-demo-ipsec.XXXXXX)
	if [ "${kmd_running:-}" = yes ]; then
		# the streams qkd-kmd fills from the QKD link (step above)
		ipsec_s1=$kmd_s1 ipsec_s2=$kmd_s2
		echo "    key source: the streams qkd-kmd keeps filled from the simulated QKD link"
	else
		ipsec_s1=ipsec-gw2 ipsec_s2=ipsec-gw1
		n1 "$ipsec_pt" stream $ipsec_s1
		n2 "$ipsec_pt" stream $ipsec_s2
		"$ipsec_pt" gen 10 "$ipsec_tmp/keys"
		n1 "$ipsec_pt" load $ipsec_s1 "$ipsec_tmp/keys"
		n2 "$ipsec_pt" load $ipsec_s2 "$ipsec_tmp/keys" mirror
		shred -u "$ipsec_tmp/keys" 2>/dev/null || rm -f "$ipsec_tmp/keys"
	fi
	echo "    pools: gw1 stream $ipsec_s1: $(n1 "$ipsec_pt" info $ipsec_s1)"
	echo "           gw2 stream $ipsec_s2: $(n2 "$ipsec_pt" info $ipsec_s2)"

	ss_preload_esp n1
	ss_install_plugin
	ss_conf "$ipsec_tmp/gw1" qkd "stream = $ipsec_s1" "$ipsec_more"
	ss_conf "$ipsec_tmp/gw2" qkd "stream = $ipsec_s2" "$ipsec_more"
	ss_start "$gw1" "$ipsec_tmp/gw1"
	ss_start "$gw2" "$ipsec_tmp/gw2"
	if demo_installed; then
		demo_show_exe "$(cat "$ipsec_tmp/gw1/pid")" "$(cat "$ipsec_tmp/gw2/pid")"
	fi
	ss_load_conf "$ipsec_tmp/gw1" "$demo_swanctl/gw1-initiator.conf"
	ss_load_conf "$ipsec_tmp/gw2" "$demo_swanctl/gw2-responder.conf"

	ss_sw "$ipsec_tmp/gw1" --initiate --child net --timeout 30 >/dev/null
	echo "    gw1 initiated; IKE_SA as swanctl --list-sas shows it:"
	ss_sw "$ipsec_tmp/gw1" --list-sas --noblock | sed -n '1,4p;/net:/,+1p' |
		sed 's/^/      /'
	ipsec_ids() { sed -n "s/.*sending PPK_ID '\(qkd:[0-9a-f-]*\)'.*/\1/p" "$ipsec_tmp/gw1/charon.log"; }
	echo "    IKE_SA with a PPK: $(ss_has_ppk "$ipsec_tmp/gw1" qkd-gw2 && echo yes || echo NO)"
	echo "    PPK_ID on the wire: $(ipsec_ids | tail -n1)"
	echo "    gw2 used: $(sed -n "s/.*using PPK for PPK_ID '\([^']*\)'.*/\1/p" "$ipsec_tmp/gw2/charon.log" | tail -n1)"
	echo "    ping gw1 -> gw2 through ESP:"
	n1 ping -q -c 3 -i 0.2 -W 2 10.0.0.2 | sed -n 's/^/      /; /packets transmitted/p'
	echo "    ESP packets counted by gw1's SAs: $(ip1 -s xfrm state | sed -n 's/.* \([0-9]*\)(packets).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')"

	ipsec_old=$(ss_sw "$ipsec_tmp/gw1" --list-sas --noblock | sed -n 's/^qkd-gw2: #\([0-9]*\),.*/\1/p')
	ss_sw "$ipsec_tmp/gw1" --rekey --ike-id "$ipsec_old" --reauth >/dev/null
	wait_for 30 sh -c "test \$(grep -c 'sending PPK_ID' '$ipsec_tmp/gw1/charon.log') -ge 2"
	wait_for 30 sh -c "grep -c 'consumed QKD key' '$ipsec_tmp/gw2/charon.log' | grep -qx 2"
	echo "    reauthentication: new IKE_SA with PPK_ID $(ipsec_ids | tail -n1)"
	echo "    pools now: gw1 $(n1 "$ipsec_pt" info $ipsec_s1)"
	echo "               gw2 $(n2 "$ipsec_pt" info $ipsec_s2)"
	ss_stop "$ipsec_tmp/gw1"
	ss_stop "$ipsec_tmp/gw2"
	rm -rf "$ipsec_tmp"
	unset -f ipsec_ids
fi
unset -f ipsec_helpers
