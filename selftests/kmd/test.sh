#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkd-kmd and qkd-simkme between two nodes; run as root in the VM
# (selftests/qemu/vm-run.sh selftests/kmd/test.sh).
#
#   $gw1 (node-a, master)                      $gw2 (node-b, slave)
#   qkd-simkme kme-a 127.0.0.1:8443 ~~QKD~~ qkd-simkme kme-b 127.0.0.1:8443
#        | ETSI 014 (sae-a)                        | ETSI 014 (sae-b)
#   qkd-kmd node-a  10.0.0.1 ---- Kx/TLS ----  10.0.0.2:7001 qkd-kmd node-b
#        |                                         |
#   pool stream "node-b"                       pool stream "node-a"
#
# The two simulated KMEs share a seed and an epoch, so they hold the same
# keys; each KM reaches only its own KME. Each test asserts on the kernel
# pools (through kmd-keys) or on the daemons' status files and logs.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh

work=$top/build/kmd-test/vm
pki=$work/pki
target=200
max_keys=1000
kme_rate=2000
batch=32
tests=17

kmd_plan kmd $tests "$qkdctl"
kmd_pair

# write_conf NODE PEER ROLE: the configuration of node-NODE.
write_conf()
{
	local me=$1 peer=$2 role=$3

	{
		echo "[node]"
		echo "id = node-$me"
		[ "$role" = slave ] && echo "kx_listen = 10.0.0.2:7001"
		echo "cert = $pki/node-$me.pem"
		echo "key = $pki/node-$me.key"
		echo "ca = $pki/ca.pem"
		echo "status_file = $work/$me.status.json"
		echo "metrics = 127.0.0.1:9641"
		echo "log_level = info"
		[ "$role" = slave ] && printf '[ak]\nlisten = 127.0.0.1:9443\n'
		echo "[peer node-$peer]"
		[ "$role" = master ] && echo "address = 10.0.0.2:7001"
		echo "role = $role"
		echo "kme_url = https://127.0.0.1:8443"
		echo "sae_id = sae-$me"
		echo "peer_sae_id = sae-$peer"
		echo "kme_cert = $pki/sae-$me.pem"
		echo "kme_key = $pki/sae-$me.key"
		echo "fill_target = $target"
		echo "batch = $batch"
		echo "max_keys = $max_keys"
		echo "app_sae_id = app-$me"
		echo "peer_app_sae_id = app-$peer"
	} >"$work/$me.conf"
}

ns() { [ "$1" = a ] && echo n1 || echo n2; }

# start_kmd NODE: the node's key manager (KMD_GDB=1: node-b's under gdb).
start_kmd()
{
	if [ -n "${KMD_GDB-}" ] && [ "$1" = b ]; then
		ip netns exec "$(nsname "$1")" gdb -batch -ex run -ex bt \
			--args "$kmd" -c "$work/$1.conf" \
			>>"$work/gdb-$1.log" 2>>"$work/kmd-$1.log" </dev/null &
		echo $! >"$work/kmd-$1.pid"
		return
	fi
	start_daemon "kmd-$1" "$1" "$kmd" -c "$work/$1.conf"
}

# st NODE JQ-FILTER: a value from the node's status file.
st() { jq -r ".peers[0]$2" "$work/$1.status.json" 2>/dev/null; }
stream() { [ "$1" = a ] && echo node-b || echo node-a; }
# info NODE: "avail_local avail_peer reserved added taken" from the pool.
info() { $(ns "$1") "$keys" info "$(stream "$1")"; }
pool_keys() { info "$1" | awk '{ print $1 + $2 + $3 }'; }
filled() { [ "$(pool_keys a)" = $target ] && [ "$(pool_keys b)" = $target ]; }
kx_up() { [ "$(st a .kx.state)" = up ] && [ "$(st b .kx.state)" = up ]; }
idle() { filled && [ "$(st a .batches)" = 0 ] && [ "$(st b .batches)" = 0 ]; }

# cross NODE: take NODE's local-owned keys, then the same IDs (peer-owned
# there) at the other node; the two lists of "ID material" must match.
cross()
{
	local me=$1 you
	you=$(other "$1")

	$(ns "$me") "$keys" drain "$(stream "$me")" >"$work/$me.local"
	cut -d' ' -f1 "$work/$me.local" |
		$(ns "$you") "$keys" take "$(stream "$you")" >"$work/$you.peer"
	echo "$me owns $(wc -l <"$work/$me.local") keys"
	[ -s "$work/$me.local" ]
	! grep -q ' error$' "$work/$you.peer" || false
	cmp "$work/$me.local" "$work/$you.peer"
}

# start_nodes: both nodes' configurations, KMEs and key managers.
start_nodes()
{
	write_conf a b master
	write_conf b a slave
	start_kme a "$epoch" "$kme_rate" --log-level info
	start_kme b "$epoch" "$kme_rate" --log-level info
	start_kmd b
	start_kmd a
}

start_nodes

test_connect()
{
	wait_for 60 kx_up
	echo "$(date +%T) Kx up"
	[ "$(st a .role)" = master ]
	[ "$(st b .role)" = slave ]
}

test_fill()
{
	wait_for 60 filled
	echo "$(date +%T) filled"
	info a
	info b
}

# km_full NODE: qkdctl km status -j says the link is up, the KME healthy
# and the stream at its target (the file lags the pool by up to 1 s).
km_full()
{
	km_status "$1" -j | jq -e --argjson t $target '.peers[0] |
		.kx.state == "up" and .kme.state == "up" and
		.pool.keys == $t and .pool.fill_target == $t and
		(.rate.keys_per_s | type) == "number"'
}

# qkdctl km status: the JSON and the table show both links up, the KMEs
# healthy and the streams full; a missing status file is a clear error.
test_km_status()
{
	local t

	wait_for 60 filled
	wait_for 30 km_full a
	wait_for 30 km_full b
	[ "$(km_status b -j | jq -r .node)" = node-b ]
	km_status a | tee "$work/a.status.txt"
	t=$(grep '^node-b ' "$work/a.status.txt")
	[[ "$t" == "node-b       master node-b       up   up   "* ]]
	[[ "$t" == *" $target/$target "* ]]
	! "$qkdctl" km status file "$work/none.json" 2>"$work/err" || false
	grep -q 'km status: .*No such file' "$work/err"
}

# scrape NODE [PATH]: GET PATH (default /metrics) from the node's qkd-kmd.
scrape() { $(ns "$1") curl -sS --max-time 10 "http://127.0.0.1:9641${2-/metrics}"; }
# sample FILE SERIES: the value of one series ('name{labels}') in a scrape.
sample() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

# metrics_match NODE: a scrape agrees with `qkdctl -j pool show` on the
# stream and with `qkdctl -j km status` on the link (the status file lags
# by up to 1 s: polled).
metrics_match()
{
	local me=$1 s p f m="$work/$1.metrics" j="$work/$1.pool.json" k
	s=$(stream "$1")
	p=$(other "$1")
	k="$work/$1.km.json"

	scrape "$me" >"$m" || return 1
	$(ns "$me") "$qkdctl" -j pool show "$s" >"$j" || return 1
	km_status "$me" -j >"$k" || return 1
	for f in added taken expired rejected; do
		[ "$(sample "$m" "qkd_pool_keys_${f}_total{stream=\"$s\"}")" = \
		  "$(jq -r ".[0].$f" "$j")" ] || return 1
	done
	for f in local peer; do
		[ "$(sample "$m" "qkd_pool_keys_available{stream=\"$s\",owner=\"$f\"}")" = \
		  "$(jq -r ".[0].avail_$f" "$j")" ] || return 1
	done
	[ "$(sample "$m" "qkd_pool_keys_reserved{stream=\"$s\"}")" = "$(jq -r '.[0].reserved' "$j")" ] &&
	[ "$(sample "$m" "qkd_pool_keys_max{stream=\"$s\"}")" = "$(jq -r '.[0].max_keys' "$j")" ] &&
	[ "$(sample "$m" "qkd_kmd_keys_ingested_total{peer=\"node-$p\"}")" = "$(jq -r '.peers[0].keys_added' "$k")" ] &&
	[ "$(sample "$m" "qkd_kmd_batches_total{peer=\"node-$p\"}")" = "$(jq -r '.peers[0].batches_done' "$k")" ] &&
	[ "$(sample "$m" "qkd_kmd_batches_aborted_total{peer=\"node-$p\"}")" = "$(jq -r '.peers[0].batches_aborted' "$k")" ] &&
	[ "$(sample "$m" "qkd_kmd_kx_connects_total{peer=\"node-$p\"}")" = "$(jq -r '.peers[0].kx.connects' "$k")" ] &&
	[ "$(sample "$m" "qkd_kmd_kme_errors_total{peer=\"node-$p\"}")" = "$(jq -r '.peers[0].kme.errors' "$k")" ]
}

# Prometheus metrics: a full, idle link, scraped with curl, agrees with
# qkdctl -j; the format has its HELP and TYPE lines; no key ID appears;
# only /metrics is served; a stalled client holds nothing up.
test_metrics()
{
	local me m f

	wait_for 60 idle
	for me in a b; do
		wait_for 30 metrics_match "$me"
		m="$work/$me.metrics"
		[ "$(sample "$m" "qkd_kmd_kx_up{peer=\"node-$(other "$me")\"}")" = 1 ]
		[ "$(sample "$m" "qkd_kmd_kme_up{peer=\"node-$(other "$me")\"}")" = 1 ]
		[ "$(sample "$m" "qkd_kmd_fill_target_keys{peer=\"node-$(other "$me")\"}")" = $target ]
		[ "$(sample "$m" "qkd_pool_keys_added_total{stream=\"$(stream "$me")\"}")" -ge $target ]
		grep -qx '# TYPE qkd_pool_keys_added_total counter' "$m"
		grep -qx '# TYPE qkd_kmd_kx_up gauge' "$m"
		# every sample's family was announced
		for f in $(grep -v '^#' "$m" | sed 's/[{ ].*//' | sort -u); do
			grep -qx "# TYPE $f [a-z]*" "$m"
		done
		! grep -Eiq '[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}' "$m" || false
	done
	head -n 12 "$work/a.metrics"
	[ "$($(ns a) curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9641/)" = 404 ]
	[ "$($(ns a) curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:9641/metrics)" = 405 ]
	[ "$($(ns a) curl -s -D - -o /dev/null http://127.0.0.1:9641/metrics | tr -d '\r' |
	     sed -n 's/^Content-Type: //p')" = 'text/plain; version=0.0.4; charset=utf-8' ]
	# A client stalled halfway through its request holds no scrape up.
	$(ns a) python3 "$top/selftests/lib/stalled-scrape.py" 127.0.0.1:9641
}

test_same_keys()
{
	cross a
	cross b
}

test_target()
{
	wait_for 60 filled
	for _ in $(seq 10); do
		[ "$(pool_keys a)" -le $target ]
		[ "$(pool_keys b)" -le $target ]
		sleep 0.2
	done
}

local_keys() { info "$1" | cut -d' ' -f1; }
half_back() { [ "$(local_keys "$1")" -ge "$2" ] && filled; }

# One end's consumers take every key it owns, three times over, the
# other end's none: each time the master gives the refill to the end
# that spent, and that end's half is back at its share. (Batches owned
# in turn by each end would leave it a quarter, then less, the rest of
# the target held by the idle end's half.)
test_one_sided()
{
	local me round

	for me in a b; do
		for round in 1 2 3; do
			wait_for 60 filled
			cross "$me" >/dev/null
			wait_for 60 half_back "$me" $((target / 2)) ||
				{ echo "node-$me after round $round: $(info "$me")"; false; }
		done
		echo "node-$me: $(info "$me") (avail_local avail_peer reserved added taken)"
	done
}

# node-a takes every key it owns while node-b keeps their copies, and
# node-b's stream has no room beyond them: each refill is refused there
# (pool full). The master must hold the fill back, doubling its wait from
# 0.5 s with each refusal and then sending one batch at a time, not ask
# its KME for new batches at once in a loop (each refused batch throws
# its KME keys away): the 4 batches in delivery at the first refusal,
# then one after 4 s and one after 12 s make at most 6 refusals in 15 s
# whatever the machine's speed, where asking at once made several a
# second. Room made, the link fills again.
test_full_peer()
{
	local a0 a1 held

	wait_for 60 filled
	# No room at node-b before node-a takes: the refill would race in.
	$(ns b) "$qkdctl" pool stream set "$(stream b)" max-keys "$(pool_keys b)"
	$(ns a) "$keys" drain "$(stream a)" | cut -d' ' -f1 >"$work/a.taken"
	a0=$(st a .batches_aborted)
	sleep 15
	a1=$(st a .batches_aborted)
	held=$(st a .fill_backoff_ms)
	echo "batches refused in 15 s: $((a1 - a0)), fill held for $held ms"
	$(ns b) "$keys" take "$(stream b)" <"$work/a.taken" >/dev/null
	$(ns b) "$qkdctl" pool stream set "$(stream b)" max-keys "$max_keys"
	((a1 - a0 >= 1 && a1 - a0 <= 6))
	((held >= 1000))
	wait_for 60 filled
	wait_for 10 fill_free
}
fill_free() { [ "$(st a .fill_backoff_ms)" = 0 ]; }

# km_status NODE [-j]: qkdctl km status of the node (its status file).
km_status() { "$qkdctl" ${2-} km status file "$work/$1.status.json"; }
kme_is() { [ "$(st "$1" .kme.state)" = "$2" ]; }

test_kme_down()
{
	kill -USR1 "$(pidof_ kme-a)"
	# Use keys at both ends, so that node-a must ask its KME for more.
	cross a
	echo "$(date +%T) KME of node-a down"
	wait_for 30 kme_is a down
	echo "status: $(st a .kme.state): $(st a .kme.error)"
	[[ "$(st a .kme.error)" == *"QKD link down"* ]]
	km_status a | tee "$work/a.status.txt"
	grep -q '^node-b .* down ' "$work/a.status.txt"
	grep -q 'KME https://127.0.0.1:8443: .*QKD link down' "$work/a.status.txt"
	km_status a -j | jq -e '.peers[0].kme.state == "down"'
	kill -USR2 "$(pidof_ kme-a)"
	echo "$(date +%T) KME of node-a up"
	wait_for 60 kme_is a up
	echo "$(date +%T) status: $(st a .kme.state)"
	wait_for 60 filled
	echo "$(date +%T) filled again"
}

# send_frame HEXBYTES CERT: one raw TLS session to node-b's Kx port.
send_frame()
{
	printf '%b' "$1" >"$work/frame"
	# Stay connected after the frame until node-b hangs up: a client
	# closing at once may reset the connection before the frame is read.
	(cat "$work/frame"; sleep 5) |
		n1 timeout 10 openssl s_client -connect 10.0.0.2:7001 \
		-no_ign_eof -cert "$pki/$2.pem" -key "$pki/$2.key" \
		-CAfile "$pki/ca.pem" >/dev/null 2>&1 || true
}

test_malformed()
{
	local log=$work/kmd-b.log

	send_frame '\x09\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00' node-a
	wait_for 10 grep -q 'bad frame header: unsupported version' "$log"
	send_frame '\x01\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x03\x01\x05\x41' node-a
	wait_for 10 grep -q 'bad HELLO frame: payload truncated' "$log"
	send_frame '\x01\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x07\x01\x05evil!' node-a
	wait_for 10 grep -q 'HELLO node ID differs' "$log"
	send_frame '\x01\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x08\x01\x06node-a' rogue
	wait_for 10 grep -q 'TLS: ' "$log"
	grep -E 'closing: (bad|unexpected|TLS)' "$log" | sed 's/^/    /'
	# The real master reconnects and delivery goes on.
	wait_for 60 kx_up
	[ "$(st b .kx.rejected_frames)" -ge 3 ]
}

# kill9 NODE: use keys at both ends, and kill -9 NODE's key manager
# while it is replacing them, then restart it.
kill9()
{
	local me=$1 you before after
	you=$(other "$1")

	$(ns "$me") "$keys" drain "$(stream "$me")" >"$work/$me.local"
	kill -9 "$(pidof_ "kmd-$me")"
	cut -d' ' -f1 "$work/$me.local" |
		$(ns "$you") "$keys" take "$(stream "$you")" >"$work/$you.peer"
	cmp "$work/$me.local" "$work/$you.peer"
	wait_for 10 gone "$(pidof_ "kmd-$me")"
	before=$(info "$me")
	echo "$(date +%T) kmd-$me killed; pool: $before; status: batches $(st "$you" .batches)"
	start_kmd "$me"
	wait_for 60 kx_up
	after=$(info "$me")
	echo "$(date +%T) kmd-$me restarted, Kx up; pool: $after"
	# The pool kept every key: its lifetime "added" counter carries on.
	[ "$(echo "$after" | cut -d' ' -f4)" -ge "$(echo "$before" | cut -d' ' -f4)" ]
	wait_for 60 idle
	echo "$(date +%T) idle; $(st a .batches_aborted) + $(st b .batches_aborted) batches aborted"
}

test_kill9()
{
	kill9 a
	kill9 b
}

# The kill -9/restart loop: enough rounds to hit each phase of delivery.
restart_rounds=6
crashed() { grep -q 'qkd-kmd: crashed' "$work"/kmd-?.log; }
alive() { ! gone "$(pidof_ "kmd-$1")"; }

batches_at() { [ "$(st "$1" .batches)" -gt 0 ]; }

# node-a dies while node-b is frozen with its KME's dec_keys replies on
# the way: node-b resumes with the replies and the dead connection ready
# at once, and answers the offers into a connection the peer has reset.
survivor_resumes()
{
	wait_for 60 idle
	kill -STOP "$(pidof_ kme-b)"
	cross a >/dev/null
	wait_for 30 batches_at b
	kill -STOP "$(pidof_ kmd-b)"
	kill -CONT "$(pidof_ kme-b)"
	sleep 0.5
	kill -9 "$(pidof_ kmd-a)"
	wait_for 10 gone "$(pidof_ kmd-a)"
	kill -CONT "$(pidof_ kmd-b)"
	sleep 1
	alive b
	start_kmd a
}

# Kill -9 one KM (the two in turn) at a random moment while both are
# replacing keys just used, and restart it; and kill node-a while node-b
# is frozen. Neither may crash: not the restarted one reconciling, nor the
# survivor writing to the connection the dead peer reset (a Kx write error
# once ran the close callback inside kx_send() and freed the batch its
# caller was still updating).
test_kill9_loop()
{
	local i me you

	survivor_resumes
	for i in $(seq $restart_rounds); do
		me=$( ((i % 2)) && echo a || echo b)
		you=$(other "$me")
		wait_for 60 kx_up
		cross "$you" >/dev/null
		cross "$me" >/dev/null
		sleep "0.$((RANDOM % 5))"
		kill -9 "$(pidof_ "kmd-$me")"
		wait_for 10 gone "$(pidof_ "kmd-$me")"
		sleep "0.$((RANDOM % 5))"
		alive "$you"
		start_kmd "$me"
	done
	wait_for 60 kx_up
	wait_for 60 idle
	echo "$(date +%T) $restart_rounds restarts; idle; $(st a .batches_aborted) + $(st b .batches_aborted) batches aborted"
	alive a
	alive b
	! crashed || false
}

peer_keys_above() { [ "$(info b | cut -d' ' -f2)" -gt "$1" ]; }
dropped_at_b() { [ "$(st b .keys_dropped)" -gt 0 ]; }

# Deterministic crash between the two adds: node-b (adding first, as the
# peer-owner of batches node-a owns) adds and says ADDED while node-a is
# frozen; node-a dies before adding. After restart, node-b resends ADDED,
# node-a's pool probe finds nothing, node-b drops its half: nothing is
# left on one side only (checked exactly by the last test).
# half_added: node-b adds a batch node-a owns (as peer-owned, first),
# with node-a frozen before it could add its half.
half_added()
{
	local peer0

	kill -STOP "$(pidof_ kme-b)"		# dec_keys at node-b hangs
	cross a >/dev/null || return 1		# node-a asks for keys...
	wait_for 30 batches_at b || return 1	# ...and offers them
	peer0=$(info b | cut -d' ' -f2)
	kill -STOP "$(pidof_ kmd-a)"
	kill -CONT "$(pidof_ kme-b)"
	wait_for 30 peer_keys_above "$peer0"	# node-b added its half
}

test_reconcile()
{
	local try

	for try in 1 2 3; do
		wait_for 60 idle
		half_added && break
		# KME-b stopped for longer than node-b's 10 s KME timeout (a
		# loaded machine): it refused the retried dec_keys as already
		# delivered and node-b aborted the batch. Again.
		kill -CONT "$(pidof_ kme-b)" "$(pidof_ kmd-a)"
		echo "try $try: node-b did not add the batch: $(info b)"
		[ "$try" -lt 3 ]
	done
	echo "$(date +%T) node-b added as peer: $(info b)"
	kill -9 "$(pidof_ kmd-a)"
	wait_for 10 gone "$(pidof_ kmd-a)"
	start_kmd a
	wait_for 60 kx_up
	wait_for 30 dropped_at_b
	wait_for 30 grep -q 'not in the pool: asking the peer to drop it' "$work/kmd-a.log"
	echo "$(date +%T) node-b dropped $(st b .keys_dropped) keys"
	wait_for 60 idle
}

# ak NODE-CERT METHOD PATH [BODY]: node-b's Ak (ETSI 014 for applications)
# as the application with that certificate; prints "HTTP-CODE BODY".
ak()
{
	local args=(-sS --cacert "$pki/ca.pem" --cert "$pki/$1.pem"
		    --key "$pki/$1.key" -w ' %{http_code}' -X "$2")

	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' -d "$4")
	n2 curl "${args[@]}" "https://127.0.0.1:9443/api/v1/keys/$3" |
		awk '{ c = $NF; $NF = ""; print c, $0 }'
}

# Ak at node-b serves app-b from the pool: enc_keys hands out node-b's
# local-owned keys (found at node-a by ID), dec_keys the peer-owned key
# whose ID app-a got at node-a; each key once.
test_ak()
{
	local r id n left

	wait_for 60 filled
	r=$(ak app-b GET app-a/status)
	echo "$r"
	[ "${r%% *}" = 200 ]
	[ "$(echo "${r#* }" | jq .stored_key_count)" = "$(info b | cut -d' ' -f1)" ]
	r=$(ak app-b GET 'app-a/enc_keys?number=2')
	[ "${r%% *}" = 200 ]
	echo "${r#* }" | jq -r '.keys[] | .key_ID + " " + .key' |
		while read -r id key; do
			echo "$id $(echo "$key" | base64 -d | od -An -tx1 | tr -d ' \n')"
		done >"$work/ak.enc"
	cut -d' ' -f1 "$work/ak.enc" | $(ns a) "$keys" take node-b >"$work/ak.a"
	cmp "$work/ak.enc" "$work/ak.a"
	# The same keys again: gone at node-b (taken once).
	id=$(head -n 1 "$work/ak.enc" | cut -d' ' -f1)
	r=$(ak app-b GET "app-a/dec_keys?key_ID=$id")
	echo "$r"
	[ "${r%% *}" = 400 ]
	# app-a's key at node-a, fetched by app-b at node-b by ID.
	$(ns a) "$keys" drain node-b >"$work/ak.drain"
	id=$(head -n 1 "$work/ak.drain" | cut -d' ' -f1)
	r=$(ak app-b POST app-a/dec_keys "{\"key_IDs\": [{\"key_ID\": \"$id\"}]}")
	[ "${r%% *}" = 200 ]
	[ "$(echo "${r#* }" | jq -r '.keys[0].key' | base64 -d | od -An -tx1 | tr -d ' \n')" = \
	  "$(head -n 1 "$work/ak.drain" | cut -d' ' -f2)" ]
	# The other drained keys are used up at node-b too (keeps pools mirrored).
	tail -n +2 "$work/ak.drain" | cut -d' ' -f1 | $(ns b) "$keys" take node-a >/dev/null
	# POST form; errors carry a JSON body: a size other than the stream's
	# is 400, more keys than stored 503 and takes none.
	r=$(ak app-b POST app-a/enc_keys '{"number": 2, "size": 256}')
	[ "${r%% *}" = 200 ]
	echo "${r#* }" | jq -r '.keys[].key_ID' |
		$(ns a) "$keys" take node-b >"$work/ak.post"
	[ "$(grep -vc ' error$' "$work/ak.post")" = 2 ]
	r=$(ak app-b POST app-a/enc_keys '{"number": 1, "size": 128}')
	echo "$r"
	[ "${r%% *}" = 400 ]
	echo "${r#* }" | jq -e '.message | length > 0' >/dev/null
	# node-a frozen: no refill. Use keys at both ends until fewer than
	# one request's worth (128) are left, then ask for one more than that.
	wait_for 60 idle
	kill -STOP "$(pidof_ kmd-a)"
	while n=$(info b | cut -d' ' -f1); ((n >= 128)); do
		r=$(ak app-b GET 'app-a/enc_keys?number=64')
		[ "${r%% *}" = 200 ] || break
		echo "${r#* }" | jq -r '.keys[].key_ID' |
			$(ns a) "$keys" take node-b >/dev/null || break
	done
	r=$(ak app-b GET "app-a/enc_keys?number=$((n + 1))")
	left=$(info b | cut -d' ' -f1)
	kill -CONT "$(pidof_ kmd-a)"
	echo "$r"
	[ "${r%% *}" = 503 ]
	echo "${r#* }" | jq -e '.message | length > 0' >/dev/null
	[ "$left" = "$n" ]
	r=$(ak sae-x GET app-a/status)
	echo "$r"
	[ "${r%% *}" = 401 ]
	r=$(ak app-b GET 'app-a/enc_keys?number=1000')
	echo "$r"
	[ "${r%% *}" = 400 ]
	! n2 curl -sS --cacert "$pki/ca.pem" https://127.0.0.1:9443/api/v1/keys/app-a/status || false
}

# Ak's refusals take nothing from the pool and say why in ETSI 014's
# terms: sizes outside [min_key_size, max_key_size] (0 too), a mandatory
# extension on dec_keys, unknown and repeated key IDs, other methods.
# ak_refused CODE WORDS AK-ARGS...: Ak answers CODE with a JSON message
# that contains WORDS ("" for any).
ak_refused()
{
	local want=$1 words=$2 r
	shift 2
	r=$(ak "$@")
	echo "$r"
	[ "${r%% *}" = "$want" ]
	echo "${r#* }" | jq -e '.message | length > 0' >/dev/null
	echo "$r" | grep -q -- "$words"
}

test_ak_errors()
{
	local before id two

	wait_for 60 idle
	kill -STOP "$(pidof_ kmd-a)"
	trap 'kill -CONT "$(pidof_ kmd-a)"' EXIT
	before=$(info b)
	ak_refused 400 'size 0' app-b GET 'app-a/enc_keys?size=0'
	ak_refused 400 'size 0' app-b POST app-a/enc_keys '{"number": 1, "size": 0}'
	ak_refused 400 '' app-b GET 'app-a/enc_keys?size=512'
	$(ns a) "$keys" drain node-b >"$work/ak.ext"
	id=$(head -n 1 "$work/ak.ext" | cut -d' ' -f1)
	ak_refused 400 extension_mandatory app-b GET \
		"app-a/dec_keys?key_ID=$id&extension_mandatory=abc_route"
	ak_refused 400 abc_route app-b POST app-a/dec_keys \
		"{\"key_IDs\": [{\"key_ID\": \"$id\"}], \"extension_mandatory\": [{\"abc_route\": 1}]}"
	ak_refused 400 'key ID not found' app-b GET \
		'app-a/dec_keys?key_ID=00000000-0000-4000-8000-000000000000'
	two="{\"key_IDs\": [{\"key_ID\": \"$id\"}, {\"key_ID\": \"$id\"}]}"
	ak_refused 400 'key ID repeated' app-b POST app-a/dec_keys "$two"
	ak_refused 405 GET app-b DELETE app-a/enc_keys
	ak_refused 404 '' app-b GET app-a/keys
	! ak app-b GET 'app-a/dec_keys?key_ID=00000000-0000-4000-8000-000000000000' |
		grep -Eqi 'such file|resource busy' || false
	# The drained keys' peer copies at node-b are all still there.
	[ "$(info b)" = "$before" ]
	cut -d' ' -f1 "$work/ak.ext" | $(ns b) "$keys" take node-a >"$work/ak.ext.b"
	cmp "$work/ak.ext" "$work/ak.ext.b"
}

# Stopped idle, the two pools must mirror each other exactly: no key added
# at one end only (no orphan), and the keys pair up with equal material.
test_consistent()
{
	local a b

	wait_for 60 idle
	kill "$(pidof_ kmd-a)" "$(pidof_ kmd-b)"
	wait_for 10 gone "$(pidof_ kmd-a)"
	wait_for 10 gone "$(pidof_ kmd-b)"
	a=$(info a)
	b=$(info b)
	echo "node-a: $a / node-b: $b"
	[ "$(echo "$a" | cut -d' ' -f1)" = "$(echo "$b" | cut -d' ' -f2)" ]
	[ "$(echo "$a" | cut -d' ' -f2)" = "$(echo "$b" | cut -d' ' -f1)" ]
	cross a
	cross b
	[ "$(pool_keys a)" = 0 ]
	[ "$(pool_keys b)" = 0 ]
}

# With the pools empty and the daemons stopped (last test), fresh KMEs at
# a low key rate and a fill target far away: once the keys the KMEs made
# while the daemons connected are in, keys enter the pool at the KME's
# rate, and the target is not reached within the window. The master asks
# for no more keys than its KME holds, so the KME never answers 503.
rate=50
added() { info "$1" | cut -d' ' -f4; }
added_above() { [ "$(added a)" -gt "$1" ]; }
kme_short() { grep -c 'insufficient keys' "$work/kme-a.log" || true; }

test_rate()
{
	local a0 a1 t0 t1 got r short

	kill "$(pidof_ kme-a)" "$(pidof_ kme-b)"
	wait_for 10 gone "$(pidof_ kme-a)"
	wait_for 10 gone "$(pidof_ kme-b)"
	# Streams of the new size: the old ones are empty (last test).
	n1 "$qkdctl" pool stream del node-b
	n2 "$qkdctl" pool stream del node-a
	target=4000 max_keys=4000 kme_rate=$rate epoch=$(($(date +%s) + 3))
	short=$(kme_short)
	# The stopped daemons' last status says "up": wait for the new ones.
	rm -f "$work/a.status.json" "$work/b.status.json"
	start_nodes
	wait_for 60 kx_up
	wait_for 30 added_above "$(added a)"
	# The backlog goes in at once: the window starts after it.
	sleep 3
	a0=$(added a) t0=$(date +%s.%N)
	sleep 8
	a1=$(added a) t1=$(date +%s.%N)
	got=$(echo "($a1 - $a0) / ($t1 - $t0)" | bc -l)
	printf 'KME %d keys/s, pool %.1f keys/s (%d keys in %.1f s)\n' $rate \
		"$got" $((a1 - a0)) "$(echo "$t1 - $t0" | bc -l)"
	[ "$(pool_keys a)" -lt $target ]
	[ "$(echo "$got >= 0.7 * $rate && $got <= 1.3 * $rate" | bc -l)" = 1 ]
	r=$(km_status a -j | jq .peers[0].rate.keys_per_s)
	echo "qkdctl km status: $r keys/s"
	[ "$(echo "$r >= 0.5 * $rate && $r <= 1.5 * $rate" | bc -l)" = 1 ]
	echo "503 insufficient keys: $(($(kme_short) - short))"
	[ "$(kme_short)" = "$short" ]
}

ktap_test "kmd: Kx connects, mutual TLS, roles agreed" test_connect
ktap_test "kmd: both pools fill to the target" test_fill
ktap_test "kmd: qkdctl km status shows links, KME health, fill" test_km_status
ktap_test "kmd: Prometheus metrics match qkdctl -j, only GET /metrics" test_metrics
ktap_test "kmd: same key IDs and material, mirrored ownership" test_same_keys
ktap_test "kmd: fill target respected" test_target
ktap_test "kmd: one end takes all it owns: the refill is its" test_one_sided
ktap_test "kmd: a peer's full pool holds the refill back, no batch storm" test_full_peer
ktap_test "kmd: KME outage shows in status, delivery resumes" test_kme_down
ktap_test "kmd: malformed Kx frames rejected with a reason" test_malformed
ktap_test "kmd: kill -9 of either KM mid-delivery, restart keeps the pool" test_kill9
ktap_test "kmd: $restart_rounds kill -9/restart rounds, no KM crashes" test_kill9_loop
ktap_test "kmd: half-added batch after a crash is dropped on reconnect" test_reconcile
ktap_test "kmd: Ak serves ETSI 014 to applications from the pool" test_ak
ktap_test "kmd: Ak refusals take nothing and speak ETSI 014" test_ak_errors
ktap_test "kmd: pools mirror each other exactly after all faults" test_consistent
ktap_test "kmd: ingest rate matches the KME's key rate" test_rate
for f in kmd-a kmd-b kme-a kme-b; do
	echo "# --- $f.log (last lines)"
	tail -n 8 "$work/$f.log" | sed 's/^/# /'
done
ktap_finish
