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
#   scripts/mkdeb.sh          (QKD_DEB_KEEP=1 keeps the build tree)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
cd "$top"

ver=$(scripts/version.sh)
src=$out/qkdpool-$ver
rm -rf "$out"
mkdir -p "$src"

git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		# Deleted but not yet committed files are still listed.
		[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
	done | xargs -0 cp -a --parents -t "$src"

# The plugin compiles against Debian's strongSwan source, fetched once into
# build/strongswan/; hard links lend it to the copy without a second fetch.
ss=build/strongswan
if [ -f "$ss/.source-ok" ]; then
	mkdir -p "$src/$ss"
	cp -al "$ss"/strongswan-* "$ss/.source-ok" "$src/$ss/"
fi

maint=$(sed -n 's/^Maintainer: //p' debian/control)
cat >"$src/debian/changelog" <<CHANGELOG
qkdpool ($ver) bookworm; urgency=medium

  * Build of $(git describe --always --dirty) ($(git log -1 --format=%s | cut -c1-50)).

 -- $maint  $(git log -1 --format=%aD)
CHANGELOG

(cd "$src" && dpkg-buildpackage -b --no-sign)

changes=$(ls "$out"/qkdpool_"$ver"_*.changes)
echo "lintian $(basename "$changes"):"
lintian --fail-on error,warning --display-info "$changes"
echo "lintian: no errors or warnings"
[ -n "${QKD_DEB_KEEP:-}" ] || rm -rf "$src"
ls -1 "$out"/*.deb
