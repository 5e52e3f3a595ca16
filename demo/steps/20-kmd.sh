# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: the key manager. A simulated QKD link (two qkd-simkme KMEs
# sharing a seed, one per gateway, each reachable from its own gateway only)
# feeds qkd-kmd on each gateway; the two key managers agree on keys over
# Kx (TLS 1.3) and fill one stream per gateway, with mirrored ownership.
# The daemons keep the streams filled for the later steps, which take their
# keys from them; the last step stops them and removes the streams.
step "key manager: qkd-simkme (ETSI 014) -> qkd-kmd -> kernel pool"
kmd_bin=$top/userspace/kmd/qkd-kmd
kmd_sim=$top/userspace/simkme/qkd-simkme
kmd_ctl=$top/userspace/qkdctl/qkdctl
if [ ! -x "$kmd_bin" ] || [ ! -x "$kmd_sim" ] || [ ! -x "$kmd_ctl" ] ||
   [ ! -e kmod/qkdpool.ko ]; then
	echo "    not built yet: skipped"
else
	lsmod | grep -q '^qkdpool ' || insmod kmod/qkdpool.ko
	kmd_dir=$(mktemp -d /tmp/qkd-demo-kmd.XXXXXX)
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
		{
			printf '[node]\nid = node-%s\n' "$kmd_me"
			[ $kmd_n = 2 ] && echo "kx_listen = 10.0.0.2:7001"
			printf 'cert = %s\nkey = %s\nca = %s\n' \
				"$kmd_dir/pki/node-$kmd_me.pem" \
				"$kmd_dir/pki/node-$kmd_me.key" "$kmd_dir/pki/ca.pem"
			printf 'status_file = %s\n' "$kmd_dir/$kmd_me.json"
			printf '[peer node-%s]\nstream = gw%s\n' "$kmd_you" \
				$((3 - kmd_n))
			if [ $kmd_n = 1 ]; then
				printf 'role = master\naddress = 10.0.0.2:7001\n'
			else
				printf 'role = slave\n'
			fi
			printf 'kme_url = https://127.0.0.1:8443\n'
			printf 'sae_id = sae-%s\npeer_sae_id = sae-%s\n' \
				"$kmd_me" "$kmd_you"
			printf 'kme_cert = %s\nkme_key = %s\n' \
				"$kmd_dir/pki/sae-$kmd_me.pem" \
				"$kmd_dir/pki/sae-$kmd_me.key"
			printf 'fill_target = 256\nbatch = 64\nmax_keys = 1024\n'
		} >"$kmd_dir/$kmd_me.conf"
	done
	ip netns exec "$gw2" "$kmd_bin" -c "$kmd_dir/b.conf" \
		>/dev/null 2>>"$kmd_dir/kmd-b.log" &
	kmd_pids+=($!)
	ip netns exec "$gw1" "$kmd_bin" -c "$kmd_dir/a.conf" \
		>/dev/null 2>>"$kmd_dir/kmd-a.log" &
	kmd_pids+=($!)
	kmd_keys() { jq -r '.peers[0].pool.keys' "$kmd_dir/$1.json" 2>/dev/null || echo 0; }
	for _ in $(seq 600); do
		[ "$(kmd_keys a)" = 256 ] && [ "$(kmd_keys b)" = 256 ] && break
		sleep 0.1
	done
	echo "    KMEs: kme-a (gw1) and kme-b (gw2), 1000 keys/s, 256-bit keys"
	echo "    qkdctl km status (gw1, then gw2): both streams filled to target"
	for kmd_me in a b; do
		"$kmd_ctl" km status file "$kmd_dir/$kmd_me.json" |
			sed 's/^/      /'
	done
	if [ -x "$kmd_ctl" ]; then
		echo "    qkdctl pool show (gw1, then gw2):"
		n1 "$kmd_ctl" pool show gw2 | sed 's/^/      /'
		n2 "$kmd_ctl" pool show gw1 | sed 1d | sed 's/^/      /'
		# Material stays in shell variables: compared, never printed.
		kmd_a=$(n1 "$kmd_ctl" -j --show-material pool key take gw2)
		kmd_id=$(jq -r .id <<<"$kmd_a")
		kmd_b=$(n2 "$kmd_ctl" -j --show-material pool key take gw1 id "$kmd_id")
		echo "    gw1 takes key $kmd_id; gw2 takes it by ID:" \
			"material identical: $([ "$(jq -r .material <<<"$kmd_a")" = "$(jq -r .material <<<"$kmd_b")" ] && echo yes || echo NO)"
		unset kmd_a kmd_b
	fi
	# The key managers keep running: the IPsec step takes its PPKs from
	# these streams; demo/steps/90-kmd-stop.sh stops them.
	kmd_running=yes
fi
