#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdctl's command line on the host (no module needed: arguments are parsed
# before the kernel is contacted): help and version exit 0, every usage
# error exits 2 with one line of reason and one line of hint.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/lib/ktap.sh"
q=$top/userspace/qkdctl/qkdctl
err=$(mktemp)
trap 'rm -f "$err"' EXIT

# expect_usage ARGS...: exit 2, a reason line, then the group's hint.
expect_usage()
{
	local rc=0

	"$q" "$@" >/dev/null 2>"$err" || rc=$?
	cat "$err"
	[[ $rc == 2 ]]
	[[ $(wc -l <"$err") == 2 ]]
	[[ $(sed -n 1p "$err") == "qkdctl: "* ]]
	grep -qE "^Try 'qkdctl (pool help|--help)'\.$" "$err"
}

test_help()
{
	"$q" --help | grep -q '^Usage: qkdctl'
	"$q" -h | grep -q 'pool'
	"$q" pool help | grep -q 'pool key take STREAM'
	[[ $("$q" -V) == "qkdctl "* ]]
	[[ $("$q" --version) == "qkdctl "* ]]
}

test_no_args()
{
	local rc=0

	"$q" >/dev/null 2>"$err" || rc=$?
	[[ $rc == 2 ]]
	grep -q '^Usage: qkdctl' "$err"
}

test_bad_group()
{
	expect_usage nosuchgroup
	expect_usage --nosuchoption pool show
	grep -q "Try 'qkdctl --help'" "$err"
}

test_bad_commands()
{
	expect_usage pool frobnicate
	expect_usage pool stream
	expect_usage pool stream rename a
	expect_usage pool stream add
	expect_usage pool key
	expect_usage pool key grab s
	expect_usage pool key take
	expect_usage pool show a b
}

test_bad_values()
{
	expect_usage pool stream add s lifetime 10x
	grep -q 'invalid lifetime "10x"' "$err"
	expect_usage pool stream add s lifetime 1194h
	expect_usage pool stream add s max-keys -1
	expect_usage pool stream add s max-keys 4294967296
	expect_usage pool stream add s low-watermark ten
	expect_usage pool stream add "$(printf 'x%.0s' {1..64})"
	expect_usage pool stream add ""
	expect_usage pool key add s random 0
	expect_usage pool key add s random 5 size 15
	expect_usage pool key add s random 5 size 65
	expect_usage pool key add s random 5 owner nobody
	expect_usage pool key add s bogus 5
	expect_usage pool key flush s everything
	expect_usage pool watch count 0
	expect_usage pool watch timeout soon
}

test_bad_key_ids()
{
	expect_usage pool key take s id 1234
	grep -q 'UUID' "$err"
	expect_usage pool key take s id 123e4567-e89b-12d3-a456-42661417400g
	expect_usage pool key commit s id 123e4567e89b12d3a45642661417400
	expect_usage pool key release s 123e4567-e89b-12d3-a456-426614174000
	expect_usage pool key commit s
}

test_structure()
{
	expect_usage pool stream add s max-keys 1 max-keys 2
	grep -q 'given twice' "$err"
	expect_usage pool stream add s max-keys
	grep -q 'needs a value' "$err"
	expect_usage pool stream set s
	expect_usage pool stream del s max-keys 3
	expect_usage pool key take s timeout 5s
	expect_usage pool key take s reserve timeout 0
	expect_usage pool key take s reserve timeout 2h
	expect_usage pool key add s file f size 32
	expect_usage pool key add s file f mirror g
}

ktap_plan 7
if [ ! -x "$q" ]; then
	for t in help no_args bad_group bad_commands bad_values bad_key_ids structure; do
		ktap_skip "qkdctl cli: $t" "qkdctl not built"
	done
	exit 0
fi
ktap_test "qkdctl cli: --help, -V and pool help exit 0" test_help
ktap_test "qkdctl cli: no arguments prints usage, exit 2" test_no_args
ktap_test "qkdctl cli: unknown group or option, exit 2" test_bad_group
ktap_test "qkdctl cli: unknown or incomplete commands, exit 2" test_bad_commands
ktap_test "qkdctl cli: bad numbers, durations, names, sizes, exit 2" test_bad_values
ktap_test "qkdctl cli: bad key IDs, exit 2" test_bad_key_ids
ktap_test "qkdctl cli: duplicate, missing and misplaced keywords, exit 2" test_structure
ktap_finish
