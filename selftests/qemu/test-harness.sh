#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the test harness itself: every other suite trusts vm-run.sh to
# tell "the command failed" from "the VM hung" from "the kernel died", and
# ktap.sh to turn a failing command into "not ok". Runs on the host; boots
# three short VMs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/ktap.sh"
vmrun=$here/vm-run.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

test_status_passes_through()
{
	local rc=0

	# Debian's kernel, the checkout as the working directory.
	"$vmrun" -t 120 -l "$tmp/a.log" sh -c \
		'[ "$(cat /proc/sys/kernel/osrelease)" = "$1" ] && [ "$PWD" = "$2" ] && exit 7' \
		sh "$("$here/../../scripts/kver.sh")" "$(cd "$here/../.." && pwd)" || rc=$?
	[ "$rc" = 7 ]
	# The serial log was kept, with the guest's result marker.
	grep -q '^QKDVM-RESULT 7$' "$tmp/a.log"
}

test_checkout_is_writable()
{
	local mark=build/harness-mark-$$

	rm -f "$mark"
	"$vmrun" -t 120 sh -c "echo \$(hostname) >$mark"
	[ "$(cat "$mark")" = qkdvm ]
	rm -f "$mark"
}

test_timeout_is_124()
{
	local rc=0

	"$vmrun" -t 12 sleep 600 >/dev/null 2>&1 || rc=$?
	[ "$rc" = 124 ]
}

test_panic_is_125()
{
	local rc=0

	"$vmrun" -t 120 sh -c 'echo c >/proc/sysrq-trigger; sleep 60' \
		>/dev/null 2>&1 || rc=$?
	[ "$rc" = 125 ]
}

# A failing command inside a ktap test must fail that test, even when
# followed by commands that succeed.
test_ktap_reports_failure()
{
	bash -c ". '$here/../lib/ktap.sh'; f() { false; true; }; ktap_test x f; ktap_finish" \
		>"$tmp/k.out" && return 1
	grep -q '^not ok 1 x' "$tmp/k.out"
}

ktap_plan 5
ktap_test "ktap: a failing command fails its test" test_ktap_reports_failure
ktap_test "vm-run: the command's exit status and serial log" test_status_passes_through
ktap_test "vm-run: the checkout is writable from the guest" test_checkout_is_writable
ktap_test "vm-run: a hung guest is killed, status 124" test_timeout_is_124
ktap_test "vm-run: a kernel panic gives status 125" test_panic_is_125
ktap_finish
