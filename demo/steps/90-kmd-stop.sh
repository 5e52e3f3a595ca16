# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Last step: stop the key managers started by 20-kmd.sh (they fed the IPsec
# step) and remove their streams, which wipes the keys left in them.
if [ "${kmd_running:-}" = yes ]; then
	step "key managers stopped, their streams removed (keys left: zeroized)"
	kill "${kmd_pids[@]}" 2>/dev/null || true
	wait "${kmd_pids[@]}" 2>/dev/null || true
	n1 "$kmd_ctl" pool stream del "$kmd_s1" || true
	n2 "$kmd_ctl" pool stream del "$kmd_s2" || true
	# the installed mode's configurations and keys (20-kmd.sh)
	rm -rf "$kmd_dir" "/etc/netns/$gw1/qkd" "/etc/netns/$gw2/qkd"
	rmdir "/etc/netns/$gw1" "/etc/netns/$gw2" 2>/dev/null || true
	kmd_running=no
fi
