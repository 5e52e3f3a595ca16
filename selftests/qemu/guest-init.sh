#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM, in the overlay of the host root: set up a minimal
# system, mount the checkout writable at its own path, run the command that
# vm-run.sh left in /qkdvm/cmd, and leave its status in /qkdvm/rc.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
for dir in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmp "$dir"; done
for dir in /run /var/log; do mount -t tmpfs -o mode=0755 run "$dir"; done
mkdir -p /run/netns /run/lock
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
stty -onlcr 2>/dev/null
hostname qkdvm
ip link set lo up

# Mounted after the tmpfs above, so a checkout under /tmp stays visible.
. /qkdvm/env
mkdir -p "$QKDVM_ROOT"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none proj \
	"$QKDVM_ROOT"

# The debug kernel has its modules built in; modprobe finds them in
# modules.builtin.
if [ -n "${QKDVM_KMODS:-}" ]; then
	cp -a "$QKDVM_KMODS"/. /lib/modules/
fi

# Debian's kernel logs a WARN as taint W, an oops as D, a soft lockup as L,
# a bad page as B. O and E (our unsigned out-of-tree module) are expected.
bad_taint=$((512 | 128 | 16384 | 32))

kmemleak=/sys/kernel/debug/kmemleak
# Leaks from before the command are not its own; the scans are ours alone,
# so that none runs while the command does.
if [ -n "${QKD_KREPORTS:-}" ] && [ -w $kmemleak ]; then
	echo scan=off >$kmemleak
	echo scan >$kmemleak
	echo clear >$kmemleak
fi

cd "$QKDVM_ROOT" && bash /qkdvm/cmd </dev/null
rc=$?

if [ -n "${QKD_KREPORTS:-}" ]; then
	klog=$(mktemp)
	if [ -w $kmemleak ]; then
		# kmemleak ignores objects younger than 5 s, and reports one
		# only once a second scan finds it unchanged and unreferenced.
		sleep 5
		echo scan >$kmemleak
		echo scan >$kmemleak
	fi
	{ dmesg; cat $kmemleak 2>/dev/null; } >"$klog"
	if ! "$QKDVM_ROOT/selftests/qemu/kreports.sh" "$klog" >/qkdvm/kreports; then
		echo "QKDVM: the kernel reported bugs:"
		cat /qkdvm/kreports
	fi
	rm -f "$klog"
fi
taint=$(cat /proc/sys/kernel/tainted)
if ((taint & bad_taint)); then
	echo "QKDVM: the kernel warned or oopsed (tainted=$taint):"
	dmesg | grep -iE -A25 'warning|bug|oops|lockup|call trace' | head -n 80
	echo "$taint" >/qkdvm/taint
fi
echo "$rc" >/qkdvm/rc
sync
echo "QKDVM-RESULT $rc"
/bin/busybox reboot -f
