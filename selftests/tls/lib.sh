# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# qkd-tlsproxy between the two gateways of selftests/lib/topo.sh, for the
# tls suite and its benchmark. Needs $top (the checkout) and $tls_dir (a
# directory for keys, certificates and logs); brings in ktap.sh and topo.sh.
#
#   tls_built                    proxy, pooltool and module are built
#   tls_pools FILE               streams gw1:"gw2" (FILE's keys, local-owned)
#                                and gw2:"gw1" (the same, peer-owned)
#   tls_certs                    $tls_dir/{ca,gw2,gw2.key}.pem, CN/SAN gw2
#   tls_http NS PORT             python's http.server on 127.0.0.1:PORT
#                                serving $tls_dir/www
#   tls_proxy NS NAME LISTEN CONNECT ARGS...
#                                qkd-tlsproxy, log $tls_dir/NAME.log; returns
#                                once it listens
#   tls_stop                     stop every process started here

declare -F ktap_plan >/dev/null || . "$top/selftests/lib/ktap.sh"
declare -F topo_setup >/dev/null || . "$top/selftests/lib/topo.sh"
# shellcheck source=selftests/lib/module.sh
. "$top/selftests/lib/module.sh"

tls_proxy_bin=$top/userspace/tlsproxy/qkd-tlsproxy
pooltool=$top/selftests/strongswan/pooltool
psktool=$top/selftests/tls/psktool
tls_pids=()

tls_built()
{
	[ -x "$tls_proxy_bin" ] && [ -x "$pooltool" ] && [ -x "$psktool" ] &&
		[ -e "$top/kmod/qkdpool.ko" ]
}

tls_pools()
{
	qkd_ensure
	n1 "$pooltool" stream gw2
	n2 "$pooltool" stream gw1
	n1 "$pooltool" load gw2 "$1"
	n2 "$pooltool" load gw1 "$1" mirror
}

tls_certs()
{
	local d=$tls_dir

	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=test-ca \
		2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/gw2.key" -out "$d/gw2.csr" -subj /CN=gw2 2>/dev/null
	openssl x509 -req -in "$d/gw2.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile <(echo subjectAltName=DNS:gw2) \
		-out "$d/gw2.pem" 2>/dev/null
}

# listening NS PORT: something in NS listens on TCP PORT
listening()
{
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .
}

tls_http()
{
	mkdir -p "$tls_dir/www"
	ip netns exec "$1" /usr/bin/python3 -m http.server -b 127.0.0.1 \
		-d "$tls_dir/www" "$2" >"$tls_dir/http-$1.log" 2>&1 &
	tls_pids+=($!)
	wait_for 30 listening "$1" "$2"
}

tls_proxy()
{
	local ns=$1 name=$2 listen=$3 connect=$4
	shift 4

	ip netns exec "$ns" "$tls_proxy_bin" "$@" --listen "$listen" \
		--connect "$connect" >"$tls_dir/$name.log" 2>&1 &
	tls_pids+=($!)
	wait_for 10 listening "$ns" "${listen##*:}"
}

tls_stop()
{
	local pid

	for pid in "${tls_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${tls_pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	tls_pids=()
}
