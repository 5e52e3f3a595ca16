#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build qkdpool-dkms, qkdpool-tools and strongswan-plugin-qkd
# with dpkg-buildpackage into build/deb/, then check them with lintian.
#
# The build runs in a fresh copy of the checkout (its tracked and
# unignored files) at build/deb/qkdpool-VERSION/, so no object of a
# development build leaks in and dpkg-buildpackage, which writes beside the
# source tree, writes into build/deb/. The copy gets a debian/changelog of
# one entry for the version scripts/version.sh derives from git describe.
#
# With a revision, the packages of that commit as it was (git archive),
# with its own debian/ and build, into build/deb-prev/: the "previous
# build" the pkg suite upgrades from.
#
#   scripts/mkdeb.sh [REV]    (QKD_DEB_KEEP=1 keeps the build tree)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-}
out=$top/build/deb${rev:+-prev}
cd "$top"

ver=$(scripts/version.sh $rev)
src=$out/qkdpool-$ver
rm -rf "$out"
mkdir -p "$src"

if [ -n "$rev" ]; then
	git archive "$rev" | tar -x -C "$src"
else
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			# Deleted but not yet committed files are still listed.
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done | xargs -0 cp -a --parents -t "$src"
fi

# The plugin compiles against Debian's strongSwan source, fetched once into
# build/strongswan/; hard links lend it to the copy without a second fetch.
ss=build/strongswan
if [ -f "$ss/.source-ok" ]; then
	mkdir -p "$src/$ss"
	cp -al "$ss"/strongswan-* "$ss/.source-ok" "$src/$ss/"
fi

maint=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
cat >"$src/debian/changelog" <<CHANGELOG
qkdpool ($ver) bookworm; urgency=medium

  * Build of $(git describe --always ${rev:---dirty}) ($(git log -1 --format=%s $rev | cut -c1-50)).

 -- $maint  $(git log -1 --format=%aD $rev)
CHANGELOG

(cd "$src" && dpkg-buildpackage -b --no-sign)

changes=$(ls "$out"/qkdpool_"$ver"_*.changes)
echo "lintian $(basename "$changes"):"
lintian --fail-on error,warning --display-info "$changes"
echo "lintian: no errors or warnings"
[ -n "${QKD_DEB_KEEP:-}" ] || rm -rf "$src"
ls -1 "$out"/*.deb
