#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qkdpool benchmark; run as root in the VM (selftests/qemu/vm-run.sh):
#   selftests/pool/bench.sh [MODULE.ko] [-- bench_pool args]
# Loads the module with room for 10^6 keys, prints bench_pool's table and
# unloads it. Timings are for the table only; nothing is asserted.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ko=$top/kmod/qkdpool.ko
[ $# -gt 0 ] && [ "$1" != -- ] && { ko=$1; shift; }
[ "${1-}" = -- ] && shift

cleanup() { rmmod qkdpool 2>/dev/null; }
trap cleanup EXIT

lsmod | grep -q '^qkdpool ' && rmmod qkdpool
# Room for the 10^4-stream rows too (a module without max_streams has no cap).
insmod "$ko" mem_max=$((512 << 20)) max_streams=20000 2>/dev/null ||
	insmod "$ko" mem_max=$((512 << 20)) || exit 1
"$top/build/pool/bench_pool" "$@"
