#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The libFuzzer targets of selftests/fuzz (make check's `fuzz` suite):
#
#   run.sh [TARGET...]                   each over its committed corpus,
#                                        then a short run (SHORT_S seconds)
#   run.sh --campaign SECONDS [TARGET...]   a long run of each, at nice 15
#                                        (FUZZ_NICE), growing
#                                        build/fuzz/corpus/TARGET;
#                                        FUZZ_RUNS caps its executions
#
# A short run mutates a scratch copy of the committed corpus, so that the
# suite does not wander. Any report (ASan, UBSan, a failed check of a
# target, a crash) is a failure; its input lands in build/fuzz/artifacts/.
# Fix the code, then commit the input into corpus/TARGET/ as regress-*.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/fuzz
all=(etsi014_reply etsi014_request http_parse kx kmd_conf psk macsecd_conf
     macsecd_ctrl macsecd_admin plugin qkdctl prom)
# Twelve targets at 6 s each keep the suite within two minutes.
short=${SHORT_S:-6}
campaign=

if [ "${1-}" = --campaign ]; then
	campaign=$2
	shift 2
fi
targets=("${@:-${all[@]}}")

if ! command -v clang > /dev/null; then
	echo "1..0 # SKIP clang is not installed (libFuzzer)"
	exit 0
fi
if ! make -s -C "$here" > "$out.build.log" 2>&1; then
	cat "$out.build.log"
	echo "1..1"
	echo "not ok 1 fuzz: build"
	exit 1
fi

# Target output is noise (close_fd_mask); reports still reach stderr. An
# input that runs for a minute is a hang, not a loaded machine.
opts=(-close_fd_mask=3 -print_final_stats=1 -rss_limit_mb=2048 -timeout=60)
# ASan keeps freed blocks out of use for 256 MB of allocations by default:
# each block a target allocates then lands on a page never touched, and the
# page faults (dear in this VM) took half the time of the targets that
# allocate most (jansson, OpenSSL, strongSwan). An input allocates a few
# kB, so 16 MB still holds back every block freed within a run, and many
# runs before it: a use after free is caught as before. The caller's
# ASAN_OPTIONS come last and win.
export ASAN_OPTIONS=quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}

# dict TARGET: the target's dictionary option in dopt, if it has one.
dict()
{
	dopt=()
	if [ -f "$here/$1.dict" ]; then
		dopt=("-dict=$here/$1.dict")
	fi
}
n=0 rc=0

# result OK NAME LOG: a TAP line, and the log on failure.
result()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
		return
	fi
	echo "not ok $n $2"
	sed 's/^/# /' "$3" | grep -v '^# #[0-9]' | tail -60
	rc=1
}

execs() { sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -1; }
eps() { sed -n 's/^stat::average_exec_per_sec: *//p' "$1" | tail -1; }

if [ -n "$campaign" ]; then
	echo "1..${#targets[@]}"
	for t in "${targets[@]}"; do
		mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
		log=$out/$t.campaign.log
		dict "$t"
		# Leaks are still found input by input. The check at exit
		# stops the world from a tracer that, at nice 15 on a loaded
		# machine, had made no progress after minutes.
		ASAN_OPTIONS=leak_check_at_exit=0:$ASAN_OPTIONS \
		nice -n "${FUZZ_NICE:-15}" "$out/$t" "${opts[@]}" "${dopt[@]}" \
			-max_total_time="$campaign" \
			-runs="${FUZZ_RUNS:--1}" \
			-artifact_prefix="$out/artifacts/$t/" \
			"$out/corpus/$t" "$here/corpus/$t" > "$log" 2>&1
		result $? "$t: $(execs "$log") executions, $(eps "$log")/s" "$log"
	done
	exit $rc
fi

echo "1..$((2 * ${#targets[@]}))"
for t in "${targets[@]}"; do
	log=$out/$t.log
	# -runs=0: every committed input once, nothing else.
	"$out/$t" "${opts[@]}" -runs=0 "$here/corpus/$t" > "$log" 2>&1
	result $? "$t: the committed corpus" "$log"
	scratch=$(mktemp -d)
	mkdir -p "$out/artifacts/$t"
	dict "$t"
	"$out/$t" "${opts[@]}" "${dopt[@]}" -max_total_time="$short" \
		-artifact_prefix="$out/artifacts/$t/" \
		"$scratch" "$here/corpus/$t" > "$log" 2>&1
	result $? "$t: $(execs "$log") executions in $short s" "$log"
	rm -rf "$scratch"
done
exit $rc
