#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The three .debs of build/deb/ in the VM (run by selftests/pkg/run.sh,
# which builds them, and the previous build's in build/deb-prev/): the
# guest's root is an overlay thrown away after the run, so dpkg may install
# into it. Only installed paths are used, never the build tree, but for
# test tools (certificates, the kcore scan, the stalled scraper):
#
#   dpkg -i the previous build -> DKMS, modprobe; qkd-kmd runs, keys in the pool
#   dpkg -i this build (upgrade) -> the loaded module and its keys stay,
#     DKMS installs the new module for the next load; qkd-kmd restarts
#     from the new binary (the VM has no systemd: done as the postinst
#     would have systemd do it) and finds the keys; then the module is
#     reloaded for the tests that follow
#     -> udevd applies 60-qkdpool.rules: /dev/qkdpool root:qkd 0660
#     -> /usr/sbin/qkdctl fills a stream; qkd-tlsproxy carries a
#        connection; the units verify
#     -> the demo's pool, key manager, IPsec and MACsec steps on the
#        installed packages alone (QKD_INSTALLED=1, demo/paths.sh), the
#        build tree's product directories hidden under empty mounts
#   dpkg --purge -> no file of ours left, the module unloaded, and no copy
#     of a key that was in the pool left in RAM (/proc/kcore)
set -u
# Name the command that failed a test (errexit alone is silent).
set -E
trap 'echo "failed at line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/lib/ktap.sh"

ver=${QKD_PKG_VERSION:?run by selftests/pkg/run.sh}
pkgs=(qkdpool-dkms qkdpool-tools strongswan-plugin-qkd)
debs=("$top"/build/deb/qkdpool-dkms_"$ver"_all.deb
	"$top"/build/deb/qkdpool-tools_"$ver"_amd64.deb
	"$top"/build/deb/strongswan-plugin-qkd_"$ver"_amd64.deb)
prev_ver=${QKD_PKG_PREV_VERSION:-}
prev_debs=("$top"/build/deb-prev/*_"$prev_ver"_*.deb)
kver=$(uname -r)
qkdctl=/usr/sbin/qkdctl
units=/lib/systemd/system
tmp=$(mktemp -d)
udevd_pid=
kmd_conf=/etc/qkd/qkd-kmd.conf
kmd_metrics=127.0.0.1:9641
kcore_keys=$top/build/pool/kcore_keys
tls_pids=()

tests=(prev upgrade restart reload dkms udev access qkdctl tlsproxy units
       security plugin demo demo_kmd demo_ipsec demo_macsec purge)
# QKD_PKG_ONLY="TEST...": a shorter run while working on these tests: this
# build installed (one DKMS build instead of two), these tests, the purge.
[ -z "${QKD_PKG_ONLY:-}" ] || read -ra tests <<<"install $QKD_PKG_ONLY purge"
declare -A titles=(
	[install]="dpkg -i this build (QKD_PKG_ONLY: no upgrade)"
	[prev]="the previous build installs; qkd-kmd runs with keys in the pool"
	[upgrade]="dpkg -i upgrades: the loaded module and its keys stay, DKMS has the new one"
	[restart]="qkd-kmd restarts from the new binary, finds the keys, a stalled scrape holds nothing up"
	[reload]="the next load of the module is the new build's"
	[dkms]="DKMS built qkdpool.ko for the running kernel; modprobe loads it"
	[udev]="udev makes /dev/qkdpool root:qkd 0660"
	[access]="group qkd with CAP_NET_ADMIN opens /dev/qkdpool; others cannot"
	[qkdctl]="installed qkdctl adds a stream and keys"
	[tlsproxy]="installed qkd-tlsproxy carries a connection on a pool key each end"
	[units]="systemd-analyze verify: the installed units are clean"
	[security]="systemd-analyze security: both daemons rated OK or better"
	[plugin]="strongswan-plugin-qkd needs the strongSwan it was built with"
	[demo]="the demo's steps 10-40 run on the packages, the build tree hidden"
	[demo_kmd]="demo: installed qkd-kmd and qkd-simkme fill both gateways' streams"
	[demo_ipsec]="demo: charon with the packaged plugin, IKE_SA with a QKD PPK, ESP"
	[demo_macsec]="demo: installed qkd-macsecd rekeys MACsec from the pool, no loss"
	[purge]="dpkg --purge leaves no file of ours, the module unloaded, no key in RAM"
)

cleanup()
{
	[ -z "$udevd_pid" ] || kill "$udevd_pid" 2>/dev/null
	kmd_stop
	tls_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

# Each dpkg -i ends with man-db's trigger rebuilding the index of every
# manual page of the system, minutes under TCG, and nothing here reads
# that index (the guest's root is thrown away).
rm -f /var/lib/man-db/auto-update

# stamp: each line of the input after the seconds since the first, so
# that a slow dpkg -i shows which of its steps took the time (DKMS prints
# a line as each of its steps ends: build, signing, install, depmod).
stamp()
{
	local start=$SECONDS line

	while IFS= read -r line; do
		printf '%5d s  %s\n' $((SECONDS - start)) "$line"
	done
}

# dpkg -i DEB...: install or upgrade, and check each package is at the
# version of the file.
dpkg_install()
{
	local start=$SECONDS deb p v

	# The DKMS build dominates: minutes under QEMU's TCG.
	DEBIAN_FRONTEND=noninteractive dpkg -i "$@" 2>&1 | stamp
	((PIPESTATUS[0] == 0))
	echo "dpkg -i: $((SECONDS - start)) s"
	for deb in "$@"; do
		p=$(dpkg-deb -f "$deb" Package)
		v=$(dpkg-deb -f "$deb" Version)
		[[ $(dpkg-query -W -f='${Status} ${Version}' "$p") == "install ok installed $v" ]]
		# What purge must take away again.
		dpkg -L "$p" >>"$tmp/files"
	done
	getent group qkd
}

# qkd-kmd from the installed binary and configuration, as its unit runs
# it (the VM has no systemd); its status file says it is up. Each test
# runs in a subshell: the daemon's pid lives in a file.
kmd_start()
{
	rm -f /run/qkd-kmd/status.json
	/usr/sbin/qkd-kmd -c "$kmd_conf" >>"$tmp/kmd.log" 2>&1 </dev/null &
	echo $! >"$tmp/kmd.pid"
	wait_for 60 test -s /run/qkd-kmd/status.json
	kill -0 "$(kmd_pid)"
}

kmd_pid() { cat "$tmp/kmd.pid"; }

kmd_stop()
{
	local pid

	[ -s "$tmp/kmd.pid" ] || return 0
	pid=$(kmd_pid)
	rm -f "$tmp/kmd.pid"
	kill "$pid" 2>/dev/null || return 0
	wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"
}

# keys STREAM: the keys in the stream, of either owner.
keys() { "$qkdctl" -j pool show "$1" | jq '.[0].avail_local + .[0].avail_peer'; }

# Which build of the module is loaded, and which one the next modprobe
# loads: their GNU build IDs (Debian's kernel has no srcversion of a module
# without MODULE_VERSION). The kernel shows the loaded module's note in
# sysfs: 12 bytes of header, "GNU\0", then the ID.
loaded_id()
{
	od -An -v -tx1 -j16 -N20 /sys/module/qkdpool/notes/.note.gnu.build-id | tr -d ' \n'
}

file_id()
{
	xz -dcf "$(modinfo -n qkdpool)" >"$tmp/next.ko"
	readelf -n "$tmp/next.ko" | sed -n 's/^ *Build ID: //p'
}

# same_key: a key taken from upg-a (local-owned) has the same material as
# the key of that ID taken from upg-b, its mirror. Compared, never printed.
same_key()
{
	local a b

	a=$("$qkdctl" -j --show-material pool key take upg-a)
	b=$("$qkdctl" -j --show-material pool key take upg-b id "$(jq -r .id <<<"$a")")
	[ "$(jq -r .material <<<"$a")" = "$(jq -r .material <<<"$b")" ]
}

# The previous build (scripts/mkdeb.sh REV, run.sh) with the example
# configuration of qkd-kmd and a throw-away PKI in the example's paths.
# Keys in two streams, mirrors of each other, for the upgrade to keep.
test_prev()
{
	[ -n "$prev_ver" ] && [ -e "${prev_debs[0]}" ]
	[[ $(dpkg --compare-versions "$prev_ver" lt "$ver" && echo older) == older ]]
	dpkg_install "${prev_debs[@]}"
	modprobe qkdpool
	loaded_id >"$tmp/build_id"
	[ -s "$tmp/build_id" ]
	"$top/selftests/kmd/certs.sh" "$tmp/pki" >/dev/null
	install -m 0644 "$tmp/pki/ca.pem" /etc/qkd/ca.pem
	install -m 0600 "$tmp/pki"/{node-a,sae-a}.{pem,key} /etc/qkd/
	cp /etc/qkd/examples/qkd-kmd-node-a.conf "$kmd_conf"
	mkdir -p /run/qkd-kmd
	kmd_start
	"$qkdctl" pool stream add upg-a
	"$qkdctl" pool stream add upg-b
	"$qkdctl" pool key add upg-a random 8 owner local mirror "$tmp/upg.keys"
	"$qkdctl" pool key add upg-b file "$tmp/upg.keys"
	shred -u "$tmp/upg.keys"
	[[ $(keys upg-a) == 8 ]] && [[ $(keys upg-b) == 8 ]]
	"$qkdctl" pool show
}

test_install()
{
	dpkg_install "${debs[@]}"
	modprobe qkdpool
}

# Upgrade while qkd-kmd runs: the module that holds the keys stays
# loaded (the new build's is for its next load, debian/README.Debian),
# the keys stay, and the running daemon's binary was replaced: the
# postinst has systemd restart qkd-kmd and every qkd-macsecd@ instance.
test_upgrade()
{
	local postinst=/var/lib/dpkg/info/qkdpool-tools.postinst

	dpkg_install "${debs[@]}"
	echo "build IDs: loaded $(loaded_id), next load $(file_id)"
	[[ $(loaded_id) == $(cat "$tmp/build_id") ]]
	[[ $(file_id) != $(cat "$tmp/build_id") ]]
	dkms status qkdpool
	dkms status -k "$kver" qkdpool | grep -q "qkdpool/$ver, $kver, .*: installed"
	! dkms status qkdpool | grep -q "qkdpool/$prev_ver" || false
	[[ $(keys upg-a) == 8 ]] && [[ $(keys upg-b) == 8 ]]
	same_key
	kill -0 "$(kmd_pid)"
	[[ $(readlink "/proc/$(kmd_pid)/exe") == "/usr/sbin/qkd-kmd (deleted)" ]]
	grep -q '_dh_action=restart' "$postinst"
	grep -q "deb-systemd-invoke \$_dh_action 'qkd-kmd.service'" "$postinst"
	grep -q "deb-systemd-invoke try-restart 'qkd-macsecd@\*.service'" "$postinst"
}

# What systemd does on the upgrade: the new qkd-kmd, under the module
# still loaded, with one more configuration line (metrics). A client
# stalled halfway through its request holds neither its scrape nor
# another one up.
test_restart()
{
	kmd_stop
	sed -i "/^\[node\]/a metrics = $kmd_metrics" "$kmd_conf"
	kmd_start
	[[ $(readlink "/proc/$(kmd_pid)/exe") == /usr/sbin/qkd-kmd ]]
	[[ $(keys upg-a) == 7 ]] && [[ $(keys upg-b) == 7 ]]
	same_key
	curl -sS --max-time 30 "http://$kmd_metrics/metrics" >"$tmp/metrics"
	grep -qx 'qkd_pool_keys_available{stream="upg-a",owner="local"} 6' "$tmp/metrics"
	python3 "$top/selftests/lib/stalled-scrape.py" "$kmd_metrics"
	kill -0 "$(kmd_pid)"
}

# An operator's maintenance window: the daemon stops, the module and its
# keys go, the next load is the new build's.
test_reload()
{
	kmd_stop
	rmmod qkdpool
	modprobe qkdpool
	[[ $(loaded_id) == $(file_id) ]]
	rm -f "$kmd_conf" /etc/qkd/{ca,node-a,sae-a}.pem /etc/qkd/{node-a,sae-a}.key
}

test_dkms()
{
	dkms status qkdpool
	dkms status -k "$kver" qkdpool | grep -q "qkdpool/$ver, $kver, .*: installed"
	[[ $(modinfo -n qkdpool) == "/lib/modules/$kver/updates/dkms/qkdpool.ko"* ]]
	# The kernel hooks rebuild it for kernels installed later.
	[ -x /etc/kernel/postinst.d/dkms ]
	grep -qx 'AUTOINSTALL="yes"' "/usr/src/qkdpool-$ver/dkms.conf"
	modprobe qkdpool
	[ -d /sys/module/qkdpool ]
}

# udev may not run in the VM: start udevd (no systemd needed) and replay
# the device's add event, so the rule installed by the package applies.
test_udev()
{
	[ -c /dev/qkdpool ]
	/lib/systemd/systemd-udevd --resolve-names=late >"$tmp/udevd.log" 2>&1 &
	udevd_pid=$!
	wait_for 20 udevadm control --ping
	udevadm trigger --action=add --subsystem-match=misc --sysname-match=qkdpool
	udevadm settle -t 20
	stat -c '%U:%G %a' /dev/qkdpool
	[[ $(stat -c '%U:%G %a' /dev/qkdpool) == "root:qkd 660" ]]
}

# as USER CAPS CMD...: CMD as USER (with its groups) holding CAPS
# ("+net_admin" or "-all") in its inherited and ambient sets.
as()
{
	local user=$1 caps=$2
	shift 2

	setpriv --reuid="$user" --regid="$user" --init-groups \
		--inh-caps="$caps" --ambient-caps="$caps" -- "$@"
}

# The mode lets group qkd in; the module also asks CAP_NET_ADMIN, so a
# daemon runs as a user in group qkd with that one capability.
test_access()
{
	local open='exec 3<>/dev/qkdpool'

	useradd -M -G qkd qkdop
	useradd -M outsider
	as qkdop +net_admin bash -c "$open"
	! as outsider +net_admin bash -c "$open" 2>"$tmp/err" || false
	grep -q 'Permission denied' "$tmp/err"
	! as qkdop -all bash -c "$open" 2>"$tmp/err" || false
	grep -q 'Operation not permitted' "$tmp/err"
	# A group member with the capability runs qkdctl for real.
	as qkdop +net_admin "$qkdctl" pool stream add byop
	as qkdop +net_admin "$qkdctl" pool key add byop random 2
	[[ $(as qkdop +net_admin "$qkdctl" -j pool show byop | jq '.[0].avail_local') == 2 ]]
	"$qkdctl" pool stream del byop
}

test_qkdctl()
{
	[[ $(dpkg -S "$qkdctl") == "qkdpool-tools: $qkdctl" ]]
	"$qkdctl" pool stream add pkg max-keys 100 lifetime 1h
	"$qkdctl" pool key add pkg random 8
	"$qkdctl" pool show pkg
	[[ $("$qkdctl" -j pool show pkg | jq '.[0].avail_local') == 8 ]]
	"$qkdctl" pool key flush pkg
	"$qkdctl" pool stream del pkg
}

# verify UNIT...: systemd-analyze verify prints nothing and succeeds.
verify()
{
	systemd-analyze verify "$@" >"$tmp/verify" 2>&1 || { cat "$tmp/verify"; return 1; }
	cat "$tmp/verify"
	[ ! -s "$tmp/verify" ]
}

# A template verifies as an instance: a link named like one.
test_units()
{
	grep -q '^ExecStart=/usr/sbin/qkd-kmd ' "$units/qkd-kmd.service"
	verify "$units/qkd-kmd.service"
	mkdir "$tmp/inst"
	ln -s "$units/qkd-macsecd@.service" "$tmp/inst/qkd-macsecd@link0.service"
	verify "$tmp/inst/qkd-macsecd@link0.service"
}

# exposure UNITFILE: "3.0 OK" from systemd-analyze security.
exposure()
{
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -nE 's/^.*Overall exposure level for [^:]*: ([0-9.]+ [A-Z]+).*$/\1/p'
}

test_security()
{
	local unit score

	for unit in "$units/qkd-kmd.service" "$tmp/inst/qkd-macsecd@link0.service"; do
		score=$(exposure "$unit")
		echo "$(basename "$unit"): $score"
		[[ $score =~ ^[0-9.]+\ (PERFECT|SAFE|OK)$ ]]
	done
}

test_plugin()
{
	local built want

	[ -f /usr/lib/ipsec/plugins/libstrongswan-qkd.so ]
	[ -f /etc/strongswan.d/charon/qkd.conf ]
	built=$(dpkg-query -W -f='${Depends}' strongswan-plugin-qkd |
		grep -oE 'strongswan-charon \(= [^)]+\)')
	want="strongswan-charon (= $(dpkg-query -W -f='${Version}' strongswan-charon))"
	echo "$built"
	[[ $built == "$want" ]]
}

# A stream of the installed pool, a client and a server proxy on
# loopback, and a web server behind: one key taken at each end.
test_tlsproxy()
{
	local tp=/usr/sbin/qkd-tlsproxy

	# On a failure, nothing left running (a proxy holds the module the
	# purge unloads) and the logs shown.
	trap 'tls_stop; tail -n 20 "$tmp"/http.log "$tmp"/tls-[cs].log' EXIT
	[[ $(dpkg -S "$tp") == "qkdpool-tools: $tp" ]]
	[ -f /usr/share/man/man8/qkd-tlsproxy.8.gz ]
	"$qkdctl" pool stream add tls-c
	"$qkdctl" pool stream add tls-s
	"$qkdctl" pool key add tls-c random 4 owner local mirror "$tmp/tls.keys"
	"$qkdctl" pool key add tls-s file "$tmp/tls.keys"
	shred -u "$tmp/tls.keys"
	mkdir -p "$tmp/www"
	echo "through qkd-tlsproxy" >"$tmp/www/index.txt"
	python3 -m http.server -b 127.0.0.1 -d "$tmp/www" 7103 \
		>"$tmp/http.log" 2>&1 &
	tls_pids+=($!)
	"$tp" --mode server --listen 127.0.0.1:7102 --connect 127.0.0.1:7103 \
		--stream tls-s >"$tmp/tls-s.log" 2>&1 &
	tls_pids+=($!)
	"$tp" --mode client --listen 127.0.0.1:7101 --connect 127.0.0.1:7102 \
		--stream tls-c >"$tmp/tls-c.log" 2>&1 &
	tls_pids+=($!)
	# Every connection the client proxy accepts takes a key: the first
	# one waits until all three listen.
	wait_for 60 listening 7103 7102 7101
	curl -sS --max-time 60 -o "$tmp/got" http://127.0.0.1:7101/index.txt
	cmp "$tmp/got" "$tmp/www/index.txt"
	echo "keys taken: client $("$qkdctl" -j pool show tls-c | jq '.[0].taken')," \
		"server $("$qkdctl" -j pool show tls-s | jq '.[0].taken')"
	[[ $("$qkdctl" -j pool show tls-c | jq '.[0].taken') == 1 ]]
	[[ $("$qkdctl" -j pool show tls-s | jq '.[0].taken') == 1 ]]
	trap - EXIT
	tls_stop
	"$qkdctl" pool stream del tls-c
	"$qkdctl" pool stream del tls-s
}

# listening PORT...: a TCP socket listens on each PORT.
listening()
{
	local port

	for port in "$@"; do
		ss -Hltn "sport = :$port" | grep -q . || return 1
	done
}

tls_stop()
{
	local pid

	for pid in "${tls_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	tls_pids=()
}

# The demo (demo/gateways.sh) in installed mode, in a mount namespace of
# its own where an empty read-only tmpfs covers each directory of the
# checkout that holds a product part (programs, module, plugin, units,
# configurations): what the demo reaches there, it reaches installed. Its
# test helpers stay (selftests/: certs.sh, pooltool, msctl). In a PID
# namespace too, so that no daemon of a demo that failed halfway outlives
# it and holds the module the purge must unload.
test_demo()
{
	local rc=0

	unshare --mount --pid --fork --mount-proc --propagation private bash -c '
		top=$1
		shift
		for d in "$@"; do
			mount -t tmpfs -o ro,size=4k qkd-hidden "$top/$d" || exit 1
		done
		QKD_INSTALLED=1 QKD_DEMO_STEPS="10 20 30 40 90" \
			exec "$top/demo/gateways.sh"' \
		sh "$top" kmod userspace strongswan-plugin dist docs \
		>"$tmp/demo.out" 2>&1 || rc=$?
	cat "$tmp/demo.out"
	((rc == 0))
	grep -qx '== done' "$tmp/demo.out"
	! grep -q 'not built yet' "$tmp/demo.out" || false
}

# demo_part TITLE: the demo's output under its step "== TITLE...".
demo_part()
{
	awk -v t="== $1" 'index($0, t) == 1 { on = 1; next } /^== / { on = 0 } on' \
		"$tmp/demo.out"
}

# ran PART EXE N: N processes of that step ran EXE, an installed
# program; none ran a file of the checkout.
ran()
{
	demo_part "$1" | sed -n 's/^ *running: //p' >"$tmp/ran"
	cat "$tmp/ran"
	! grep -qF "$top" "$tmp/ran" || false
	[[ $(grep -c "^$2\( \|$\)" "$tmp/ran") == "$3" ]]
}

test_demo_kmd()
{
	local part="key manager"

	ran "$part" /usr/sbin/qkd-simkme 2
	ran "$part" /usr/sbin/qkd-kmd 2
	demo_part "$part" | grep -q 'gw2 takes it by ID: material identical: yes'
}

test_demo_ipsec()
{
	local part="IPsec" sent used

	ran "$part" "/usr/lib/ipsec/charon plugin /usr/lib/ipsec/plugins/libstrongswan-qkd.so" 2
	demo_part "$part" >"$tmp/ipsec"
	grep -qx '    IKE_SA with a PPK: yes' "$tmp/ipsec"
	sent=$(sed -n 's/^    PPK_ID on the wire: //p' "$tmp/ipsec")
	used=$(sed -n 's/^    gw2 used: //p' "$tmp/ipsec")
	echo "sent $sent, used $used"
	[[ $sent == qkd:* ]] && [[ $sent == "$used" ]]
	grep -q '3 packets transmitted, 3 received, 0% packet loss' "$tmp/ipsec"
	[[ $(sed -n "s/^    ESP packets counted by gw1's SAs: //p" "$tmp/ipsec") -ge 6 ]]
	# the reauthentication's IKE_SA took the next key
	[[ $(sed -n 's/^    reauthentication: new IKE_SA with PPK_ID //p' "$tmp/ipsec") == qkd:* ]]
	[[ $(sed -n 's/^    reauthentication: new IKE_SA with PPK_ID //p' "$tmp/ipsec") != "$sent" ]]
}

# Every row of the rekeying shows both ends receiving each other's key;
# keys were taken (rekeys), and no frame was lost or refused.
test_demo_macsec()
{
	local part="MACsec" taken

	ran "$part" /usr/sbin/qkd-macsecd 2
	demo_part "$part" >"$tmp/macsec"
	grep -q 'ping over MACsec while rekeying: 150 packets transmitted, 150 received, 0% packet loss' \
		"$tmp/macsec"
	grep -q 'NotValid 0, NotUsingSA 0,' "$tmp/macsec"
	taken=$(sed -n 's/.*keys taken gw1 \([0-9]*\),.*/\1/p' "$tmp/macsec" | tail -n1)
	echo "keys taken by gw1's rekeys: $taken"
	((taken >= 3))
}

# Purge with a key in the pool: unloading the module wipes it, and a scan
# of all RAM (/proc/kcore, as the pool suite's secret_test) finds no copy
# of its material, though it found the key while it was in the pool.
test_purge()
{
	local f left=0

	"$qkdctl" pool stream add kcore
	"$kcore_keys" add kcore "$tmp/kcore.masked"
	[[ $("$kcore_keys" count "$tmp/kcore.masked") -gt 0 ]]
	dpkg --purge "${pkgs[@]}"
	for p in "${pkgs[@]}"; do
		! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q installed || false
	done
	sort -u "$tmp/files" >"$tmp/all"
	while IFS= read -r f; do
		if [ -e "$f" ] && [ ! -d "$f" ]; then
			echo "left: $f"
			left=1
		fi
	done <"$tmp/all"
	((left == 0))
	[ ! -e "/usr/src/qkdpool-$ver" ] && [ ! -e /var/lib/dkms/qkdpool ]
	[ ! -e /etc/qkd ]
	! ls /lib/modules/*/updates/dkms/qkdpool.ko 2>/dev/null || false
	[ ! -d /sys/module/qkdpool ]
	[[ $("$kcore_keys" count "$tmp/kcore.masked") == 0 ]]
	# Debian policy: the system group stays, files may still belong to it.
	getent group qkd
}

ktap_plan ${#tests[@]}
for t in "${tests[@]}"; do
	if [ "$t" != install ] && [ "$t" != prev ] && [ "$t" != upgrade ] &&
	   [ "$t" != purge ] &&
	   ! dpkg-query -W qkdpool-tools >/dev/null 2>&1; then
		ktap_skip "pkg: ${titles[$t]}" "packages not installed"
		continue
	fi
	ktap_test "pkg: ${titles[$t]}" "test_$t"
done
ktap_finish
