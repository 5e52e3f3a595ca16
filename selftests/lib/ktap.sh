# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Tiny KTAP emitter for shell suites: one test = one shell function, run
# under `set -e` in a subshell so the first failing command fails the test
# (and only that test). Output of a test is indented as "#" diagnostics.
#
#   . selftests/lib/ktap.sh
#   ktap_plan 3
#   ktap_test "macsec: static key ping" test_macsec_ping
#   ktap_skip "esp: ping" "esp4 not available"
#   ktap_finish        # exit status: 0 if nothing failed

ktap_n=0
ktap_failed=0

ktap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

ktap_test()
{
	local name=$1 rc
	shift
	ktap_n=$((ktap_n + 1))
	# A pipeline keeps errexit live inside the subshell; `if (...)` or
	# `(...) || x` would silently turn it off.
	(set -e; "$@") 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then
		echo "ok $ktap_n $name"
	else
		echo "not ok $ktap_n $name # exit status $rc"
		ktap_failed=$((ktap_failed + 1))
	fi
	return 0
}

ktap_skip()
{
	ktap_n=$((ktap_n + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

ktap_finish()
{
	exit $((ktap_failed > 0))
}

# Poll instead of sleeping: wait_for TIMEOUT_S CMD... succeeds as soon as
# CMD does, fails if it never does within TIMEOUT_S.
wait_for()
{
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}
