#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build what vm-run.sh boots, once per kernel version, under build/vm/KVER/:
#   vmlinux          the uncompressed kernel: QEMU boots it through its PVH
#                    entry, about twice as fast as the bzImage under TCG
#   kernel           what vm-run.sh boots: vmlinux, or for the debug kernel
#                    its bzImage (its PVH entry prints nothing and hangs:
#                    KASAN's early shadow set-up expects the bzImage path)
#   initramfs.cpio   busybox + the modules needed to mount the host root
#                    over virtio-9p; its /init is initramfs-init.sh
# Prints the directory. With QKD_KERNEL=debug, the kernel is the debug
# kernel of scripts/build-debug-kernel.sh (built first if need be), which
# has everything built in: build/vm/debug-HASH/ has no modules, and
# "kmods" links to its modules.builtin tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case "${QKD_KERNEL:-}" in
"") kver=$("$top/scripts/kver.sh")
    out=$top/build/vm/$kver
    mods="9pnet_virtio virtio_pci 9p overlay" ;;
debug)
    kdir=$("$top/scripts/build-debug-kernel.sh")
    out=$top/build/vm/${kdir##*/kernel-}
    mods= ;;
*)  echo "mkimage: QKD_KERNEL is empty (Debian's) or debug" >&2
    exit 1 ;;
esac

build_vmlinux()
{
	local vmlinuz=/boot/vmlinuz-$kver off

	# The bzImage carries the kernel as an xz stream after its setup code.
	off=$(grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || { echo "mkimage: no xz stream in $vmlinuz" >&2; exit 1; }
	tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null >"$out/vmlinux.tmp" || true
	readelf -h "$out/vmlinux.tmp" >/dev/null
	mv "$out/vmlinux.tmp" "$out/vmlinux"
}

build_initramfs()
{
	local root=$out/initramfs.d ko mod

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,mnt,newroot,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	for applet in sh mount umount mkdir insmod switch_root cat echo sleep \
		      poweroff reboot; do
		ln -s busybox "$root/bin/$applet"
	done
	touch "$root/lib/modules/order"
	# modprobe prints the insmod lines in dependency order.
	for mod in $mods; do
		modprobe -S "$kver" --show-depends "$mod"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
		while read -r ko; do
			cp "$ko" "$root/lib/modules/"
			basename "$ko" >>"$root/lib/modules/order"
		done
	cp "$here/initramfs-init.sh" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
	rm -rf "$root"
}

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if [ -n "${kdir:-}" ]; then
	ln -sfn "$kdir/vmlinux" "$out/vmlinux"
	ln -sfn "$kdir/bzImage" "$out/kernel"
	ln -sfn "$kdir/lib/modules" "$out/kmods"
else
	[ -e "$out/vmlinux" ] || build_vmlinux
	[ -e "$out/kernel" ] || ln -sfn vmlinux "$out/kernel"
fi
if [ ! -e "$out/initramfs.cpio" ] ||
   [ "$here/initramfs-init.sh" -nt "$out/initramfs.cpio" ]; then
	build_initramfs
fi
echo "$out"
