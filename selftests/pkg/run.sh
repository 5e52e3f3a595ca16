#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, end to end. On the host: build them (make deb) unless
# build/deb/ holds this version's already, and lintian them; build the
# previous build's too, from the commit where packaging landed
# (QKD_PKG_PREV=REV for another), into build/deb-prev/. Then in the VM
# (selftests/pkg/test.sh): install the previous build, upgrade, DKMS,
# device access, daemons, units, purge. The packages are built on the host
# because a dpkg-buildpackage under QEMU's TCG takes many times longer.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/lib/ktap.sh"
cd "$top" || exit 1

ver=$(scripts/version.sh)
debs=(build/deb/qkdpool-dkms_"$ver"_all.deb
	build/deb/qkdpool-tools_"$ver"_amd64.deb
	build/deb/strongswan-plugin-qkd_"$ver"_amd64.deb)
prev_rev=${QKD_PKG_PREV:-$(git log --diff-filter=A --format=%h -1 -- debian/control)}
prev_ver=$(scripts/version.sh "$prev_rev")

test_build()
{
	local deb

	for deb in "${debs[@]}"; do
		[ -e "$deb" ] && continue
		scripts/mkdeb.sh
		break
	done
	for deb in "${debs[@]}"; do
		ls -l "$deb"
	done
}

# Its own mkdeb.sh run, lintian included.
test_prev()
{
	[ -e build/deb-prev/qkdpool-tools_"$prev_ver"_amd64.deb ] ||
		scripts/mkdeb.sh "$prev_rev"
	ls -l build/deb-prev/*_"$prev_ver"_*.deb
}

test_lintian()
{
	lintian --fail-on error,warning --display-info "${debs[@]}"
}

ktap_plan 3
for dep in debhelper dh-dkms dkms lintian; do
	if ! dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'ok installed'; then
		ktap_skip "pkg: make deb builds the three packages" "$dep missing (scripts/deps.sh deb)"
		ktap_skip "pkg: lintian, no error or warning" "$dep missing (scripts/deps.sh deb)"
		ktap_skip "pkg: the previous build's packages" "$dep missing (scripts/deps.sh deb)"
		exit 0
	fi
done
ktap_test "pkg: make deb builds the three packages ($ver)" test_build
((ktap_failed)) && ktap_finish
ktap_test "pkg: lintian, no error or warning" test_lintian
ktap_test "pkg: the previous build's packages ($prev_ver)" test_prev

mkdir -p "$top/build/results"
# 47 min in one run on a loaded machine (each dpkg -i 17 min of it)
QKD_PKG_VERSION=$ver QKD_PKG_PREV_VERSION=$prev_ver selftests/qemu/vm-run.sh -t 5400 \
	-l "$top/build/results/pkg.vm.log" selftests/pkg/test.sh
rc=$?
((rc == 0 && ktap_failed == 0))
