# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell helpers of the pool suites (test.sh, fuzz.sh), sourced.

mem_used() { cat /sys/module/qkdpool/parameters/mem_used; }

# Polls up to ~5 s (or $WAIT_TRIES * 50 ms) for a condition, instead of
# sleeping a fixed time.
wait_for()
{
	local _
	for _ in $(seq "${WAIT_TRIES:-100}"); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
