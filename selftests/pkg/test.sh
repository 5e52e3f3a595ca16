#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The three .debs of build/deb/ in the VM (run by selftests/pkg/run.sh,
# which builds them): the guest's root is an overlay thrown away after the
# run, so dpkg may install into it. Only installed paths are used, never
# the build tree:
#
#   dpkg -i qkdpool-dkms qkdpool-tools strongswan-plugin-qkd
#     -> DKMS builds qkdpool.ko for the guest's kernel -> modprobe
#     -> udevd applies 60-qkdpool.rules: /dev/qkdpool root:qkd 0660
#     -> /usr/sbin/qkdctl fills a stream; the units verify
#   dpkg --purge -> no file of ours left, the module unloaded
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/lib/ktap.sh"

ver=${QKD_PKG_VERSION:?run by selftests/pkg/run.sh}
pkgs=(qkdpool-dkms qkdpool-tools strongswan-plugin-qkd)
debs=("$top"/build/deb/qkdpool-dkms_"$ver"_all.deb
	"$top"/build/deb/qkdpool-tools_"$ver"_amd64.deb
	"$top"/build/deb/strongswan-plugin-qkd_"$ver"_amd64.deb)
kver=$(uname -r)
qkdctl=/usr/sbin/qkdctl
units=/lib/systemd/system
tmp=$(mktemp -d)
udevd_pid=

tests=(install dkms udev access qkdctl units security plugin purge)
declare -A titles=(
	[install]="dpkg -i installs the three packages"
	[dkms]="DKMS built qkdpool.ko for the running kernel; modprobe loads it"
	[udev]="udev makes /dev/qkdpool root:qkd 0660"
	[access]="group qkd with CAP_NET_ADMIN opens /dev/qkdpool; others cannot"
	[qkdctl]="installed qkdctl adds a stream and keys"
	[units]="systemd-analyze verify: the installed units are clean"
	[security]="systemd-analyze security: both daemons rated OK or better"
	[plugin]="strongswan-plugin-qkd needs the strongSwan it was built with"
	[purge]="dpkg --purge leaves no file of ours; the module is unloaded"
)

cleanup()
{
	[ -z "$udevd_pid" ] || kill "$udevd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

test_install()
{
	local start=$SECONDS

	# The DKMS build dominates: minutes under QEMU's TCG.
	DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}"
	echo "dpkg -i: $((SECONDS - start)) s"
	for p in "${pkgs[@]}"; do
		[[ $(dpkg-query -W -f='${Status} ${Version}' "$p") == "install ok installed $ver" ]]
		# What purge must take away again.
		dpkg -L "$p" >>"$tmp/files"
	done
	getent group qkd
}

test_dkms()
{
	dkms status qkdpool
	dkms status -k "$kver" qkdpool | grep -q "qkdpool/$ver, $kver, .*: installed"
	[[ $(modinfo -n qkdpool) == "/lib/modules/$kver/updates/dkms/qkdpool.ko"* ]]
	# The kernel hooks rebuild it for kernels installed later.
	[ -x /etc/kernel/postinst.d/dkms ]
	grep -qx 'AUTOINSTALL="yes"' "/usr/src/qkdpool-$ver/dkms.conf"
	modprobe qkdpool
	[ -d /sys/module/qkdpool ]
}

# udev may not run in the VM: start udevd (no systemd needed) and replay
# the device's add event, so the rule installed by the package applies.
test_udev()
{
	[ -c /dev/qkdpool ]
	/lib/systemd/systemd-udevd --resolve-names=late >"$tmp/udevd.log" 2>&1 &
	udevd_pid=$!
	wait_for 20 udevadm control --ping
	udevadm trigger --action=add --subsystem-match=misc --sysname-match=qkdpool
	udevadm settle -t 20
	stat -c '%U:%G %a' /dev/qkdpool
	[[ $(stat -c '%U:%G %a' /dev/qkdpool) == "root:qkd 660" ]]
}

# as USER CAPS CMD...: CMD as USER (with its groups) holding CAPS
# ("+net_admin" or "-all") in its inherited and ambient sets.
as()
{
	local user=$1 caps=$2
	shift 2

	setpriv --reuid="$user" --regid="$user" --init-groups \
		--inh-caps="$caps" --ambient-caps="$caps" -- "$@"
}

# The mode lets group qkd in; the module also asks CAP_NET_ADMIN, so a
# daemon runs as a user in group qkd with that one capability.
test_access()
{
	local open='exec 3<>/dev/qkdpool'

	useradd -M -G qkd qkdop
	useradd -M outsider
	as qkdop +net_admin bash -c "$open"
	! as outsider +net_admin bash -c "$open" 2>"$tmp/err" || false
	grep -q 'Permission denied' "$tmp/err"
	! as qkdop -all bash -c "$open" 2>"$tmp/err" || false
	grep -q 'Operation not permitted' "$tmp/err"
	# A group member with the capability runs qkdctl for real.
	as qkdop +net_admin "$qkdctl" pool stream add byop
	as qkdop +net_admin "$qkdctl" pool key add byop random 2
	[[ $(as qkdop +net_admin "$qkdctl" -j pool show byop | jq '.[0].avail_local') == 2 ]]
	"$qkdctl" pool stream del byop
}

test_qkdctl()
{
	[[ $(dpkg -S "$qkdctl") == "qkdpool-tools: $qkdctl" ]]
	"$qkdctl" pool stream add pkg max-keys 100 lifetime 1h
	"$qkdctl" pool key add pkg random 8
	"$qkdctl" pool show pkg
	[[ $("$qkdctl" -j pool show pkg | jq '.[0].avail_local') == 8 ]]
	"$qkdctl" pool key flush pkg
	"$qkdctl" pool stream del pkg
}

# verify UNIT...: systemd-analyze verify prints nothing and succeeds.
verify()
{
	systemd-analyze verify "$@" >"$tmp/verify" 2>&1 || { cat "$tmp/verify"; return 1; }
	cat "$tmp/verify"
	[ ! -s "$tmp/verify" ]
}

# A template verifies as an instance: a link named like one.
test_units()
{
	grep -q '^ExecStart=/usr/sbin/qkd-kmd ' "$units/qkd-kmd.service"
	verify "$units/qkd-kmd.service"
	mkdir "$tmp/inst"
	ln -s "$units/qkd-macsecd@.service" "$tmp/inst/qkd-macsecd@link0.service"
	verify "$tmp/inst/qkd-macsecd@link0.service"
}

# exposure UNITFILE: "3.0 OK" from systemd-analyze security.
exposure()
{
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -nE 's/^.*Overall exposure level for [^:]*: ([0-9.]+ [A-Z]+).*$/\1/p'
}

test_security()
{
	local unit score

	for unit in "$units/qkd-kmd.service" "$tmp/inst/qkd-macsecd@link0.service"; do
		score=$(exposure "$unit")
		echo "$(basename "$unit"): $score"
		[[ $score =~ ^[0-9.]+\ (PERFECT|SAFE|OK)$ ]]
	done
}

test_plugin()
{
	local built want

	[ -f /usr/lib/ipsec/plugins/libstrongswan-qkd.so ]
	[ -f /etc/strongswan.d/charon/qkd.conf ]
	built=$(dpkg-query -W -f='${Depends}' strongswan-plugin-qkd |
		grep -oE 'strongswan-charon \(= [^)]+\)')
	want="strongswan-charon (= $(dpkg-query -W -f='${Version}' strongswan-charon))"
	echo "$built"
	[[ $built == "$want" ]]
}

test_purge()
{
	local f left=0

	dpkg --purge "${pkgs[@]}"
	for p in "${pkgs[@]}"; do
		! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q installed || false
	done
	sort -u "$tmp/files" >"$tmp/all"
	while IFS= read -r f; do
		if [ -e "$f" ] && [ ! -d "$f" ]; then
			echo "left: $f"
			left=1
		fi
	done <"$tmp/all"
	((left == 0))
	[ ! -e "/usr/src/qkdpool-$ver" ] && [ ! -e /var/lib/dkms/qkdpool ]
	[ ! -e /etc/qkd ]
	! ls /lib/modules/*/updates/dkms/qkdpool.ko 2>/dev/null || false
	[ ! -d /sys/module/qkdpool ]
	# Debian policy: the system group stays, files may still belong to it.
	getent group qkd
}

ktap_plan ${#tests[@]}
for t in "${tests[@]}"; do
	if [ "$t" != install ] && [ "$t" != purge ] && ! dpkg-query -W qkdpool-tools >/dev/null 2>&1; then
		ktap_skip "pkg: ${titles[$t]}" "packages not installed"
		continue
	fi
	ktap_test "pkg: ${titles[$t]}" "test_$t"
done
ktap_finish
