#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The plugin `qkd` with its ETSI GS QKD 014 key source (no kernel pool),
# between two real charons and two real qkd-simkme KMEs, in the VM (ESP):
#
#   netns $gw1                                        netns $gw2
#   qkd-simkme "kme-a" 127.0.0.1:8443                 qkd-simkme "kme-b"
#     serves SAE sae-a          <~~ same seed/epoch ~~> serves SAE sae-b
#   charon + qkd, initiator                           charon + qkd, responder
#     enc_keys(slave sae-b)                             dec_keys(master sae-a)
#        veth0 10.0.0.1/24 ------------------------- veth0 10.0.0.2/24
#
# Mutual TLS with the throw-away PKI of selftests/kmd/certs.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh
# shellcheck source=selftests/strongswan/kme.sh
. selftests/strongswan/kme.sh

sim=$top/userspace/simkme/qkd-simkme
tools=$top/selftests/strongswan
psk=0x$(ss_rand_hex 32)
kme_url=https://127.0.0.1:8443
# when the simulated QKD link started: the same at both KMEs
epoch=$(date +%s)

ss_pick_version strongswan-etsi014 "${1:-}"
[ -x "$sim" ] || { ktap_plan 1; ktap_skip "$suite: suite" "qkd-simkme not built"; exit 0; }
ss_require "$suite" x25519

tmp=$(mktemp -d /tmp/qkd-ss-etsi.XXXXXX)
logs=$top/build/strongswan/etsi014
pki=$tmp/pki d1=$tmp/gw1 d2=$tmp/gw2
mkdir -p "$d1" "$d2"

cleanup()
{
	kme_stop a
	kme_stop b
	ss_teardown "$d1" "$d2"
	ss_keep_logs "$d1" "$d2" "$logs"
	cp "$tmp"/kme-?.log "$logs/" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

setup()
{
	selftests/kmd/certs.sh "$pki"
	kme_start a
	kme_start b
	ss_preload_esp n1
	ss_install_plugin
	ss_conf "$d1" qkd "$(kme_qkd_conf a)"
	ss_conf "$d2" qkd "$(kme_qkd_conf b)"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d2"
	ss_conn_conf qkd gw1 gw2 10.0.0.1 10.0.0.2 "$psk" "ppk_id = qkd" \
		>"$d1/swanctl.conf"
	ss_conn_conf gw1 gw2 gw1 10.0.0.2 10.0.0.1 "$psk" >"$d2/swanctl.conf"
	ss_load_conf "$d1" "$d1/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

initiate() { ss_sw "$d1" --initiate --ike qkd --child qkd --timeout 20; }

# key IDs the initiator took from KME A, and those the responder used
sent_ids() { ss_sent_ids "$d1"; }
used_ids() { ss_used_ids "$d2"; }

test_establish()
{
	initiate >/dev/null
	ss_has_ppk "$d1" qkd
	ss_has_ppk "$d2" gw1
	ss_sw "$d1" --list-sas --ike qkd --noblock |
		grep -q "qkd: #.*INSTALLED, TRANSPORT"
	n1 ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null
	[[ $(ip -n "$gw1" xfrm state | grep -c "proto esp") == 2 ]]
}

# The ID on the wire is the key KME A handed out through enc_keys: KME B
# (its peer) knows it and has already delivered it, by dec_keys, to gw2.
test_wire_id_from_kme()
{
	local id fresh
	id=$(sent_ids | tail -n1)
	[[ -n $id && $(used_ids | tail -n1) == "$id" ]]
	! kme b POST sae-a/dec_keys "{\"key_IDs\":[{\"key_ID\":\"$id\"}]}" \
		>"$tmp/reply" 2>/dev/null || false
	grep -q "key_ID already delivered" "$tmp/reply"
	# the check has teeth: a key KME A hands out now is still there at B
	fresh=$(kme a GET "sae-b/enc_keys?number=1&size=256" | jq -r '.keys[0].key_ID')
	kme b POST sae-a/dec_keys "{\"key_IDs\":[{\"key_ID\":\"$fresh\"}]}" |
		jq -e ".keys[0].key_ID == \"$fresh\"" >/dev/null
}

test_reauth()
{
	n1 "$tools/reauthtool" "unix://$(ss_sock "$d1")" qkd 3 >/dev/null
	[[ $(sent_ids | wc -l) == 4 && $(sent_ids | sort -u | wc -l) == 4 ]]
	[[ $(used_ids | tr '\n' ' ') == "$(sent_ids | tr '\n' ' ')" ]]
	n1 ping -c 1 -W 2 10.0.0.2 >/dev/null
}

test_initiator_kme_down()
{
	ss_sw "$d1" --terminate --ike qkd --timeout 10 >/dev/null
	kme_stop a
	! initiate >/dev/null || false
	grep -q "qkd: KME $kme_url unreachable" "$d1/charon.log"
	grep -q "qkd: no QKD key for IKE_SA qkd\[[0-9]*\], failing closed" "$d1/charon.log"
	[[ $(ss_ike_count "$d1" qkd) == 0 && $(ss_ike_count "$d2" gw1) == 0 ]]
}

test_responder_kme_down()
{
	kme_start a
	kme_stop b
	! initiate >/dev/null || false
	grep -q "qkd: KME $kme_url unreachable" "$d2/charon.log"
	grep -q "qkd: refusing PPK_ID 'qkd:" "$d2/charon.log"
	[[ $(ss_ike_count "$d1" qkd) == 0 && $(ss_ike_count "$d2" gw1) == 0 ]]
}

ktap_plan 6
topo_setup
ktap_test "$suite: two KMEs, two charons with source etsi014" setup
((ktap_failed == 0)) || ktap_finish
ktap_test "$suite: IKE_SA with the PPK, ping through ESP" test_establish
ktap_test "$suite: the key ID on the wire is the KME's" test_wire_id_from_kme
ktap_test "$suite: each reauth takes a new key from the KME" test_reauth
ktap_test "$suite: initiator's KME down fails closed" test_initiator_kme_down
ktap_test "$suite: responder's KME down fails closed" test_responder_kme_down
ktap_finish
