# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# MKA (IEEE 802.1X-2010, Debian's wpa_supplicant with driver macsec_linux)
# between the two gateways of topo.sh, for bench.sh's comparison: a
# pre-shared CAK/CKN, gw1 the key server (lower priority value). Each
# wpa_supplicant creates its own macsec0 on veth0; source after lib.sh.

mka_cak=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
mka_ckn=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# What keeps MKA from running here, or nothing.
mka_unusable()
{
	if ! command -v wpa_supplicant >/dev/null; then
		echo "wpa_supplicant not installed (apt-get install wpasupplicant)"
	elif ! wpa_supplicant -h 2>&1 | grep -q 'macsec_linux'; then
		echo "wpa_supplicant lacks the macsec_linux driver"
	fi
}

mka_config()
{
	local n=$1
	umask 077
	cat > "$ms_dir/mka$n.conf" <<EOC
ap_scan=0
eapol_version=3
network={
	key_mgmt=NONE
	eapol_flags=0
	macsec_policy=1
	macsec_integ_only=0
	macsec_port=1
	mka_priority=$((n * 10))
	mka_cak=$mka_cak
	mka_ckn=$mka_ckn
}
EOC
}

mka_start()
{
	local n=$1 ns=$gw1

	[ "$n" = 2 ] && ns=$gw2
	mka_config "$n"
	# No -d: debug logging would cost MKA CPU time in the comparison.
	ip netns exec "$ns" wpa_supplicant -i veth0 -D macsec_linux \
		-c "$ms_dir/mka$n.conf" >> "$ms_dir/mka$n.log" 2>&1 &
	echo $! > "$ms_dir/mka$n.pid"
}

mka_stop()
{
	local pid

	[ -e "$ms_dir/mka$1.pid" ] || return 0
	pid=$(cat "$ms_dir/mka$1.pid")
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$ms_dir/mka$1.pid"
}

# The macsec device wpa_supplicant made in gwN, once it exists, addressed.
mka_addr()
{
	local n=$1 w=n1

	[ "$n" = 2 ] && w=n2
	$w ip link show macsec0 >/dev/null 2>&1 || return 1
	$w ip -4 addr show dev macsec0 | grep -q "10.1.0.$n" ||
		$w ip addr add "10.1.0.$n/24" dev macsec0
	$w ip link set macsec0 up
}

mka_encoding_sa() { $1 ip -j macsec show macsec0 | jq -r '.[0].encoding_sa'; }

# CPU time both wpa_supplicants have used, in microseconds.
mka_cpu_us()
{
	local n t=0
	for n in 1 2; do
		t=$((t + $(cut -d' ' -f1 "/proc/$(cat "$ms_dir/mka$n.pid")/schedstat") / 1000))
	done
	echo "$t"
}
