#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IKE_SA setups per second with a QKD key as PPK (plugin `qkd`, a fresh key
# from the pool per IKE_SA) against the same setup without PPK, measured in
# one run between two real charons in two netns (topology in lib/topo.sh).
# Setups alternate between the two modes so that drift hits both alike;
# each is timed from swanctl --initiate until the IKE_SA is established.
# TCG makes absolute rates meaningless: read the ratio (goal >= 0.95).
#
# strongSwan's load-tester plugin cannot drive this comparison in 5.9.8:
# the peer config it generates has no ppk_id, so its initiators never send
# USE_PPK. The loop below drives charon through vici instead: each setup is
# one IKE_SA_INIT + IKE_AUTH (childless), then a delete, in both modes. The
# swanctl process per setup is part of both figures.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/lib/ktap.sh
. selftests/lib/topo.sh
. selftests/strongswan/lib.sh

per_round=${QKD_BENCH_SAS:-30}
rounds=${QKD_BENCH_ROUNDS:-2}
pooltool=$top/selftests/strongswan/pooltool

if [ ! -f kmod/qkdpool.ko ] || [ ! -f "$ss_plugin" ] ||
   ! make -s -C selftests/strongswan >/dev/null; then
	echo "strongswan bench: not built yet, skipped"
	exit 0
fi

tmp=$(mktemp -d /tmp/qkd-ss-bench.XXXXXX)
d1=$tmp/gw1 d2=$tmp/gw2

cleanup()
{
	ss_stop "$d1"
	ss_stop "$d2"
	topo_cleanup
	rmmod qkdpool 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# conf ROLE: connections without CHILD_SA; gw1 has "ppk" and "plain".
conf()
{
	local name ppk

	echo "connections {"
	if [ "$1" = gw1 ]; then
		for name in ppk plain; do
			ppk=""
			[ $name = ppk ] && ppk="ppk_id = qkd
		ppk_required = yes"
			cat <<-EOF
			$name {
				version = 2
				local_addrs = 10.0.0.1
				remote_addrs = 10.0.0.2
				proposals = aes256-sha256-modp2048
				$ppk
				local { auth = psk
					id = gw1 }
				remote { auth = psk
					id = gw2 }
			}
			EOF
		done
	else
		cat <<-EOF
		gw1 {
			version = 2
			local_addrs = 10.0.0.2
			remote_addrs = 10.0.0.1
			proposals = aes256-sha256-modp2048
			local { auth = psk
				id = gw2 }
			remote { auth = psk
				id = gw1 }
		}
		EOF
	fi
	echo "}"
	echo "secrets { ike { id-1 = gw1
		id-2 = gw2
		secret = 0x$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') } }"
}

setup()
{
	local keys=$tmp/keys n=$((per_round * rounds + 10))

	topo_setup
	insmod kmod/qkdpool.ko
	n1 "$pooltool" stream gw2
	n2 "$pooltool" stream gw1
	"$pooltool" gen "$n" "$keys"
	n1 "$pooltool" load gw2 "$keys"
	n2 "$pooltool" load gw1 "$keys" mirror
	rm -f "$keys"
	ss_install_plugin
	ss_conf "$d1" qkd "stream = gw2"
	ss_conf "$d2" qkd "stream = gw1"
	ss_start "$gw1" "$d1"
	ss_start "$gw2" "$d2"
	conf gw1 >"$d1/swanctl.conf"
	conf gw2 >"$d2/swanctl.conf"
	# the same PSK at both ends
	sed -n '/^secrets/,$p' "$d1/swanctl.conf" >"$tmp/secrets"
	sed -i '/^secrets/,$d' "$d2/swanctl.conf"
	cat "$tmp/secrets" >>"$d2/swanctl.conf"
	ss_load_conf "$d1" "$d1/swanctl.conf"
	ss_load_conf "$d2" "$d2/swanctl.conf"
}

# setup CONN: one IKE_SA setup of CONN, then its delete; adds the ns the
# setup took (swanctl returns once the IKE_SA is established) to ns_CONN.
setup_one()
{
	local start end

	start=$(date +%s%N)
	ss_sw "$d1" --initiate --ike "$1" --timeout 30 >/dev/null || return 1
	end=$(date +%s%N)
	ss_sw "$d1" --terminate --ike "$1" --timeout 30 >/dev/null || return 1
	eval "ns_$1=\$((ns_$1 + end - start))"
}

setup || { echo "strongswan bench: setup failed"; exit 1; }
ns_plain=0 ns_ppk=0
# alternate SA by SA, so that any drift of the shared CPUs hits both modes
for ((i = 0; i < per_round * rounds; i++)); do
	setup_one plain || { echo "plain setup failed"; exit 1; }
	setup_one ppk || { echo "PPK setup failed"; exit 1; }
done
total=$((per_round * rounds))
keys=$(n1 "$pooltool" info gw2)

awk -v n="$total" -v a="$ns_plain" -v b="$ns_ppk" -v keys="$keys" 'BEGIN {
	ra = n / (a / 1e9); rb = n / (b / 1e9)
	printf "%-28s %8s %10s %12s\n", "IKE_SA setup", "IKE_SAs", "seconds", "IKE_SAs/s"
	printf "%-28s %8d %10.2f %12.2f\n", "no PPK (baseline)", n, a / 1e9, ra
	printf "%-28s %8d %10.2f %12.2f\n", "QKD key as PPK (qkd)", n, b / 1e9, rb
	printf "ratio qkd / baseline: %.3f (goal >= 0.95)\n", rb / ra
	printf "gw1 pool after the run: %s\n", keys
}'
