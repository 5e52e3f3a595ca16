#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a strongSwan that Debian 12 does not ship (6.0.1, Debian 13's) once
# into a cache outside the checkout and print the cache directory. The
# second run only prints it. Nothing of it is committed.
#
#   build-strongswan.sh [UPSTREAM]        UPSTREAM: 6.0.1 (default)
#   build-strongswan.sh --dir [UPSTREAM]  print the cache directory, build nothing
#
# Layout, keyed by the pinned Debian revision (get-source.sh --pin):
#   $QKD_CACHE/strongswan-6.0.1-6+deb13u7/
#     src/strongswan-6.0.1/   Debian's source, configured: config.h and the
#                             headers a plugin compiles against
#     prefix/                 the install: libexec/ipsec/charon, sbin/swanctl,
#                             lib/ipsec/{libcharon,libstrongswan}.so,
#                             lib/ipsec/plugins/, etc/strongswan.conf
#     build.log, build-info   configure/make output; flags, source, seconds
#
# The cache lives on the host's root file system, which the test VM mounts
# read-only: charon and swanctl run there from prefix/ beside Debian's
# 5.9.8. Its pid directory is /run/strongswan6 and its default config
# prefix/etc/strongswan.conf, so nothing is shared with the 5.9.8 daemon.
# Built with nice -n 19 and make -j2: the build machines' cores are shared.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${QKD_CACHE:-/var/cache/qkdpool}
only_dir=
if [[ "${1:-}" == --dir ]]; then
	only_dir=1
	shift
fi
upstream=${1:-6.0.1}
pin=$("$here/get-source.sh" --pin "$upstream")
dir="$cache/strongswan-$pin"
prefix="$dir/prefix"
stamp="$dir/.built"

if [[ -n "$only_dir" || -f "$stamp" ]]; then
	echo "$dir"
	exit 0
fi

# Debian 13's switches that change the layout of libcharon's structures
# (mediation, IKEv1), so a plugin built here matches its charon too; ml
# because Debian 12's OpenSSL 3.0 has no ML-KEM; the rest are the plugins
# the suites load, and load-tester for the benchmarks.
config=(
	--prefix="$prefix" --sysconfdir="$prefix/etc"
	--with-piddir=/run/strongswan6
	--with-systemdsystemunitdir=no
	--disable-static --disable-stroke --disable-pki
	--enable-mediation --enable-ikev1 --enable-ikev2
	--enable-ml --enable-sha3 --enable-curve25519 --enable-gcm
	--enable-mgf1 --enable-openssl --enable-gmp --enable-kdf
	--enable-vici --enable-swanctl --enable-load-tester
)

mkdir -p "$dir"
src=$("$here/get-source.sh" "$dir/src" "$upstream")
log="$dir/build.log"
start=$SECONDS
echo "build-strongswan.sh: building strongSwan $pin into $dir (log: $log)" >&2
(
	cd "$src"
	rm -rf "$prefix"
	# Two of Debian's patches touch Makefile.am files (of the nm plugin
	# and libtls' tests, neither built here); their new mtimes would make
	# make rerun aclocal, automake and configure, and fail where automake
	# is not installed. Generated files all of one time, newer than their
	# sources, avoid it.
	now=$(date +%s)
	find . \( -name Makefile.in -o -name aclocal.m4 -o -name configure \
		-o -name config.h.in \) -exec touch -d "@$now" {} +
	nice -n 19 ./configure "${config[@]}"
	nice -n 19 make -j2
	nice -n 19 make install
) >"$log" 2>&1 || { echo "build-strongswan.sh: build failed, see $log" >&2
		    exit 1; }
secs=$((SECONDS - start))
{
	echo "source: $(cat "$src/.qkdpool-source")"
	echo "configure: ${config[*]}"
	echo "built: $(date -u +%FT%TZ) in ${secs}s on $(nproc) cores"
} >"$dir/build-info"
touch "$stamp"
echo "build-strongswan.sh: built in ${secs}s" >&2
echo "$dir"
