#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: run every benchmark that exists, each in one VM boot (its
# ratios are measured within that one run) or, marked "host", on this
# machine, and print their tables. The benchmarks also leave data files in
# build/bench/, which selftests/plot.sh draws as PNGs beside them at the end
# (ingest rate against KME rate, rekey latency distribution, take cost
# against stream size).
#
# usage: selftests/bench.sh [NAME...]     (default: all benchmarks below)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

# name:command (arguments after spaces)[:host | :vm:TIMEOUT] (VM default 900 s)
benches=(
	"links:selftests/net/bench-links.sh"
	"pool:selftests/pool/bench.sh"
	"strongswan:selftests/strongswan/bench.sh"
	"strongswan-cost:selftests/strongswan/cost.sh:host"
	"strongswan6-cost:selftests/strongswan/cost.sh 6:host"
	"strongswan6-ke:selftests/strongswan/bench-ke6.sh"
	"strongswan6-kecost:selftests/strongswan/kecost.sh:host"
	"strongswan6-kecost-pool:selftests/strongswan/kecost.sh pool"
	"macsec:selftests/macsec/bench.sh"
	"kmd:selftests/kmd/bench.sh"
	"relay:selftests/kmd/bench-relay.sh:vm:3600"
	"tls:selftests/tls/bench.sh"
)

scripts/deps.sh all && make -s all || exit 1
mkdir -p build/bench
rc=0
for entry in "${benches[@]}"; do
	IFS=: read -r name cmd where tmo <<<"$entry"
	read -ra argv <<<"$cmd"
	if (($#)) && [[ " $* " != *" $name "* ]]; then
		continue
	fi
	if [ ! -e "${argv[0]}" ]; then
		echo "== bench $name: not built yet, skipped"
		continue
	fi
	echo "== bench $name"
	if [ "$where" = host ]; then
		"${argv[@]}" || rc=1
	else
		selftests/qemu/vm-run.sh -t "${tmo:-900}" "${argv[@]}" || rc=1
	fi
	echo
done
selftests/plot.sh build/bench || rc=1
exit $rc
