#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of the pure userspace logic (no module needed): builds
# the test programs of selftests/unit/ and runs each (every program prints
# TAP, "ok N name", through kselftest_harness.h), then checks qkdctl's
# command-line errors (cli-usage.sh). Exit status 0 if all pass.
set -u

here=$(cd "$(dirname "$0")" && pwd)

if ! make -s -C "$here" >&2; then
	echo "not ok 1 unit: build"
	exit 1
fi
rc=0
for t in test_keyid test_units test_json test_secmem test_pace test_tlspsk test_ctrl test_prom test_runclock; do
	echo "# $t"
	"$here/$t" || rc=1
done
"$here/cli-usage.sh" || rc=1
exit $rc
