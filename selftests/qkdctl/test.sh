#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdctl end to end against the real module (run in the VM): streams, keys
# filled at two gateways from one random set and its mirror, ownership,
# reserve/commit/release, flush, JSON, events, errors and privilege.
#
#   +---------- gw1 ----------+          +---------- gw2 ----------+
#   | pool: stream "link"     |  mirror  | pool: stream "link"     |
#   |  key add random ... ----+--file--->+-- key add file ...      |
#   +-------------------------+          +-------------------------+
#
# Each network namespace has its own pool, so the two gateways are two
# netns of one VM (selftests/lib/topo.sh). First, libqkd_test (C,
# kselftest harness) checks the library itself against the module.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/lib/ktap.sh"
. "$top/selftests/lib/topo.sh"
cd "$top" || exit 1

q=$top/userspace/qkdctl/qkdctl
. "$top/selftests/lib/module.sh"
tests=(streams json_values kernel_errors mirror_pair ownership reserve
	flush add_errors batches events unprivileged)
declare -A titles=(
	[streams]="stream add, show, set and del"
	[json_values]="JSON output parses and carries the right values"
	[kernel_errors]="kernel rejections exit 1 with the kernel's reason"
	[mirror_pair]="mirror file fills the peer: same IDs, owners swapped, same material"
	[ownership]="take next gives local keys only; take by ID peer keys only"
	[reserve]="reserve, release and commit"
	[flush]="flush by owner and all"
	[add_errors]="bad files, existing mirror, full stream: nothing lost"
	[batches]="add and mirror more keys than one netlink batch"
	[events]="watch sees stream, low-watermark and exhausted events"
	[unprivileged]="an unprivileged user gets a clear permission error"
)

q1() { n1 "$q" "$@"; }
q2() { n2 "$q" "$@"; }

# field WRAPPER STREAM FIELD: one value of "pool show -j STREAM".
field() { $1 -j pool show "$2" | jq -r ".[0].$3"; }

# fails RC PATTERN CMD...: CMD exits RC and its stderr matches PATTERN.
fails()
{
	local want=$1 pattern=$2 rc=0
	shift 2

	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	cat "$tmp/err"
	[[ $rc == "$want" ]]
	grep -qE -- "$pattern" "$tmp/err"
}

gone() { ! kill -0 "$1" 2>/dev/null; }

cleanup()
{
	topo_cleanup
	qkd_unload 2>/dev/null
	rm -rf "$tmp"
}

test_streams()
{
	q1 pool stream add s max-keys 100 low-watermark 5 lifetime 1h
	q1 pool show | grep -E '^s +0 +0 +0 +100 +5 +1h '
	q1 pool stream set s max-keys 200 lifetime 90s
	q1 pool show s | grep -E '^s +0 +0 +0 +200 +5 +90s '
	q1 pool stream add t
	[[ $(q1 -j pool show | jq length) == 2 ]]
	q1 pool stream del s
	[[ $(q1 -j pool show | jq -r '.[].name') == t ]]
	fails 1 'No such file or directory' q1 pool show s
	q1 pool stream del t
	# The other gateway's pool is not this one.
	[[ $(q2 -j pool show | jq length) == 0 ]]
}

test_json_values()
{
	local out

	q1 pool stream add j max-keys 10 low-watermark 3 lifetime 2m
	out=$(q1 -j pool show j)
	jq -e 'type == "array" and length == 1' <<<"$out"
	jq -e '.[0] | .name == "j" and .max_keys == 10 and
		.low_watermark == 3 and .lifetime_ms == 120000 and
		.avail_local == 0 and .added == 0' <<<"$out"
	out=$(q1 -j pool key add j random 4 owner alternate)
	jq -e '.stream == "j" and .added == 4' <<<"$out"
	jq -e '.[0] | .avail_local == 2 and .avail_peer == 2 and .added == 4' \
		<<<"$(q1 -j pool show j)"
	out=$(q1 -j pool key take j)
	jq -e '.owner == "local" and .length == 32 and .reserved == false and
		(.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")) and
		.lifetime_ms > 0 and .lifetime_ms <= 120000 and
		(has("material") | not)' <<<"$out"
	# Material only when asked for, in either output form.
	q1 pool key add j random 2 owner local >/dev/null
	out=$(q1 pool key take j)
	[[ $out == "key "*" owner local lifetime "*" length 32" ]]
	[[ $(wc -l <<<"$out") == 1 ]]
	out=$(q1 pool key take j --show-material)
	[[ $(sed -n 2p <<<"$out") =~ ^material\ [0-9a-f]{64}$ ]]
	out=$(q1 -j pool key flush j)
	jq -e '.stream == "j" and .flushed == 3' <<<"$out"
	jq -e '.[0] | .taken == 3 and .added == 6' <<<"$(q1 -j pool show j)"
	q1 pool stream del j
}

test_kernel_errors()
{
	q1 pool stream add k
	fails 1 '^qkdctl: cannot add stream "k": File exists \(kernel: .*stream exists\)$' \
		q1 pool stream add k
	fails 1 'Invalid argument \(kernel: .+\)' q1 pool stream add 'bad name'
	fails 1 'Numerical result out of range|Invalid argument' \
		q1 pool stream add z max-keys 0
	grep -q 'kernel: ' "$tmp/err"
	fails 1 'No such file or directory \(kernel: .*no such stream' \
		q1 pool key add nostream random 1
	fails 1 'Resource temporarily unavailable \(kernel: .*no local-owned key' \
		q1 pool key take k
	fails 1 'No such file' q1 pool key commit k id 00000000-0000-4000-8000-000000000000
	[[ $(field q1 k added) == 0 ]]
	q1 pool stream del k
	fails 1 'No such file' q1 pool stream del k
}

# take_pair FROM TO STREAM: take the next key at FROM, the same ID at TO,
# and compare owners and material (human output: no jq, which is slow
# to start under TCG).
take_pair()
{
	local from=$1 to=$2 stream=$3 id owner_a owner_b mat_a mat_b x

	{ read -r x id x owner_a x; read -r x mat_a; } < <($from --show-material pool key take "$stream")
	{ read -r x x x owner_b x; read -r x mat_b; } < <($to --show-material pool key take "$stream" id "$id")
	[[ $owner_a == local && $owner_b == peer ]]
	[[ $mat_a =~ ^[0-9a-f]{64}$ ]]
	[[ $mat_a == "$mat_b" ]]
}

test_mirror_pair()
{
	local i

	q1 pool stream add link
	q2 pool stream add link
	q1 pool key add link random 12 owner alternate mirror "$tmp/m" lifetime 1h |
		grep -q "added 12 keys to link; mirror"
	[[ $(stat -c '%a %s' "$tmp/m") == "600 1152" ]]
	q2 pool key add link file "$tmp/m" | grep -q 'added 12 keys to link'
	for n in q1 q2; do
		[[ $(field $n link avail_local) == 6 ]]
		[[ $(field $n link avail_peer) == 6 ]]
	done
	for i in $(seq 6); do
		take_pair q1 q2 link
		take_pair q2 q1 link
	done
	for n in q1 q2; do
		$n -j pool show link | jq -e '.[0] | .avail_local == 0 and
			.avail_peer == 0 and .taken == 12'
	done
	shred -u "$tmp/m" 2>/dev/null || rm -f "$tmp/m"
	q1 pool stream del link
	q2 pool stream del link
}

test_ownership()
{
	local id

	q1 pool stream add o
	q1 pool key add o random 6 owner peer mirror "$tmp/o"
	fails 1 'no local-owned key' q1 pool key take o
	q1 pool key add o random 3 owner local
	for _ in 1 2 3; do
		[[ $(q1 -j pool key take o | jq -r .owner) == local ]]
	done
	fails 1 'no local-owned key' q1 pool key take o
	# IDs of keys that are local-owned here: those of the mirror at gw2.
	q2 pool stream add o
	q2 pool key add o file "$tmp/o"
	id=$(q2 -j pool key take o | jq -r .id)
	# gw1 holds that ID as peer-owned: take by ID works once, then not.
	[[ $(q1 -j pool key take o id "$id" | jq -r .owner) == peer ]]
	fails 1 'No such file' q1 pool key take o id "$id"
	# A local-owned key cannot be taken by ID (and stays).
	q1 pool key add o random 1 owner local
	id=$(q1 -j pool key take o reserve | jq -r .id)
	q1 pool key release o id "$id"
	fails 1 'Permission denied \(kernel: .*local-owned' q1 pool key take o id "$id"
	[[ $(field q1 o avail_local) == 1 ]]
	q1 pool stream del o
	q2 pool stream del o
}

test_reserve()
{
	local a b id

	q1 pool stream add r
	q1 pool key add r random 2
	a=$(q1 -j pool key take r reserve timeout 10m)
	jq -e '.reserved == true and .timeout_ms == 600000 and
		.owner == "local"' <<<"$a"
	id=$(jq -r .id <<<"$a")
	[[ $(field q1 r reserved) == 1 ]]
	[[ $(field q1 r avail_local) == 1 ]]
	q1 pool key release r id "$id"
	[[ $(field q1 r reserved) == 0 ]]
	[[ $(field q1 r avail_local) == 2 ]]
	# A released key goes back to the head of the take-next order.
	b=$(q1 -j pool key take r reserve)
	[[ $(jq -r .id <<<"$b") == "$id" ]]
	q1 pool key commit r id "$id"
	[[ $(field q1 r reserved) == 0 ]]
	[[ $(field q1 r avail_local) == 1 ]]
	[[ $(field q1 r taken) == 1 ]]
	fails 1 'No such file or directory \(kernel: .*not reserved' \
		q1 pool key commit r id "$id"
	fails 1 'No such file' q1 pool key release r id "$id"
	# Uppercase and 32-digit forms name the same key.
	id=$(q1 -j pool key take r reserve | jq -r .id)
	q1 pool key release r id "$(tr -d - <<<"${id^^}")"
	[[ $(field q1 r avail_local) == 1 ]]
	q1 pool stream del r
}

test_flush()
{
	q1 pool stream add f
	q1 pool key add f random 3 owner local
	q1 pool key add f random 2 owner peer
	[[ $(q1 -j pool key flush f peer | jq .flushed) == 2 ]]
	[[ $(field q1 f avail_peer) == 0 ]]
	[[ $(field q1 f avail_local) == 3 ]]
	q1 pool key add f random 4 owner peer
	[[ $(q1 -j pool key flush f local | jq .flushed) == 3 ]]
	q1 pool key flush f | grep -q '^flushed 4 keys from f$'
	[[ $(field q1 f avail_peer) == 0 ]]
	q1 pool stream del f
}

test_add_errors()
{
	q1 pool stream add e max-keys 5
	head -c 100 /dev/zero >"$tmp/short"
	fails 1 'not a whole number of 96-byte' q1 pool key add e file "$tmp/short"
	head -c 192 /dev/zero >"$tmp/zero"
	fails 1 'record 0: material length' q1 pool key add e file "$tmp/zero"
	fails 1 'cannot open' q1 pool key add e file "$tmp/absent"
	# The mirror is never overwritten.
	echo keep >"$tmp/exists"
	fails 1 'cannot create mirror file.*File exists' \
		q1 pool key add e random 1 mirror "$tmp/exists"
	[[ $(cat "$tmp/exists") == keep ]]
	# A full stream refuses the batch; the mirror is removed with it.
	q1 pool key add e random 3
	fails 1 'No space left on device \(kernel: .*full' \
		q1 pool key add e random 3 mirror "$tmp/full"
	[[ ! -e "$tmp/full" ]]
	[[ $(field q1 e avail_local) == 3 ]]
	# A request is atomic: a file that does not fit adds nothing.
	q1 pool key add e random 2 mirror "$tmp/two"
	q2 pool stream add e max-keys 1
	fails 1 'No space left' q2 pool key add e file "$tmp/two"
	[[ $(field q2 e added) == 0 ]]
	[[ $(field q1 e added) == 5 ]]
	q1 pool stream del e
	q2 pool stream del e
}

test_batches()
{
	local a id

	q1 pool stream add b
	q2 pool stream add b
	q1 -j pool key add b random 2500 size 64 owner alternate mirror "$tmp/b" |
		jq -e '.added == 2500'
	[[ $(stat -c %s "$tmp/b") == $((2500 * 96)) ]]
	q2 -j pool key add b file "$tmp/b" lifetime 5m | jq -e '.added == 2500'
	[[ $(field q1 b avail_local) == 1250 ]]
	[[ $(field q2 b avail_peer) == 1250 ]]
	a=$(q2 -j --show-material pool key take b)
	jq -e '.length == 64 and .lifetime_ms <= 300000' <<<"$a"
	id=$(jq -r .id <<<"$a")
	[[ $(q1 -j --show-material pool key take b id "$id" | jq -r .material) == \
		$(jq -r .material <<<"$a") ]]
	q1 pool stream del b
	q2 pool stream del b
}

test_events()
{
	local pid

	q1 -j pool watch stream w count 4 timeout 120 >"$tmp/ev" 2>"$tmp/everr" &
	pid=$!
	wait_for 30 grep -q watching "$tmp/everr"
	q1 pool stream add other
	q1 pool stream add w low-watermark 2
	q1 pool key add w random 3
	q1 pool key take w >/dev/null
	q1 pool key take w >/dev/null
	q1 pool key take w >/dev/null
	! q1 pool key take w 2>/dev/null || false
	q1 pool stream del w
	q1 pool stream del other
	wait "$pid"
	cat "$tmp/ev"
	[[ $(wc -l <"$tmp/ev") == 4 ]]
	jq -se '.[0] == {"event": "stream-new", "stream": "w"}' "$tmp/ev"
	jq -se '.[1] | .event == "low-watermark" and .stream == "w" and
		.low_watermark == 2 and .avail_local < 2' "$tmp/ev"
	jq -se '.[2] | .event == "exhausted" and .avail_local == 0' "$tmp/ev"
	jq -se '.[3] == {"event": "stream-del", "stream": "w"}' "$tmp/ev"
	# Human lines; SIGINT ends a watch with status 0. (ip netns exec
	# execs qkdctl, so $! is qkdctl itself.)
	ip netns exec "$gw1" "$q" pool watch >"$tmp/ev" 2>"$tmp/everr" &
	pid=$!
	wait_for 30 grep -q watching "$tmp/everr"
	q1 pool stream add h low-watermark 1
	wait_for 30 grep -qx 'stream-new h' "$tmp/ev"
	q1 pool key add h random 1 >/dev/null
	q1 pool key take h >/dev/null
	wait_for 30 grep -qx 'low-watermark h low-watermark 1 local 0 peer 0' "$tmp/ev"
	q1 pool stream del h
	wait_for 30 grep -qx 'stream-del h' "$tmp/ev"
	kill -INT "$pid"
	wait_for 30 gone "$pid" || { kill -KILL "$pid"; false; }
	wait "$pid"
	# A timeout reached before count events exits 1.
	fails 1 'timeout after 0 of 1 events' q1 pool watch stream none count 1 timeout 1
}

test_unprivileged()
{
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

	q1 pool stream add u
	q1 pool key add u random 1
	fails 1 'Operation not permitted.*CAP_NET_ADMIN' n1 "${nobody[@]}" "$q" pool stream add x
	fails 1 'Operation not permitted.*CAP_NET_ADMIN' n1 "${nobody[@]}" "$q" pool key take u
	fails 1 'Operation not permitted' n1 "${nobody[@]}" "$q" pool key flush u
	# Counts and events tell when keys are used: they need CAP_NET_ADMIN too.
	fails 1 'Operation not permitted' n1 "${nobody[@]}" "$q" pool show u
	fails 1 'Operation not permitted' n1 "${nobody[@]}" "$q" pool watch timeout 1
	[[ $(field q1 u avail_local) == 1 ]]
	q1 pool stream del u
}

if [ ! -e "$qkd_ko" ] || [ ! -x "$q" ]; then
	ktap_plan ${#tests[@]}
	for t in "${tests[@]}"; do
		ktap_skip "qkdctl: ${titles[$t]}" "kmod/qkdpool.ko or qkdctl not built"
	done
	exit 0
fi
tmp=$(mktemp -d)
trap cleanup EXIT
qkd_load
lib_rc=0
if [ -x "$here/libqkd_test" ]; then
	"$here/libqkd_test" || lib_rc=1
	echo "# libqkd_test: $SECONDS s"
fi
topo_setup
ktap_plan ${#tests[@]}
for t in "${tests[@]}"; do
	start=$SECONDS
	ktap_test "qkdctl: ${titles[$t]}" "test_$t"
	echo "# $t: $((SECONDS - start)) s"
done
((lib_rc == 0)) || exit 1
ktap_finish
