#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdcount.sh OUT: print the QEMU arguments that load the instruction-count
# plugin (qkdcount.so) writing to OUT, for QKD_VM_QEMU_ARGS of vm-run.sh
# (with QKD_VM_ACCEL=tcg: plugins run under TCG only); or fail with the
# reason on stdout when this QEMU cannot load it (not built, no plugin
# support, another API version).
set -u

here=$(cd "$(dirname "$0")" && pwd)
so=$here/qkdcount.so
mark=$here/qkd-mark
out=${1:?usage: qkdcount.sh OUT}

for f in "$so" "$mark"; do
	[ -e "$f" ] || { echo "$f not built (make -C selftests/qemu)"; exit 1; }
done
# QEMU refuses a bad plugin at once; a good one leaves it waiting (-S)
# until the timeout.
err=$(timeout 10 qemu-system-x86_64 -accel tcg -M none -nodefaults \
	-display none -monitor none -S -plugin "$so,out=/dev/null" 2>&1)
[ $? = 124 ] || { echo "QEMU cannot load the plugin: ${err:-no reason given}"; exit 1; }
echo "-plugin $so,out=$out"
