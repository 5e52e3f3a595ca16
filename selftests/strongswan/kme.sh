# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Two simulated ETSI GS QKD 014 KMEs (qkd-simkme), "a" in netns $gw1 and
# "b" in netns $gw2, each at 127.0.0.1:8443 with the SAE sae-a / sae-b and
# the same seed and epoch, mutual TLS with the PKI of selftests/kmd/certs.sh;
# for etsi014.sh and kecost.sh, which source it after lib.sh and set:
#
#   sim       qkd-simkme         pki      the PKI's directory
#   tmp       the test's own directory (KME logs and pid files)
#   epoch     when the simulated QKD link started
#   kme_url   https://127.0.0.1:8443
#   kme_log   qkd-simkme's --log-level (default info)
#
#   kme_start NODE                 start NODE's KME, wait until it answers
#   kme_stop NODE                  stop it (nothing if it is not running)
#   kme NODE GET|POST PATH [BODY]  a request to NODE's KME as its SAE
#   kme_qkd_conf NODE [TIMEOUT]    the qkd plugin's settings at NODE

nsname() { [ "$1" = a ] && echo "$gw1" || echo "$gw2"; }
other() { [ "$1" = a ] && echo b || echo a; }

kme_start()
{
	ip netns exec "$(nsname "$1")" "$sim" --listen 127.0.0.1:8443 \
		--cert "$pki/kme-$1.pem" --key "$pki/kme-$1.key" \
		--ca "$pki/ca.pem" --sae "sae-$1" --peer-sae "sae-$(other "$1")" \
		--seed-file "$pki/seed" --epoch "$epoch" \
		--log-level "${kme_log:-info}" \
		>/dev/null 2>>"$tmp/kme-$1.log" &
	echo $! >"$tmp/kme-$1.pid"
	wait_for 10 kme "$1" GET "sae-$(other "$1")/status"
}

kme_stop()
{
	local pid

	[ -f "$tmp/kme-$1.pid" ] || return 0
	pid=$(cat "$tmp/kme-$1.pid")
	rm -f "$tmp/kme-$1.pid"
	kill "$pid" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $pid"
}

# prints the body, fails on an HTTP error
kme()
{
	local node=$1 method=$2 path=$3
	shift 3

	ip netns exec "$(nsname "$node")" curl -sS --fail-with-body \
		--cert "$pki/sae-$node.pem" --key "$pki/sae-$node.key" \
		--cacert "$pki/ca.pem" -X "$method" \
		-H 'Content-Type: application/json' ${1:+-d "$1"} \
		"$kme_url/api/v1/keys/$path"
}

kme_qkd_conf()
{
	cat <<-EOT
	source = etsi014
	stream = sae-$(other "$1")
	etsi014 {
		url = $kme_url
		cert = $pki/sae-$1.pem
		key = $pki/sae-$1.key
		ca = $pki/ca.pem
		timeout = ${2:-3}
	}
	EOT
}
