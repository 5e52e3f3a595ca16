#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root inside a QEMU VM booting Debian's own kernel, with
# the host root shared read-only (under a tmpfs overlay) and this checkout
# shared writable at its own path, and exit with the command's status.
#
# usage: vm-run.sh [-t TIMEOUT_S] [-l LOGFILE] [-m MEM_MB] CMD [ARGS...]
#
# QKD_KERNEL=debug boots the debug kernel (scripts/build-debug-kernel.sh:
# KASAN, UBSAN, KFENCE, kmemleak, lockdep, qkdpool built in) and checks the
# kernel log after CMD, as QKD_KREPORTS=1 does under Debian's kernel too.
#
# Exit status: CMD's, or
#   122  the kernel log has a bug report (selftests/qemu/kreports.sh: KASAN,
#        UBSAN, lockdep, kmemleak, BUG, WARNING...), printed above
#   123  CMD passed but the kernel logged a WARN/oops (taint W/D/L/B)
#   124  the VM timed out (QEMU killed)
#   125  the VM stopped without a result (panic, QEMU crash, boot failure)
# The serial log is kept in LOGFILE (default build/vm/logs/). KVM is used
# only if a probe boot once proved it works on this host (cached in
# build/vm/accel); QKD_VM_ACCEL=tcg|kvm overrides. Runs may overlap.
# QKD_VM_QEMU_ARGS: more QEMU arguments for the run (not the KVM probe),
# e.g. a TCG plugin (selftests/kmd/cost-relay.sh); words split on blanks.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
timeout=600
mem=2048
log=

usage()
{
	sed -n '/^# usage/,/^# build/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while getopts "t:l:m:h" opt; do
	case "$opt" in
	t) timeout=$OPTARG ;;
	l) log=$OPTARG ;;
	m) mem=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($#)) || usage

img=$("$here/mkimage.sh") || { echo "vm-run: cannot build the VM image" >&2; exit 125; }
kargs=
if [ "${QKD_KERNEL:-}" = debug ]; then
	export QKD_KREPORTS=1
	# Room in the kernel log for every report of a long suite.
	kargs="log_buf_len=16M acpi=noirq"
fi

qemu_cmd()
{
	local accel=$1 ctl=$2 append=$3

	local cpu="-accel tcg,thread=multi,tb-size=256 -cpu max"
	[ "$accel" = kvm ] && cpu="-accel kvm -cpu host"
	echo qemu-system-x86_64 -M pc $cpu -smp 2 -m "$mem" \
		-nodefaults -display none -no-reboot \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-kernel "$img/kernel" -initrd "$img/initramfs.cpio" \
		-append "'console=ttyS0 loglevel=4 panic=-1 no_timer_check $kargs $append'" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$top,mount_tag=proj,security_model=none,multidevs=remap" \
		-virtfs "local,path=$ctl,mount_tag=ctl,security_model=none"
}

# A stock kernel may not boot on this host's nested KVM (it hangs or QEMU
# aborts), so KVM must prove itself once before we rely on it.
pick_accel()
{
	local cache=$top/build/vm/accel ctl verdict=tcg

	if [ -n "${QKD_VM_ACCEL:-}" ]; then
		echo "$QKD_VM_ACCEL"
		return
	fi
	if [ -s "$cache" ]; then
		cat "$cache"
		return
	fi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		ctl=$(mktemp -d)
		if eval "timeout -k 2 20 $(qemu_cmd kvm "$ctl" qkd.probe=1)" \
			</dev/null 2>/dev/null | grep -q QKDVM-PROBE-OK; then
			verdict=kvm
		fi
		rm -rf "$ctl"
	fi
	echo "$verdict" >"$cache"
	echo "$verdict"
}

accel=$(pick_accel)
mkdir -p "$top/build/vm/logs"
[ -n "$log" ] || log=$top/build/vm/logs/$(date +%Y%m%d-%H%M%S)-$$.log
ctl=$(mktemp -d /tmp/qkdvm.XXXXXX)
trap 'rm -rf "$ctl"' EXIT
cp "$here/guest-init.sh" "$ctl/"
{
	printf 'export QKDVM_ROOT=%q\n' "$top"
	[ -e "$img/kmods" ] && printf 'export QKDVM_KMODS=%q\n' "$(readlink -f "$img/kmods")"
	# Hand QKD_* and V settings from the host into the guest.
	export -p | grep -E '^declare -x (QKD_[A-Z0-9_]*|V)=' || true
} >"$ctl/env"
printf '%q ' "$@" >"$ctl/cmd"
echo >>"$ctl/cmd"

start=$(date +%s)
eval "timeout -k 5 $timeout $(qemu_cmd "$accel" "$ctl" "") ${QKD_VM_QEMU_ARGS:-}" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" |
	grep -v -e '^QKDVM-RESULT' -e '^\[ *[0-9.]*\] reboot: '
qemu_rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

if [ -s "$ctl/rc" ]; then
	rc=$(cat "$ctl/rc")
	if [ -s "$ctl/kreports" ]; then
		echo "vm-run: the kernel reported a bug during the run (command status $rc); log: $log" >&2
		exit 122
	fi
	if [ "$rc" = 0 ] && [ -s "$ctl/taint" ]; then
		echo "vm-run: kernel tainted ($(cat "$ctl/taint")) during the run; log: $log" >&2
		exit 123
	fi
	[ "$rc" = 0 ] || echo "vm-run: command failed with status $rc (${secs}s, $accel); log: $log" >&2
	exit "$rc"
fi
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "vm-run: VM timed out after ${timeout}s ($accel); log: $log" >&2
	exit 124
fi
echo "vm-run: VM stopped without a result (qemu status $qemu_rc, $accel): panic or crash; log: $log" >&2
exit 125
