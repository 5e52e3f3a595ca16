# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: a MACsec link between the gateways, rekeyed from the QKD pool
# every second by qkd-macsecd while a ping runs; key IDs follow the pool.
step "MACsec link rekeyed from the pool (qkd-macsecd)"
. "$top/selftests/lib/ktap.sh"
. "$top/selftests/macsec/lib.sh"

demo_macsec()
{
	local i out pid t0

	ms_init
	ms_pools 40
	ms_config 1 rekey-interval=1s grace=300ms handshake-timeout=4s
	ms_config 2 rekey-interval=1s grace=300ms handshake-timeout=4s
	ms_link2
	ms_start 1
	ms_start 2
	wait_for 30 ms_ping
	echo "    gw1 (leader) created macsec0 on veth0; gw2 (follower) adopted its own"
	n1 ping -q -c 150 -i 0.04 -W 2 10.1.0.2 > "$ms_dir/ping.out" &
	pid=$!
	t0=$SECONDS
	for i in 1 2 3 4 5; do
		sleep 1
		echo "    t=$((SECONDS - t0))s  gw1 TX key $(ms_encoding_key n1) AN $(ip1 -j macsec show macsec0 | jq '.[0].encoding_sa')" \
			"| gw2 TX key $(ms_encoding_key n2)  | keys taken gw1 $(ms_taken n1), gw2 $(ms_taken n2)"
	done
	wait "$pid" || true
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
}

if ms_built; then
	demo_macsec
else
	echo "    not built yet: skipped"
fi
