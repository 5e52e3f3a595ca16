# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for qkd-macsecd between the two gateways of topo.sh (test.sh,
# bench.sh and the demo step source this after topo.sh): mirrored pools,
# configuration files, starting and stopping the daemons, reading their
# status and the MACsec state.
#
#   gw1 (leader, 10.0.0.1:7370)  ==== veth0 ====  gw2 (follower, 10.0.0.2:7370)
#   macsec0 10.1.0.1, created by qkd-macsecd      macsec0 10.1.0.2, made by ip link
#   pool stream "link12": local-owned keys   mirrored   peer-owned keys

ms_top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=selftests/lib/module.sh
. "$ms_top/selftests/lib/module.sh"
# QKD_MACSECD: another build of the daemon, to compare two in bench.sh.
macsecd=${QKD_MACSECD:-$ms_top/userspace/macsecd/qkd-macsecd}
qkdctl=$ms_top/userspace/qkdctl/qkdctl
ms_stream=link12
ms_port=7370
ms_dir=

ms_built()
{
	[ -x "$macsecd" ] && [ -x "$qkdctl" ] && [ -e "$qkd_ko" ] &&
		[ -x "$ms_top/selftests/macsec/msctl" ]
}

ms_init()
{
	ms_dir=$(mktemp -d /tmp/qkd-macsec.XXXXXX)
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$ms_dir/ctl.key"
	chmod 600 "$ms_dir/ctl.key"
	qkd_ensure
	modprobe macsec
}

# ms_pools COUNT: a stream in each gateway; COUNT keys owned by gw1, mirrored.
ms_pools()
{
	n1 "$qkdctl" pool stream add "$ms_stream" >/dev/null
	n2 "$qkdctl" pool stream add "$ms_stream" >/dev/null
	ms_add_keys "$1"
}

# ms_add_keys COUNT [mangle|alternate]: more mirrored keys (random, owned
# by gw1), added at gw2 first so that gw1 never offers a key gw2 lacks yet.
# "mangle": gw2 gets the same IDs with other material (a wrong key);
# "alternate": every other key is owned by gw2, as a key manager splits.
ms_add_keys()
{
	python3 - "$1" "$ms_dir/keys" "${2-}" <<'PY'
import os, struct, sys
n, out, how = int(sys.argv[1]), sys.argv[2], sys.argv[3]
LOCAL, PEER = 1, 2
files = {}
def put(name, data):
    if name not in files:
        files[name] = open(out + "." + name, "wb")
        os.fchmod(files[name].fileno(), 0o600)
    files[name].write(data)
for i in range(n):
    kid, mat = bytearray(os.urandom(16)), os.urandom(32)
    kid[6] = (kid[6] & 0x0F) | 0x40
    kid[8] = (kid[8] & 0x3F) | 0x80
    rec = lambda owner, m: bytes(kid) + struct.pack("=IIII", 32, owner, 0, 0) + m + bytes(32)
    mine = PEER if how == "alternate" and i % 2 else LOCAL
    theirs = LOCAL if mine == PEER else PEER
    put("1" + ("local" if mine == LOCAL else "peer"), rec(mine, mat))
    put("2" + ("local" if theirs == LOCAL else "peer"), rec(theirs, bytes(x ^ 0xFF for x in mat) if how == "mangle" else mat))
    put("ids", bytes(kid))
PY
	# As a key manager does: the owner adds last, so that no end can
	# offer a key its peer does not hold yet.
	local f
	for f in 2peer 1peer 2local 1local; do
		[ -e "$ms_dir/keys.$f" ] || continue
		n${f:0:1} "$qkdctl" pool key add "$ms_stream" file "$ms_dir/keys.$f" >/dev/null
		rm -f "$ms_dir/keys.$f"
	done
	cat "$ms_dir/keys.ids" >> "$ms_dir/ids.bin"
	rm -f "$ms_dir/keys.ids"
}

# ms_key_id N: the N-th key ID (1-based) ever added, 32 hex digits as
# `ip macsec show` prints key IDs.
ms_key_id()
{
	od -An -tx1 -j $((($1 - 1) * 16)) -N 16 "$ms_dir/ids.bin" | tr -d ' \n'
}

ms_taken() { $1 "$qkdctl" -j pool show "$ms_stream" | jq '.[0].taken'; }
ms_avail() { $1 "$qkdctl" -j pool show "$ms_stream" | jq '.[0].avail_local + .[0].avail_peer'; }

# ms_config N [KEY=VALUE...]: write gwN's configuration.
ms_config()
{
	local n=$1 peer=$((3 - $1)) kv
	shift
	{
		echo "[global]"
		echo "control-socket = $ms_dir/gw$n.sock"
		echo "metrics = $ms_dir/gw$n.metrics"
		echo "[macsec0]"
		[ "$n" = 1 ] && echo "device = veth0"
		echo "stream = $ms_stream"
		echo "local = 10.0.0.$n:$ms_port"
		echo "peer = 10.0.0.$peer:$ms_port"
		echo "control-key-file = $ms_dir/ctl.key"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} > "$ms_dir/gw$n.conf"
}

# gw2 adopts a device made with ip link; gw1's daemon creates its own.
ms_link2()
{
	ip2 link add link veth0 macsec0 type macsec port 1 encrypt on
	ip2 addr add 10.1.0.2/24 dev macsec0
	ip2 link set macsec0 up
}

# ms_run NSNAME N: gwN's daemon in gateway NSNAME, in place of the calling
# shell, so that in the background $! is the daemon (n1/n2 would leave a
# subshell between). The demo's installed mode replaces it: the packaged
# unit's command line on the packaged configuration.
ms_run() { exec ip netns exec "$1" "$macsecd" -d -c "$ms_dir/gw$2.conf"; }

ms_start()
{
	local n=$1 ns=$gw1

	[ "$n" = 2 ] && ns=$gw2
	ms_run "$ns" "$n" >> "$ms_dir/gw$n.log" 2>&1 &
	echo $! > "$ms_dir/gw$n.pid"
	# long enough for a start on a loaded machine under TCG
	wait_for 30 test -S "$ms_dir/gw$n.sock"
	if [ "$n" = 1 ] && ! ip1 -4 addr show dev macsec0 | grep -q 10.1.0.1; then
		ip1 addr add 10.1.0.1/24 dev macsec0
	fi
}

ms_pid() { cat "$ms_dir/gw$1.pid"; }

# ms_stop N [SIGNAL]
ms_stop()
{
	local pid

	pid=$(ms_pid "$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$ms_dir/gw$1.sock"
}

ms_cleanup()
{
	local n

	for n in 1 2; do
		[ -e "$ms_dir/gw$n.pid" ] && ms_stop "$n" KILL
	done
	[ -n "$ms_dir" ] && rm -rf "$ms_dir"
	return 0
}

# ms_admin N REQUEST: ask gwN's daemon (status|rekey).
ms_admin() { "$ms_top/selftests/macsec/msctl" "$ms_dir/gw$1.sock" "$2"; }

# ms_field N NAME: one field of gwN's status line.
ms_field()
{
	ms_admin "$1" status | awk -v k="$2" '{ for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }'
}

# For wait_for, which evaluates its arguments once: ms_is N NAME OP VALUE
# compares a status field (test's operators) each time it is called.
ms_is() { test "$(ms_field "$1" "$2")" "$3" "$4"; }
ms_avail_is() { test "$(ms_avail "$1")" = "$2"; }

# ms_sas NSWRAPPER: "tx AN KEYID" and "rx AN KEYID" lines of macsec0.
ms_sas()
{
	$1 ip -j macsec show macsec0 | jq -r '
		.[0] | (.sa_list // [] | map("tx \(.an) \(.key) \(.active)")[]),
		       (.rx_sc // [] | map(.sa_list // [] | map("rx \(.an) \(.key) \(.active)")[])[])'
}

ms_encoding_key() { $1 ip -j macsec show macsec0 | jq -r '.[0] as $d | $d.sa_list[] | select(.an == $d.encoding_sa) | .key'; }

ms_ping() { n1 ping -q -c "${1:-1}" -i "${2:-0.2}" -W 1 10.1.0.2 >/dev/null 2>&1; }
ms_tx_dropped() { $1 ip -j -s link show macsec0 | jq '.[0].stats64.tx.dropped'; }

# Every encoding SA has a matching RX SA (same AN, same key ID) at the peer.
ms_consistent()
{
	local a b k1 k2

	a=$(ip1 -j macsec show macsec0 | jq -r '.[0].encoding_sa')
	b=$(ip2 -j macsec show macsec0 | jq -r '.[0].encoding_sa')
	k1=$(ms_encoding_key n1)
	k2=$(ms_encoding_key n2)
	ms_sas n2 | grep -q "^rx $a $k1 true$" && ms_sas n1 | grep -q "^rx $b $k2 true$"
}
