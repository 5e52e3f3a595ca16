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
ko=${1:-$top/kmod/qkdpool.ko}
bin=$top/build/pool
fails=0
passes=0

ok() { echo "ok - $*"; passes=$((passes + 1)); }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

cleanup()
{
	[ -n "${hold_pid-}" ] && kill "$hold_pid" 2>/dev/null
	rmmod qkdpool 2>/dev/null
}
trap cleanup EXIT

mem_used() { cat /sys/module/qkdpool/parameters/mem_used; }

# Polls up to ~5 s for a condition, instead of sleeping a fixed time.
wait_for()
{
	local _
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

taint_bad() { (( $(cat /proc/sys/kernel/tainted) & (512 | 128 | 16384 | 32) )); }

for t in netlink_test chardev_test qkd_hold; do
	[ -x "$bin/$t" ] || { echo "Bail out! $bin/$t missing: make -C selftests/pool"; exit 1; }
done
lsmod | grep -q '^qkdpool ' && rmmod qkdpool
insmod "$ko" || { echo "Bail out! insmod failed"; exit 1; }
check "device node is 0600 root" \
	[ "$(stat -c '%a %U' /dev/qkdpool)" = "600 root" ]

for t in netlink_test chardev_test; do
	echo "# running $t"
	if "$bin/$t"; then ok "$t"; else fail "$t"; fi
done

check "no key memory left after the tests" [ "$(mem_used)" = 0 ]

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
mem_zero() { [ "$(mem_used)" = 0 ]; }
check "netns exit frees all keys" wait_for mem_zero

# Unload with keys present: refused while a file is open, works after.
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
check "kernel not tainted W/D/L/B" eval '! taint_bad'

echo "# $passes passed, $fails failed"
[ "$fails" = 0 ]
