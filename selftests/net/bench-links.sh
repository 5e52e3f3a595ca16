#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Baseline throughput of the two-gateway link (topology in lib/topo.sh) in
# the VM: plain veth, static-key MACsec (GCM-AES-128) and an ESP transport
# SA (rfc4106(gcm(aes))). The QKD-keyed suites compare against these. TCG
# emulation makes absolute figures meaningless: read the ratios.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/topo.sh"
. "$here/../lib/static-links.sh"

secs=${QKD_BENCH_SECS:-3}

# iperf_mbps DST: TCP throughput from gw1 to DST, in Mbit/s.
iperf_mbps()
{
	n2 iperf3 -s -1 -D -B "$1" >/dev/null
	wait_listen n2 "$1" 5201
	n1 iperf3 -c "$1" -t "$secs" -J |
		jq '.end.sum_received.bits_per_second / 1e6 | floor'
}

trap topo_cleanup EXIT
topo_setup
modprobe -a macsec esp4 xfrm_user

plain=$(iperf_mbps 10.0.0.2)
setup_macsec "$key1" "$key1"
macsec=$(iperf_mbps 10.1.0.2)
teardown_macsec
setup_esp
esp=$(iperf_mbps 10.0.0.2)
teardown_esp

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
echo "link throughput, TCP ${secs}s per row, iperf3 (baseline: plain veth)"
printf '%-34s %12s %8s\n' "link" "Mbit/s" "ratio"
printf '%-34s %12s %8s\n' "plain veth" "$plain" "1.00"
printf '%-34s %12s %8s\n' "MACsec GCM-AES-128, static key" "$macsec" "$(ratio "$macsec" "$plain")"
printf '%-34s %12s %8s\n' "ESP rfc4106(gcm(aes)), transport" "$esp" "$(ratio "$esp" "$plain")"
