#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the Debian kernel version qkdpool builds and tests against: the newest
# one with both /boot/vmlinuz-X and /lib/modules/X/build. The host may run a
# different kernel, so `uname -r` is never the answer. QKD_KVER overrides.
if [ -n "$QKD_KVER" ]; then
	echo "$QKD_KVER"
	exit 0
fi
for dir in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	ver=${dir#/lib/modules/}
	ver=${ver%/build}
	if [ -e "/boot/vmlinuz-$ver" ]; then
		echo "$ver"
		exit 0
	fi
done
echo "kver.sh: no kernel with /boot/vmlinuz-X and /lib/modules/X/build;" \
	"run scripts/deps.sh" >&2
exit 1
