#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every qkdpool test suite and end with the line "N passed, N failed,
# N skipped". This is `make check`, the README's test command and CI's.
#
# usage: selftests/run.sh [SUITE...]     (default: all suites below)
#
# A suite prints KTAP/TAP lines ("ok N name", "not ok N name", "# SKIP");
# every such line counts. A suite that dies, times out or prints no result
# counts as one failure of its own. Host suites run here; VM suites run
# inside QEMU with Debian's kernel, one VM boot per suite so that a crash
# in one cannot hide the results of another. QKD_KERNEL=debug (make
# check-debug) boots the debug kernel instead, where any bug report of the
# kernel fails the suite (selftests/qemu/vm-run.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$top/build/results
cd "$top" || exit 1

# kind:name:command (relative to the checkout; arguments after spaces):
# timeout_s. A kind ending in "?" runs only when its suite is named (make
# check SUITES=name). pkg is a host entry: it builds this build's .debs
# and the previous build's on the host, then boots its own VM, where DKMS
# compiles the module twice under TCG (previous build, then the upgrade).
# Its one run to the end took 52 min (3098 s) on a 2-core machine running
# two other VMs: 5 min on the host, 47 in the VM, of which each dpkg -i
# took 17; with four VMs and a fuzzer the two took 23 and 36 min (1375 s,
# 2131 s), each of the three depmod -a in them about 4 min. QEMU
# spent some 1,300 CPU seconds up to the end of the upgrade alone, so
# even on a quiet machine the two DKMS builds would take ~11-22 min.
# Beside the ~35 min of the default suites that does not fit the 60
# minutes CI may take, so it stays opt-in; its timeout leaves room for a
# loaded machine. macsec's tests 1-9 took 58 min under the debug kernel
# (its timeout is three times this one) on a machine running three other
# VMs, tests 1, 3 and 5 alone 44 min: its timeout leaves room for all 16.
suites=(
	"host:unit:selftests/unit/run.sh:120"
	"host:harness:selftests/qemu/test-harness.sh:600"
	"host:fuzz:selftests/fuzz/run.sh:600"
	"vm:net:selftests/net/links.sh:300"
	"vm:pool:selftests/pool/test.sh:900"
	"vm:pool-fuzz:selftests/pool/fuzz.sh:900"
	"vm:qkdctl:selftests/qkdctl/test.sh:900"
	"host:kmd-host:selftests/kmd/host.sh:300"
	"vm:kmd:selftests/kmd/test.sh:1500"
	"vm:relay:selftests/kmd/relay.sh:2700"
	"vm:relay-apps:selftests/kmd/relay-apps.sh:1500"
	"vm:strongswan:selftests/strongswan/test.sh:1200"
	"vm:strongswan-reauth:selftests/strongswan/reauth.sh:1200"
	"vm:strongswan-etsi014:selftests/strongswan/etsi014.sh:600"
	"vm:strongswan6-smoke:selftests/strongswan/smoke6.sh:900"
	"vm:strongswan6:selftests/strongswan/test.sh 6:1200"
	"vm:strongswan6-reauth:selftests/strongswan/reauth.sh 6 100:900"
	"vm:strongswan6-etsi014:selftests/strongswan/etsi014.sh 6:600"
	"vm:strongswan6-ke:selftests/strongswan/ke6.sh 120:1800"
	"vm:macsec:selftests/macsec/test.sh:3600"
	"vm:tls:selftests/tls/test.sh:900"
	"vm:skip:selftests/skip/test.sh:900"
	"host?:pkg:selftests/pkg/run.sh:6600"
	"host:lint:selftests/lint.sh:1200"
)

pass=0 fail=0 skip=0
# A TAP test line: "ok 3 name", "not ok - name" (the number is optional).
num='( [0-9]+| -)'
failures=()

suite_wanted()
{
	local want

	[ -z "$only" ] && return 0
	for want in $only; do
		[ "$want" = "$1" ] && return 0
	done
	return 1
}

# planned_tests FILE: the sum of the TAP plans ("1..N") in FILE. A suite
# that stops early (killed, hung, a shell error) then still counts as failed
# for each test it announced and never ran.
planned_tests()
{
	sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# count_results NAME FILE RC: add the suite's TAP lines to the totals.
count_results()
{
	local name=$1 file=$2 rc=$3 p f s line missing

	s=$(grep -cE "^ok$num.*# *SKIP" "$file")
	p=$(($(grep -cE "^ok$num" "$file") - s))
	f=$(grep -cE "^not ok$num" "$file")
	while IFS= read -r line; do
		failures+=("$name: ${line#not ok }")
	done < <(grep -E "^not ok$num" "$file")
	missing=$(($(planned_tests "$file") - p - f - s))
	if ((missing > 0)); then
		failures+=("$name: $missing planned tests never reported")
		f=$((f + missing))
	fi

	case "$rc" in
	0) ;;
	122) failures+=("$name: the kernel reported a bug (KASAN, UBSAN, lockdep, kmemleak, BUG, WARNING...)")
	     f=$((f + 1)) ;;
	123) failures+=("$name: the kernel logged a WARN/oops"); f=$((f + 1)) ;;
	124) failures+=("$name: timed out"); f=$((f + 1)) ;;
	125) failures+=("$name: the VM crashed or gave no result"); f=$((f + 1)) ;;
	*) if ((f == 0)); then
		failures+=("$name: exited with status $rc")
		f=$((f + 1))
	   fi ;;
	esac
	if ((p + f + s == 0)); then
		failures+=("$name: ran no test")
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '=== %s: %d passed, %d failed, %d skipped (%d s)\n' "$name" "$p" "$f" "$s" \
		$((SECONDS - suite_start))
}

run_suite()
{
	local kind=$1 name=$2 cmd=$3 tmo=$4 file=$out/$2.tap rc argv
	local suite_start=$SECONDS

	read -ra argv <<<"$cmd"
	if [ ! -e "${argv[0]}" ]; then
		echo "=== $name: not built yet (${argv[0]} missing), skipped"
		return
	fi
	echo "=== $name ($kind): $cmd"
	# KASAN, lockdep and kmemleak slow the guest down several times.
	[ "${QKD_KERNEL:-}" = debug ] && tmo=$((tmo * 3))
	if [ "$kind" = vm ]; then
		selftests/qemu/vm-run.sh -t "$tmo" -l "$out/$name.vm.log" \
			"${argv[@]}" | tee "$file"
		rc=${PIPESTATUS[0]}
	else
		timeout -k 5 "$tmo" "${argv[@]}" 2>&1 | tee "$file"
		rc=${PIPESTATUS[0]}
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && rc=124
	fi
	count_results "$name" "$file" "$rc"
}

only="$*"
mkdir -p "$out"
start=$SECONDS
scripts/deps.sh all || { echo "0 passed, 1 failed"; exit 1; }
if ! make -s all; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# The debug kernel: built once per machine into /var/cache/qkdpool, at
# nice 19 (scripts/build-debug-kernel.sh), nothing when it is there.
if [ "${QKD_KERNEL:-}" = debug ]; then
	if ! scripts/deps.sh debugkernel || ! scripts/build-debug-kernel.sh >/dev/null; then
		echo "building the debug kernel failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

# strongSwan 6.0.1 for the strongswan6-* suites: built once per machine
# into /var/cache/qkdpool (strongswan-plugin/build-strongswan.sh, at nice
# 19: an estimated 5-7 min on an idle 2-core machine), nothing when it is
# there.
for want in ${only:-strongswan6}; do
	[[ "$want" == strongswan6* ]] || continue
	# the plugin's 6.0.1 build needs that tree: `make all` above left it
	# out if the cache was not there yet
	if ! strongswan-plugin/build-strongswan.sh >/dev/null; then
		failures+=("strongswan6: building strongSwan 6.0.1 failed")
		fail=$((fail + 1))
	elif ! make -s -C strongswan-plugin plugin6; then
		failures+=("strongswan6: building the plugin for 6.0.1 failed")
		fail=$((fail + 1))
	fi
	break
done

for entry in "${suites[@]}"; do
	IFS=: read -r kind name cmd tmo <<<"$entry"
	if [ "${kind%\?}" != "$kind" ]; then
		[[ " $only " == *" $name "* ]] || continue
		kind=${kind%\?}
	fi
	suite_wanted "$name" || continue
	run_suite "$kind" "$name" "$cmd" "$tmo"
done

echo
echo "=== summary ($((SECONDS - start)) s)"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
