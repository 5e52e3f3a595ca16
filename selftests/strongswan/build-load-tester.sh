#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build strongSwan's load-tester plugin (Debian does not package it) for the
# benchmark: copy its source out of the Debian source tree the plugin build
# fetched (build/strongswan/), apply load-tester-ppk.patch (ppk_id and
# ppk_required settings) and compile it like our plugin, against the same
# headers and Debian's config. Nothing of it is committed.
#
# With argument 6, the same for strongSwan 6.0.1 of the cache
# (strongswan-plugin/build-strongswan.sh): its source tree, config.h and
# libraries; the patch applies to both.
#
#   build-load-tester.sh [6]      prints the path of the built .so
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ssrc=$top/build/strongswan/strongswan-5.9.8
config=$top/strongswan-plugin/debian-config.h
libdir=/usr/lib/ipsec
defs=()
out=$top/build/strongswan/load-tester
if [ "${1:-}" = 6 ]; then
	ss6=$("$top/strongswan-plugin/build-strongswan.sh" --dir)
	[ -f "$ss6/.built" ] || { echo "strongSwan 6.0.1 not built" >&2; exit 1; }
	ssrc=$ss6/src/strongswan-6.0.1
	config=$ssrc/config.h
	libdir=$ss6/prefix/lib/ipsec
	# its Makefile passes the pid directory; the load-tester's control
	# socket lives there
	defs=(-DIPSEC_PIDDIR=\"/run/strongswan6\")
	out=${out}6
fi
so=$out/libstrongswan-load-tester.so
patch=$top/selftests/strongswan/load-tester-ppk.patch

# the plugin build fetches the source tree (get-source.sh)
[ -d "$ssrc/src/libcharon" ] || make -s -C "$top/strongswan-plugin" >&2
if [[ -f $so && $so -nt $patch ]]; then
	echo "$so"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out/src/libcharon/plugins"
cp -r "$ssrc/src/libcharon/plugins/load_tester" "$out/src/libcharon/plugins/"
patch -s -d "$out" -p1 <"$patch"
# load_tester.c is the stroke front end, not part of the plugin
srcs=("$out"/src/libcharon/plugins/load_tester/load_tester_*.c)
gcc -std=gnu99 -O2 -fPIC -shared -fvisibility=default -w \
	-include "$config" "${defs[@]}" \
	-I"$ssrc/src/libstrongswan" -I"$ssrc/src/libcharon" \
	-o "$so" "${srcs[@]}" \
	-L"$libdir" -lcharon -lstrongswan -Wl,-rpath,"$libdir"
echo "$so"
