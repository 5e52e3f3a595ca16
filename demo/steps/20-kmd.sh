# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: the key manager. A simulated QKD link (two qkd-simkme KMEs
# sharing a seed, one per gateway, each reachable from its own gateway only)
# feeds qkd-kmd on each gateway; the two key managers agree on keys over
# Kx (TLS 1.3) and fill one stream per gateway, with mirrored ownership.
# The daemons keep the streams filled for the later steps, which take their
# keys from them; the last step stops them and removes the streams.
#
# Installed (QKD_INSTALLED=1): each gateway's qkd-kmd runs as its unit
# starts it, on /etc/qkd/qkd-kmd.conf made from the packaged example of its
# node (/etc/qkd/examples/qkd-kmd-node-a.conf for gw1, node-b for gw2, the
# topology they describe), in the gateway's /etc/netns/GW/qkd/ that ip
# netns exec puts over /etc/qkd.
step "key manager: qkd-simkme (ETSI 014) -> qkd-kmd -> kernel pool"
kmd_bin=$demo_kmd
kmd_sim=$demo_simkme
kmd_ctl=$demo_qkdctl

# kmd_conf ME YOU N: the build tree's key manager configuration of node-ME,
# at gateway gwN.
kmd_conf()
{
	printf '[node]\nid = node-%s\n' "$1"
	[ "$3" = 2 ] && echo "kx_listen = 10.0.0.2:7001"
	printf 'cert = %s\nkey = %s\nca = %s\n' \
		"$kmd_dir/pki/node-$1.pem" "$kmd_dir/pki/node-$1.key" \
		"$kmd_dir/pki/ca.pem"
	printf 'status_file = %s\n' "$(kmd_status "$1")"
	printf '[peer node-%s]\nstream = gw%s\n' "$2" $((3 - $3))
	if [ "$3" = 1 ]; then
		printf 'role = master\naddress = 10.0.0.2:7001\n'
	else
		printf 'role = slave\n'
	fi
	printf 'kme_url = https://127.0.0.1:8443\n'
	printf 'sae_id = sae-%s\npeer_sae_id = sae-%s\n' "$1" "$2"
	printf 'kme_cert = %s\nkme_key = %s\n' \
		"$kmd_dir/pki/sae-$1.pem" "$kmd_dir/pki/sae-$1.key"
	printf 'fill_target = 256\nbatch = 64\nmax_keys = 1024\n'
}

# kmd_etc ME NSNAME: the installed mode's /etc/qkd of gateway NSNAME, node
# ME: the packaged example with the demo's fill target, and the files it
# names (the throw-away PKI, a SKIP key for the router it serves).
kmd_etc()
{
	local etc=/etc/netns/$2/qkd

	mkdir -p "$etc"
	cp "$demo_examples/qkd-kmd-node-$1.conf" "$etc/qkd-kmd.conf"
	demo_conf_set "$etc/qkd-kmd.conf" fill_target 256
	demo_conf_set "$etc/qkd-kmd.conf" max_keys 1024
	install -m 0644 "$kmd_dir/pki/ca.pem" "$etc/"
	install -m 0600 "$kmd_dir/pki/node-$1".{pem,key} \
		"$kmd_dir/pki/sae-$1".{pem,key} "$etc/"
	(umask 077 && echo "router-$1 $(od -An -N32 -tx1 /dev/urandom |
		tr -d ' \n')" >"$etc/skip.psk")
}

# kmd_status ME: node-ME's status file, as this shell sees it.
kmd_status()
{
	if demo_installed; then
		echo "$kmd_dir/run-$1/status.json"
	else
		echo "$kmd_dir/$1.json"
	fi
}

if [ ! -x "$kmd_bin" ] || [ ! -x "$kmd_sim" ] || [ ! -x "$kmd_ctl" ] ||
   ! demo_have_pool; then
	echo "    not built yet: skipped"
else
	demo_load_pool
	kmd_dir=$(mktemp -d /tmp/qkd-demo-kmd.XXXXXX)
	# The streams of the peers: each gateway's stream to the other.
	if demo_installed; then
		kmd_s1=node-b kmd_s2=node-a
	else
		kmd_s1=gw2 kmd_s2=gw1
	fi
	"$top/selftests/kmd/certs.sh" "$kmd_dir/pki" >/dev/null
	kmd_epoch=$(date +%s)
	kmd_pids=()
	for kmd_n in 1 2; do
		kmd_me=$([ $kmd_n = 1 ] && echo a || echo b)
		kmd_you=$([ $kmd_n = 1 ] && echo b || echo a)
		kmd_ns=$([ $kmd_n = 1 ] && echo "$gw1" || echo "$gw2")
		ip netns exec "$kmd_ns" "$kmd_sim" --listen 127.0.0.1:8443 \
			--cert "$kmd_dir/pki/kme-$kmd_me.pem" \
			--key "$kmd_dir/pki/kme-$kmd_me.key" \
			--ca "$kmd_dir/pki/ca.pem" --sae "sae-$kmd_me" \
			--peer-sae "sae-$kmd_you" --seed-file "$kmd_dir/pki/seed" \
			--epoch "$kmd_epoch" --rate 1000 \
			>/dev/null 2>>"$kmd_dir/kme-$kmd_me.log" &
		kmd_pids+=($!)
		if demo_installed; then
			kmd_etc "$kmd_me" "$kmd_ns"
		else
			kmd_conf "$kmd_me" "$kmd_you" "$kmd_n" \
				>"$kmd_dir/$kmd_me.conf"
		fi
	done
	# gw2 listens for Kx: it starts first.
	for kmd_me in b a; do
		kmd_ns=$([ $kmd_me = a ] && echo "$gw1" || echo "$gw2")
		if demo_installed; then
			demo_unit "$kmd_ns" "$kmd_dir/run-$kmd_me" qkd-kmd.service \
				>/dev/null 2>>"$kmd_dir/kmd-$kmd_me.log" &
		else
			ip netns exec "$kmd_ns" "$kmd_bin" -c "$kmd_dir/$kmd_me.conf" \
				>/dev/null 2>>"$kmd_dir/kmd-$kmd_me.log" &
		fi
		kmd_pids+=($!)
	done
	kmd_keys() { jq -r '.peers[0].pool.keys' "$(kmd_status "$1")" 2>/dev/null || echo 0; }
	for _ in $(seq 600); do
		[ "$(kmd_keys a)" = 256 ] && [ "$(kmd_keys b)" = 256 ] && break
		sleep 0.1
	done
	echo "    KMEs: kme-a (gw1) and kme-b (gw2), 1000 keys/s, 256-bit keys"
	if demo_installed; then demo_show_exe "${kmd_pids[@]}"; fi
	echo "    qkdctl km status (gw1, then gw2): both streams filled to target"
	for kmd_me in a b; do
		"$kmd_ctl" km status file "$(kmd_status "$kmd_me")" |
			sed 's/^/      /'
	done
	if [ -x "$kmd_ctl" ]; then
		echo "    qkdctl pool show (gw1, then gw2):"
		n1 "$kmd_ctl" pool show "$kmd_s1" | sed 's/^/      /'
		n2 "$kmd_ctl" pool show "$kmd_s2" | sed 1d | sed 's/^/      /'
		# Material stays in shell variables: compared, never printed.
		kmd_a=$(n1 "$kmd_ctl" -j --show-material pool key take "$kmd_s1")
		kmd_id=$(jq -r .id <<<"$kmd_a")
		kmd_b=$(n2 "$kmd_ctl" -j --show-material pool key take "$kmd_s2" id "$kmd_id")
		echo "    gw1 takes key $kmd_id; gw2 takes it by ID:" \
			"material identical: $([ "$(jq -r .material <<<"$kmd_a")" = "$(jq -r .material <<<"$kmd_b")" ] && echo yes || echo NO)"
		unset kmd_a kmd_b
	fi
	# The key managers keep running: the IPsec step takes its PPKs from
	# these streams; demo/steps/90-kmd-stop.sh stops them.
	kmd_running=yes
fi
