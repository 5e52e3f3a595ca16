#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What RFC 8784 costs strongSwan itself, apart from any PPK source: CPU
# instructions per IKE_SA (callgrind: exact and repeatable, whatever else
# the machine does) without PPK and with a static PPK, at both ends, for
# two orders of charon's crypto plugins (openssl before kdf, as in the
# suites and in Debian's default list; kdf before openssl). Runs on the
# host, not in the VM: two charons in two netns, the load-tester plugin
# initiating with a fake kernel interface at both ends (the host kernel may
# lack ESP), PSK auth, x25519, AES-GCM: the cheapest IKE_SA, which is where
# a PPK weighs most. The qkd plugin needs the pool and is not loaded: its
# own share is the "qkd / static" ratio of bench.sh.
#
# Per IKE_SA = (instructions of a run of N2 IKE_SAs - those of N1) / (N2 - N1),
# so that charon's start-up and shutdown cancel out.
#
# On 6.0.1 a second table counts what an additional key exchange (RFC 9370:
# an IKE_INTERMEDIATE exchange before IKE_AUTH) costs an IKE_SA, as
# x25519-ke1_ecp256 against x25519, openssl first, no PPK (strongSwan
# refuses a proposal with the same method twice): the IKE_SA of
# x25519-ke1_qkd is that IKE_SA with one ecp256 exchange traded for one qkd
# exchange, whose costs kecost.sh counts (the qkd plugin needs a key source,
# and an HTTPS request per key to an ETSI 014 KME would swamp the count).
#
# usage: cost.sh [6]    6: strongSwan 6.0.1 of the cache, whose RFC 8784
#                       code differs (its own load-tester build)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/strongswan/lib.sh

n1=${QKD_COST_N1:-20}
n2=${QKD_COST_N2:-120}

if [ "${1:-}" = 6 ] && ! ss_use_strongswan6; then
	echo "strongswan cost: strongSwan 6.0.1 not built, skipped"
	exit 0
fi
if ! command -v valgrind >/dev/null ||
   ! lt=$(selftests/strongswan/build-load-tester.sh ${1:-}); then
	echo "strongswan cost: valgrind or the load-tester missing, skipped"
	exit 0
fi

tmp=$(mktemp -d /tmp/qkd-ss-cost.XXXXXX)
psk=qkd-cost-$(ss_rand_hex 16)
ppk=$(ss_rand_hex 32)

cleanup()
{
	pkill -f "callgrind-out-file=$tmp/" 2>/dev/null
	topo_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

# charon's plugins plus the load-tester, bind-mounted over the plugin
# directory in charon's own mount namespace only
mkdir -p "$tmp/plugins"
cp "$ss_plugindir"/*.so "$tmp/plugins/"
cp "$lt" "$tmp/plugins/"

# charon_cg NS DIR [PREFIX...]: charon of instance DIR in netns NS under
# callgrind, the command prefixed with PREFIX
charon_cg()
{
	local ns=$1 dir=$2
	shift 2
	"$@" ip netns exec "$ns" sh -c 'mount --bind "$1/run" /run &&
		mkdir -p /run/strongswan6 && mount --bind "$2" "$3" &&
		STRONGSWAN_CONF="$1/strongswan.conf" exec valgrind -q \
		--tool=callgrind --callgrind-out-file="$1/cg.out" "$4"' \
		sh "$dir" "$tmp/plugins" "$ss_plugindir" "$ss_charon" \
		>"$dir/out" 2>&1 </dev/null
}

# instructions DIR: the total callgrind counted for DIR's charon
instructions()
{
	awk '/^summary:/ { print $2 }' "$1/cg.out"
}

# load_tester MODE N: load-tester settings, initiating N IKE_SAs (0: none)
load_tester()
{
	cat <<-EOF
	load-tester {
		enable = yes
		fake_kernel = yes
		initiators = $(($2 ? 1 : 0))
		iterations = $2
		delay = 1
	EOF
	ss_load_tester_peers "i%d.gw1" "$psk"
	[ "$1" = ke1 ] &&
		printf '\tproposal = aes128gcm16-prfsha256-x25519-ke1_ecp256\n'
	[ "$1" = static ] &&
		printf '\tppk_id = static-ppk\n\tppk_secret = %s\n\tppk_required = yes\n' "$ppk"
	echo "}"
}

responder_conf()
{
	local req=no ke=

	[ "$1" = static ] && req=yes
	[ "$1" = ke1 ] && ke=-ke1_ecp256
	cat <<-EOF
	connections { c {
		local_addrs = 10.0.0.2
		remote_addrs = 10.0.0.1
		proposals = aes128gcm16-prfsha256-x25519$ke
		ppk_required = $req
		local { auth = psk
			id = gw2 }
		remote { auth = psk
			id = *.gw1 }
		children { c { esp_proposals = aes128gcm16 } }
	} }
	secrets {
		ike { id-1 = *.gw1
			id-2 = gw2
			secret = $psk }
		ppk { id = static-ppk
			secret = $ppk }
	}
	EOF
}

# run ORDER MODE N: N IKE_SAs; prints "initiator responder" instructions.
# The load-tester loads first: the first kernel-ipsec interface registered
# is the one charon uses, and it must be its fake one, not kernel-netlink.
run()
{
	local order=$1 mode=$2 n=$3 d1=$tmp/i d2=$tmp/r pid ok=0

	rm -rf "$d1" "$d2" "$(ss_sock "$d1")" "$(ss_sock "$d2")"
	ss_load="load-tester $order" ss_conf "$d2" stock "" \
		"$(load_tester "$mode" 0)"
	ss_load="load-tester $order" ss_conf "$d1" stock "" \
		"$(load_tester "$mode" "$n")"
	responder_conf "$mode" >"$d2/swanctl.conf"
	charon_cg "$gw2" "$d2" >/dev/null &
	pid=$!
	if wait_for 120 test -S "$(ss_sock "$d2")" &&
	   ss_load_conf "$d2" "$d2/swanctl.conf"; then
		# the load-tester ends its charon with SIGTERM to the process group
		charon_cg "$gw1" "$d1" timeout -k 10 300 setsid -w
		[ "$(grep -c "IKE_SA load-test\[[0-9]*\] established" "$d1/charon.log")" = "$n" ] &&
			ok=1
	fi
	pkill -f -- "--callgrind-out-file=$d2/"
	wait "$pid"
	if ! ((ok)); then
		echo "strongswan cost: $mode run failed; last log lines:" >&2
		tail -n 5 "$d2/out" "$d2/charon.log" "$d1/charon.log" >&2
		return 1
	fi
	echo "$(instructions "$d1") $(instructions "$d2")"
}

topo_setup
openssl_first="random nonce aes sha1 sha2 hmac gmp openssl kdf"
kdf_first="random nonce aes sha1 sha2 hmac gmp kdf openssl"
common="pem pkcs1 pubkey x509 kernel-netlink socket-default vici"

echo "strongSwan $ss_version: instructions per IKE_SA (IKE_SA + CHILD_SA, then delete; callgrind, runs of $n1 and $n2)"
printf '%-22s %-10s %12s %12s %8s\n' "crypto plugins" "PPK" "initiator" "responder" "ratio"
for order in openssl_first kdf_first; do
	base=""
	for mode in none static; do
		a=$(run "${!order} $common" "$mode" "$n1") &&
			b=$(run "${!order} $common" "$mode" "$n2") ||
			{ echo "strongswan cost: $order $mode run failed"; exit 1; }
		read -r ia ra <<<"$a"
		read -r ib rb <<<"$b"
		per=$(((ib - ia + rb - ra) / (n2 - n1)))
		[ -n "$base" ] || base=$per
		awk -v o="${order/_/ }" -v m="$mode" -v i="$(((ib - ia) / (n2 - n1)))" \
			-v r="$(((rb - ra) / (n2 - n1)))" -v p="$per" -v b="$base" \
			'BEGIN { printf "%-22s %-10s %12d %12d %8.3f\n", o, m, i, r, b / p }'
	done
done
echo "ratio: IKE_SAs per CPU second against no PPK with the same plugins (goal of"
echo "the qkd PPK against no PPK: >= 0.95)"
[ "$ss_version" = 6.0.1 ] || exit 0

# per_sa ORDER MODE: instructions per IKE_SA, "initiator responder"
per_sa()
{
	local a b ia ra ib rb

	a=$(run "$1" "$2" "$n1") && b=$(run "$1" "$2" "$n2") || return 1
	read -r ia ra <<<"$a"
	read -r ib rb <<<"$b"
	echo "$(((ib - ia) / (n2 - n1))) $(((rb - ra) / (n2 - n1)))"
}

echo
echo "strongSwan $ss_version: instructions per IKE_SA with an additional key exchange (RFC 9370), openssl first, no PPK"
printf '%-34s %12s %12s %8s\n' "IKE proposal" "initiator" "responder" "ratio"
none=$(per_sa "$openssl_first $common" none) &&
	ke1=$(per_sa "$openssl_first $common" ke1) ||
	{ echo "strongswan cost: ke1 run failed"; exit 1; }
awk -v a="$none" -v b="$ke1" 'BEGIN {
	split(a, x); split(b, y)
	printf "%-34s %12d %12d %8.3f\n", "aes128gcm16-prfsha256-x25519", x[1], x[2], 1
	printf "%-34s %12d %12d %8.3f\n", "  ...-x25519-ke1_ecp256", y[1], y[2],
		(x[1] + x[2]) / (y[1] + y[2])
	printf "the additional exchange: %d instructions at the initiator, %d at the responder\n",
		y[1] - x[1], y[2] - x[2]
}'
