#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdpool kernel tests; run as root in the VM (selftests/qemu/vm-run.sh):
#   selftests/pool/test.sh [MODULE.ko]
# Loads the module, runs the kselftest binaries, then checks that the
# module unloads with keys present (after holders close), that a namespace
# exit frees its keys, and that the kernel logged no WARN/oops.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
qkd_ko=${1:-$top/kmod/qkdpool.ko}
. "$top/selftests/lib/module.sh"
bin=$top/build/pool
fails=0
passes=0

ok() { echo "ok - $*"; passes=$((passes + 1)); }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

cleanup()
{
	[ -n "${hold_pid-}" ] && kill "$hold_pid" 2>/dev/null
	qkd_unload 2>/dev/null
}
trap cleanup EXIT

. "$top/selftests/pool/lib.sh"

taint_bad() { (( $(cat /proc/sys/kernel/tainted) & (512 | 128 | 16384 | 32) )); }

for t in netlink_test chardev_test secret_test stress_test harden_test qkd_hold \
	 trace_probe; do
	[ -x "$bin/$t" ] || { echo "Bail out! $bin/$t missing: make -C selftests/pool"; exit 1; }
done
qkd_load || { echo "Bail out! insmod failed"; exit 1; }
check "device node is 0600 root" \
	[ "$(stat -c '%a %U' /dev/qkdpool)" = "600 root" ]

# The default netlink reservation timeout keeps the range of QKD_A_TIMEOUT.
param=/sys/module/qkdpool/parameters/resv_timeout_ms
set_param() { echo "$2" 2>/dev/null > "/sys/module/qkdpool/parameters/$1"; }
resv_param_range()
{
	! set_param resv_timeout_ms 0 && ! set_param resv_timeout_ms 3600001 &&
	[ "$(cat $param)" = 30000 ] && set_param resv_timeout_ms 3600000 &&
	set_param resv_timeout_ms 30000
}
check "resv_timeout_ms refuses values out of 1..3600000" resv_param_range

# mem_max is unsigned: its largest value means no cap.
mem_max_unsigned()
{
	local ret
	set_param mem_max 18446744073709551615 || return 1
	"$bin/trace_probe" mem-max-probe > /dev/null
	ret=$?
	set_param mem_max 268435456
	return $ret
}
check "mem_max above LONG_MAX does not refuse every key" mem_max_unsigned

for t in netlink_test chardev_test secret_test stress_test harden_test; do
	echo "# running $t"
	if "$bin/$t"; then ok "$t"; else fail "$t"; fi
done

# The tests' namespaces are torn down by a workqueue after they exit:
# under the debug kernel that can take seconds.
mem_zero() { [ "$(mem_used)" = 0 ]; }
WAIT_TRIES=600 check "no key memory left after the tests" wait_for mem_zero

# Tracepoints: emitted with stream names, key IDs and counts, never material.
tracefs=/sys/kernel/tracing
probe_out=$(mktemp)
trace_out=$(mktemp)
trace_run()
{
	[ -d $tracefs/events ] || mount -t tracefs nodev $tracefs || return 1
	[ -d $tracefs/events/qkdpool ] || return 1
	echo > $tracefs/trace
	echo 1 > $tracefs/events/qkdpool/enable
	"$bin/trace_probe" trace-probe > "$probe_out"
	local ret=$?
	echo 0 > $tracefs/events/qkdpool/enable
	cat $tracefs/trace > "$trace_out"
	return $ret
}
trace_has() { grep -q -- "$1" "$trace_out"; }
trace_counts()
{
	[ "$(grep -c 'qkd_key_add: stream=trace-probe id=' "$trace_out")" = 4 ] &&
	[ "$(grep -c 'qkd_key_take: stream=trace-probe' "$trace_out")" = 2 ] &&
	trace_has 'qkd_key_reserve: stream=trace-probe' &&
	trace_has 'qkd_key_commit: stream=trace-probe' &&
	trace_has 'qkd_keys_gone: stream=trace-probe why=flushed count=1'
}
trace_ids() { for id in $(awk '$1 == "id" { print $2 }' "$probe_out"); do trace_has "id=$id"; done; }
# Whole material in hex, and its first 8 bytes in any 2-digit grouping.
trace_no_material()
{
	local m
	for m in $(awk '$1 == "material" { print $2 }' "$probe_out"); do
		[ ${#m} = 64 ] || return 1
		! trace_has "$m" || return 1
		! grep -qiE "$(echo "${m:0:16}" | sed 's/../&[^0-9a-f]?/g')" "$trace_out" ||
			return 1
	done
}
check "tracepoints enabled and probe ran" trace_run
check "tracepoints emit adds, takes, reserve, commit, flush count" trace_counts
check "tracepoints carry the key IDs" trace_ids
check "tracepoints carry no key material" trace_no_material
rm -f "$probe_out" "$trace_out"

# A namespace that exits with keys (and a reservation) frees them.
coproc HOLD { exec unshare -n "$bin/qkd_hold" nsexit 1000; }
# shellcheck disable=SC2153 # set by coproc
hold_pid=$HOLD_PID
read -r line <&"${HOLD[0]}"
check "holder in a netns ready" [ "$line" = ready ]
check "keys accounted" [ "$(mem_used)" -gt 0 ]
kill "$hold_pid"
wait "$hold_pid" 2>/dev/null
hold_pid=
check "netns exit frees all keys" wait_for mem_zero

# Unload with keys present: refused while a file is open, works after.
# A built-in qkdpool (the debug kernel) cannot be unloaded.
unload_tests()
{
	coproc HOLD { exec "$bin/qkd_hold" unload 1000; }
	# shellcheck disable=SC2153 # set by coproc
	hold_pid=$HOLD_PID
	read -r line <&"${HOLD[0]}"
	check "holder ready" [ "$line" = ready ]
	check "rmmod refused while a file is open" eval '! rmmod qkdpool 2>/dev/null'
	kill "$hold_pid"
	wait "$hold_pid" 2>/dev/null
	hold_pid=
	check "rmmod with keys present" rmmod qkdpool
	check "module gone" eval '! lsmod | grep -q "^qkdpool "'
}
if qkd_builtin; then
	for t in "holder ready" "rmmod refused while a file is open" \
		 "rmmod with keys present" "module gone"; do
		ok "$t # SKIP qkdpool is built in"
	done
else
	unload_tests
fi
# The holders armed 1.5 s expiry and reservation timers: let them come
# due, so that a work left queued past netns exit or unload would run now
# (and oops) instead of after the test.
sleep 2
check "kernel not tainted W/D/L/B" eval '! taint_bad'

echo "# $passes passed, $fails failed"
[ "$fails" = 0 ]
