#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a relayed key costs the VM, in guest instructions: a count that
# repeats whatever else the host does, where the relay benchmark's
# keys/s and CPU shares under TCG do not. Run on the host, as root:
#
#   selftests/kmd/cost-relay.sh
#
# It boots one VM (TCG) with the instruction-count plugin of QEMU
# (selftests/qemu/qkdcount.c), which counts the instructions of the whole
# VM (kernel, four qkd-kmd, six qkd-simkme, the script) and writes the
# count when the guest runs selftests/qemu/qkd-mark. In the VM, the
# network of bench-relay.sh (line 1-2-3-4, far stream 1-4, [relay]
# window 32, status files on tmpfs), each quantity the difference of two
# marks, so that start-up cancels out:
#
# - fill: the three links filling from empty to $link_target keys each
#   (KMEs at 50,000 keys/s, link batches of 1024, no far stream; marked
#   with the KMEs stopped, then when the fill is over: it is too fast to
#   mark in flight): instructions per link key delivered into both ends'
#   pools (all six KMEs and four KMs, the KMEs' TLS sessions included);
# - idle: the same network full and doing nothing: instructions per
#   second (timers, status files), subtracted from the other spans as
#   their time's share; the spans poll with bash builtins alone (a
#   FIFO read's timeout, the status files matched in the shell), which
#   cost next to nothing;
# - counts: ten kmd-keys runs (one key count each, tens of millions of
#   instructions: ip netns exec, a dynamic program): subtracted for the
#   counts read inside the other spans at their marks;
# - relay, [relay] batch 16 then 1: the ends restarted with the far
#   stream, the links full and every KME stopped (SIGSTOP), so that no
#   fill runs while the far keys are counted: instructions per relayed
#   key over 3 hops, and the VM's instructions per host second (busy).
#
# Then the ceiling a CPU-bound VM sets: far keys/s = (VM instructions/s
# busy - idle/s) / (relay + (b + 1) / b x 3 hops x fill), against the
# limit the links set (link rate x b / (b + 1)) at 2,000, 10,000 and
# 50,000 link keys/s. Instruction counts are per block of guest code
# started (a block cut short by an interrupt counts whole); the
# instructions/s are the VM's under the plugin, which slows it. Not a
# test, not in make check or make bench: a measurement, no assertion.
# Marks and counts stay in build/bench/cost-relay/.
#
# QKD_COST_LINK_TARGET (30000), QKD_COST_KEYS16 (6000), QKD_COST_KEYS1
# (1000): a link's stock, and the far keys counted at batch 16 and 1.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/build/bench/cost-relay
link_target=${QKD_COST_LINK_TARGET:-30000}
keys16=${QKD_COST_KEYS16:-6000}
keys1=${QKD_COST_KEYS1:-1000}
mark=$top/selftests/qemu/qkd-mark

# Labels of the marks: a span is the pair LABEL, LABEL + 1.
FILL=1 IDLE=3 RELAY16=5 RELAY1=7 COUNTS=9
# kmd-keys runs inside each span (the counts at its marks, COUNTS' ten),
# whose instructions the COUNTS span measures and the others subtract.
CALLS_FILL=6 CALLS_RELAY=2 CALLS_COUNTS=10

# host: the VM run, then the table from its marks.
host()
{
	local args

	if ! args=$(selftests/qemu/qkdcount.sh "$out/counts"); then
		echo "# SKIP relay cost: $args"
		exit 0
	fi
	rm -rf "$out"
	mkdir -p "$out"
	QKD_VM_ACCEL=tcg QKD_VM_QEMU_ARGS=$args QKD_COST_GUEST=1 \
		selftests/qemu/vm-run.sh -t 3600 selftests/kmd/cost-relay.sh ||
		{ echo "# relay cost: the VM run failed"; exit 1; }
	table "$out/counts" "$out/labels"
}

# table COUNTS LABELS: COUNTS has the plugin's "label instructions ns"
# lines, LABELS the guest's at_mark lines: the key count at each mark is
# interpolated between the counts read just before and just after it
# (each taken at the middle of its read).
table()
{
	awk 'NR == FNR { i[$1] = $2; t[$1] = $3 / 1e9; next }
	     {
		ta = ($3 + $4) / 2; tb = ($7 + $8) / 2
		k[$1] = $2 + ($6 - $2) * (tb > ta ? ($5 - ta) / (tb - ta) : 0)
	     }
	     function d(a, x) { return x[a + 1] - x[a] }
	     END {
		idle = d(3, i) / d(3, t)
		call = (d(9, i) - idle * d(9, t)) / '"$CALLS_COUNTS"'
		fill = (d(1, i) - idle * d(1, t) - '"$CALLS_FILL"' * call) / d(1, k)
		printf "# relay cost: guest instructions (whole VM), line 1-2-3-4, far stream 1-4\n"
		printf "# link key filled (both ends, 6 KMEs, 4 KMs): %12.0f  (%d keys, %.1f s)\n",
			fill, d(1, k), d(1, t)
		printf "# idle, per second:                           %12.0f  (%.1f s)\n",
			idle, d(3, t)
		printf "# one kmd-keys count (subtracted per count):  %12.0f\n", call
		printf "# %5s %14s %12s %11s %12s %10s %10s\n", "batch",
			"instr/far key", "keys counted", "far keys/s", "VM instr/s",
			"ceiling/s", "per hop"
		for (b = 16; b >= 1; b -= 15) {
			s = (b == 16 ? 5 : 7)
			relay[b] = (d(s, i) - idle * d(s, t) - '"$CALLS_RELAY"' * call) / d(s, k)
			busy[b] = d(s, i) / d(s, t)
			cost = relay[b] + (b + 1) / b * 3 * fill
			ceil[b] = (busy[b] - idle) / cost
			per[b] = cost
			printf "# %5d %14.0f %12d %11.1f %12.3g %10.1f %10.0f\n", b,
				relay[b], d(s, k), d(s, k) / d(s, t), busy[b], ceil[b],
				relay[b] / 3
		}
		printf "# ceiling = (VM instr/s - idle/s) / (instr/far key + (b+1)/b x 3 x instr/link key)\n"
		printf "# needed: guest instructions/s to relay at the limit (idle/s + limit x that cost)\n"
		printf "# %8s %5s %10s %10s %8s %12s\n", "link/s", "batch", "limit/s",
			"ceiling/s", "ratio", "needed/s"
		split("2000 10000 50000", rate, " ")
		for (r = 1; r <= 3; r++)
			for (b = 16; b >= 1; b -= 15) {
				lim = rate[r] * b / (b + 1)
				printf "# %8d %5d %10.0f %10.1f %8.3f %12.3g\n", rate[r], b,
					lim, ceil[b], ceil[b] / lim, idle + lim * per[b]
			}
	     }' "$1" "$2"
}

[ -n "${QKD_COST_GUEST:-}" ] || { host; exit; }

# --- in the VM ---
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh
# shellcheck source=selftests/kmd/relay-lib.sh
. selftests/kmd/relay-lib.sh

# On the VM's tmpfs, as bench-relay.sh: the status files are rewritten
# every second.
work=/tmp/kmd-cost-relay
pki=/tmp/kmd-cost-relay-pki
kme_rate=50000
link_max=$((2 * link_target))
link_batch=1024
far_target=2000000
far_max=2000000
relay_window=32
nodes=4 edges="1-2 2-3 3-4" fars=""
declare -A faults=() extra_far=()

tmp_fifo=/tmp/cost-relay-tick.$$
for f in "$kmd" "$sim" "$keys" "$ko" "$mark"; do
	[ -e "$f" ] || { echo "# SKIP relay cost: $f not built"; exit 0; }
done
trap 'relay_cleanup; rm -f "$tmp_fifo"' EXIT
rm -rf "$pki"

# link_keys: link keys delivered so far, each counted once (at the master).
link_keys() { pair_keys "$edges"; }
# at_least N CMD...: CMD prints N or more (for wait_for, which runs CMD
# anew each time).
at_least() { local n=$1; shift; (($("$@") >= n)); }
# full: every link at its target, at both ends.
full()
{
	local e

	for e in $edges; do
		(($(pool_keys "${e%-*}" "${e#*-}") >= link_target - link_batch)) &&
			(($(pool_keys "${e#*-}" "${e%-*}") >= link_target - link_batch)) ||
			return 1
	done
}

# at_mark LABEL COUNT...: mark LABEL between two runs of COUNT (a key
# count), and write "LABEL a t0 t1 tm b t2 t3" to $out/labels: COUNT's a
# between guest times t0 and t1, the mark at tm, COUNT's b between t2 and
# t3. The host interpolates the count at the mark: in a busy VM a count
# takes a while and keys move meanwhile.
at_mark()
{
	local label=$1 a b t0 t1 tm t2
	shift

	t0=$EPOCHREALTIME
	a=$("$@")
	t1=$EPOCHREALTIME
	tm=$EPOCHREALTIME
	"$mark" "$label"
	t2=$EPOCHREALTIME
	b=$("$@")
	echo "$label $a $t0 $t1 $tm $b $t2 $EPOCHREALTIME" >>"$out/labels"
}

# poll SECONDS DONE: once a second, until DONE succeeds, at most SECONDS.
# Bash builtins only (a read timing out on a FIFO, the status files read
# and matched in the shell): a poll costs next to nothing, whatever the
# VM's speed, where a kmd-keys run costs tens of millions of instructions.
poll()
{
	local end=$((SECONDS + $1))

	while ((SECONDS < end)); do
		read -r -t 1 -u "$tick" _
		"$2" && return
	done
	echo "# $2: not within $1 s" >&2
}
# status_keys I: the "keys" counts of node I's status file, in order
# (links, then the far stream's), into the array $counts.
status_keys()
{
	local s=

	counts=()
	read -r -d '' s <"$work/$1.status.json"
	while [[ $s =~ \"keys\":\ ([0-9]+)(.*) ]]; do
		counts+=("${BASH_REMATCH[1]}")
		s=${BASH_REMATCH[2]}
	done
}
# filled: every link full at both ends, as the status files say (no far
# stream meanwhile: every "keys" is a link's).
filled()
{
	local i n

	for i in $(seq "$nodes"); do
		status_keys "$i"
		((${#counts[@]})) || return 1
		for n in "${counts[@]}"; do
			((n >= link_target - link_batch)) || return 1
		done
	done
}
# relayed: node 1's far stream (its last "keys") reached $goal keys.
relayed() { status_keys 1; ((${counts[-1]:-0} >= goal)); }
never() { return 1; }
none() { echo 0; }
# link12: keys added to the link 1-2, as at node 1.
link12() { added 1 2; }

# ends FARS BATCH: restart both ends' key managers with the far streams
# FARS ("" for none) and [relay] batch BATCH; the pools keep their keys.
ends()
{
	local i

	fars=$1 relay_batch=$2
	for i in 1 4; do
		kill "$(pidof_ "kmd-$i")"
		wait_for 20 gone "$(pidof_ "kmd-$i")"
		write_conf "$i"
		start_kmd "$i"
	done
	wait_for 120 links_up || { echo "# links not up"; return 1; }
}

# kmes SIGNAL: SIGNAL to every KME (STOP: no fill while relays count).
kmes()
{
	local f

	for f in "$work"/kme-*.pid; do kill "-$1" "$(cat "$f")"; done
}

# relay_span LABEL BATCH KEYS: far stream 1-4 at [relay] batch BATCH on
# full links with every KME stopped, KEYS far keys counted.
relay_span()
{
	kmes STOP
	ends "1-4" "$2" || return 1
	wait_for 120 routes_up || { echo "# no route"; return 1; }
	# Relays under way before the count starts.
	wait_for 120 at_least $(($(far_keys) + 4 * $2)) far_keys || true
	status_keys 1
	goal=$((${counts[-1]:-0} + $3))
	at_mark "$1" far_keys
	poll 300 relayed
	at_mark $(($1 + 1)) far_keys
}

# refill: no far stream, the KMEs running, until every link is full.
refill()
{
	ends "" 16 || return 1
	kmes CONT
	wait_for 600 full || { echo "# links not full"; return 1; }
}

progress() { echo "cost-relay: ${SECONDS}s: $*" >&2; }

mkdir -p "$out"
: >"$out/labels"
mkfifo "$tmp_fifo"
exec {tick}<>"$tmp_fifo"
topology
# The links fill from (nearly) empty once all are up, between two marks
# where nothing moves: under TCG the first link up would be full before
# the last, and the fill is too fast to mark in flight.
kmes STOP
wait_for 300 links_up || { echo "# links not up"; exit 1; }
progress "links up"
sleep 3
at_mark $FILL link_keys
kmes CONT
poll 600 filled
at_mark $((FILL + 1)) link_keys
progress "fill measured"
wait_for 600 full || { echo "# links not full"; exit 1; }
sleep 5
at_mark $IDLE none
poll 20 never 2>/dev/null
at_mark $((IDLE + 1)) none
at_mark $COUNTS none
for _ in $(seq $CALLS_COUNTS); do link12 >/dev/null; done
at_mark $((COUNTS + 1)) none
progress "idle and counts measured"
relay_span $RELAY16 16 "$keys16" || exit 1
progress "batch 16 measured"
refill || exit 1
relay_span $RELAY1 1 "$keys1" || exit 1
progress "batch 1 measured"
