# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# charon instances in the gateways of selftests/lib/topo.sh, for the
# strongSwan suite, its benchmark and the demo. Needs $top (the checkout);
# brings in selftests/lib/ktap.sh and topo.sh, so a suite sources this only.
#
# Each instance lives in a directory DIR: DIR/strongswan.conf, its own /run
# (DIR/run bind-mounted over /run: the pid file path is compiled in), its
# vici socket DIR/charon.vici (swanctl talks to it from anywhere), its log
# DIR/charon.log.
#
#   ss_install_plugin             copy the plugin into /usr/lib/ipsec/plugins
#                                 (only where / is a throw-away overlay;
#                                 nothing if $ss_plugin is the one there)
#   ss_conf DIR QKD|stock [QKD_SETTINGS [PLUGIN_SECTIONS]]
#   ss_start NSNAME DIR           start charon in netns NSNAME
#   ss_stop DIR
#   ss_sw DIR SWANCTL-ARGS...     swanctl on that instance
#   ss_conn_conf NAME LOCAL REMOTE LADDR RADDR PSK [OPTION...]
#                                 a swanctl.conf with one QKD connection
#   ss_ke_conn NAME LID RID LADDR RADDR IKE ESP
#                                 a swanctl connection with these proposals
#   ss_keep_logs DIR1 DIR2 LOGS   copy both charons' logs to LOGS (anew)
#   ss_teardown DIR...            stop these charons, remove the gateways,
#                                 unload the pool
#   ss_rand_hex N                 N random bytes in hex
#   ss_use_strongswan6            run the strongSwan 6.0.1 of the cache
#                                 (strongswan-plugin/build-strongswan.sh)
#                                 instead of Debian's 5.9.8
#   ss_pick_version NAME [6]      a suite's strongSwan from its argument:
#                                 sets $suite (strongswan6... for "6")

declare -F ktap_plan >/dev/null || . "$top/selftests/lib/ktap.sh"
declare -F topo_setup >/dev/null || . "$top/selftests/lib/topo.sh"
# shellcheck source=selftests/lib/module.sh
. "$top/selftests/lib/module.sh"

ss_plugin=$top/strongswan-plugin/libstrongswan-qkd.so
ss_plugindir=/usr/lib/ipsec/plugins
ss_charon=/usr/lib/ipsec/charon
ss_swanctl=swanctl
ss_version=5.9.8
# What the tests need of Debian's plugins: PSK auth, MODP, AES, SHA2, ESP;
# openssl (libstrongswan-standard-plugins) adds x25519 and AES-GCM for IKE.
ss_load="random nonce aes sha1 sha2 hmac gmp openssl kdf pem pkcs1 pubkey x509"
ss_load="$ss_load kernel-netlink socket-default vici"

# ss_sock DIR: path of the instance's vici socket
ss_sock()
{
	local d=${1//\//_}
	echo "/tmp/qkd-ss$d.vici"
}

# ss_preload_esp NSWRAPPER: load the kernel's ESP and AES-GCM modules now;
# loaded on demand under TCG they delay the first CHILD_SA by seconds.
ss_preload_esp()
{
	local k=0x0001020304050607080900010203040506070809000102030405060708090001

	modprobe -a esp4 xfrm_user 2>/dev/null
	$1 ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 \
		mode transport aead 'rfc4106(gcm(aes))' "${k}02030405" 128
	$1 ip xfrm state flush
}

ss_install_plugin()
{
	# the packaged plugin (the demo's installed mode sets $ss_plugin to
	# it) is in place already
	[ "$ss_plugin" = "$ss_plugindir/libstrongswan-qkd.so" ] && return 0
	# never into a real root: the VM's / is an overlay whose writes vanish
	[ "$(findmnt -n -o FSTYPE /)" = overlay ] || return 1
	install -m 0644 "$ss_plugin" "$ss_plugindir/"
}

# ss_conf DIR qkd|stock [QKD_SETTINGS [PLUGIN_SECTIONS]]: write
# DIR/strongswan.conf; "qkd" loads the plugin with the settings given (the
# body of plugins.qkd); PLUGIN_SECTIONS go into charon.plugins as they are,
# $ss_extra_load names more plugins to load, $ss_charon_opts holds more
# charon settings. Log lines start with the Unix
# time in ms ("1763900000.123 ...").
ss_conf()
{
	local dir=$1 mode=$2 qkd=${3:-} more=${4:-} load=$ss_load

	[ "$mode" = qkd ] && load="$load qkd"
	load="$load ${ss_extra_load:-}"
	mkdir -p "$dir/run"
	cat >"$dir/strongswan.conf" <<-EOF
	charon {
		load = $load
		install_routes = no
		make_before_break = yes
		retransmit_tries = 3
		retransmit_timeout = 2.0
		cookie_threshold = 100000
		cookie_threshold_ip = 100000
		${ss_charon_opts:-}
		plugins {
			vici {
				socket = unix://$(ss_sock "$dir")
			}
			qkd {
				$qkd
			}
			$more
		}
		filelog {
			log {
				path = $dir/charon.log
				time_format = %s
				time_add_ms = yes
				default = 1
				ike = 1
				cfg = 1
				flush_line = yes
			}
		}
	}
	swanctl {
		load = pem pkcs1 x509 pubkey random
		socket = unix://$(ss_sock "$dir")
	}
	EOF
}

ss_start()
{
	local ns=$1 dir=$2

	rm -f "$(ss_sock "$dir")" "$dir/run/charon.pid" \
		"$dir/run/strongswan6/charon.pid"
	# ip netns exec gives charon a mount namespace of its own: the bind
	# mount of its /run stays private to it.
	# strongSwan 6.0.1 of the cache keeps its pid file in /run/strongswan6.
	ip netns exec "$ns" sh -c \
		'mount --bind "$1/run" /run && mkdir -p /run/strongswan6 &&
		 STRONGSWAN_CONF="$1/strongswan.conf" exec "$2"' \
		sh "$dir" "$ss_charon" >"$dir/charon.out" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	wait_for 30 test -S "$(ss_sock "$dir")"
}

ss_stop()
{
	local dir=$1 pid

	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	kill "$pid" 2>/dev/null || return 0
	wait_for 20 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	return 0
}

ss_sw()
{
	local dir=$1
	shift
	# the socket comes from the swanctl section of the instance's conf
	STRONGSWAN_CONF="$dir/strongswan.conf" "$ss_swanctl" "$@"
}

# ss_use_strongswan6: charon, swanctl and the plugin directory of the
# strongSwan 6.0.1 build in the cache (a prefix install on the host's root,
# which the VM sees); fails if it is not built.
ss_use_strongswan6()
{
	local prefix

	prefix=$("$top/strongswan-plugin/build-strongswan.sh" --dir)/prefix
	[ -f "$prefix/../.built" ] || return 1
	ss_charon=$prefix/libexec/ipsec/charon
	ss_swanctl=$prefix/sbin/swanctl
	ss_plugindir=$prefix/lib/ipsec/plugins
	# its own build of the plugin: the vtables differ from 5.9.8's
	ss_plugin=$top/strongswan-plugin/build6/libstrongswan-qkd.so
	ss_version=6.0.1
}

# ss_pick_version NAME [6]: the strongSwan a suite runs against, from its
# first argument; $suite becomes NAME, or NAME with "strongswan" turned into
# "strongswan6" for 6.0.1 (which must be built, else the suite skips).
ss_pick_version()
{
	suite=$1
	[ "${2:-}" = 6 ] || return 0
	suite=strongswan6${1#strongswan}
	if ! ss_use_strongswan6; then
		ktap_plan 1
		ktap_skip "$suite: suite" \
			"strongSwan 6.0.1 not built (strongswan-plugin/build-strongswan.sh)"
		exit 0
	fi
}

# ss_load_tester_peers INITIATOR_ID PSK: the load-tester settings the
# benchmarks share: gw1 initiates to gw2 with PSK auth and the suites'
# proposal, deletes each IKE_SA once it is up, and ends its charon when done.
ss_load_tester_peers()
{
	cat <<-EOF
	initiator = 10.0.0.1
	responder = 10.0.0.2
	proposal = aes128gcm16-prfsha256-x25519
	esp = aes128gcm16
	initiator_auth = psk
	responder_auth = psk
	initiator_id = $1
	responder_id = gw2
	preshared_key = $2
	delete_after_established = yes
	shutdown_when_complete = yes
	EOF
}

# ss_load_conf DIR FILE: replace the instance's connections and secrets.
ss_load_conf()
{
	ss_sw "$1" --load-all --clear --file "$2" >/dev/null 2>&1
}

# ss_sent_ids DIR: the PPK_IDs (key IDs) the plugin of the initiator at
# DIR sent, in order.
ss_sent_ids() { sed -n "s/.*qkd: sending PPK_ID 'qkd:\([0-9a-f-]*\)'.*/\1/p" "$1/charon.log"; }
# ss_used_ids DIR: the PPK_IDs the responder at DIR used, in order (stock
# log line of ike_auth.c).
ss_used_ids() { sed -n "s/.*using PPK for PPK_ID 'qkd:\([0-9a-f-]*\)'.*/\1/p" "$1/charon.log"; }

# ss_has_ppk DIR CONN: the IKE_SA of CONN is up with a PPK mixed in.
# "swanctl --list-sas": "qkd: #1, ESTABLISHED, IKEv2, ..." and, below it,
# the algorithms "AES_CBC-256/HMAC_SHA2_256_128/.../MODP_2048/PPK".
ss_has_ppk()
{
	local out
	out=$(ss_sw "$1" --list-sas --ike "$2" --noblock)
	grep -q "^$2: #[0-9]*, ESTABLISHED, IKEv2" <<<"$out" &&
		grep -q "/PPK$" <<<"$out"
}

# ss_esp_packets NSNAME: packets counted by every xfrm state of the netns.
ss_esp_packets()
{
	ip -n "$1" -s xfrm state |
		sed -n 's/.* \([0-9]*\)(packets).*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

# ss_ike_count DIR CONN: number of ESTABLISHED IKE_SAs of CONN.
ss_ike_count()
{
	ss_sw "$1" --list-sas --ike "$2" --noblock 2>/dev/null |
		grep -c ": #[0-9]*, ESTABLISHED" || true
}

# ss_conn_conf NAME LOCAL_ID REMOTE_ID LOCAL_ADDR REMOTE_ADDR PSK [OPTION...]:
# a swanctl.conf with one connection requiring a PPK, with a transport-mode
# CHILD_SA of the same name, and the PSK of both identities. The proposal is
# the cheapest realistic one: x25519 with AES-128-GCM / PRF-HMAC-SHA256.
ss_conn_conf()
{
	local name=$1 lid=$2 rid=$3 laddr=$4 raddr=$5 psk=$6 opt
	shift 6

	cat <<-EOF
	connections { $name {
		version = 2
		local_addrs = $laddr
		remote_addrs = $raddr
		proposals = aes128gcm16-prfsha256-x25519
		ppk_required = yes
	EOF
	for opt in "$@"; do
		echo "	$opt"
	done
	cat <<-EOF
		local { auth = psk
			id = $lid }
		remote { auth = psk
			id = $rid }
		children { $name { mode = transport
			esp_proposals = aes128gcm16 } }
	} }
	secrets { ike { id-1 = $lid
		id-2 = $rid
		secret = $psk } }
	EOF
}

# ss_ke_conn NAME LOCAL_ID REMOTE_ID LOCAL_ADDR REMOTE_ADDR IKE ESP: a
# swanctl connection with these proposals, PSK, and a transport-mode
# CHILD_SA of the same name (the key exchange suites on 6.0.1).
ss_ke_conn()
{
	cat <<-EOF
	$1 {
		version = 2
		local_addrs = $4
		remote_addrs = $5
		proposals = $6
		local { auth = psk
			id = $2 }
		remote { auth = psk
			id = $3 }
		children { $1 { mode = transport
			esp_proposals = $7 } }
	}
	EOF
}

# ss_keep_logs DIR1 DIR2 LOGS: the two gateways' charon logs, for a look
# after the run (they hold no key material); LOGS is emptied first.
ss_keep_logs()
{
	rm -rf "$3"
	mkdir -p "$3"
	cp "$1/charon.log" "$3/gw1.log" 2>/dev/null
	cp "$2/charon.log" "$3/gw2.log" 2>/dev/null
	return 0
}

ss_teardown()
{
	local dir

	for dir in "$@"; do
		ss_stop "$dir"
	done
	topo_cleanup
	qkd_unload 2>/dev/null
	return 0
}

# ss_gt N CMD...: whether CMD prints a number above N; ss_is VALUE CMD...:
# whether it prints VALUE. For wait_for, which reruns them ("test
# "$(cmd)" ..." would be expanded once).
ss_gt() { local n=$1; shift; (($("$@") > n)); }
ss_is() { local v=$1; shift; [ "$("$@")" = "$v" ]; }

ss_rand_hex()
{
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# ss_require SUITE [pool] [x25519]: end the suite with one KTAP skip, naming
# the reason, unless charon, the plugin (and the pool module, and the
# openssl plugin for x25519, when asked) are there and this runs in the VM
# (the plugin is installed into charon's directory); builds the helpers.
# Otherwise the log names the strongSwan the suite runs against.
ss_require()
{
	local suite=$1 why="" need

	shift
	for need in "$@"; do
		case $need in
		pool) [ -f "$top/kmod/qkdpool.ko" ] || why="kmod/qkdpool.ko not built" ;;
		x25519) [ -f "$ss_plugindir/libstrongswan-openssl.so" ] ||
			why="libstrongswan-standard-plugins not installed (x25519)" ;;
		esac
		[ -n "$why" ] && break
	done
	if [ -z "$why" ]; then
		if [ ! -f "$ss_plugin" ]; then
			why="strongswan-plugin not built"
		elif [ ! -x "$ss_charon" ]; then
			why="strongswan-charon not installed"
		elif [ "$(findmnt -n -o FSTYPE /)" != overlay ]; then
			why="runs in the VM only (installs the plugin into charon's directory)"
		elif ! make -s -C "$top/selftests/strongswan" >/dev/null; then
			why="helpers: build failed"
		fi
	fi
	if [ -n "$why" ]; then
		ktap_plan 1
		ktap_skip "$suite: suite" "$why"
		exit 0
	fi
	echo "# strongSwan $ss_version"
}
