#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of `make check-debug` once per machine and print
# the directory that holds it:
#
#   bzImage vmlinux config System.map   the kernel (vm-run.sh boots vmlinux)
#   lib/modules/VER/                    modules.builtin*, for modprobe
#   build.log
#
# The kernel is Debian's linux-source-6.1, configured from `make tinyconfig`
# plus selftests/qemu/debug.config (KASAN, UBSAN, KFENCE, kmemleak, lockdep,
# fault injection and what the VM suites use), with kmod/ built in as
# drivers/qkdpool through its Kconfig entry: the in-tree build, proved.
#
# The result lives outside the checkout, in
# $QKD_KCACHE/kernel-debug-HASH/ (default /var/cache/qkdpool), HASH covering
# the fragment, the source package version, kmod/ and the UAPI header; so a
# change to any of them builds a new kernel, and nothing else does. Object
# files are kept per source version (kernel-debug-obj-VER/), so the rebuild
# after a change to kmod/ is incremental. Runs at nice 19.
#
# usage: scripts/build-debug-kernel.sh [-k]    -k: print the directory only
#                                              (built or not)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/selftests/qemu/debug.config
root=${QKD_KCACHE:-/var/cache/qkdpool}
name_only=
[ "${1:-}" = -k ] && name_only=1

deb=$(ls "$top"/build/cache/linux-source-6.1_*.deb \
	"$root"/linux-source-6.1_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
	"$top/scripts/kernel-tools.sh"
	deb=$(ls "$top"/build/cache/linux-source-6.1_*.deb | sort -V | tail -n 1)
fi
debver=${deb##*/linux-source-6.1_}
debver=${debver%_all.deb}

# The Kconfig entry is the checkout's top-level Kconfig; qkdpool.mod.c is
# what an out-of-tree build of kmod/ leaves behind.
kmod_files()
{
	(cd "$top/kmod" && ls Kbuild ./*.c ./*.h | sed 's|^\./||' | grep -v '\.mod\.c$')
}

key=$({
	echo "linux-source-6.1 $debver"
	cat "$frag" "$top/include/uapi/linux/qkdpool.h" "$top/Kconfig"
	for f in $(kmod_files); do
		echo "== $f"
		cat "$top/kmod/$f"
	done
} | sha256sum | cut -c1-16)
out=$root/kernel-debug-$key

if [ -n "$name_only" ] || [ -e "$out/vmlinux" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$root"
exec 9>"$root/kernel-debug.lock"
flock 9
# Another run may have built it while we waited.
[ -e "$out/vmlinux" ] && { echo "$out"; exit 0; }

for tool in flex bison bc; do
	command -v "$tool" >/dev/null || missing=1
done
[ -e /usr/include/gelf.h ] || missing=1
if [ -n "${missing:-}" ]; then
	echo "build-debug-kernel: needs flex bison bc libelf-dev (scripts/deps.sh debugkernel)" >&2
	exit 1
fi

src_top=$root/kernel-src-$debver
src=$src_top/linux-source-6.1
obj=$root/kernel-debug-obj-$debver
if [ ! -e "$src_top/.done" ]; then
	echo "build-debug-kernel: extracting linux-source-6.1 $debver" >&2
	rm -rf "$src_top"
	mkdir -p "$src_top"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$src_top"
	touch "$src_top/.done"
fi

# kmod/ as drivers/qkdpool, hooked into drivers/Kconfig and drivers/Makefile
# the way a driver submitted upstream would be; files are copied only when
# they changed, so the object directory stays valid.
sync_file()
{
	cmp -s "$1" "$2" || cp "$1" "$2"
}
mkdir -p "$src/drivers/qkdpool"
for f in $(cd "$src/drivers/qkdpool" && ls); do
	[ -e "$top/kmod/$f" ] || [ "$f" = Kconfig ] || rm -f "$src/drivers/qkdpool/$f"
done
for f in $(kmod_files); do
	sync_file "$top/kmod/$f" "$src/drivers/qkdpool/$f"
done
sync_file "$top/Kconfig" "$src/drivers/qkdpool/Kconfig"
sync_file "$top/include/uapi/linux/qkdpool.h" "$src/include/uapi/linux/qkdpool.h"
grep -q '^source "drivers/qkdpool/Kconfig"' "$src/drivers/Kconfig" ||
	sed -i 's|^endmenu$|source "drivers/qkdpool/Kconfig"\n\nendmenu|' "$src/drivers/Kconfig"
grep -q 'CONFIG_QKDPOOL' "$src/drivers/Makefile" ||
	echo 'obj-$(CONFIG_QKDPOOL)		+= qkdpool/' >>"$src/drivers/Makefile"

mkdir -p "$obj"
log=$obj/build.log
# Twice as many jobs as cores: at nice 19 on a busy machine each job gets
# little, and a job that waits on the disk leaves its core to another.
kmake()
{
	nice -n 19 make -C "$src" O="$obj" ARCH=x86_64 -j"${QKD_KJOBS:-$(($(nproc) * 2))}" "$@"
}

start=$SECONDS
echo "build-debug-kernel: building into $out (log: $log)" >&2
# Configuring takes minutes at nice 19: done again only when the fragment
# or the Kconfig entry changed, not for a change in kmod/'s sources.
config_key=$(cat "$frag" "$top/Kconfig" | sha256sum | cut -c1-16)
: >"$log"
if [ "$(cat "$obj/.qkd-config" 2>/dev/null)" != "$config_key" ]; then
	rm -f "$obj/.qkd-config"
	{
		kmake -s tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
		kmake -s olddefconfig
	} >>"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }
fi

# Kconfig drops a request whose dependencies are off without a word: check
# that every line of the fragment made it into the configuration.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) ;;
	*) continue ;;
	esac
	if ! grep -qxF "$line" "$obj/.config"; then
		echo "build-debug-kernel: $line did not stick ($(grep "^${line%%=*}=\|^# ${line%%=*} " "$obj/.config" || echo absent))" >&2
		bad=1
	fi
done <"$frag"
((bad == 0)) || exit 1
echo "$config_key" >"$obj/.qkd-config"

kmake bzImage modules >>"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
kmake -s modules_install INSTALL_MOD_PATH="$tmp" >>"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; exit 1; }
rm -f "$tmp"/lib/modules/*/build "$tmp"/lib/modules/*/source
cp "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$obj/System.map" "$tmp/"
cp "$obj/.config" "$tmp/config"
echo "built in $((SECONDS - start)) s from linux-source-6.1 $debver" >>"$log"
cp "$log" "$tmp/build.log"
mv "$tmp" "$out"
echo "build-debug-kernel: built in $((SECONDS - start)) s" >&2
echo "$out"
