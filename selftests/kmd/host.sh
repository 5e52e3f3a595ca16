#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host part of the key manager suite (no kernel module needed): the unit
# tests of the parsers and of key relay, then the ETSI GS QKD 014
# conformance of qkd-simkme, driven by curl. Two simulated KMEs on loopback
# form a QKD link:
#
#   curl (sae-a) --mTLS--> kme-a 127.0.0.1:PORT_A  ~~ shared seed ~~
#   curl (sae-b) --mTLS--> kme-b 127.0.0.1:PORT_B
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/lib/ktap.sh
. selftests/lib/ktap.sh

sim=$top/userspace/simkme/qkd-simkme
work=$top/build/kmd-test/host
pki=$work/pki
tests=17
port_a=$((20000 + $$ % 20000))
port_b=$((port_a + 1))
pids=()

cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	return 0
}

# The unit tests of the parsers and of key relay (kselftest harness, their
# own TAP lines).
for prog in unit relay_unit; do
	if [ -x "selftests/kmd/$prog" ]; then
		"selftests/kmd/$prog" || true
	else
		echo "ok 1 kmd $prog tests # SKIP selftests/kmd/$prog not built"
	fi
done

ktap_plan $tests
if [ ! -x "$sim" ]; then
	for _ in $(seq $tests); do
		ktap_skip "simkme" "qkd-simkme not built"
	done
	exit 0
fi
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"
selftests/kmd/certs.sh "$pki"
epoch=$(date +%s)

start_kme()
{
	"$sim" --listen "127.0.0.1:$2" --cert "$pki/kme-$1.pem" \
		--key "$pki/kme-$1.key" --ca "$pki/ca.pem" --sae "sae-$1" \
		--peer-sae "sae-$3" --seed-file "$pki/seed" --epoch "$epoch" \
		--rate 1000 --max-per-request 100 >/dev/null \
		2>>"$work/kme-$1.log" &
	pids+=($!)
}

start_kme a "$port_a" b
start_kme b "$port_b" a

# api NODE SAE METHOD PATH [BODY]: prints "HTTP-CODE BODY" on one line.
api()
{
	local port=$port_b url
	[ "$1" = a ] && port=$port_a
	url=https://127.0.0.1:$port
	local args=(-sS --cacert "$pki/ca.pem" --cert "$pki/$2.pem"
		    --key "$pki/$2.key" -w ' %{http_code}' -X "$3")

	[ $# -ge 5 ] && args+=(-H 'Content-Type: application/json' -d "$5")
	curl "${args[@]}" "$url/api/v1/keys/$4" | awk '{ c = $NF; $NF = ""; print c, $0 }'
}

code() { echo "$1" | cut -d' ' -f1; }
body() { echo "$1" | cut -d' ' -f2-; }

up() { [ "$(code "$(api a sae-a GET sae-b/status)")" = 200 ]; }
wait_for 10 up

test_status()
{
	local r
	r=$(api a sae-a GET sae-b/status)
	[ "$(code "$r")" = 200 ]
	[ "$(body "$r" | jq -r '.source_KME_ID + " " + .target_KME_ID')" = "kme-sae-a kme-sae-b" ]
	[ "$(body "$r" | jq -r '.master_SAE_ID + " " + .slave_SAE_ID')" = "sae-a sae-b" ]
	[ "$(body "$r" | jq '.key_size, .max_key_per_request, .min_key_size, .max_key_size' | xargs)" = "256 100 64 512" ]
	body "$r" | jq -e '.stored_key_count >= 0 and .max_key_count > 0 and .max_SAE_ID_count == 0'
}

stored_at_least()
{
	[ "$(body "$(api a sae-a GET sae-b/status)" | jq .stored_key_count)" -ge "$1" ]
}

# enc_keys at kme-a (GET), then dec_keys of the same IDs at kme-b (POST).
test_get_enc_post_dec()
{
	local enc dec ids
	wait_for 10 stored_at_least 10
	enc=$(api a sae-a GET "sae-b/enc_keys?number=3&size=128")
	[ "$(code "$enc")" = 200 ]
	[ "$(body "$enc" | jq '.keys | length')" = 3 ]
	[ "$(body "$enc" | jq -r '.keys[0].key' | base64 -d | wc -c)" = 16 ]
	body "$enc" | jq -r '.keys[].key_ID' | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	ids=$(body "$enc" | jq -c '{key_IDs: [.keys[] | {key_ID}]}')
	dec=$(api b sae-b POST sae-a/dec_keys "$ids")
	[ "$(code "$dec")" = 200 ]
	[ "$(body "$dec" | jq -S .keys)" = "$(body "$enc" | jq -S .keys)" ]
}

# enc_keys by POST, then dec_keys of one ID by GET.
test_post_enc_get_dec()
{
	local enc dec id
	enc=$(api a sae-a POST sae-b/enc_keys '{"number": 2, "size": 512, "extension_optional": [{"x": 1}]}')
	[ "$(code "$enc")" = 200 ]
	[ "$(body "$enc" | jq -r '.keys[1].key' | base64 -d | wc -c)" = 64 ]
	id=$(body "$enc" | jq -r '.keys[1].key_ID')
	dec=$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")
	[ "$(code "$dec")" = 200 ]
	[ "$(body "$dec" | jq -r '.keys[0].key')" = "$(body "$enc" | jq -r '.keys[1].key')" ]
}

test_default_size()
{
	local r
	r=$(api a sae-a GET sae-b/enc_keys)
	[ "$(code "$r")" = 200 ]
	[ "$(body "$r" | jq -r '.keys | length')" = 1 ]
	[ "$(body "$r" | jq -r '.keys[0].key' | base64 -d | wc -c)" = 32 ]
}

# Every error carries a JSON body with a message.
error_is()
{
	local r=$1 want=$2
	echo "$r"
	[ "$(code "$r")" = "$want" ]
	body "$r" | jq -e '.message | type == "string"' >/dev/null
}

test_400()
{
	error_is "$(api a sae-a GET 'sae-b/enc_keys?number=101')" 400
	error_is "$(api a sae-a GET 'sae-b/enc_keys?size=100')" 400
	error_is "$(api a sae-a GET 'sae-b/enc_keys?number=x')" 400
	error_is "$(api a sae-a POST sae-b/enc_keys '{"number": "3"}')" 400
	error_is "$(api a sae-a POST sae-b/enc_keys '{"number":')" 400
	error_is "$(api a sae-a POST sae-b/enc_keys '{"additional_slave_SAE_IDs": ["sae-c"]}')" 400
	error_is "$(api a sae-a GET sae-c/status)" 400
	error_is "$(api b sae-b GET 'sae-a/dec_keys?key_ID=nope')" 400
	error_is "$(api b sae-b POST sae-a/dec_keys '{"key_IDs": []}')" 400
}

test_mandatory_extension()
{
	local r
	r=$(api a sae-a POST sae-b/enc_keys '{"number": 1, "extension_mandatory": [{"abc_route": "x"}]}')
	error_is "$r" 400
	body "$r" | grep -q abc_route
}

test_dec_unknown_and_twice()
{
	local enc id
	error_is "$(api b sae-b GET 'sae-a/dec_keys?key_ID=00000000-0000-4000-8000-000000000000')" 400
	enc=$(api a sae-a GET 'sae-b/enc_keys?number=1')
	id=$(body "$enc" | jq -r '.keys[0].key_ID')
	[ "$(code "$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")")" = 200 ]
	error_is "$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")" 400
}

# A refused multi-key dec_keys delivers none of its keys.
test_dec_all_or_nothing()
{
	local enc good body
	enc=$(api a sae-a GET 'sae-b/enc_keys?number=1')
	good=$(body "$enc" | jq -r '.keys[0].key_ID')
	body="{\"key_IDs\": [{\"key_ID\": \"$good\"}, {\"key_ID\": \"00000000-0000-4000-8000-000000000000\"}]}"
	error_is "$(api b sae-b POST sae-a/dec_keys "$body")" 400
	[ "$(code "$(api b sae-b GET "sae-a/dec_keys?key_ID=$good")")" = 200 ]
}

test_401()
{
	error_is "$(api a sae-x GET sae-b/status)" 401
	error_is "$(api a sae-b GET sae-b/enc_keys)" 401
}

test_no_client_cert()
{
	! curl -sS --cacert "$pki/ca.pem" "https://127.0.0.1:$port_a/api/v1/keys/sae-b/status" || false
	! curl -sS --cacert "$pki/ca.pem" --cert "$pki/rogue.pem" --key "$pki/rogue.key" \
		"https://127.0.0.1:$port_a/api/v1/keys/sae-b/status" || false
}

down() { [ "$(code "$(api a sae-a GET sae-b/status)")" = 503 ]; }

test_outage()
{
	kill -USR1 "${pids[0]}"
	wait_for 5 down
	error_is "$(api a sae-a GET sae-b/enc_keys)" 503
	kill -USR2 "${pids[0]}"
	wait_for 5 up
}

# A KME whose link started just now at 5 keys/s cannot serve 100 keys.
test_insufficient()
{
	local r slow url=https://127.0.0.1:$((port_b + 1))/api/v1/keys/sae-b/enc_keys

	"$sim" --listen "127.0.0.1:$((port_b + 1))" --cert "$pki/kme-a.pem" \
		--key "$pki/kme-a.key" --ca "$pki/ca.pem" --sae sae-a \
		--peer-sae sae-b --seed-file "$pki/seed" --rate 5 \
		>/dev/null 2>>"$work/kme-slow.log" &
	slow=$!
	wait_for 10 curl -sf --cacert "$pki/ca.pem" --cert "$pki/sae-a.pem" \
		--key "$pki/sae-a.key" "${url%enc_keys}status"
	r=$(curl -sS --cacert "$pki/ca.pem" --cert "$pki/sae-a.pem" \
		--key "$pki/sae-a.key" -w ' %{http_code}' "$url?number=100" |
		awk '{ c = $NF; $NF = ""; print c, $0 }')
	kill "$slow"
	error_is "$r" 503
	body "$r" | grep -q 'insufficient keys'
}

# Sizes outside the status reply's [min_key_size, max_key_size], 0
# included, are refused; the keys stay for the next request.
test_size_range()
{
	local enc id
	error_is "$(api a sae-a GET 'sae-b/enc_keys?size=0')" 400
	error_is "$(api a sae-a POST sae-b/enc_keys '{"number": 1, "size": 0}')" 400
	error_is "$(api a sae-a GET 'sae-b/enc_keys?size=32')" 400
	error_is "$(api a sae-a GET 'sae-b/enc_keys?size=1024')" 400
	enc=$(api a sae-a GET 'sae-b/enc_keys?size=64')
	[ "$(code "$enc")" = 200 ]
	id=$(body "$enc" | jq -r '.keys[0].key_ID')
	[ "$(code "$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")")" = 200 ]
}

# big FILE BYTES: a JSON body of that size.
big()
{
	{ printf '{"key_IDs": ["'; head -c "$2" /dev/zero | tr '\0' x; printf '"]}'; } >"$1"
}

# An oversized body gets a JSON 413 that the client reads, with and
# without "Expect: 100-continue".
test_too_large()
{
	local r
	big "$work/big" $((300 * 1024))
	r=$(curl -sS --cacert "$pki/ca.pem" --cert "$pki/sae-b.pem" --key "$pki/sae-b.key" \
		-H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$work/big" \
		-w ' %{http_code}' "https://127.0.0.1:$port_b/api/v1/keys/sae-a/dec_keys" |
		awk '{ c = $NF; $NF = ""; print c, $0 }')
	error_is "$r" 413
	big "$work/big" $((2 * 1024 * 1024))
	r=$(curl -sS --cacert "$pki/ca.pem" --cert "$pki/sae-b.pem" --key "$pki/sae-b.key" \
		-H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @"$work/big" \
		-w ' %{http_code}' "https://127.0.0.1:$port_b/api/v1/keys/sae-a/dec_keys" |
		awk '{ c = $NF; $NF = ""; print c, $0 }')
	error_is "$r" 413
	up
}

# Other methods and unknown paths: JSON errors in the §6.5 format.
test_methods_paths()
{
	local r m
	for m in PUT DELETE PATCH; do
		r=$(api a sae-a "$m" sae-b/enc_keys)
		error_is "$r" 405
		body "$r" | jq -e '.details[0].reason | test("GET")' >/dev/null
	done
	error_is "$(api a sae-a POST sae-b/status '{}')" 405
	error_is "$(api a sae-a GET sae-b/nothing)" 404
	error_is "$(api a sae-a DELETE sae-b/nothing)" 405
}

# dec_keys with a mandatory extension it cannot honour: 400, key kept.
test_dec_extension()
{
	local enc id r
	enc=$(api a sae-a GET 'sae-b/enc_keys?number=1')
	id=$(body "$enc" | jq -r '.keys[0].key_ID')
	r=$(api b sae-b GET "sae-a/dec_keys?key_ID=$id&extension_mandatory=abc_route")
	error_is "$r" 400
	body "$r" | grep -q 'extension_mandatory'
	r=$(api b sae-b POST sae-a/dec_keys "{\"key_IDs\": [{\"key_ID\": \"$id\"}], \"extension_mandatory\": [{\"abc_route\": 1}]}")
	error_is "$r" 400
	body "$r" | grep -q abc_route
	[ "$(code "$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")")" = 200 ]
}

# Errors say what happened in ETSI 014's terms, never a system string.
test_error_words()
{
	local r enc id
	enc=$(api a sae-a GET 'sae-b/enc_keys?number=1')
	id=$(body "$enc" | jq -r '.keys[0].key_ID')
	api b sae-b GET "sae-a/dec_keys?key_ID=$id" >/dev/null
	r=$(api b sae-b GET "sae-a/dec_keys?key_ID=$id")
	error_is "$r" 400
	body "$r" | grep -q 'already delivered'
	r=$(api b sae-b GET 'sae-a/dec_keys?key_ID=00000000-0000-4000-8000-000000000000')$(api a sae-a PUT sae-b/status)
	! echo "$r" | grep -Eqi 'such file|resource busy|<html|not implemented' || false
}

ktap_test "simkme: status fields" test_status
ktap_test "simkme: GET enc_keys, POST dec_keys, same keys" test_get_enc_post_dec
ktap_test "simkme: POST enc_keys, GET dec_keys" test_post_enc_get_dec
ktap_test "simkme: defaults number 1, key_size" test_default_size
ktap_test "simkme: 400 with JSON body on bad requests" test_400
ktap_test "simkme: unsupported extension_mandatory refused" test_mandatory_extension
ktap_test "simkme: dec_keys of unknown or used IDs refused" test_dec_unknown_and_twice
ktap_test "simkme: refused dec_keys delivers nothing" test_dec_all_or_nothing
ktap_test "simkme: sizes outside min..max (0 too) refused" test_size_range
ktap_test "simkme: JSON 413 for a body over the limit, read by the client" test_too_large
ktap_test "simkme: JSON 405/404 for other methods and paths" test_methods_paths
ktap_test "simkme: dec_keys refuses extension_mandatory" test_dec_extension
ktap_test "simkme: error messages in ETSI 014 terms" test_error_words
ktap_test "simkme: 401 for a wrong SAE" test_401
ktap_test "simkme: no or foreign client certificate refused" test_no_client_cert
ktap_test "simkme: outage gives 503, then recovers" test_outage
ktap_test "simkme: 503 when the KME runs out of keys" test_insufficient
ktap_finish
