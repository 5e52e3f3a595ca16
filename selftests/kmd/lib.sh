# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the key manager's VM test and benchmark share: two nodes a and b
# ($gw1 and $gw2 of topo.sh), daemons whose PIDs and logs live in $work,
# and the simulated KME pair. The caller sets top, work, pki and sim, and
# sources selftests/lib/topo.sh.

# shellcheck source=selftests/lib/module.sh
. "$top/selftests/lib/module.sh"

nsname() { [ "$1" = a ] && echo "$gw1" || echo "$gw2"; }
other() { [ "$1" = a ] && echo b || echo a; }

# start_daemon NAME NODE CMD...: run CMD in the node's namespace; its PID
# goes to $work/NAME.pid, its stderr to $work/NAME.log.
start_daemon()
{
	local name=$1 node=$2
	shift 2
	ip netns exec "$(nsname "$node")" "$@" >/dev/null 2>>"$work/$name.log" &
	echo $! >"$work/$name.pid"
}

# start_kme NODE EPOCH RATE [ARGS...]: the node's simulated KME on
# 127.0.0.1:8443; both KMEs of the pair share the seed and the epoch.
start_kme()
{
	local me=$1 epoch=$2 rate=$3
	shift 3
	start_daemon "kme-$me" "$me" "$sim" --listen 127.0.0.1:8443 \
		--cert "$pki/kme-$me.pem" --key "$pki/kme-$me.key" \
		--ca "$pki/ca.pem" --sae "sae-$me" --peer-sae "sae-$(other "$me")" \
		--seed-file "$pki/seed" --epoch "$epoch" --rate "$rate" "$@"
}

# A fresh $work with the test PKI, the module (re)loaded, both nodes up.
kmd_setup()
{
	rm -rf "$work"
	mkdir -p "$work"
	selftests/kmd/certs.sh "$pki"
	qkd_load || return 1
	topo_setup
}

# Kill every daemon left, remove the topology and the module.
kmd_cleanup()
{
	local f

	for f in "$work"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	sleep 0.2
	topo_cleanup
	qkd_unload 2>/dev/null
	return 0
}
