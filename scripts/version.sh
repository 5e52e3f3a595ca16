#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print qkdpool's version as a Debian native version, from git describe:
# tag vX.Y with N commits on top at commit H gives X.Y+N.gH (X.Y alone on
# the tag); without a tag the base is 0.1 and N counts every commit. Each
# commit sorts after its ancestors. A tree with uncommitted changes gets
# ".dirty", so its packages never pass for the commit's. With a revision
# as argument, that commit's version.
#
#   scripts/version.sh [REV]
set -e
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
if desc=$(git describe --tags --long --match 'v[0-9]*' "$rev" 2>/dev/null); then
	base=${desc%-*-g*}
	base=${base#v}
	rest=${desc#"v$base"-}
	n=${rest%%-*}
	hash=${rest#*-g}
else
	base=0.1
	n=$(git rev-list --count "$rev")
	hash=$(git rev-parse --short "$rev")
fi
ver=$base
[ "$n" = 0 ] || ver=$base+$n.g$hash
if [ -z "${1:-}" ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	ver=$ver.dirty
fi
echo "$ver"
