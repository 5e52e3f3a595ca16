# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Where the demo's steps find qkdpool: the build tree (make demo), or with
# QKD_INSTALLED=1 the installed packages only (selftests/pkg/test.sh runs
# the demo so, after dpkg -i): the programs in /usr/sbin, the module that
# DKMS built (modprobe), charon's plugin directory, the example
# configurations of /etc/qkd/examples and
# /usr/share/doc/strongswan-plugin-qkd/examples, and each daemon started by
# the command lines of its installed unit (demo_unit). Test helpers that
# are no part of a package (certs.sh, pooltool, msctl) come from the tree
# in both modes.
#
#   demo_installed        whether this is the installed mode
#   demo_load_pool        load the module (insmod / modprobe)
#   demo_have_pool        whether there is a module to load
#   demo_unit NS RUNDIR UNIT [INSTANCE]
#                         a daemon as its unit starts it (installed mode)
#   demo_conf_set FILE KEY VALUE
#                         one setting of an example configuration

demo_installed() { [ "${QKD_INSTALLED:-}" = 1 ]; }

if demo_installed; then
	demo_qkdctl=/usr/sbin/qkdctl
	demo_kmd=/usr/sbin/qkd-kmd
	demo_simkme=/usr/sbin/qkd-simkme
	demo_macsecd=/usr/sbin/qkd-macsecd
	demo_plugin=/usr/lib/ipsec/plugins/libstrongswan-qkd.so
	demo_examples=/etc/qkd/examples
	demo_swanctl=/usr/share/doc/strongswan-plugin-qkd/examples
	demo_units=/lib/systemd/system
else
	demo_qkdctl=$top/userspace/qkdctl/qkdctl
	demo_kmd=$top/userspace/kmd/qkd-kmd
	demo_simkme=$top/userspace/simkme/qkd-simkme
	demo_macsecd=$top/userspace/macsecd/qkd-macsecd
	demo_plugin=$top/strongswan-plugin/libstrongswan-qkd.so
	demo_swanctl=$top/strongswan-plugin/swanctl
fi

demo_have_pool()
{
	if demo_installed; then
		modinfo -n qkdpool >/dev/null 2>&1
	else
		[ -e "$top/kmod/qkdpool.ko" ]
	fi
}

demo_load_pool()
{
	lsmod | grep -q '^qkdpool ' && return 0
	if demo_installed; then
		modprobe qkdpool
	else
		insmod "$top/kmod/qkdpool.ko"
	fi
}

# demo_unit NSNAME RUNDIR UNIT [INSTANCE]: in gateway NSNAME, what systemd
# does to start the installed UNIT (the VM has no systemd to ask): its
# ExecStartPre lines in order, then its ExecStart, which replaces this
# process (run it in the background: $! is the daemon). %i is INSTANCE; the
# unit's RuntimeDirectory is the gateway's RUNDIR, and its files in /etc are
# the gateway's /etc/netns/NSNAME/ (ip netns exec binds those over /etc),
# so both gateways use the paths the unit names. Left out: --syslog (no
# syslog daemon in the VM: the log goes to stderr) and the sandboxing,
# which systemd-analyze checks in the pkg suite.
demo_unit()
{
	local ns=$1 rundir=$2 unit=$demo_units/$3 inst=${4:-} rtdir pre start

	rtdir=/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")
	[ "$rtdir" != /run/ ] || return 1
	pre=$(sed -n 's/^ExecStartPre=[-+!@:]*//p' "$unit" | sed "s/%i/$inst/g")
	start=$(sed -n 's/^ExecStart=[-+!@:]*//p' "$unit" |
		sed "s/%i/$inst/g; s/ --syslog//")
	[ -n "$start" ] || return 1
	mkdir -p "$rtdir" "$rundir"
	# The command lines hold no quotes: word splitting takes them apart
	# as systemd would.
	exec ip netns exec "$ns" sh -c '
		mount --bind "$1" "$2" || exit 1
		printf "%s\n" "$3" | while read -r cmd; do
			[ -z "$cmd" ] || $cmd || exit 1
		done || exit 1
		exec $4' sh "$rundir" "$rtdir" "$pre" "$start"
}

# demo_conf_set FILE KEY VALUE: the example's line "KEY = ..." (or its
# commented-out "#KEY = ...") becomes "KEY = VALUE"; fails if it has none.
demo_conf_set()
{
	grep -qE "^#? ?$2 = " "$1" || { echo "$1: no $2 to set" >&2; return 1; }
	sed -i -E "0,/^#? ?$2 = .*/s||$2 = $3|" "$1"
}

# demo_show_exe PID...: which program each process runs, and for charon the
# qkd plugin it loaded; the pkg suite checks these lines name no file of
# the build tree.
demo_show_exe()
{
	local pid

	for pid in "$@"; do
		echo "    running: $(readlink "/proc/$pid/exe")" \
			"$(grep -o '/[^ ]*libstrongswan-qkd\.so' "/proc/$pid/maps" |
			   sort -u | sed 's/^/plugin /')"
	done
}
