# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: a MACsec link between the gateways, rekeyed from the QKD pool
# every second by qkd-macsecd while a ping runs; key IDs follow the pool.
#
# Installed (QKD_INSTALLED=1): each gateway's daemon runs as the packaged
# qkd-macsecd@link12.service starts it, on /etc/qkd-macsecd/link12.conf
# made from the packaged example (/etc/qkd/examples/qkd-macsecd.conf), in
# the gateway's /etc/netns/GW/, which ip netns exec puts over /etc.
step "MACsec link rekeyed from the pool (qkd-macsecd)"
. "$top/selftests/lib/ktap.sh"
. "$top/selftests/macsec/lib.sh"
demo_ms_inst=link12

# demo_ms_config N [KEY=VALUE...]: ms_config's settings in the packaged
# example, as gwN's /etc/qkd-macsecd/link12.conf.
demo_ms_config()
{
	local n=$1 etc f kv

	etc=/etc/netns/$([ "$n" = 1 ] && echo "$gw1" || echo "$gw2")/qkd-macsecd
	f=$etc/$demo_ms_inst.conf
	shift
	mkdir -p "$etc"
	cp "$demo_examples/qkd-macsecd.conf" "$f"
	install -m 0600 "$ms_dir/ctl.key" "$etc/macsec0.key"
	demo_conf_set "$f" control-socket "/run/qkd-macsecd/$demo_ms_inst.sock"
	demo_conf_set "$f" device veth0
	demo_conf_set "$f" stream "$ms_stream"
	demo_conf_set "$f" local "10.0.0.$n:$ms_port"
	demo_conf_set "$f" peer "10.0.0.$((3 - n)):$ms_port"
	# gw2 adopts a macsec0 made by ip link, with its default cipher.
	demo_conf_set "$f" cipher gcm-aes-128
	for kv in "$@"; do
		demo_conf_set "$f" "${kv%%=*}" "${kv#*=}"
	done
}

# demo_ms_run NSNAME N: ms_run by the packaged unit; its RuntimeDirectory,
# where the control socket is, is $ms_dir/gwN.run, and ms_start and
# ms_admin find the socket through a link at their path.
demo_ms_run()
{
	ln -sfn "gw$2.run/$demo_ms_inst.sock" "$ms_dir/gw$2.sock"
	demo_unit "$1" "$ms_dir/gw$2.run" qkd-macsecd@.service "$demo_ms_inst"
}

if demo_installed; then
	macsecd=$demo_macsecd qkdctl=$demo_qkdctl
	qkd_ko=$(modinfo -n qkdpool 2>/dev/null || echo /nonexistent)
	ms_config() { demo_ms_config "$@"; }
	ms_run() { demo_ms_run "$@"; }
	# the mount point of the gateways' /etc/netns/GW/qkd-macsecd; a
	# machine's own stays as it is
	demo_ms_etc=
	if [ ! -d /etc/qkd-macsecd ]; then
		mkdir /etc/qkd-macsecd
		demo_ms_etc=/etc/qkd-macsecd
	fi
fi

# The pool order of a key ID (#1 = the first key added), as ip prints it.
demo_key_no()
{
	od -An -v -tx1 -w16 "$ms_dir/ids.bin" | tr -d ' ' | grep -n "^$1\$" | cut -d: -f1
}

# From one end's `ip -j macsec show`: its encoding key, its active RX keys.
demo_tx_key() { jq -r '.[0] as $d | $d.sa_list[] | select(.an == $d.encoding_sa) | .key'; }
demo_rx_keys() { jq -r '.[0].rx_sc[]?.sa_list[]? | select(.active) | .key'; }

# One row from snapshots of both ends taken in parallel (under emulation
# one read takes a good part of a second, as long as a rekey): both ends'
# encoding keys, whether each end holds an active RX SA for its peer's,
# and the keys each end has taken.
demo_row()
{
	local d=$ms_dir/row k1 k2 rx=yes pids=()

	ip1 -j macsec show macsec0 > "$d.m1" & pids+=($!)
	ip2 -j macsec show macsec0 > "$d.m2" & pids+=($!)
	n1 "$qkdctl" -j pool show "$ms_stream" > "$d.p1" & pids+=($!)
	n2 "$qkdctl" -j pool show "$ms_stream" > "$d.p2" & pids+=($!)
	# Only these: the daemons and the ping are background jobs too.
	wait "${pids[@]}"
	k1=$(demo_tx_key < "$d.m1")
	k2=$(demo_tx_key < "$d.m2")
	demo_rx_keys < "$d.m2" | grep -qx "$k1" || rx=no
	demo_rx_keys < "$d.m1" | grep -qx "$k2" || rx=no
	echo "    t=$1s  gw1 TX key #$(demo_key_no "$k1"), gw2 TX key #$(demo_key_no "$k2")," \
		"each receives the other's: $rx | keys taken gw1 $(jq '.[0].taken' "$d.p1")," \
		"gw2 $(jq '.[0].taken' "$d.p2")"
}

demo_macsec()
{
	local i out pid t0

	demo_load_pool
	ms_init
	# No keys arrive here: the stock alone paces the rekeys (qkd-macsecd(8),
	# "Rekeying"), and 96 keys beyond the reserve allow 1.6 a second.
	ms_pools 100
	ms_config 1 rekey-interval=1s grace=300ms handshake-timeout=4s
	ms_config 2 rekey-interval=1s grace=300ms handshake-timeout=4s
	ms_link2
	ms_start 1
	ms_start 2
	if demo_installed; then
		demo_show_exe "$(ms_pid 1)" "$(ms_pid 2)"
	fi
	wait_for 30 ms_ping
	echo "    gw1 (leader) created macsec0 on veth0; gw2 (follower) adopted its own"
	echo "    key #N = the N-th key of the pool; 'ip macsec show' prints its ID:" \
		"#1 = $(ms_key_id 1)"
	n1 ping -q -c 150 -i 0.04 -W 2 10.1.0.2 > "$ms_dir/ping.out" &
	pid=$!
	t0=$SECONDS
	for i in 1 2 3 4 5; do
		sleep 1
		demo_row $((SECONDS - t0))
	done
	wait "$pid" || true
	echo "    (Expected, not a fault: a row may catch the ends one key apart. The leader"
	echo "    takes and switches first, the follower on its COMMIT a moment later, and the"
	echo "    snapshots of the two ends, though taken in parallel, are not one instant."
	echo "    What makes the switch hitless is that each end holds an RX SA for the key"
	echo "    its peer transmits with before the peer switches; the ping and gw2's RX"
	echo "    counters below (NotUsingSA, NotValid 0) show that no frame was lost.)"
	out=$(grep 'packets transmitted' "$ms_dir/ping.out")
	echo "    ping over MACsec while rekeying: $out"
	echo "    gw2 RX SC counters: InPktsOK $(rxsc_counter n2 InPktsOK)," \
		"NotValid $(rxsc_counter n2 InPktsNotValid), NotUsingSA $(rxsc_counter n2 InPktsNotUsingSA)," \
		"UnusedSA $(rxsc_counter n2 InPktsUnusedSA), Late $(rxsc_counter n2 InPktsLate)"
	echo "    gw1: $(ms_admin 1 status | cut -d' ' -f1-12) ..."
	echo "    (key IDs are the pool's: 'ip macsec show' prints them; the key bytes never leave the daemons)"
	ms_stop 1
	ms_stop 2
	ip1 link del macsec0
	ip2 link del macsec0
	ms_cleanup
	if demo_installed; then
		rm -rf "/etc/netns/$gw1/qkd-macsecd" "/etc/netns/$gw2/qkd-macsecd"
		[ -z "$demo_ms_etc" ] || rmdir "$demo_ms_etc"
	fi
}

if ms_built; then
	demo_macsec
else
	echo "    not built yet: skipped"
fi
