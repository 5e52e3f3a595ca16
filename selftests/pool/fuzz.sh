#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing of qkdpool's kernel API, as root in the VM (the pool-fuzz suite):
#   selftests/pool/fuzz.sh [SECONDS]          (default 60)
# Runs pool_fuzz (random and mutated netlink, device calls with bad
# pointers, racing namespaces, unprivileged user namespaces), then, where
# the kernel has them, failslab and fail_page_alloc on the accounting
# threads, then trinity on /dev/qkdpool and netlink if it is installed.
# Fails on a broken invariant, a kernel report in dmesg (BUG, WARNING,
# KASAN, UBSAN, lockdep, RCU, oops), key memory left behind, or a module
# that will not unload. Works with qkdpool built in (CONFIG_QKDPOOL=y) or
# loaded from kmod/.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/pool
seconds=${1:-60}
ko=$top/kmod/qkdpool.ko
n=0 fails=0 loaded=

ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

. "$top/selftests/pool/lib.sh"
# Namespaces are freed by a worker, streams after RCU: wait up to ~10 s.
WAIT_TRIES=200

# The kernel's reports that mean a bug, whatever the kernel's options.
reports()
{
	dmesg | grep -E -A20 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault|kernel BUG at|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|rcu.*detected stalls|refcount_t:|list_(add|del) corruption|kmemleak: .*new suspected|hung_task'
}

cleanup()
{
	[ -n "$loaded" ] && rmmod qkdpool 2>/dev/null
}
trap cleanup EXIT

[ -x "$bin/pool_fuzz" ] || { echo "Bail out! $bin/pool_fuzz missing: make -C selftests/pool"; exit 1; }
echo "1..7"
# Reports of the boot are not ours to judge.
dmesg -C
if [ ! -d /sys/module/qkdpool ]; then
	insmod "$ko" || { echo "Bail out! insmod $ko failed"; exit 1; }
	loaded=1
fi
base=$(mem_used)

if "$bin/pool_fuzz" -t "$seconds" -j 8; then
	ok "fuzz: no key lost or handed out twice"
else
	fail "fuzz: no key lost or handed out twice"
fi

# Fault injection: only the accounting threads fail (task-filter), each
# allocation with probability 1/20.
debugfs=/sys/kernel/debug
mountpoint -q $debugfs || mount -t debugfs none $debugfs 2>/dev/null
for attr in failslab fail_page_alloc; do
	d=$debugfs/$attr
	if [ ! -d "$d" ]; then
		skip "$attr: no key lost under failing allocations" \
			"this kernel has no $attr (CONFIG_FAULT_INJECTION, CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_${attr^^})"
		continue
	fi
	echo Y > "$d/task-filter"
	echo N > "$d/ignore-gfp-wait"
	[ -e "$d/ignore-gfp-highmem" ] && echo N > "$d/ignore-gfp-highmem"
	echo 0 > "$d/verbose"
	echo 0 > "$d/space"
	echo -1 > "$d/times"
	echo 1 > "$d/interval"
	echo 5 > "$d/probability"
	"$bin/pool_fuzz" -f -t $((seconds / 4 + 1)) -j 4
	rc=$?
	echo 0 > "$d/probability"
	if [ $rc = 0 ]; then
		ok "$attr: no key lost under failing allocations"
	else
		fail "$attr: no key lost under failing allocations"
	fi
done

# trinity: an outside view of the same entry points. It runs as root
# (--dangerous) so that it can open the device and send the family its
# messages, limited to the system calls that reach them.
if ! command -v trinity > /dev/null; then
	skip "trinity" "not installed (Debian package trinity)"
else
	tdir=$(mktemp -d)
	(cd "$tdir" && timeout -k 5 $((seconds / 2 + 10)) trinity --dangerous \
		-l off -C 2 -N 50000 -V /dev/qkdpool -P NETLINK \
		-c ioctl -c read -c write -c sendmsg -c sendto -c recvmsg \
		-c setsockopt -c close -c poll) > "$tdir/log" 2>&1
	rc=$?
	grep -E 'Ran [0-9]+ syscalls|iterations' "$tdir/log" | tail -2 |
		sed 's/^/# trinity: /'
	# trinity stops on its own (-N) or at the timeout: either is a run,
	# if it got past setting up its file descriptors (slow under TCG).
	if [ $rc != 0 ] && [ $rc != 124 ]; then
		fail "trinity exited with status $rc"
		tail -5 "$tdir/log" | sed 's/^/# /'
	elif grep -qE 'Ran [0-9]+ syscalls|iterations' "$tdir/log"; then
		ok "trinity"
	else
		skip "trinity" "no system call made in $((seconds / 2 + 10)) s (its setup is slow under TCG)"
	fi
	rm -rf "$tdir"
fi

out=$(reports)
if [ -z "$out" ]; then
	ok "no kernel report in dmesg"
else
	fail "no kernel report in dmesg"
	echo "$out" | head -80 | sed 's/^/# /'
fi

if wait_for test "$(mem_used)" = "$base"; then
	ok "key memory back to where it was ($base)"
else
	fail "key memory back to where it was ($base, now $(mem_used))"
fi

if [ -n "$loaded" ]; then
	if wait_for rmmod qkdpool; then
		ok "module unloads after fuzzing"
		loaded=
	else
		fail "module unloads after fuzzing"
	fi
else
	skip "module unloads after fuzzing" "qkdpool is built in"
fi
[ "$fails" = 0 ]
