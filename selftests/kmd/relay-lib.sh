# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Networks of qkd-kmd nodes in one VM, for the relay suites, benchmark and
# profile (selftests/kmd/relay.sh, relay-apps.sh, bench-relay.sh,
# prof-relay.sh); sourced after selftests/kmd/lib.sh.
#
# Every node is a network namespace with its own key pool, its qkd-kmd,
# and one qkd-simkme per QKD link it has. A link i-j (i < j) is a veth pair
# (10.i.j.1 at node i, 10.i.j.2 at node j); node i is its master and dials
# node j's Kx port; the two KMEs of the link share a seed. Only the two
# end nodes of a far stream have a [far] section for each other.
#
# The caller sets work, pki, link_target, far_target and kme_rate, then
# nodes, edges ("1-2 2-3") and fars ("1-3") before each topology; faults
# (node -> QKD_KMD_FAULT, run by $kmd_faults), extra_far (node -> far
# node without a route), link_targets (link "i-j", i < j -> its
# fill_target instead of $link_target), link_max and far_max (max_keys),
# link_batch, relay_timeout and relay_window ([relay] timeout, window)
# and relay_batches (node -> [relay] batch) or relay_batch (every node's;
# default the daemon's, 16) are optional.

nodes=0 edges="" fars=""
declare -A link_targets=() relay_batches=()

ns() { echo "qkd-r$1-$$"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
nsname() { ns "$1"; }

# other_ends I PAIRS: the nodes paired with node I in PAIRS ("1-2 2-3").
other_ends()
{
	local e

	for e in $2; do
		case $e in
		"$1"-*) echo "${e#*-}" ;;
		*-"$1") echo "${e%-*}" ;;
		esac
	done
}
neighbours() { other_ends "$1" "$edges"; }
far_of() { other_ends "$1" "$fars"; }

lo() { (($1 < $2)) && echo "$1" || echo "$2"; }
hi() { (($1 > $2)) && echo "$1" || echo "$2"; }
# target_of I J: the fill target of the link between nodes I and J.
target_of() { echo "${link_targets[$(lo "$1" "$2")-$(hi "$1" "$2")]:-$link_target}"; }

write_conf()
{
	local i=$1 j f

	{
		printf '[node]\nid = node-%s\nkx_listen = 0.0.0.0:7001\n' "$i"
		echo "cert = $pki/node-$i.pem"
		echo "key = $pki/node-$i.key"
		echo "ca = $pki/ca.pem"
		echo "status_file = $work/$i.status.json"
		echo "log_level = info"
		printf '[relay]\ntimeout = %s\ndry = 4\n' "${relay_timeout:-20}"
		if [ -n "${relay_window:-}" ]; then echo "window = $relay_window"; fi
		if [ -n "${relay_batches[$i]-${relay_batch:-}}" ]; then
			echo "batch = ${relay_batches[$i]-$relay_batch}"
		fi
		[ -n "$(far_of "$i")" ] && printf '[ak]\nlisten = 127.0.0.1:9443\n'
		for j in $(neighbours "$i"); do
			echo "[peer node-$j]"
			if ((i < j)); then
				echo "role = master"
				echo "address = 10.$i.$j.2:7001"
			else
				echo "role = slave"
			fi
			echo "kme_url = https://127.0.0.1:$((8000 + j))"
			echo "sae_id = sae-$i"
			echo "peer_sae_id = sae-$j"
			echo "kme_cert = $pki/sae-$i.pem"
			echo "kme_key = $pki/sae-$i.key"
			echo "fill_target = $(target_of "$i" "$j")"
			echo "batch = ${link_batch:-32}"
			echo "max_keys = ${link_max:-2000}"
		done
		for f in $(far_of "$i") ${extra_far[$i]-}; do
			echo "[far node-$f]"
			echo "fill_target = $far_target"
			echo "max_keys = ${far_max:-1000}"
			echo "app_sae_id = app-$i"
			echo "peer_app_sae_id = app-$f"
		done
	} >"$work/$i.conf"
}

# start_kmd I: node I's key manager (the fault build where asked for).
start_kmd()
{
	local bin=$kmd env=()

	if [ -n "${faults[$1]-}" ]; then
		bin=$kmd_faults
		env=("QKD_KMD_FAULT=${faults[$1]}")
	fi
	start_daemon "kmd-$1" "$1" "${env[@]}" "$bin" -c "$work/$1.conf"
}

# topology: a fresh state with $nodes nodes, the links $edges ("1-2 2-3"),
# a KME pair per link and the far streams $fars ("1-3"). The caller sets
# them outside the tests, which run in subshells.
topology()
{
	local i

	teardown
	# Each namespace has its own pool: the module stays loaded.
	lsmod | grep -q '^qkdpool ' || insmod "$ko" || return 1
	for i in $(seq "$nodes"); do
		ip netns add "$(ns "$i")"
		ip -n "$(ns "$i")" link set lo up
	done
	relay_links
	relay_start
}

# relay_links: a veth pair per link of $edges between the nodes' namespaces.
relay_links()
{
	local e a b

	for e in $edges; do
		a=${e%-*} b=${e#*-}
		ip -n "$(ns "$a")" link add "to$b" type veth peer name "to$a" \
			netns "$(ns "$b")"
		ip -n "$(ns "$a")" addr add "10.$a.$b.1/24" dev "to$b"
		ip -n "$(ns "$b")" addr add "10.$a.$b.2/24" dev "to$a"
		ip -n "$(ns "$a")" link set "to$b" up
		ip -n "$(ns "$b")" link set "to$a" up
	done
}

# relay_start: a fresh $work, the PKI, a KME pair per link sharing a fresh
# seed, and every node's key manager.
relay_start()
{
	local i e a b n=$((nodes > 6 ? nodes : 6))

	rm -rf "$work" "$pki"/seed-*
	mkdir -p "$work"
	if [ ! -e "$pki/app-$n.pem" ]; then
		# shellcheck disable=SC2046
		selftests/kmd/certs.sh "$pki" $(for i in $(seq $n); do
			echo "node-$i sae-$i app-$i"; done) >/dev/null
	fi
	epoch=$(date +%s)
	for e in $edges; do
		a=${e%-*} b=${e#*-}
		head -c 32 /dev/urandom >"$pki/seed-$a-$b"
		start_link_kme "$a" "$b"
		start_link_kme "$b" "$a"
	done
	for i in $(seq "$nodes"); do
		write_conf "$i"
		start_kmd "$i"
	done
}

# start_link_kme I J: node I's KME of the link to node J.
start_link_kme()
{
	local i=$1 j=$2

	start_daemon "kme-$i-$j" "$i" "$sim" \
		--listen "127.0.0.1:$((8000 + j))" \
		--cert "$pki/kme-a.pem" --key "$pki/kme-a.key" \
		--ca "$pki/ca.pem" --sae "sae-$i" --peer-sae "sae-$j" \
		--seed-file "$pki/seed-$(lo "$i" "$j")-$(hi "$i" "$j")" \
		--epoch "$epoch" --rate $kme_rate
}

teardown()
{
	local f i

	for f in "$work"/*.pid; do
		if [ -f "$f" ]; then
			kill -9 "$(cat "$f")" 2>/dev/null || true
			# Reaped here, bash does not print "Killed" for it.
			wait "$(cat "$f")" 2>/dev/null || true
		fi
	done
	sleep 0.3
	for i in $(ip netns list | sed -n "s/^qkd-r\([0-9]*\)-$$\b.*/\1/p"); do
		ip netns del "$(ns "$i")"
	done
}
relay_cleanup()
{
	teardown
	sleep 1
	rmmod qkdpool 2>/dev/null
	return 0
}

# st I JQ-FILTER: from node I's status file.
st() { jq -r "$2" "$work/$1.status.json" 2>/dev/null; }
# far I J JQ: node I's far stream to node J, as its status says.
far() { st "$1" ".relay.far[] | select(.node == \"node-$2\") | $3"; }
links_up()
{
	local i

	for i in $(seq "$nodes"); do
		jq -e '[.peers[].kx.state] | all(. == "up")' \
			"$work/$i.status.json" >/dev/null 2>&1 || return 1
	done
}
route_is() { [ "$(st "$1" ".relay.routes[] | select(.node == \"node-$2\") | .path | join(\" \")")" = "$3" ]; }
info() { in_ns "$1" "$keys" info "node-$2"; }
pool_keys() { info "$1" "$2" | awk '{ print $1 + $2 + $3 }'; }
filled()
{
	[ "$(pool_keys "$1" "$2")" = $far_target ] &&
		[ "$(pool_keys "$2" "$1")" = $far_target ]
}
# idle I J: both ends full and no relay between them in flight.
idle()
{
	filled "$1" "$2" &&
		[ "$(far "$1" "$2" '.inflight | add')" = 0 ] &&
		[ "$(far "$2" "$1" '.inflight | add')" = 0 ]
}

# cross I J [MIN]: take node I's local-owned keys of the stream to node
# J, at least MIN of them (default 1), then the same IDs (peer-owned
# there) at node J; IDs and material must match.
cross()
{
	local i=$1 j=$2 min=${3:-1} n

	in_ns "$i" "$keys" drain "node-$j" >"$work/$i.local"
	cut -d' ' -f1 "$work/$i.local" |
		in_ns "$j" "$keys" take "node-$i" >"$work/$j.peer"
	n=$(wc -l <"$work/$i.local")
	echo "node-$i owned $n keys of the far stream; node-$j had the same"
	[ "$n" -ge "$min" ]
	! grep -q ' error$' "$work/$j.peer" || false
	cmp -s "$work/$i.local" "$work/$j.peer"
	rm -f "$work/$i.local" "$work/$j.peer"
}

# settled I J: stop both ends' key managers once idle, use every key of
# the far stream from both sides, and find both pools empty: no key was
# at one end only. The key managers start again.
settled()
{
	local i=$1 j=$2

	wait_for 120 idle "$i" "$j"
	kill "$(pidof_ "kmd-$i")" "$(pidof_ "kmd-$j")"
	wait_for 10 gone "$(pidof_ "kmd-$i")"
	wait_for 10 gone "$(pidof_ "kmd-$j")"
	cross "$i" "$j"
	cross "$j" "$i"
	echo "left: node-$i $(info "$i" "$j"), node-$j $(info "$j" "$i")"
	[ "$(pool_keys "$i" "$j")" = 0 ]
	[ "$(pool_keys "$j" "$i")" = 0 ]
	start_kmd "$i"
	start_kmd "$j"
}

# For the benchmarks (bench-relay.sh, prof-relay.sh): counters of a
# running network.

now() { date +%s.%N; }
# added I J: keys ever added to node I's stream to node J (far or link).
added() { info "$1" "$2" | cut -d' ' -f4; }
# counter NAME: the relay counter NAME summed over every node.
counter()
{
	local i n=0 v

	for i in $(seq "$nodes"); do
		v=$(st "$i" ".relay.counters.$1 // 0")
		n=$((n + ${v:-0}))
	done
	echo $n
}
# cpu_ns NAME...: nanoseconds on a CPU of the daemons NAME so far, from
# the scheduler (/proc/PID/schedstat): under TCG the guest's tick
# accounting overcounts.
cpu_ns()
{
	local d n=0

	for d in "$@"; do
		n=$((n + $(cut -d' ' -f1 "/proc/$(pidof_ "$d")/schedstat")))
	done
	echo $n
}
# kmds: the daemon names of every node's key manager.
kmds() { seq -f 'kmd-%g' "$nodes"; }
# cpu: nanoseconds on a CPU of every key manager so far.
cpu()
{
	local names

	mapfile -t names < <(kmds)
	cpu_ns "${names[@]}"
}
# pair_keys PAIRS: keys added to the streams of PAIRS ("1-2 2-3"), each
# counted at its first node.
pair_keys()
{
	local e n=0

	for e in $1; do
		n=$((n + $(added "${e%-*}" "${e#*-}")))
	done
	echo $n
}
# far_keys: keys added to the far streams, each counted at one end.
far_keys() { pair_keys "$fars"; }
routes_up()
{
	local e

	for e in $fars; do
		[ -n "$(st "${e%-*}" ".relay.routes[] | select(.node == \"node-${e#*-}\") | .path[0]")" ] ||
			return 1
	done
}

# relay_bench_up [WARMUP]: the network of $nodes, $edges and $fars at
# $kme_rate link keys/s, every far stream with a route, then WARMUP
# seconds (default $warmup). The
# link streams hold about a second of their rate, so that after the
# warm-up the relays live on what the links bring, not on a stock filled
# before.
relay_bench_up()
{
	link_target=$((kme_rate < 256 ? 256 : kme_rate))
	link_max=$((2 * link_target))
	link_batch=$((link_target / 4 > 1024 ? 1024 : link_target / 4))
	topology
	wait_for 180 links_up || { echo "# links not up"; return 1; }
	wait_for 120 routes_up || { echo "# no route"; return 1; }
	sleep "${1:-$warmup}"
}
