#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages a qkdpool target needs. Idempotent and fast
# when everything is already there: apt runs only for what is missing.
#
#   scripts/deps.sh [GROUP...]      GROUP: build vm lint strongswan strongswan6 deb
#                                          debugkernel fuzz bench all
#
# Also fetches Debian's linux-source-6.1 .deb (for kselftest_harness.h and
# checkpatch.pl) into build/cache/ when the vm or lint group asks for it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

pkgs_build=(build-essential pkg-config libmnl-dev libkeyutils-dev libssl-dev
	libevent-dev libjansson-dev libcurl4-openssl-dev
	linux-image-amd64 linux-headers-amd64 kmod)
pkgs_vm=(qemu-system-x86 busybox-static iproute2 iputils-ping keyutils xz-utils
	cpio jq procps iperf3 python3 curl openssl wpasupplicant)
pkgs_lint=(sparse cppcheck perl shellcheck)
pkgs_strongswan=(strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-standard-plugins
	dpkg-dev curl valgrind)
# strongSwan 6.0.1 from Debian 13's source (strongswan-plugin/build-strongswan.sh)
pkgs_strongswan6=(build-essential pkg-config libgmp-dev libssl-dev dpkg-dev curl)
# scripts/build-debug-kernel.sh: what a kernel build needs beyond gcc.
pkgs_debugkernel=(build-essential flex bison bc libelf-dev xz-utils)
# make deb: debhelper with its DKMS and sysusers helpers, and lintian.
pkgs_deb=(debhelper dh-dkms dkms dpkg-dev fakeroot lintian systemd)
# selftests/fuzz (clang with libFuzzer) and the pool-fuzz suite's trinity.
pkgs_fuzz=(clang libclang-rt-14-dev trinity)
# make bench: the plots beside its tables (selftests/plot.sh).
pkgs_bench=(gnuplot-nox)

want=()
for group in "${@:-all}"; do
	case "$group" in
	build) want+=("${pkgs_build[@]}") ;;
	vm) want+=("${pkgs_build[@]}" "${pkgs_vm[@]}") ;;
	lint) want+=("${pkgs_build[@]}" "${pkgs_lint[@]}") ;;
	strongswan) want+=("${pkgs_strongswan[@]}") ;;
	strongswan6) want+=("${pkgs_strongswan6[@]}") ;;
	deb) want+=("${pkgs_build[@]}" "${pkgs_strongswan[@]}" "${pkgs_deb[@]}") ;;
	debugkernel) want+=("${pkgs_debugkernel[@]}") ;;
	fuzz) want+=("${pkgs_build[@]}" "${pkgs_strongswan[@]}" "${pkgs_fuzz[@]}") ;;
	bench) want+=("${pkgs_build[@]}" "${pkgs_vm[@]}" "${pkgs_bench[@]}") ;;
	all) want+=("${pkgs_build[@]}" "${pkgs_vm[@]}" "${pkgs_lint[@]}"
		    "${pkgs_strongswan[@]}" "${pkgs_strongswan6[@]}" "${pkgs_deb[@]}"
		    "${pkgs_fuzz[@]}" "${pkgs_bench[@]}") ;;
	*) echo "deps.sh: unknown group '$group' (build vm lint strongswan strongswan6 deb debugkernel fuzz bench all)" >&2
	   exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if ((${#missing[@]})); then
	if ((EUID != 0)); then
		echo "deps.sh: missing packages: ${missing[*]} (run as root)" >&2
		exit 1
	fi
	echo "deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# The package lists may be stale or absent on a fresh machine.
	apt-get update -q >/dev/null || apt-get update
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

case " $* " in
*" vm "*|*" lint "*|*" all "*|"  ")
	exec "$top/scripts/kernel-tools.sh" ;;
esac
