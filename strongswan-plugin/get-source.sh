#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's strongSwan 5.9.8 source into build/strongswan/ (once; the
# result is cached) so the plugin compiles against headers that match the
# installed libcharon. Nothing of it is committed.
#
#   get-source.sh BUILDDIR       prints the path of the unpacked tree
#
# Debian ships no strongSwan -dev package. The newest security revision's
# .dsc sometimes 404s on the mirror, so a known-good revision is pinned and
# the upstream tarball is the fallback: Debian's patches change no header the
# plugin uses (libstrongswan only gains constant_time.h).
set -euo pipefail

build=${1:?usage: get-source.sh BUILDDIR}
pin=${STRONGSWAN_SRC_VERSION:-5.9.8-5+deb12u5}
upstream=5.9.8
srcdir="$build/strongswan-$upstream"
stamp="$build/.source-ok"

if [[ -f "$stamp" && -d "$srcdir/src/libcharon" ]]; then
	echo "$srcdir"
	exit 0
fi

mkdir -p "$build"

# apt-get source needs deb-src lines; add them once, beside Debian's own.
add_deb_src() {
	local list=/etc/apt/sources.list.d/qkdpool-deb-src.sources

	if apt-get source --print-uris "strongswan=$pin" >/dev/null 2>&1; then
		return 0
	fi
	if ((EUID != 0)); then
		echo "get-source.sh: no deb-src for strongswan; run once as root" >&2
		return 1
	fi
	cat >"$list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -q >/dev/null
}

# Whole pinned source package first; unpacking applies Debian's patches.
fetch_pinned() {
	(cd "$build" && apt-get source -q --only-source "strongswan=$pin") \
		>"$build/apt-source.log" 2>&1 || return 1
	local d
	d=$(find "$build" -maxdepth 1 -type d -name "strongswan-$upstream*" |
		head -n1)
	[[ -n "$d" && -d "$d/src/libcharon" ]] || return 1
	[[ "$d" == "$srcdir" ]] || mv "$d" "$srcdir"
}

# Fallback: the upstream tarball alone (its URI from apt, or any revision).
fetch_orig() {
	local uri
	uri=$(apt-get source --print-uris -q "strongswan" 2>/dev/null |
		grep -o "'[^']*orig.tar[^']*'" | tr -d "'" | head -n1)
	[[ -n "$uri" ]] || return 1
	curl -fsSL -o "$build/${uri##*/}" "$uri" || return 1
	tar -C "$build" -xf "$build/${uri##*/}"
	[[ -d "$srcdir/src/libcharon" ]]
}

add_deb_src
if ! fetch_pinned; then
	echo "get-source.sh: strongswan=$pin unavailable, using the orig tarball" >&2
	rm -rf "$srcdir"
	fetch_orig || { echo "get-source.sh: cannot fetch strongSwan source" >&2
			exit 1; }
fi
touch "$stamp"
echo "$srcdir"
