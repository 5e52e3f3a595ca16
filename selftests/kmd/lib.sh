# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the key manager's VM suites and benchmarks share: the programs
# under test, daemons whose PIDs and logs live in $work, and for the
# two-node suites (kmd, skip, the kmd bench) the nodes a and b ($gw1 and
# $gw2 of topo.sh) with their simulated KME pair. The caller sets top (and
# runs from there), work and pki; the relay suites add selftests/kmd/relay-lib.sh.

# shellcheck source=selftests/lib/ktap.sh
. "$top/selftests/lib/ktap.sh"
# shellcheck source=selftests/lib/topo.sh
. "$top/selftests/lib/topo.sh"
# shellcheck source=selftests/lib/module.sh
. "$top/selftests/lib/module.sh"

kmd=$top/userspace/kmd/qkd-kmd
sim=$top/userspace/simkme/qkd-simkme
keys=$top/selftests/kmd/kmd-keys
qkdctl=$top/userspace/qkdctl/qkdctl
ko=$top/kmod/qkdpool.ko

nsname() { [ "$1" = a ] && echo "$gw1" || echo "$gw2"; }
other() { [ "$1" = a ] && echo b || echo a; }

# Daemons are started inside test subshells: their PIDs live in files.
pidof_() { cat "$work/$1.pid"; }
# gone PID: the process exited (a zombie counts: its parent may be gone).
gone() { [ ! -e "/proc/$1" ] || grep -q ') Z ' "/proc/$1/stat"; }

# kmd_plan SUITE TESTS [FILE...]: the KTAP plan of a suite; when qkd-kmd,
# qkd-simkme, kmd-keys, the module or a FILE is not built, every test is
# skipped and the suite ends here.
kmd_plan()
{
	local suite=$1 tests=$2 f
	shift 2

	ktap_plan "$tests"
	for f in "$kmd" "$sim" "$keys" "$ko" "$@"; do
		[ -e "$f" ] && continue
		for _ in $(seq "$tests"); do
			ktap_skip "$suite" "$f not built"
		done
		exit 0
	done
}

# start_daemon NAME NODE [ENV=VALUE...] CMD...: run CMD in the node's
# namespace; its PID goes to $work/NAME.pid, its stderr to $work/NAME.log.
start_daemon()
{
	local name=$1 node=$2
	shift 2
	# ip execs env, which execs CMD: $! is CMD's PID.
	ip netns exec "$(nsname "$node")" env "$@" >/dev/null \
		2>>"$work/$name.log" &
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

# kmd_pair: kmd_setup for a suite, undone on exit; $epoch for the KMEs.
kmd_pair()
{
	trap kmd_cleanup EXIT
	kmd_setup || { echo "Bail out! insmod failed"; exit 1; }
	epoch=$(date +%s)
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
