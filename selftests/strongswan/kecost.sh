#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What one exchange of the key exchange method `qkd` costs against x25519,
# in CPU instructions (callgrind: exact and repeatable, whatever else the
# machine does), on strongSwan 6.0.1. The two ends are kecost (kecost.c) in
# two netns, each loading charon's crypto plugins and the qkd plugin. An
# exchange is what a CHILD_SA rekey with PFS asks of the method, the IKE
# messages around it left out (they are the same for both methods but for
# a few bytes of KE payload). ecp256 is counted too: cost.sh 6 counts an
# IKE_SA with an additional ecp256 exchange, and one with an additional qkd
# exchange is that one with ecp256's cost traded for qkd's.
#
#   kecost.sh           on the host, without the pool module: the key source
#                       is the ETSI GS QKD 014 one, served by qkd-simkme in
#                       each netns (TLS to 127.0.0.1, as in the
#                       strongswan6-etsi014 suite)
#   kecost.sh pool      in the VM: the key source is the kernel pool; qkd
#                       only (x25519 and ecp256 count the same as on the host)
#
# The key source's own share (reserve_next / reserve_id: an HTTPS request
# to the KME per key and end, or a system call into the pool) is counted
# apart, from callgrind's inclusive cost of those functions, so that the
# method's own cost stands beside the source's. Callgrind does not see the
# kernel: the pool's share inside qkdpool.ko is not here
# (selftests/pool/bench.sh has its take cost).
#
# Per exchange = (instructions of a run of N2 exchanges - those of N1) /
# (N2 - N1), so that start-up and shutdown cancel out.
#
#   netns $gw1: kecost i (+ KME a)  --FIFOs--  netns $gw2: kecost r (+ KME b)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/strongswan/lib.sh
# shellcheck source=selftests/strongswan/kme.sh
. selftests/strongswan/kme.sh

source=${1:-etsi014}
# under TCG, valgrind's start-up alone takes minutes
if [ "$source" = pool ]; then
	n1=${QKD_KECOST_N1:-4} n2=${QKD_KECOST_N2:-12}
else
	n1=${QKD_KECOST_N1:-10} n2=${QKD_KECOST_N2:-40}
fi
sim=$top/userspace/simkme/qkd-simkme
kme_url=https://127.0.0.1:8443
kme_log=warning
epoch=$(date +%s)

if ! ss_use_strongswan6 || [ ! -f "$ss_plugin" ] || [ ! -x "$sim" ] ||
   ! command -v valgrind >/dev/null; then
	echo "strongswan kecost: strongSwan 6.0.1, the plugin, qkd-simkme or valgrind missing, skipped"
	exit 0
fi
if [ "$source" = pool ] && { [ ! -f kmod/qkdpool.ko ] ||
   ! make -s -C selftests/strongswan pooltool >/dev/null; }; then
	echo "strongswan kecost: the module or pooltool not built, skipped"
	exit 0
fi

# kecost, built against the cache's tree like the load-tester
ss6=$(strongswan-plugin/build-strongswan.sh --dir)
ssrc=$ss6/src/strongswan-6.0.1
libdir=$ss6/prefix/lib/ipsec
kecost=$top/build/strongswan/kecost6/kecost
if [[ ! -x $kecost || selftests/strongswan/kecost.c -nt $kecost ]]; then
	mkdir -p "${kecost%/*}"
	gcc -std=gnu99 -O2 -g -Wall -Wextra -Wno-unused-parameter \
		-Wno-missing-field-initializers -include "$ssrc/config.h" \
		-I"$ssrc/src/libstrongswan" -I"$ssrc/src/libcharon" \
		-o "$kecost" selftests/strongswan/kecost.c \
		-L"$libdir" -lcharon -lstrongswan -Wl,-rpath,"$libdir" ||
		{ echo "strongswan kecost: building kecost failed"; exit 1; }
fi

tmp=$(mktemp -d /tmp/qkd-ss-kecost.XXXXXX)
pki=$tmp/pki

cleanup()
{
	kme_stop a
	kme_stop b
	topo_cleanup
	[ "$source" = pool ] && qkd_unload
	[ -n "${QKD_KECOST_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# pools: each end's pool with a stream to the other end, keys for every
# qkd exchange of both runs
pools()
{
	local pooltool=$top/selftests/strongswan/pooltool

	insmod kmod/qkdpool.ko &&
		n1 "$pooltool" stream gw2 && n2 "$pooltool" stream gw1 &&
		"$pooltool" gen $((n1 + n2 + 4)) "$tmp/keys" &&
		n1 "$pooltool" load gw2 "$tmp/keys" &&
		n2 "$pooltool" load gw1 "$tmp/keys" mirror
	rm -f "$tmp/keys"
}

# qkd_conf END: the qkd plugin's settings at end a or b
qkd_conf()
{
	if [ "$source" = pool ]; then
		[ "$1" = a ] && echo "stream = gw2" || echo "stream = gw1"
		return
	fi
	kme_qkd_conf "$1" 10
}

# conf END: strongswan.conf of end a or b, charon's crypto plugins as in
# the suites, and the qkd plugin on its source
conf()
{
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/strongswan.conf" <<-EOF
	charon {
		load = random nonce aes sha1 sha2 hmac gmp openssl kdf qkd
		plugins {
			qkd {
				$(qkd_conf "$1")
			}
		}
		filelog {
			log {
				path = $tmp/$1/charon.log
				default = 1
			}
		}
	}
	EOF
}

# cg END ROLE METHOD N IN OUT: kecost of END under callgrind
cg()
{
	local end=$1

	shift
	ip netns exec "$(nsname "$end")" env \
		STRONGSWAN_CONF="$tmp/$end/strongswan.conf" valgrind -q \
		--tool=callgrind --callgrind-out-file="$tmp/$end/cg.out" \
		"$kecost" "$@" "${ss_plugin%/*}" >"$tmp/$end/out" 2>&1
}

# run METHOD N: N exchanges; leaves both ends' cg.out
run()
{
	local method=$1 n=$2 pid rc

	rm -f "$tmp/ab" "$tmp/ba" "$tmp"/?/cg.out
	mkfifo "$tmp/ab" "$tmp/ba"
	cg b r "$method" "$n" "$tmp/ab" "$tmp/ba" &
	pid=$!
	cg a i "$method" "$n" "$tmp/ba" "$tmp/ab"
	rc=$?
	wait "$pid" || rc=1
	if ((rc)); then
		echo "strongswan kecost: $method run of $n failed; last lines:" >&2
		tail -n 5 "$tmp"/?/out "$tmp"/?/charon.log "$tmp"/kme-?.log >&2
		return 1
	fi
}

# total END: all instructions of END's run
total() { awk '/^summary:/ { print $2 }' "$tmp/$1/cg.out"; }

# source END: instructions inclusive of the key source's reserve calls
source_cost()
{
	callgrind_annotate --inclusive=yes --threshold=100 "$tmp/$1/cg.out" \
		2>/dev/null | tr -d , |
		awk '/:reserve_(next|id) \[/ { t += $1 } END { print t + 0 }'
}

# measure METHOD: "initiator responder source-initiator source-responder"
# instructions per exchange
measure()
{
	local m=$1 a b

	run "$m" "$n1" || return 1
	a="$(total a) $(total b) $(source_cost a) $(source_cost b)"
	run "$m" "$n2" || return 1
	b="$(total a) $(total b) $(source_cost a) $(source_cost b)"
	awk -v a="$a" -v b="$b" -v d=$((n2 - n1)) 'BEGIN {
		split(a, x); split(b, y)
		for (i = 1; i <= 4; i++)
			printf "%d%s", (y[i] - x[i]) / d, i < 4 ? " " : "\n"
	}'
}

topo_setup
if [ "$source" = pool ]; then
	pools || { echo "strongswan kecost: setting up the pools failed"; exit 1; }
	label="qkd, pool source (system calls)"
else
	selftests/kmd/certs.sh "$pki" >/dev/null &&
		kme_start a >/dev/null && kme_start b >/dev/null ||
		{ echo "strongswan kecost: the KMEs did not start"; exit 1; }
	label="qkd, ETSI 014 source (HTTPS per key)"
fi
conf a
conf b

# In the VM only qkd: valgrind's start-up under TCG takes minutes a run,
# and user-space counts of x25519 and ecp256 are the host's
if [ "$source" = pool ]; then
	x="0 0" e="0 0"
else
	x=$(measure x25519) && e=$(measure ecp256) || exit 1
fi
q=$(measure qkd) || exit 1
read -r xi xr _ _ <<<"$x"
read -r ei er _ _ <<<"$e"
read -r qi qr qsi qsr <<<"$q"

echo "strongSwan $ss_version: instructions per key exchange (a CHILD_SA rekey's KE, callgrind, runs of $n1 and $n2)"
awk -v xi="$xi" -v xr="$xr" -v ei="$ei" -v er="$er" -v qi="$qi" -v qr="$qr" -v si="$qsi" -v sr="$qsr" \
    -v label="$label" '
function row(name, i, r) {
	if (xi + xr)
		printf "%-40s %10d %10d %10d %7.3f\n", name, i, r, i + r, (xi + xr) / (i + r)
	else
		printf "%-40s %10d %10d %10d\n", name, i, r, i + r
}
BEGIN {
	printf "%-40s %10s %10s %10s %7s\n", "method", "initiator", "responder", "both", "ratio"
	if (xi + xr) {
		row("x25519 (openssl)", xi, xr)
		row("ecp256 (openssl)", ei, er)
	}
	row(label, qi, qr)
	row("  of it the key source", si, sr)
	row("  of it the method without the source", qi - si, qr - sr)
}'
if [ "$source" = pool ]; then
	echo "ratio against x25519: with the host's count (bench strongswan6-kecost)"
else
	echo "ratio: x25519 instructions / the row's (>= 1.0: cheaper than x25519)"
fi
echo "user-space instructions only: a system call's kernel share is not counted"
