#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the test harness itself: every other suite trusts vm-run.sh to
# tell "the command failed" from "the VM hung" from "the kernel died" from
# "the kernel reported a bug", and ktap.sh to turn a failing command into
# "not ok". Runs on the host; boots five short VMs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/ktap.sh"
vmrun=$here/vm-run.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

test_status_passes_through()
{
	local rc=0

	# Debian's kernel, the checkout as the working directory; the kernel
	# log of a clean run holds no bug report.
	QKD_KREPORTS=1 "$vmrun" -t 120 -l "$tmp/a.log" sh -c \
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

# kreports.sh against sample logs (kreports/*.log) of each detector: each
# report found, with the trace that names the culprit; a clean boot log,
# with fault injection's messages, passes.
test_kreports_finds_reports()
{
	local kind out

	for kind in kasan kfence lockdep ubsan kmemleak warn; do
		out=$("$here/kreports.sh" "$here/kreports/$kind.log") && return 1
		[ "$(grep -c '^-------- kernel report' <<<"$out")" = 1 ]
		grep -q 'qkd_' <<<"$out"
	done
	# Two reports in one log are two reports; the first ends at its
	# closing line, not 40 lines later.
	out=$(cat "$here/kreports/kasan.log" "$here/kreports/kmemleak.log" |
		"$here/kreports.sh") && return 1
	[ "$(grep -c '^-------- kernel report' <<<"$out")" = 2 ]
	! grep -q 'stream "a" deleted' <<<"$out"
	out=$("$here/kreports.sh" "$here/kreports/clean.log")
	[ -z "$out" ]
}

# The same check in the guest: a report that reaches the kernel log during
# the command fails the run with status 122 and shows up in the output,
# even though the command passed. /dev/kmsg puts the report in the log as
# the kernel would.
test_kreport_is_122()
{
	local rc=0

	QKD_KREPORTS=1 "$vmrun" -t 120 sh -c \
		'echo "<3>BUG: KASAN: slab-out-of-bounds in qkd_harness_test+0x1/0x2" >/dev/kmsg' \
		>"$tmp/r.out" 2>&1 || rc=$?
	[ "$rc" = 122 ]
	grep -q 'BUG: KASAN: slab-out-of-bounds in qkd_harness_test' "$tmp/r.out"
}

# A failing command inside a ktap test must fail that test, even when
# followed by commands that succeed.
test_ktap_reports_failure()
{
	bash -c ". '$here/../lib/ktap.sh'; f() { false; true; }; ktap_test x f; ktap_finish" \
		>"$tmp/k.out" && return 1
	grep -q '^not ok 1 x' "$tmp/k.out"
}

# The instruction-count plugin (qkdcount.so, for cost-relay.sh) counts
# what the guest runs: a loop of 10^6 iterations between two marks costs
# at least 10^6 instructions, and more than a loop of 10^3.
test_plugin_counts()
{
	local d_small d_big

	rm -f "$tmp/count"
	QKD_VM_ACCEL=tcg QKD_VM_QEMU_ARGS=$plugin "$vmrun" -t 180 sh -c \
		'selftests/qemu/qkd-mark --loop 1000 &&
		 selftests/qemu/qkd-mark --loop 1000000'
	cat "$tmp/count"
	# Lines "1 N T" and "2 N T" of each loop, in order, then "0 N T" at exit.
	[ "$(cut -d' ' -f1 "$tmp/count" | paste -sd' ')" = "1 2 1 2 0" ]
	read -r d_small d_big < <(awk '$1 == 1 { a = $2 } $1 == 2 { printf "%d ", $2 - a } END { print "" }' \
		"$tmp/count")
	echo "loop of 10^3: $d_small instructions, of 10^6: $d_big"
	((d_big >= 1000000 && d_big > d_small && d_small > 0))
}

plugin=$("$here/qkdcount.sh" "$tmp/count") || plugin_skip=$plugin
ktap_plan 8
ktap_test "ktap: a failing command fails its test" test_ktap_reports_failure
ktap_test "kreports: finds each detector's report in a kernel log" test_kreports_finds_reports
ktap_test "vm-run: the command's exit status and serial log" test_status_passes_through
ktap_test "vm-run: the checkout is writable from the guest" test_checkout_is_writable
ktap_test "vm-run: a hung guest is killed, status 124" test_timeout_is_124
ktap_test "vm-run: a kernel panic gives status 125" test_panic_is_125
ktap_test "vm-run: a bug report in the kernel log gives status 122" test_kreport_is_122
if [ -n "${plugin_skip:-}" ]; then
	ktap_skip "qkdcount: counts the guest's instructions between marks" "$plugin_skip"
else
	ktap_test "qkdcount: counts the guest's instructions between marks" test_plugin_counts
fi
ktap_finish
