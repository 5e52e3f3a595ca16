# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Loading qkdpool for a suite. Under Debian's kernel it is kmod/qkdpool.ko
# (insmod, rmmod); under the debug kernel of `make check-debug` it is built
# in: there is nothing to load or unload, and parameters are set through
# sysfs instead of on the insmod line.

qkd_ko=${qkd_ko:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/kmod/qkdpool.ko}

# A built-in module has a /sys/module entry but no load state.
qkd_builtin()
{
	[ -d /sys/module/qkdpool ] && [ ! -e /sys/module/qkdpool/initstate ]
}

qkd_loaded()
{
	[ -d /sys/module/qkdpool ]
}

# qkd_load [PARAM=VALUE...]: the module freshly loaded with these
# parameters (reloaded if it was there already).
qkd_load()
{
	local arg

	if qkd_builtin; then
		for arg in "$@"; do
			echo "${arg#*=}" >"/sys/module/qkdpool/parameters/${arg%%=*}" ||
				return 1
		done
		return 0
	fi
	if qkd_loaded; then
		rmmod qkdpool || return 1
	fi
	insmod "$qkd_ko" "$@"
}

# qkd_ensure: loaded, whether by this suite or before.
qkd_ensure()
{
	qkd_loaded || insmod "$qkd_ko"
}

# qkd_unload: gone if it was loaded; a built-in one stays.
qkd_unload()
{
	qkd_builtin && return 0
	if qkd_loaded; then
		rmmod qkdpool
	fi
}
