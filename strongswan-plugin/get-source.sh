#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's strongSwan source of one upstream version into BUILDDIR
# (once; the result is cached) and print the path of the unpacked tree.
# Nothing of it is committed.
#
#   get-source.sh BUILDDIR [UPSTREAM]    UPSTREAM: 5.9.8 (default) or 6.0.1
#   get-source.sh --pin UPSTREAM         print the pinned Debian revision
#
# 5.9.8 is Debian 12's (the installed libcharon), 6.0.1 Debian 13's. Debian
# ships no strongSwan -dev package, so headers come from the source package.
# apt-get runs with a private configuration (APT_CONFIG) holding only the
# deb-src lines of that release, its own lists and cache: the system's apt
# sources stay untouched. The newest security revision's .dsc sometimes
# 404s on the mirror, so a known-good revision is pinned and the upstream
# tarball is the fallback: Debian's patches change no header the plugin uses
# (5.9.8: libstrongswan only gains constant_time.h).
#
# QKD_CACHE (default /var/cache/qkdpool) holds the private apt state;
# STRONGSWAN_SRC_VERSION overrides the pin of its upstream version.
set -euo pipefail

cache=${QKD_CACHE:-/var/cache/qkdpool}

# The pins, one line per upstream version: release and Debian revision.
pin_of()
{
	local release pin

	case "$1" in
	5.9.8) release=bookworm pin=5.9.8-5+deb12u5 ;;
	6.0.1) release=trixie pin=6.0.1-6+deb13u7 ;;
	*) echo "get-source.sh: no pin for strongSwan $1 (5.9.8 6.0.1)" >&2
	   return 1 ;;
	esac
	# An override applies only to the upstream version it names.
	[[ "${STRONGSWAN_SRC_VERSION:-}" == "$1"-* ]] &&
		pin=$STRONGSWAN_SRC_VERSION
	echo "$release $pin"
}

if [[ "${1:-}" == --pin ]]; then
	pin_of "${2:?usage: get-source.sh --pin UPSTREAM}" | cut -d' ' -f2
	exit
fi

build=${1:?usage: get-source.sh BUILDDIR [UPSTREAM]}
upstream=${2:-5.9.8}
pins=$(pin_of "$upstream") || exit 1
read -r release pin <<<"$pins"
srcdir="$build/strongswan-$upstream"
# 5.9.8 keeps the stamp name the plugin's Makefile depends on.
stamp="$build/.source-ok"
[[ "$upstream" == 5.9.8 ]] || stamp="$build/.source-$upstream-ok"

if [[ -f "$stamp" && -d "$srcdir/src/libcharon" ]]; then
	echo "$srcdir"
	exit 0
fi

mkdir -p "$build"

mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
apt_dir="$cache/apt-$release"
export APT_CONFIG="$apt_dir/apt.conf"

# A private apt configuration: only this release's deb-src lines.
private_apt()
{
	if [[ ! -f "$APT_CONFIG" ]]; then
		mkdir -p "$apt_dir"/{lists/partial,archives/partial,cache} ||
			{ echo "get-source.sh: cannot create $apt_dir" \
				"(set QKD_CACHE or run as root)" >&2; return 1; }
		# Security first: when both archives list the pinned revision
		# apt takes the first, and the main pool may lack the files.
		cat >"$apt_dir/sources.list" <<-SRC
		deb-src $security $release-security main
		deb-src $mirror $release main
		SRC
		cat >"$apt_dir/apt.conf.new" <<-CONF
		Dir::Etc::SourceList "$apt_dir/sources.list";
		Dir::Etc::SourceParts "/nonexistent";
		Dir::State::Lists "$apt_dir/lists";
		Dir::Cache "$apt_dir/cache";
		Dir::Cache::Archives "$apt_dir/archives";
		CONF
		mv "$apt_dir/apt.conf.new" "$APT_CONFIG"
	fi
	# Refresh the lists only when they do not know the pinned revision.
	apt-get source -q --print-uris "strongswan=$pin" >/dev/null 2>&1 &&
		return 0
	apt-get update -q >"$build/apt-update.log" 2>&1 ||
		{ echo "get-source.sh: apt-get update failed:" \
			"$build/apt-update.log" >&2; return 1; }
}

# Whole pinned source package first; unpacking applies Debian's patches.
fetch_pinned()
{
	(cd "$build" && apt-get source -q --only-source "strongswan=$pin") \
		>"$build/apt-source.log" 2>&1 || return 1
	local d
	d=$(find "$build" -maxdepth 1 -type d -name "strongswan-$upstream*" |
		head -n1)
	[[ -n "$d" && -d "$d/src/libcharon" ]] || return 1
	[[ "$d" == "$srcdir" ]] || mv "$d" "$srcdir"
}

# Fallback: the upstream tarball alone, from any pool directory that lists
# it for any revision of this upstream version.
fetch_orig()
{
	local orig dir base

	orig=$(apt-cache showsrc strongswan 2>/dev/null |
		grep -o "strongswan_$upstream\.orig\.tar\.[a-z0-9]*$" | head -n1)
	[[ -n "$orig" ]] || return 1
	for dir in $(apt-cache showsrc strongswan 2>/dev/null |
		     sed -n 's/^Directory: //p' | sort -u); do
		for base in "$security" "$mirror"; do
			curl -fsSL -o "$build/$orig" "$base/$dir/$orig" || continue
			tar -C "$build" -xf "$build/$orig"
			[[ -d "$srcdir/src/libcharon" ]] && return 0
		done
	done
	return 1
}

private_apt || exit 1
if fetch_pinned; then
	echo "debian $pin" >"$srcdir/.qkdpool-source"
else
	echo "get-source.sh: strongswan=$pin unavailable, using the orig tarball" >&2
	rm -rf "$srcdir"
	fetch_orig || { echo "get-source.sh: cannot fetch strongSwan source" >&2
			exit 1; }
	echo "orig $upstream" >"$srcdir/.qkdpool-source"
fi
touch "$stamp"
echo "$srcdir"
