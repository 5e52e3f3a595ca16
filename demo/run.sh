#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build qkdpool, boot a VM with Debian's kernel and bring up two
# gateways (network namespaces) joined by a link, then run every qkdpool part
# that exists on them, printing what each part did. Installs its own
# dependencies (Debian packages) first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh all
make -s all
exec selftests/qemu/vm-run.sh -t 600 -l build/demo.log demo/gateways.sh
