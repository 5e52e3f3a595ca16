# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: the key pool module. Extended by the pool issue.
step "key pool (qkdpool.ko)"
if [ -e kmod/qkdpool.ko ]; then
	insmod kmod/qkdpool.ko
	echo "    loaded; /dev/qkdpool: $(stat -c '%A %U' /dev/qkdpool 2>/dev/null || echo absent)"
else
	echo "    not built yet: skipped"
fi
