#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkd-macsecd between two gateways (run as root in the VM):
#
#   gw1: qkd-macsecd (leader)                 gw2: qkd-macsecd (follower)
#        macsec0 10.1.0.1 (made by the daemon)     macsec0 10.1.0.2 (ip link)
#        veth0 10.0.0.1 ======================== veth0 10.0.0.2
#        pool "link12": keys owned here   <mirror>  same keys, peer-owned
#
# The tests run in order on one topology; each leaves the link keyed.
#
# QKD_MACSEC_ONLY="10 11": only these tests (by number; the others are
# reported skipped). Test 1 runs whenever a later one is selected: it makes
# the link they all use. run.sh hands QKD_* variables into the VM, so
#   QKD_MACSEC_ONLY=10 make check-debug SUITES=macsec
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. selftests/lib/ktap.sh
. selftests/lib/topo.sh
. selftests/macsec/lib.sh

# Name the command that failed a test (errexit alone is silent).
set -E
trap 'echo "failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# The baseline configuration: rekeys only on demand during the tests that
# need a quiet link. handshake-timeout leaves room for TCG.
base=(rekey-interval=1h grace=300ms handshake-timeout=4s)

cleanup()
{
	# The daemons' logs outlive the VM, for a failed run's post-mortem.
	mkdir -p "$top/build/macsec"
	cp "$ms_dir"/gw[12].log "$top/build/macsec/" 2>/dev/null
	ms_cleanup
	topo_cleanup
	qkd_unload
	return 0
}

only=${QKD_MACSEC_ONLY:-}
[ -n "$only" ] && only="1 $only"

if ! ms_built; then
	ktap_plan 1
	ktap_skip "macsec: qkd-macsecd" "qkd-macsecd, qkdctl or qkdpool.ko not built"
	exit 0
fi
trap cleanup EXIT
topo_setup
ms_init
ms_pools 200

# Both daemons idle, on the same key, with balanced pools, and the old RX
# SAs retired (once drained, not at a fixed time): a quiet moment.
word_after() { local x=${2#* "$1" }; echo "${x%% *}"; }
rx_sas() { ms_sas "$1" | grep -c '^rx '; }

quiet()
{
	local s1 s2

	s1=$(ms_admin 1 status) && s2=$(ms_admin 2 status) || return 1
	[[ $s1 == *" state idle "* && $s2 == *" state idle "* ]] &&
		[ "$(word_after key "$s1")" = "$(word_after key "$s2")" ] &&
		[ "$(ms_taken n1)" = "$(ms_taken n2)" ] && ms_consistent &&
		[ "$(rx_sas n1)" = 1 ] && [ "$(rx_sas n2)" = 1 ]
}

restart()
{
	ms_stop 1
	ms_stop 2
	ms_config 1 "${base[@]}" "$@"
	ms_config 2 "${base[@]}" "$@"
	ms_start 1
	ms_start 2
}

# rx_sc counters that must not move while the link is rekeyed.
loss_counters()
{
	local c
	for c in InPktsNotValid InPktsNotUsingSA InPktsUnusedSA InPktsLate InPktsInvalid; do
		echo "$c $(rxsc_counter n1 $c) $(rxsc_counter n2 $c)"
	done
	echo "tx_dropped $(ms_tx_dropped n1) $(ms_tx_dropped n2)"
}

test_bringup()
{
	ms_config 1 "${base[@]}"
	ms_config 2 "${base[@]}"
	ms_link2
	ms_start 1
	ms_start 2
	wait_for 30 ms_ping
	wait_for 10 quiet
	# The first key of the pool protects the link, in both directions.
	[[ $(ms_encoding_key n1) == "$(ms_key_id 1)" ]]
	[[ $(ms_encoding_key n2) == "$(ms_key_id 1)" ]]
	[[ $(ms_taken n1) == 1 && $(ms_taken n2) == 1 ]]
	[[ $(ms_field 1 role) == leader && $(ms_field 2 role) == follower ]]
}

test_rekey_on_demand()
{
	local before

	before=$(ms_field 1 rekeys)
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 1 rekeys -gt "$before"
	wait_for 10 quiet
	[[ $(ms_encoding_key n1) == "$(ms_key_id 2)" ]]
	ms_ping 3
}

# Rekey every second for 30 s under 100 frames/s each way: nothing lost.
test_rekey_every_second()
{
	local t1 t2 before after r1 out

	before=$(loss_counters)
	t1=$(ms_taken n1)
	t2=$(ms_taken n2)
	r1=$(grep -c 'rekeyed:' "$ms_dir/gw1.log" || true)
	restart rekey-interval=1s
	out=$(n1 ping -q -c 1500 -i 0.02 -W 2 10.1.0.2)
	echo "$out" | grep 'packets transmitted'
	# Stopping drains a handshake in flight: both ends end balanced.
	ms_stop 1
	ms_stop 2
	after=$(loss_counters)
	echo "counters before: $before"
	echo "counters after: $after"
	[[ $out == *"1500 packets transmitted, 1500 received,"* ]]
	[[ $before == "$after" ]]
	t1=$(($(ms_taken n1) - t1))
	t2=$(($(ms_taken n2) - t2))
	r1=$(($(grep -c 'rekeyed:' "$ms_dir/gw1.log") - r1))
	echo "rekeys $r1, keys taken: gw1 $t1, gw2 $t2"
	# About one a second over the 30 s of pings; each handshake adds its
	# round trips to the second, which a loaded VM stretches (29 seen).
	((r1 >= 20))
	# Exactly one key per rekey at each end, taken in pool order.
	[[ $t1 == "$r1" && $t2 == "$r1" ]]
	[[ $(ms_encoding_key n1) == "$(ms_key_id "$(ms_taken n1)")" ]]
	[[ $(ms_encoding_key n2) == "$(ms_key_id "$(ms_taken n1)")" ]]
	ms_consistent
	restart
	wait_for 20 quiet
}

# Frames each end sent over MACsec, and frames it accepted from its peer:
# validated in order (OK) or behind a higher PN (Delayed: reordered by
# the per-CPU backlogs of a busy machine, but delivered).
frames_sent() { $1 ip -j -s macsec show macsec0 | jq '.[0] | .OutPktsEncrypted + .OutPktsProtected'; }
frames_accepted() { echo $(($(rxsc_counter $1 InPktsOK) + $(rxsc_counter $1 InPktsDelayed))); }

# "gw1-sent gw2-accepted gw2-sent gw1-accepted", once two reads half a
# second apart agree: a frame still queued on a loaded machine (ARP, a
# last reply) would count as sent at one end and not yet accepted at the
# other.
settled_frame_counts()
{
	local now prev="" i

	for i in $(seq 20); do
		now="$(frames_sent n1) $(frames_accepted n2) $(frames_sent n2) $(frames_accepted n1)"
		[[ $now == "$prev" ]] && break
		prev=$now
		sleep 0.5
	done
	echo "$now"
}

# Busy loops on every vCPU while the link rekeys every 200 ms under a
# flood ping (as many frames in flight as the link holds) and a ping every
# 10 ms: a loaded machine delays the daemons, and the softirqs that drain
# the frames queued between them, by an unbounded time, so no timer may
# decide that an old SA has drained. A grace of 50 ms makes a timer's
# race show within the test's minute (deleted 50 ms after the switch, as
# the daemon once did, an RX SA lost frames: InPktsNotUsingSA); retired on
# evidence, none is lost. No RX SC loss counter or tx_dropped moves, each
# end accepted every frame its peer sent, and both pings saw every reply.
test_rekey_under_load()
{
	local before after s1 s2 ok1 ok2 s1_ s2_ ok1_ ok2_ r0 r1 out flood
	local hogs=() i

	ms_add_keys 100
	# Counted with the daemons stopped and no traffic: nothing in flight.
	ms_stop 1
	ms_stop 2
	read -r s1 ok2 s2 ok1 < <(settled_frame_counts)
	before=$(loss_counters)
	ms_config 1 "${base[@]}" rekey-interval=200ms grace=50ms
	ms_config 2 "${base[@]}" rekey-interval=200ms grace=50ms
	ms_start 1
	ms_start 2
	wait_for 30 ms_ping
	r0=$(ms_field 1 rekeys)
	for ((i = 0; i < 2 * $(nproc); i++)); do
		bash -c 'while :; do :; done' &
		hogs+=($!)
	done
	n1 ping -q -f -c 20000 -W 2 10.1.0.2 > "$ms_dir/flood" 2>&1 &
	flood=$!
	out=$(n1 ping -q -c 1000 -i 0.01 -W 2 10.1.0.2) || true
	wait "$flood" || true
	kill "${hogs[@]}"
	wait "${hogs[@]}" 2>/dev/null || true
	r1=$(($(ms_field 1 rekeys) - r0))
	echo "# RX SAs retired without proof: gw1 $(ms_field 1 retire_timeouts), gw2 $(ms_field 2 retire_timeouts); longest proof wait (ms): gw1 $(ms_field 1 proof_wait_max_ms), gw2 $(ms_field 2 proof_wait_max_ms)"
	ms_stop 1
	ms_stop 2
	read -r s1_ ok2_ s2_ ok1_ < <(settled_frame_counts)
	after=$(loss_counters)
	s1=$((s1_ - s1)) ok2=$((ok2_ - ok2)) s2=$((s2_ - s2)) ok1=$((ok1_ - ok1))
	echo "$out" | grep 'packets transmitted'
	grep 'packets transmitted' "$ms_dir/flood"
	echo "# rekeys $r1; gw1 sent $s1, gw2 accepted $ok2; gw2 sent $s2, gw1 accepted $ok1"
	echo "# counters before: $before"
	echo "# counters after: $after"
	if ((s1 != ok2 || s2 != ok1)); then
		ip1 -s macsec show macsec0
		ip2 -s macsec show macsec0
	fi
	((r1 >= 10))
	[[ $before == "$after" ]]
	((s1 == ok2 && s2 == ok1))
	[[ $out == *"1000 packets transmitted, 1000 received,"* ]]
	grep -q '20000 packets transmitted, 20000 received,' "$ms_dir/flood"
	ms_consistent
	restart
	wait_for 20 quiet
}

# A datagram that fails authentication changes nothing.
test_forged()
{
	local sas1 sas2 taken

	wait_for 10 quiet
	sas1=$(ms_sas n1)
	sas2=$(ms_sas n2)
	taken=$(ms_taken n1)
	head -c 112 /dev/urandom | n1 bash -c 'cat > /dev/udp/10.0.0.2/7370'
	wait_for 10 ms_is 2 forged = 1
	grep -q 'REJECTED a message that failed authentication' "$ms_dir/gw2.log"
	[[ $(ms_sas n1) == "$sas1" && $(ms_sas n2) == "$sas2" ]]
	[[ $(ms_taken n1) == "$taken" && $(ms_taken n2) == "$taken" ]]
}

# A genuine PREPARE, captured and sent again after its rekey: rejected.
# The capture's deadline is no clock of its own: once the rekey is done,
# its PREPARE has crossed veth0, and the sniffer (slow to start and to
# read under the debug kernel) has it or gets it from its socket's queue.
test_replayed()
{
	local sas1 sas2 taken before pid

	n2 python3 selftests/macsec/sniff.py veth0 "$ms_port" 2 "$ms_dir/prepare" 600 \
		> "$ms_dir/sniff.out" &
	pid=$!
	wait_for 120 grep -q listening "$ms_dir/sniff.out"
	before=$(ms_field 1 rekeys)
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 1 rekeys -gt "$before"
	if ! wait_for 60 test -s "$ms_dir/prepare"; then
		kill "$pid"
		echo "# no PREPARE captured; gw1 sent: $(grep -c 'sent PREPARE' "$ms_dir/gw1.log")"
	fi
	wait "$pid"
	wait_for 10 quiet
	sas1=$(ms_sas n1)
	sas2=$(ms_sas n2)
	taken=$(ms_taken n1)
	n1 bash -c "cat $ms_dir/prepare > /dev/udp/10.0.0.2/$ms_port"
	wait_for 10 ms_is 2 replayed = 1
	grep -q 'REJECTED a replayed or stale PREPARE' "$ms_dir/gw2.log"
	[[ $(ms_sas n1) == "$sas1" && $(ms_sas n2) == "$sas2" ]]
	[[ $(ms_taken n1) == "$taken" && $(ms_taken n2) == "$taken" ]]
	ms_ping 3
}

# Pools that disagree: the check values differ, nothing switches, the
# key is discarded at both ends and the link stays on its current key.
test_mismatched_pools()
{
	local key

	wait_for 10 quiet
	key=$(ms_encoding_key n1)
	n1 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	n2 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	ms_add_keys 1 mangle
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 2 key_mismatches -ge 1
	wait_for 10 ms_is 1 key_mismatches -ge 1
	grep -q 'KEY MISMATCH' "$ms_dir/gw1.log"
	grep -q 'KEY MISMATCH' "$ms_dir/gw2.log"
	[[ $(ms_encoding_key n1) == "$key" && $(ms_encoding_key n2) == "$key" ]]
	wait_for 10 ms_avail_is n1 0
	wait_for 10 ms_avail_is n2 0
	ms_ping 3
}

# A wrong key in one kernel: traffic stops, the daemon says so and rekeys.
test_wrong_key_in_kernel()
{
	local an mac1 bad

	wait_for 10 quiet
	ms_add_keys 20
	an=$(ip2 -j macsec show macsec0 | jq -r '.[0].encoding_sa')
	mac1=$(ip1 -br link show veth0 | awk '{ print $3 }')
	bad=$(rxsc_counter n2 InPktsNotValid)
	ip2 macsec set macsec0 rx port 1 address "$mac1" sa "$an" off
	ip2 macsec del macsec0 rx port 1 address "$mac1" sa "$an"
	ip2 macsec add macsec0 rx port 1 address "$mac1" sa "$an" pn 1 on \
		key "$(ms_encoding_key n2)" 000102030405060708090a0b0c0d0e0f
	# The daemon replaces the key within a tick or two: count, don't time.
	ms_ping 3 0.2 || true
	test "$(rxsc_counter n2 InPktsNotValid)" -gt "$bad"
	wait_for 20 grep -q 'FAILED VALIDATION' "$ms_dir/gw2.log"
	wait_for 30 ms_ping
	wait_for 10 quiet
}

# Out of keys: gw1 (block) stops transmitting at the end of the SA's
# lifetime, gw2 (keep) goes on; new keys bring the link back.
test_empty_pool()
{
	wait_for 10 quiet
	n1 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	n2 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	ms_stop 1
	ms_stop 2
	ms_config 1 "${base[@]}" rekey-interval=1s max-sa-lifetime=3s on-exhaustion=block
	ms_config 2 "${base[@]}" rekey-interval=1s max-sa-lifetime=3s on-exhaustion=keep
	ms_start 1
	ms_start 2
	wait_for 20 grep -q 'OUT OF KEYS' "$ms_dir/gw1.log"
	wait_for 20 ms_is 1 blocked = yes
	grep -q 'TRANSMISSION STOPPED' "$ms_dir/gw1.log"
	wait_for 20 grep -q 'STILL TRANSMITTING' "$ms_dir/gw2.log"
	ms_sas n1 | grep -q '^tx [0-3] [0-9a-f]* false$'
	ms_sas n2 | grep -q '^tx [0-3] [0-9a-f]* true$'
	! ms_ping 3 0.2 || false
	ms_add_keys 20
	wait_for 30 ms_ping
	[[ $(ms_field 1 blocked) == no ]]
	restart
	wait_for 20 quiet
}

# Keys owned by the follower are used too: the leader asks for them when
# it has none of its own.
test_both_owners()
{
	local i before

	wait_for 10 quiet
	n1 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	n2 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	ms_add_keys 4 alternate
	for i in 1 2 3 4; do
		before=$(ms_field 1 rekeys)
		kill -USR1 "$(ms_pid 1)"
		wait_for 20 ms_is 1 rekeys -gt "$before"
	done
	wait_for 10 quiet
	[[ $(ms_avail n1) == 0 && $(ms_avail n2) == 0 ]]
	ms_ping 3
	ms_add_keys 50
}

# The leader dies with a PREPARE out; the follower installs it later.
# The follower is stopped so that no READY comes, and the leader waits for
# one far longer than the test takes to see it in "prepare": with the
# baseline's 4 s a loaded machine (the debug kernel under TCG) could let
# the handshake time out between two status polls, and the leader would
# then be killed idle. It comes back on the baseline.
test_leader_killed()
{
	local t0

	ms_stop 1
	ms_config 1 "${base[@]}" handshake-timeout=10m
	ms_start 1
	wait_for 60 quiet
	kill -STOP "$(ms_pid 2)"
	kill -USR1 "$(ms_pid 1)"
	t0=$SECONDS
	if ! wait_for 120 ms_is 1 state = prepare; then
		echo "leader not in prepare: $(ms_admin 1 status)"
		return 1
	fi
	echo "leader in prepare after $((SECONDS - t0)) s"
	ms_stop 1 KILL
	ms_config 1 "${base[@]}"
	kill -CONT "$(ms_pid 2)"
	wait_for 60 ms_is 2 state = pending
	ms_start 1
	wait_for 60 quiet
	ms_ping 3
}

# The follower dies with its READY lost; the leader gives up and retries.
test_follower_killed()
{
	wait_for 10 quiet
	n2 tc qdisc add dev veth0 clsact
	n2 tc filter add dev veth0 egress protocol ip u32 \
		match ip protocol 17 0xff match ip dport "$ms_port" 0xffff action drop
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 2 state = pending
	ms_stop 2 KILL
	n2 tc qdisc del dev veth0 clsact
	ms_start 2
	wait_for 30 quiet
	ms_ping 3
}

# XPN (64-bit packet numbers): both directions share the SAK and salt and
# differ by SSCI; the daemon creates gw1's device with the cipher.
test_xpn()
{
	local before

	ms_stop 1
	ms_stop 2
	ip1 link del macsec0
	ip2 link del macsec0
	ip2 link add link veth0 macsec0 type macsec port 1 encrypt on \
		cipher gcm-aes-xpn-128
	ip2 addr add 10.1.0.2/24 dev macsec0
	ip2 link set macsec0 up
	ms_config 1 "${base[@]}" cipher=gcm-aes-xpn-128
	ms_config 2 "${base[@]}" cipher=gcm-aes-xpn-128
	ms_start 1
	ms_start 2
	wait_for 30 ms_ping
	[[ $(ip1 -j macsec show macsec0 | jq -r '.[0].cipher_suite') == GCM-AES-XPN-128 ]]
	before=$(ms_field 1 rekeys)
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 1 rekeys -gt "$before"
	wait_for 10 quiet
	ms_ping 3
	test "$(rxsc_counter n2 InPktsNotUsingSA)" = 0
}

# Keys trickle in (one pair every 2 s or slower) while the interval is 0.5 s:
# the rekeys follow the arrivals, and the clock never spends the reserve.
test_paced_by_key_rate()
{
	local i n=10 r0 r1 t0 elapsed a low=999 rate want ival l0

	wait_for 10 quiet
	n1 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	n2 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	ms_add_keys 5
	restart rekey-interval=500ms key-reserve=3
	wait_for 30 quiet
	l0=$(wc -l < "$ms_dir/gw1.log")
	r0=$(ms_field 1 rekeys)
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		ms_add_keys 1
		# The feeding rate itself (adding takes a second or more
		# under TCG), not a wait for the daemon.
		sleep 1
		a=$(ms_avail n1)
		((a < low)) && low=$a
	done
	elapsed=$((($(date +%s%N) - t0) / 1000000))
	r1=$(($(ms_field 1 rekeys) - r0))
	rate=$(ms_field 1 key_rate_mkps)
	ival=$(ms_field 1 interval_ms)
	want=$((n * 1000000 / elapsed))
	echo "# fed $n keys in $elapsed ms ($want mkeys/s); daemon: $rate mkeys/s, interval $ival ms"
	echo "# rekeys $r1, fewest keys left $low (reserve 3)"
	# Never below the reserve, never more rekeys than keys came in (+2:
	# the surplus), yet every arrival used (-3: one may be in flight).
	((low >= 3))
	((r1 <= n + 2 && r1 >= n - 3))
	# The measured rate is the feeding rate (the window also holds the
	# seconds before the feeding started), and the interval follows it.
	((rate * 10 >= want * 6 && rate * 10 <= want * 13))
	((ival * rate >= 700000 && ival * rate <= 1300000))
	! tail -n +"$((l0 + 1))" "$ms_dir/gw1.log" | grep -q 'draws on the key reserve' || false
	ms_ping 3
	ms_add_keys 50
	restart
	wait_for 20 quiet
}

# A follower whose clock runs ahead of the leader's asks for rekeys by it
# (here its key reserve is smaller, so it sees a surplus the leader does
# not; at a slow key rate the two ends' rate estimates differ alike): the
# leader keeps its reserve for needs. An operator's rekey at the follower
# is a need: that one draws on it.
test_follower_clock_ahead()
{
	local r0 a0 l0 asks

	wait_for 10 quiet
	n1 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	n2 "$qkdctl" pool key flush "$ms_stream" >/dev/null
	ms_add_keys 10
	ms_stop 1
	ms_stop 2
	ms_config 1 "${base[@]}" rekey-interval=500ms key-reserve=20
	ms_config 2 "${base[@]}" rekey-interval=500ms key-reserve=1
	ms_start 1
	ms_start 2
	wait_for 60 quiet
	r0=$(ms_field 1 rekeys)
	a0=$(ms_avail n1)
	l0=$(wc -l < "$ms_dir/gw1.log")
	# The follower's interval: 60 s / 9 keys of surplus + the handshake
	# timeout, about 11 s: it asks at least twice in 30 s.
	sleep 30
	asks=$(tail -n +"$((l0 + 1))" "$ms_dir/gw1.log" | grep -c 'got REKEY') || true
	echo "# follower asked $asks times; leader rekeys $r0 -> $(ms_field 1 rekeys), keys $a0 -> $(ms_avail n1)"
	((asks >= 1))
	[ "$(ms_field 1 rekeys)" = "$r0" ]
	[ "$(ms_avail n1)" = "$a0" ]
	! tail -n +"$((l0 + 1))" "$ms_dir/gw1.log" | grep -q 'draws on the key reserve' || false
	kill -USR1 "$(ms_pid 2)"
	wait_for 60 ms_is 1 rekeys -gt "$r0"
	wait_for 30 quiet
	tail -n +"$((l0 + 1))" "$ms_dir/gw1.log" | grep -q 'draws on the key reserve'
	ms_ping 3
	ms_add_keys 50
	restart
	wait_for 20 quiet
}

# scrape N: gwN's Prometheus metrics, over its UNIX socket.
scrape() { curl -sS --max-time 10 --unix-socket "$ms_dir/gw$1.metrics" http://localhost/metrics; }
sample() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

# metrics_match N: a scrape agrees with `qkdctl -j macsec status`.
metrics_match()
{
	local m="$ms_dir/gw$1.prom" j="$ms_dir/gw$1.status.json" f
	local l='{interface="macsec0"}'

	scrape "$1" >"$m" &&
		"$qkdctl" -j macsec status socket "$ms_dir/gw$1.sock" >"$j" || return 1
	for f in rekeys failures key_mismatches; do
		[ "$(sample "$m" "qkd_macsec_${f/failures/rekey_failures}_total$l")" = \
		  "$(jq -r ".[0].$f" "$j")" ] || return 1
	done
	for f in forged replayed; do
		[ "$(sample "$m" "qkd_macsec_control_${f}_total$l")" = \
		  "$(jq -r ".[0].$f" "$j")" ] || return 1
	done
	[ "$(sample "$m" "qkd_macsec_rx_sa_retire_timeouts_total$l")" = \
	  "$(jq -r '.[0].retire_timeouts' "$j")" ]
}

# Prometheus metrics after an operator's rekey: both ends agree with
# qkdctl -j; the leader's latency histogram counts its rekeys (since its
# start), the follower's none; no key ID appears; only /metrics is served;
# a stalled client holds nothing up.
test_metrics()
{
	local before m1="$ms_dir/gw1.prom" m2="$ms_dir/gw2.prom"
	local l='{interface="macsec0"}'

	wait_for 20 quiet
	before=$(ms_field 1 rekeys)
	kill -USR1 "$(ms_pid 1)"
	wait_for 20 ms_is 1 rekeys -gt "$before"
	wait_for 10 quiet
	wait_for 10 metrics_match 1
	wait_for 10 metrics_match 2
	grep -v '_bucket' "$m1"
	[ "$(sample "$m1" "qkd_macsec_rekey_duration_seconds_count$l")" = "$(ms_field 1 rekeys)" ]
	[ "$(sample "$m1" 'qkd_macsec_rekey_duration_seconds_bucket{interface="macsec0",le="+Inf"}')" = "$(ms_field 1 rekeys)" ]
	[ "$(sample "$m2" "qkd_macsec_rekey_duration_seconds_count$l")" = 0 ]
	grep -qx 'qkd_macsec_info{interface="macsec0",role="leader",stream="'"$ms_stream"'"} 1' "$m1"
	grep -qx 'qkd_macsec_info{interface="macsec0",role="follower",stream="'"$ms_stream"'"} 1' "$m2"
	grep -qx '# TYPE qkd_macsec_rekey_duration_seconds histogram' "$m1"
	[ "$(sample "$m1" "qkd_macsec_peer_synced$l")" = 1 ]
	! grep -Eiq '[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}' "$m1" "$m2" || false
	[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ms_dir/gw1.metrics" http://localhost/)" = 404 ]
	# A client stalled halfway through its request holds no scrape up.
	python3 "$top/selftests/lib/stalled-scrape.py" "$ms_dir/gw1.metrics"
}

# hold_on DELAY [NETEM-ARGS...]: gw1's MACsec frames, and only those (the
# control channel stays in order), through netem. False if this kernel
# lacks prio, matchall or netem. reorder_on: one in twenty held back 1.5 s,
# the rest sent at once.
hold_on()
{
	n1 tc qdisc add dev veth0 root handle 1: prio bands 3 \
		priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 &&
		n1 tc qdisc add dev veth0 parent 1:3 handle 30: netem \
			delay "$@" &&
		n1 tc filter add dev veth0 parent 1: protocol 0x88e5 prio 1 \
			matchall classid 1:3
}

hold_off() { n1 tc qdisc del dev veth0 root 2>/dev/null || true; }
reorder_on() { hold_on 1500ms reorder 95%; }
reorder_off() { hold_off; }

can_reorder()
{
	local ok=1

	modprobe -q sch_prio 2>/dev/null || true
	modprobe -q sch_netem 2>/dev/null || true
	modprobe -q cls_matchall 2>/dev/null || true
	reorder_on >/dev/null 2>&1 && ok=0
	reorder_off
	return $ok
}

# The leader's frames reordered by 1.5 s on the wire while the link
# rekeys every second. The kernel counts frames accepted behind a higher
# PN (InPktsDelayed) per RX SC, not per SA: a Delayed frame of the current
# SA once stood in for a held-back frame of an old SA, which was retired
# and its AN reused; the held-back frame then failed authentication
# (InPktsNotValid, one lost ping under the debug kernel). No loss counter
# moves, every ping is answered.
test_rekey_reordered()
{
	local before after out r0 r1

	restart rekey-interval=1s
	wait_for 30 ms_ping
	before=$(loss_counters)
	r0=$(ms_field 1 rekeys)
	reorder_on
	out=$(n1 ping -q -c 1500 -i 0.02 -W 5 10.1.0.2) || true
	# The frames netem holds back: in before it goes.
	sleep 3
	r1=$(($(ms_field 1 rekeys) - r0))
	echo "# RX SAs retired without proof: gw1 $(ms_field 1 retire_timeouts), gw2 $(ms_field 2 retire_timeouts)"
	ms_stop 1
	ms_stop 2
	reorder_off
	after=$(loss_counters)
	echo "$out" | grep 'packets transmitted'
	echo "# rekeys $r1; frames reordered at gw2: $(rxsc_counter n2 InPktsDelayed)"
	echo "# counters before: $before"
	echo "# counters after: $after"
	((r1 >= 3))
	[[ $before == "$after" ]]
	[[ $out == *"1500 packets transmitted, 1500 received,"* ]]
	restart
	wait_for 20 quiet
}

# gw1's frames held late on the wire (netem; the control channel is not
# held) and gw2's daemon stopped (SIGSTOP) right after a rekey, longer
# than gw2's safety timeout, as a host that holds a VM's vCPUs back stalls
# both the daemon and the softirqs that drain frames: gw2's old RX SA
# waits for the frames gw1 sent before its switch, 2.5 s after the daemon
# runs again. Counted on the wall clock, the safety timeout ended at the
# daemon's first tick after SIGCONT, before those frames came, and they
# were lost (InPktsNotUsingSA; InPktsNotValid once the AN came back with a
# new key). Counted in time the daemon ran (runclock.h), it waits: the
# frames come, the SA goes on proof, after a wait longer than the stall
# (which says the frames were that late).
sent_done_after() { (($(grep -c 'sent DONE' "$ms_dir/gw2.log") > $1)); }

test_rekey_starved()
{
	local before after out done0 ping pw safety stall

	restart
	wait_for 30 ms_ping
	wait_for 20 quiet
	# gw2's safety timeout (sa.c): 10 graces (3 s), >= 5 s, >= 4 proof waits
	pw=$(ms_field 2 proof_wait_max_ms)
	safety=$((4 * pw > 5000 ? 4 * pw : 5000))
	stall=$((safety + 1500))
	echo "# gw2's longest proof wait $pw ms, safety timeout $safety ms: stalled $stall ms, frames $((stall + 2500)) ms late"
	before=$(loss_counters)
	done0=$(grep -c 'sent DONE' "$ms_dir/gw2.log")
	hold_on "$((stall + 2500))ms"
	n1 ping -q -c 40 -i 0.1 -W $((stall / 1000 + 10)) 10.1.0.2 > "$ms_dir/starved" 2>&1 &
	ping=$!
	sleep 1
	kill -USR1 "$(ms_pid 1)"
	# gw2 sends DONE right after it switched and began to retire its old
	# RX SA: stopped then, within a poll (0.1 s) of it.
	wait_for 20 sent_done_after "$done0"
	kill -STOP "$(ms_pid 2)"
	sleep "$((stall / 1000)).$((stall % 1000 / 100))"
	kill -CONT "$(ms_pid 2)"
	wait "$ping" || true
	out=$(cat "$ms_dir/starved")
	wait_for 30 quiet
	echo "# gw2: RX SAs retired without proof $(ms_field 2 retire_timeouts), longest proof wait $(ms_field 2 proof_wait_max_ms) ms"
	grep -E 'RETIRED|retired RX SA|peer sealed' "$ms_dir/gw2.log" | tail -4
	hold_off
	after=$(loss_counters)
	echo "$out" | grep 'packets transmitted'
	echo "# counters before: $before"
	echo "# counters after: $after"
	[[ $before == "$after" ]]
	[[ $out == *"40 packets transmitted, 40 received,"* ]]
	ms_is 2 retire_timeouts = 0
	ms_is 2 proof_wait_max_ms -ge "$stall"
	restart
	wait_for 20 quiet
}

# Daemons down after a failed test: start them again for the next one.
# One a failed test left stopped (SIGSTOP) would never answer a status
# request, and the next test would hang on it: continue it first.
ensure_running()
{
	kill -CONT "$(ms_pid 1)" "$(ms_pid 2)" 2>/dev/null || true
	kill -0 "$(ms_pid 1)" 2>/dev/null && kill -0 "$(ms_pid 2)" 2>/dev/null &&
		return 0
	restart
}

daemons() { ensure_running; "$@"; }

tn=0
t()
{
	local name=$1
	shift
	tn=$((tn + 1))
	if [ -n "$only" ] && [[ " $only " != *" $tn "* ]]; then
		ktap_skip "$name" "not selected by QKD_MACSEC_ONLY"
	else
		local t0=$SECONDS
		ktap_test "$name" "$@"
		echo "# ($((SECONDS - t0)) s)"
	fi
}

ktap_plan 18
t "macsec: daemons key the link from the pool" test_bringup
t "macsec: rekey on demand (SIGUSR1)" test_rekey_on_demand
t "macsec: rekey every second for 30 s, no frame lost" test_rekey_every_second
t "macsec: forged control message rejected" daemons test_forged
t "macsec: replayed control message rejected" daemons test_replayed
t "macsec: mismatched pools detected, keys discarded" daemons test_mismatched_pools
t "macsec: wrong key in the kernel reported and replaced" daemons test_wrong_key_in_kernel
t "macsec: empty pool applies the policy (block/keep)" daemons test_empty_pool
t "macsec: keys owned by either end are used" daemons test_both_owners
t "macsec: leader killed mid-rekey, link recovers" daemons test_leader_killed
t "macsec: follower killed mid-rekey, link recovers" daemons test_follower_killed
t "macsec: XPN cipher suite, created and adopted" daemons test_xpn
t "macsec: rekeys paced by the key arrival rate" daemons test_paced_by_key_rate
t "macsec: rekey every 200 ms with every vCPU busy, no frame lost" daemons test_rekey_under_load
t "macsec: Prometheus metrics match qkdctl -j, latency histogram" daemons test_metrics
if can_reorder; then
	t "macsec: frames reordered by 1.5 s while rekeying every second, none lost" \
		daemons test_rekey_reordered
else
	tn=$((tn + 1))
	ktap_skip "macsec: frames reordered while rekeying, none lost" \
		"no netem, prio or matchall in this kernel"
fi
t "macsec: a follower's clock leaves the leader's key reserve alone" \
	daemons test_follower_clock_ahead
if can_reorder; then
	t "macsec: a receiver stalled past its safety timeout, frames late, none lost" \
		daemons test_rekey_starved
else
	tn=$((tn + 1))
	ktap_skip "macsec: a receiver stalled while frames come late, none lost" \
		"no netem, prio or matchall in this kernel"
fi
ktap_finish
