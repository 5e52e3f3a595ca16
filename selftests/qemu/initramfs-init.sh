#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM's initramfs: mount the host's root read-only over
# virtio-9p under a tmpfs overlay (so the guest runs exactly the host's
# binaries yet may write anywhere), then hand over to guest-init.sh, which
# vm-run.sh put on the per-run "ctl" share.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev

while read -r ko; do
	insmod "/lib/modules/$ko" || echo "initramfs: insmod $ko failed"
done </lib/modules/order

case " $(cat /proc/cmdline) " in
*" qkd.probe=1 "*)
	echo "QKDVM-PROBE-OK"
	reboot -f ;;
esac

opts=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /mnt/lower /mnt/rw
mount -t 9p -o "$opts,ro,cache=loose" hostroot /mnt/lower &&
	mount -t tmpfs -o mode=0755 rw /mnt/rw &&
	mkdir -p /mnt/rw/upper /mnt/rw/work &&
	mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work \
		root /newroot &&
	mkdir -p /newroot/qkdvm &&
	mount -t 9p -o "$opts,cache=none" ctl /newroot/qkdvm ||
	{ echo "initramfs: cannot mount the host root"; reboot -f; }

umount /proc /sys /dev
exec switch_root /newroot /bin/bash /qkdvm/guest-init.sh
