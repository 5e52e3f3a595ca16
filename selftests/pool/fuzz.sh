#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing of qkdpool's kernel API, as root in the VM (the pool-fuzz suite):
#   selftests/pool/fuzz.sh [SECONDS]          (default 60)
# Runs pool_fuzz (random and mutated netlink, device calls with bad
# pointers, racing namespaces, unprivileged user namespaces), then, where
# the kernel has them, failslab and fail_page_alloc on the accounting
# threads and on namespace children (add, take, reserve, the namespace's
# exit), then trinity on /dev/qkdpool and netlink if it is installed.
# Fails on a broken invariant, a kernel report in dmesg (BUG, WARNING,
# KASAN, UBSAN, lockdep, RCU, oops), key memory left behind, a copy of a
# secret key's material left in RAM once its namespace is gone (a
# /proc/kcore scan), or a module that will not unload. Works with qkdpool
# built in (CONFIG_QKDPOOL=y) or loaded from kmod/.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/pool
seconds=${1:-60}
ko=$top/kmod/qkdpool.ko
n=0 fails=0 loaded=
tmp=$(mktemp -d)

ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

. "$top/selftests/pool/lib.sh"
# Namespaces are freed by a worker, streams after RCU: wait up to ~30 s
# (the debug kernel is slow at it).
WAIT_TRIES=600

# The kernel's reports that mean a bug, whatever the kernel's options.
reports()
{
	dmesg | grep -E -A20 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault|kernel BUG at|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|rcu.*detected stalls|refcount_t:|list_(add|del) corruption|kmemleak: .*new suspected|hung_task'
}

cleanup()
{
	[ -n "$loaded" ] && rmmod qkdpool 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$bin/pool_fuzz" ] || { echo "Bail out! $bin/pool_fuzz missing: make -C selftests/pool"; exit 1; }
# pool_fuzz ARGS...: a run whose secret keys (-k) the final scan looks
# for; its output is kept for the count of them.
pool_fuzz()
{
	local keys=$tmp/$((++runs)).keys

	"$bin/pool_fuzz" -k "$keys" "$@" | tee -a "$tmp/out"
	return "${PIPESTATUS[0]}"
}
runs=0

echo "1..8"
# Reports of the boot are not ours to judge.
dmesg -C
if [ ! -d /sys/module/qkdpool ]; then
	insmod "$ko" || { echo "Bail out! insmod $ko failed"; exit 1; }
	loaded=1
fi
base=$(mem_used)

if pool_fuzz -t "$seconds" -j 8; then
	ok "fuzz: no key lost or handed out twice"
else
	fail "fuzz: no key lost or handed out twice"
fi

# Fault injection: only pool_fuzz's marked threads and their children fail
# (task-filter), each allocation with probability 1/20, pages of every
# order but those of user memory (not the module's). times counts down
# from a number never reached: what is left tells how many failed.
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
	[ -e "$d/ignore-gfp-highmem" ] && echo Y > "$d/ignore-gfp-highmem"
	[ -e "$d/min-order" ] && echo 0 > "$d/min-order"
	echo 0 > "$d/verbose"
	echo 0 > "$d/space"
	echo 1000000000 > "$d/times"
	echo 1 > "$d/interval"
	echo 5 > "$d/probability"
	pool_fuzz -f -t $((seconds / 4 + 1)) -j 4
	rc=$?
	echo 0 > "$d/probability"
	echo "# $attr: $((1000000000 - $(cat "$d/times"))) allocations failed"
	echo -1 > "$d/times"
	if [ $rc = 0 ]; then
		ok "$attr: no key lost under failing allocations"
	else
		fail "$attr: no key lost under failing allocations (pool_fuzz: status $rc)"
	fi
done

# trinity: an outside view of the same entry points. It runs as root
# (--dangerous) so that it can open the device and send the family its
# messages, limited to the system calls that reach them, with 2 children
# and only the descriptors they use (the victim file, netlink sockets):
# making the others is most of its start-up, minutes under TCG. Stopped
# at its time with SIGINT, it prints how many system calls it made.
if ! command -v trinity > /dev/null; then
	skip "trinity" "not installed (Debian package trinity)"
else
	tsecs=$((seconds / 2 + 30))
	(cd "$tmp" && timeout -s INT -k 30 $tsecs trinity --dangerous \
		-l off -C 2 -V /dev/qkdpool -P NETLINK \
		--disable-fds=pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm \
		-c ioctl -c read -c write -c sendmsg -c sendto -c recvmsg \
		-c setsockopt -c close -c poll) > "$tmp/trinity.log" 2>&1
	rc=$?
	grep -E 'Ran [0-9]+ syscalls|iterations' "$tmp/trinity.log" | tail -2 |
		sed 's/^/# trinity: /'
	# Stopped at its time (124) or on its own: either is a run, if it got
	# past setting up its file descriptors.
	if [ $rc != 0 ] && [ $rc != 124 ]; then
		fail "trinity exited with status $rc"
		tail -5 "$tmp/trinity.log" | sed 's/^/# /'
	elif grep -qE 'Ran [1-9][0-9]* syscalls|iterations' "$tmp/trinity.log"; then
		ok "trinity"
	else
		skip "trinity" "no system call made in $tsecs s (its setup is slow under TCG)"
		tail -5 "$tmp/trinity.log" | sed 's/^/# /'
	fi
fi

out=$(reports)
if [ -z "$out" ]; then
	ok "no kernel report in dmesg"
else
	fail "no kernel report in dmesg"
	echo "$out" | head -80 | sed 's/^/# /'
fi

# Streams made in this namespace by trinity's netlink messages (any
# root may make them) are no leak: delete them, counted, before the
# memory is compared.
qkdctl=$top/userspace/qkdctl/qkdctl
made=$("$qkdctl" -j pool show 2>/dev/null | jq -r '.[].name' 2>/dev/null)
for s in $made; do
	"$qkdctl" pool stream del "$s" > /dev/null 2>&1
done
[ -n "$made" ] && echo "# streams left in the root namespace, deleted: $(wc -w <<<"$made")"

# Namespaces exit in a kernel worker, slow on a loaded machine: ~30 s.
mem_back() { [ "$(mem_used)" = "$base" ]; }
if WAIT_TRIES=600 wait_for mem_back; then
	ok "key memory back to where it was ($base)"
else
	fail "key memory back to where it was ($base, now $(mem_used))"
fi

# Every namespace is gone (its keys' memory is back): so is every copy of
# the secret keys the runs added, whatever faults hit them on the way.
added=$(awk '/^# secret keys:/ { n += $4 } END { print n + 0 }' "$tmp/out")
refused=$(awk '/^# secret keys:/ { n += $6 } END { print n + 0 }' "$tmp/out")
what="no copy of $added secret keys ($refused refused) left in RAM"
if [ ! -r /proc/kcore ]; then
	skip "$what" "no /proc/kcore"
elif ! hits=$("$bin/kcore_keys" count "$tmp"/*.keys); then
	fail "$what (the scan failed)"
elif [ "$hits" = 0 ]; then
	ok "$what"
else
	fail "$what: $hits copies found"
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
