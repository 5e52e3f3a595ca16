#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stock strongSwan 6.0.1 (the build in the cache, no qkd plugin) between two
# network namespaces in the VM: what the plugin's port to 6.0.1 stands on.
# An IKE_SA with x25519 + ML-KEM-768 as additional key exchange (RFC 9370:
# IKE_INTERMEDIATE), a CHILD_SA with the same pair as PFS, ESP traffic,
# and rekeys of both, which run the additional key exchange again in
# IKE_FOLLOWUP_KE exchanges: the flows a `qkd` key exchange method joins.
# Skips when the build is absent (strongswan-plugin/build-strongswan.sh).
#
#   netns $gw1 (charon 6.0.1)  veth0 10.0.0.1 ---- 10.0.0.2 veth0  netns $gw2
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/strongswan/lib.sh
. selftests/strongswan/lib.sh

suite=strongswan6-smoke
why=
if ! ss_use_strongswan6; then
	why="strongSwan 6.0.1 not built (strongswan-plugin/build-strongswan.sh)"
elif [ "$(findmnt -n -o FSTYPE /)" != overlay ]; then
	why="runs in the VM only (ESP needs Debian's kernel)"
fi
if [ -n "$why" ]; then
	ktap_plan 1
	ktap_skip "$suite: suite" "$why"
	exit 0
fi

tmp=$top/build/strongswan/smoke6
logs=$top/build/strongswan/smoke6-logs
rm -rf "$tmp"
d1=$tmp/gw1 d2=$tmp/gw2
mkdir -p "$d1" "$d2"
psk=0x$(ss_rand_hex 32)
ike=aes256-sha384-x25519-ke1_mlkem768
esp=aes256gcm16-x25519-ke1_mlkem768
ss_load="$ss_load ml"

cleanup()
{
	ss_keep_logs "$d1" "$d2" "$logs"
	ss_teardown "$d1" "$d2"
	rm -f "$d1/swanctl.conf" "$d2/swanctl.conf"
}
trap cleanup EXIT

# conf NAME LOCAL_ID REMOTE_ID LOCAL_ADDR REMOTE_ADDR: PSK, transport mode.
conf()
{
	cat <<-EOF
	connections { $1 {
		version = 2
		local_addrs = $4
		remote_addrs = $5
		proposals = $ike
		local { auth = psk
			id = $2 }
		remote { auth = psk
			id = $3 }
		children { $1 { mode = transport
			esp_proposals = $esp } }
	} }
	secrets { ike { id-1 = $2
		id-2 = $3
		secret = $psk } }
	EOF
}

# sa_list DIR: the IKE_SA and CHILD_SA of connection "smoke", as listed.
sa_list()
{
	ss_sw "$1" --list-sas --ike smoke --noblock 2>/dev/null
}

test_start()
{
	local dir

	topo_setup
	ss_preload_esp n1
	for dir in "$d1" "$d2"; do
		ss_conf "$dir" stock
	done
	conf smoke gw1 gw2 10.0.0.1 10.0.0.2 >"$d1/swanctl.conf"
	conf smoke gw2 gw1 10.0.0.2 10.0.0.1 >"$d2/swanctl.conf"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d2"
}

test_version()
{
	local out

	out=$(ss_sw "$d1" --version; ss_sw "$d1" --version --daemon)
	echo "$out"
	grep -q "^strongSwan swanctl 6\.0\.1$" <<<"$out"
	grep -q "^strongSwan 6\.0\.1 charon " <<<"$out"
}

test_stats()
{
	local out

	out=$(ss_sw "$d2" --stats)
	echo "$out" | grep -E "uptime|loaded plugins"
	grep -q "loaded plugins:.* ml\b" <<<"$out"
	grep -q "loaded plugins:.* vici\b" <<<"$out"
}

test_ike_multi_ke()
{
	ss_load_conf "$d1" "$d1/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
	ss_sw "$d1" --initiate --child smoke --timeout 60 >/dev/null
	sa_list "$d1"
	[ "$(ss_ike_count "$d1" smoke)" = 1 ]
	sa_list "$d1" | grep -q "CURVE_25519/KE1_ML_KEM_768"
	grep -q "IKE_INTERMEDIATE" "$d1/charon.log"
}

test_esp()
{
	# the CHILD_SA of IKE_AUTH has no key exchange of its own
	sa_list "$d2" | grep -q "smoke: #1, .*INSTALLED, TRANSPORT, ESP:AES_GCM_16-256$"
	n1 ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null
	# the pings went through ESP, counted by the responder's inbound SA
	sa_list "$d2" | grep -Eq "^ +in +[0-9a-f]+, +[1-9][0-9]* bytes, +[1-9]"
}

rekeys()
{
	grep -c "generating $1 request" "$d1/charon.log" || true
}

test_rekey()
{
	local before

	before=$(rekeys IKE_FOLLOWUP_KE)
	ss_sw "$d1" --rekey --child smoke >/dev/null
	wait_for 60 ss_gt "$before" rekeys IKE_FOLLOWUP_KE
	ss_sw "$d1" --rekey --ike smoke >/dev/null
	wait_for 60 ss_gt "$((before + 1))" rekeys IKE_FOLLOWUP_KE
	wait_for 30 ss_is 1 ss_ike_count "$d1" smoke
	sa_list "$d1"
	# the rekeyed CHILD_SA ran both key exchanges (PFS)
	sa_list "$d1" | grep -q "INSTALLED, TRANSPORT, .*/CURVE_25519/KE1_ML_KEM_768$"
	n1 ping -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null
}

ktap_plan 6
ktap_test "$suite: charon 6.0.1 starts in two netns" test_start
ktap_test "$suite: swanctl --version names 6.0.1" test_version
ktap_test "$suite: swanctl --stats lists the ml plugin" test_stats
ktap_test "$suite: IKE_SA x25519 + ke1 ML-KEM-768 via IKE_INTERMEDIATE" \
	test_ike_multi_ke
ktap_test "$suite: ESP traffic over the CHILD_SA" test_esp
ktap_test "$suite: CHILD and IKE rekey with IKE_FOLLOWUP_KE" test_rekey
ktap_finish
