#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract what we need from Debian's linux-source-6.1 package, never
# committed: kselftest_harness.h + kselftest.h (build/kselftest/) and
# checkpatch.pl with its data files (build/checkpatch/). Runs once; later
# calls return at once.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build
stamp=$out/kselftest/.done
[ -e "$stamp" ] && [ -e "$out/checkpatch/.done" ] && exit 0

cache=${QKD_CACHE:-$out/cache}
mkdir -p "$cache"
deb=$(ls "$cache"/linux-source-6.1_*.deb /var/cache/qkdpool/linux-source-6.1_*.deb \
	2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
	echo "kernel-tools.sh: downloading linux-source-6.1 (139 MB, once)" >&2
	(cd "$cache" && apt-get download -q linux-source-6.1 >/dev/null 2>&1) ||
		{ apt-get update -q >/dev/null && \
		  (cd "$cache" && apt-get download -q linux-source-6.1 >/dev/null); }
	deb=$(ls "$cache"/linux-source-6.1_*.deb | sort -V | tail -n 1)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=linux-source-6.1
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO "./usr/src/$src.tar.xz" |
	tar -xJ -C "$tmp" \
		"$src/tools/testing/selftests/kselftest_harness.h" \
		"$src/tools/testing/selftests/kselftest.h" \
		"$src/scripts/checkpatch.pl" \
		"$src/scripts/spelling.txt" \
		"$src/scripts/const_structs.checkpatch"
mkdir -p "$out/kselftest" "$out/checkpatch"
cp "$tmp/$src"/tools/testing/selftests/kselftest*.h "$out/kselftest/"
cp "$tmp/$src"/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} \
	"$out/checkpatch/"
touch "$out/kselftest/.done" "$out/checkpatch/.done"
