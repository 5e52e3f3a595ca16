#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QKD-TLS 1.3 in the VM: curl and python's http.server through a pair of
# qkd-tlsproxy across the two gateways, every TLS connection keyed by one
# QKD key of the pool as an external PSK; stock openssl s_client/s_server
# given the same imported PSK (by psktool, never by the proxy) on the
# other end show that the wire format is plain TLS 1.3.
#
#   netns $gw1                                    netns $gw2
#   curl -> 127.0.0.1:8080 client proxy           server proxy 10.0.0.2:8443
#           (stream "gw2": local-owned keys)      (stream "gw1": same keys,
#                     \                            peer-owned) -> 127.0.0.1:8000
#                      `-- veth0 10.0.0.1 ===== veth0 10.0.0.2 --'  http.server
#
#   gw1 8081 client proxy, SHA-256 suite   -> gw2 9443 stock s_server -psk
#   gw1 8082 client proxy, stream "empty"  -> gw2 8443
#   gw1 8083 client proxy --psk-ke         -> gw2 8444 server proxy --psk-ke
#   gw1 8084 client proxy (no psk_ke)      -> gw2 8444   (no common group)
#   gw1 8085 client proxy, "empty", --cert-fallback -> gw2 8445 server proxy
#                                                      with --cert-fallback
#   gw1 8086 client proxy, "empty", --cert-fallback -> gw2 8443
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tls_dir=$top/build/tls/run
# shellcheck source=selftests/tls/lib.sh
. selftests/tls/lib.sh

nkeys=40
keys=$tls_dir/keys extra=$tls_dir/extra own=$tls_dir/own
aes128=TLS_AES_128_GCM_SHA256

ktap_plan 14
if ! tls_built; then
	for i in $(seq 14); do
		ktap_skip "tls: test $i" "qkd-tlsproxy, pooltool, psktool or qkdpool.ko not built"
	done
	exit 0
fi
rm -rf "$tls_dir"
mkdir -p "$tls_dir"

cleanup()
{
	tls_stop
	topo_cleanup
	# keep the logs (key IDs, no key material) for a look after the run
	rm -f "$keys" "$extra" "$own" "$tls_dir"/*.key "$tls_dir/sess.pem"
}
trap cleanup EXIT

info() { "$1" "$pooltool" info "$2"; }
taken() { info "$1" "$2" | sed -n 's/.* taken \([0-9]*\).*/\1/p'; }
probe() { "$1" "$pooltool" probe "$2" "$3"; }
key_id() { "$pooltool" id "$1" "$2"; }
secret() { "$pooltool" secret "$1" "$2"; }
# psk FILE INDEX HASH: the imported PSK of key INDEX of FILE
psk() { local id; id=$(key_id "$1" "$2"); "$psktool" "qkd:$id" "$(secret "$1" "$id")" "$3"; }
fetch() { n1 curl -sS --max-time 20 "http://127.0.0.1:$1/$2"; }
# key IDs of the handshakes a proxy completed, in order
used_ids() { sed -n 's/.*TLS up, .*, key \([0-9a-f-]*\), .*/\1/p' "$tls_dir/$1.log"; }
ids_of() { local i; for i in $(seq "$2" "$3"); do key_id "$1" "$i"; done; }

# s_client_get ARGS...: a stock s_client to the server proxy, GET
# index.txt, offering the suite $sc_suite
sc_suite=$aes128
s_client_get()
{
	printf 'GET /index.txt HTTP/1.0\r\n\r\n' |
		n1 timeout 20 openssl s_client -quiet -connect 10.0.0.2:8443 \
			-tls1_3 -ciphersuites "$sc_suite" "$@" 2>"$tls_dir/s_client.err"
}

setup()
{
	topo_setup
	"$pooltool" gen "$nkeys" "$keys"
	"$pooltool" gen 4 "$extra"
	"$pooltool" gen 1 "$own"
	tls_pools "$keys"
	n1 "$pooltool" stream empty
	# keys only gw2 holds (peer-owned), for stock clients; one it owns
	n2 "$pooltool" load gw1 "$extra" mirror
	n2 "$pooltool" load gw1 "$own"
	tls_certs
	mkdir -p "$tls_dir/www"
	echo "hello through QKD-TLS" >"$tls_dir/www/index.txt"
	head -c 3000000 /dev/urandom >"$tls_dir/www/big.bin"
	tls_http "$gw2" 8000
	tls_proxy "$gw2" s1 10.0.0.2:8443 127.0.0.1:8000 --mode server \
		--stream gw1 --ciphersuites "TLS_AES_256_GCM_SHA384:$aes128" -d
	tls_proxy "$gw1" c1 127.0.0.1:8080 10.0.0.2:8443 --mode client \
		--stream gw2 -d
}

test_fetch()
{
	[[ $(fetch 8080 index.txt) == "hello through QKD-TLS" ]]
	fetch 8080 big.bin | cmp - "$tls_dir/www/big.bin"
}

test_one_key_each()
{
	local before1 before2 first

	before1=$(taken n1 gw2)
	before2=$(taken n2 gw1)
	first=$(used_ids c1 | wc -l)
	for _ in 1 2 3 4; do
		fetch 8080 index.txt >/dev/null
	done
	[[ $(taken n1 gw2) == $((before1 + 4)) ]]
	[[ $(taken n2 gw1) == $((before2 + 4)) ]]
	# the keys in pool order, the same at both ends, each once
	[[ $(used_ids c1) == "$(ids_of "$keys" 0 $((first + 3)))" ]]
	[[ $(used_ids s1) == "$(used_ids c1)" ]]
	[[ $(info n1 gw2) == "local $((nkeys - first - 4)) peer 0 reserved 0 taken $((first + 4))" ]]
	[[ $(probe n2 gw1 "$(key_id "$keys" $((first + 3)))") == absent ]]
	[[ $(probe n2 gw1 "$(key_id "$keys" $((first + 4)))") == present ]]
}

test_dhe_default()
{
	! grep "TLS up" "$tls_dir/s1.log" | grep -v "TLS_AES_256_GCM_SHA384, key [0-9a-f-]*, kex X25519$" || false
	grep -q "TLS up" "$tls_dir/s1.log"
}

test_reused_id()
{
	local before
	before=$(info n2 gw1)
	! s_client_get -psk "$(psk "$keys" 0 sha256)" \
		-psk_identity "qkd:$(key_id "$keys" 0)" | grep -q hello || false
	grep -q "handshake failed: .*(qkd: unknown, expired or already used key ID)" "$tls_dir/s1.log"
	[[ $(info n2 gw1) == "$before" ]]
}

test_unknown_id()
{
	local n
	n=$(grep -c "already used key ID" "$tls_dir/s1.log")
	! s_client_get -psk "$(psk "$keys" 0 sha256)" \
		-psk_identity qkd:0b5e55ed-0000-4000-8000-00000000beef |
		grep -q hello || false
	[[ $(grep -c "already used key ID" "$tls_dir/s1.log") == $((n + 1)) ]]
}

# refused ID PSK REASON: s_client offering key ID with PSK gets nothing;
# the server logs REASON and the key stays in its pool
refused()
{
	! s_client_get -psk "$2" -psk_identity "qkd:$1" | grep -q hello || false
	grep -q -- "$3" "$tls_dir/s1.log"
	[[ $(probe n2 gw1 "$1") == present ]]
	[[ $(info n2 gw1) == *" reserved 0 "* ]]
}

# The server reserved the key for the handshake and gives it back.
test_wrong_key()
{
	local id
	id=$(key_id "$extra" 0)
	refused "$id" "$(psk "$extra" 1 sha256)" \
		"handshake failed with key $id: .*binder"
}

test_own_id()
{
	refused "$(key_id "$own" 0)" "$(psk "$own" 0 sha256)" \
		"(qkd: key ID owned by this end)"
}

test_stock_client()
{
	local id
	id=$(key_id "$extra" 0)
	s_client_get -psk "$(psk "$extra" 0 sha256)" -psk_identity "qkd:$id" |
		grep -q "^hello through QKD-TLS"
	[[ $(probe n2 gw1 "$id") == absent ]]
	grep -q "TLS up, $aes128, key $id, kex X25519" "$tls_dir/s1.log"
	# a stock client cannot take it twice either
	! s_client_get -psk "$(psk "$extra" 0 sha256)" -psk_identity "qkd:$id" |
		grep -q hello || false
}

# SHA-384: stock openssl binds a -psk to SHA-256, a PSK session file
# carries the suite (psktool writes it from the same import).
test_stock_client_sha384()
{
	local id sc_suite=TLS_AES_256_GCM_SHA384
	id=$(key_id "$extra" 2)
	"$psktool" "qkd:$id" "$(secret "$extra" "$id")" sha384 "$tls_dir/sess.pem"
	s_client_get -psk_session "$tls_dir/sess.pem" -psk_identity "qkd:$id" |
		grep -q "^hello through QKD-TLS"
	[[ $(probe n2 gw1 "$id") == absent ]]
	grep -q "TLS up, TLS_AES_256_GCM_SHA384, key $id, kex X25519" "$tls_dir/s1.log"
}

test_stock_server()
{
	local i id out
	i=$(taken n1 gw2)
	id=$(key_id "$keys" "$i")
	ip netns exec "$gw2" openssl s_server -accept 9443 -nocert -tls1_3 \
		-www -ciphersuites "$aes128" -psk "$(psk "$keys" "$i" sha256)" \
		-psk_identity "qkd:$id" </dev/null >"$tls_dir/s_server.log" 2>&1 &
	tls_pids+=($!)
	wait_for 10 listening "$gw2" 9443
	tls_proxy "$gw1" c2 127.0.0.1:8081 10.0.0.2:9443 --mode client \
		--stream gw2 --ciphersuites "$aes128" -d
	out=$(fetch 8081 "")
	grep -q "Cipher is $aes128" <<<"$out"
	grep -q "TLS up, $aes128, key $id, kex X25519" "$tls_dir/c2.log"
	[[ $(taken n1 gw2) == $((i + 1)) ]]
}

test_empty()
{
	local before
	before=$(info n2 gw1)
	tls_proxy "$gw1" c3 127.0.0.1:8082 10.0.0.2:8443 --mode client \
		--stream empty -d
	! fetch 8082 index.txt || false
	grep -q "handshake failed: .*(qkd: no key available (pool empty))" "$tls_dir/c3.log"
	! grep -q "TLS up" "$tls_dir/c3.log" || false
	[[ $(info n2 gw1) == "$before" ]]
}

test_psk_ke()
{
	local before
	tls_proxy "$gw2" s2 10.0.0.2:8444 127.0.0.1:8000 --mode server \
		--stream gw1 --psk-ke --groups P-384 -d
	tls_proxy "$gw1" c4 127.0.0.1:8083 10.0.0.2:8444 --mode client \
		--stream gw2 --psk-ke -d
	tls_proxy "$gw1" c5 127.0.0.1:8084 10.0.0.2:8444 --mode client \
		--stream gw2 -d
	[[ $(fetch 8083 index.txt) == "hello through QKD-TLS" ]]
	grep -q "TLS up, TLS_AES_256_GCM_SHA384, key [0-9a-f-]*, kex psk_ke$" "$tls_dir/s2.log"
	# without --psk-ke the client insists on a (EC)DHE share
	before=$(grep -c "TLS up" "$tls_dir/s2.log")
	! fetch 8084 index.txt || false
	[[ $(grep -c "TLS up" "$tls_dir/s2.log") == "$before" ]]
}

test_fallback()
{
	tls_proxy "$gw2" s3 10.0.0.2:8445 127.0.0.1:8000 --mode server \
		--stream gw1 --cert "$tls_dir/gw2.pem" --key "$tls_dir/gw2.key" \
		--cert-fallback -d
	tls_proxy "$gw1" c6 127.0.0.1:8085 10.0.0.2:8445 --mode client \
		--stream empty --ca "$tls_dir/ca.pem" --server-name gw2 \
		--cert-fallback -d
	[[ $(fetch 8085 index.txt) == "hello through QKD-TLS" ]]
	grep -q "TLS up, TLS_AES_256_GCM_SHA384, key none, kex X25519" "$tls_dir/s3.log"
	# and the server's: s1 has no certificate, so no handshake without a key
	tls_proxy "$gw1" c7 127.0.0.1:8086 10.0.0.2:8443 --mode client \
		--stream empty --ca "$tls_dir/ca.pem" --server-name gw2 \
		--cert-fallback -d
	! fetch 8086 index.txt || false
	! grep -q "TLS up" "$tls_dir/c7.log" || false
}

# usage_error MESSAGE ARGS...: the proxy exits 2 and says MESSAGE
usage_error()
{
	local want=$1 out rc=0
	shift
	out=$(n1 "$tls_proxy_bin" "$@" 2>&1) || rc=$?
	echo "$out"
	[[ $rc == 2 ]]
	grep -q -- "$want" <<<"$out"
}

test_usage()
{
	local a=(--listen 127.0.0.1:1 --connect 127.0.0.1:2)
	usage_error "add --cert-fallback to mean it" --mode server "${a[@]}" \
		--stream gw1 --cert "$tls_dir/gw2.pem" --key "$tls_dir/gw2.key"
	usage_error "a client that may use certificates needs --ca" \
		--mode client "${a[@]}"
	usage_error "expected client or server" --mode proxy "${a[@]}"
	usage_error "expected ADDR:PORT" --mode client --stream gw2 \
		--listen 127.0.0.1 --connect 127.0.0.1:2
	# not a usage error: the stream is missing at run time
	! n1 "$tls_proxy_bin" --mode client "${a[@]}" --stream nosuch \
		2>"$tls_dir/nosuch.err" || false
	grep -q "stream 'nosuch': .*no such stream" "$tls_dir/nosuch.err"
}

setup
ktap_test "tls: curl through the proxy pair over TLS 1.3 with a QKD PSK" test_fetch
ktap_test "tls: each connection takes exactly one key at each end" test_one_key_each
ktap_test "tls: psk_dhe_ke with X25519 by default" test_dhe_default
ktap_test "tls: a reused key ID fails the handshake" test_reused_id
ktap_test "tls: an unknown key ID fails the handshake" test_unknown_id
ktap_test "tls: a wrong key fails, the server's key goes back" test_wrong_key
ktap_test "tls: a key ID owned by the server is refused" test_own_id
ktap_test "tls: stock openssl s_client with the imported PSK" test_stock_client
ktap_test "tls: stock openssl s_client, SHA-384 PSK session" test_stock_client_sha384
ktap_test "tls: stock openssl s_server with the imported PSK" test_stock_server
ktap_test "tls: empty pool fails closed" test_empty
ktap_test "tls: psk_ke only on request" test_psk_ke
ktap_test "tls: certificate fallback only when both ends ask" test_fallback
ktap_test "tls: clear errors for bad options" test_usage
ktap_finish
