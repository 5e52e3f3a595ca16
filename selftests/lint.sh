#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, one KTAP test each: checkpatch (kernel style) on kmod/,
# include/ and the kernel-style selftests; sparse on the module; cppcheck
# on userspace C; shellcheck on the shell scripts. A check whose files do
# not exist yet is skipped.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib/ktap.sh"
cd "$top" || exit 1

kernel_c=$(git ls-files -co --exclude-standard 'kmod/*.[ch]' 'include/*.h' \
	'selftests/pool/*.[ch]' 2>/dev/null)
user_c=$(git ls-files -co --exclude-standard 'userspace/*.[ch]' 2>/dev/null)
shell=$(git ls-files -co --exclude-standard '*.sh' .ci/run 2>/dev/null)

test_checkpatch()
{
	# Files, not patches: --no-tree as the tree is not a kernel checkout.
	perl build/checkpatch/checkpatch.pl --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $kernel_c |
		tee /dev/stderr | (! grep -qE '(ERROR|WARNING):')
}

test_sparse()
{
	make -s -C kmod clean >/dev/null
	make -s -C kmod C=2 2>&1 | tee /dev/stderr |
		(! grep -E '(warning|error):' | grep -v 'Skipping BTF')
}

test_cppcheck()
{
	cppcheck -q --error-exitcode=1 --inline-suppr \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem -I include -I userspace/lib \
		$user_c
}

test_shellcheck()
{
	# SC1090/1091: sourced paths are computed; SC2034/2154: variables are
	# set and used across sourced files; SC2086: word splitting of
	# option lists is intended in these scripts.
	shellcheck -S warning -e SC1090,SC1091,SC2086,SC2034,SC2154 $shell
}

# File-level call cycles (scripts/depgraph.sh): each program's files and
# the libraries it links, the module's files, the plugin's objects.
test_depgraph()
{
	local plugin6=

	make -s -C kmod >/dev/null
	# the 6.x build exists where strongSwan 6.0.1 is in the cache
	[ -e build/strongswan/obj6/qkd_ke.o ] && plugin6=plugin6
	scripts/depgraph.sh kmod kmd macsecd simkme qkdctl tlsproxy plugin $plugin6
}

ktap_plan 5
if [ -n "$kernel_c" ]; then
	ktap_test "checkpatch: kernel-style C is clean" test_checkpatch
else
	ktap_skip "checkpatch: kernel-style C is clean" "no kernel C yet"
fi
if [ -e kmod/Makefile ]; then
	ktap_test "sparse: kmod/ is clean (make C=2)" test_sparse
else
	ktap_skip "sparse: kmod/ is clean (make C=2)" "no kmod/ yet"
fi
if [ -n "$user_c" ]; then
	ktap_test "cppcheck: userspace/ is clean" test_cppcheck
else
	ktap_skip "cppcheck: userspace/ is clean" "no userspace C yet"
fi
ktap_test "shellcheck: scripts are clean" test_shellcheck
ktap_test "depgraph: no file-level call cycles" test_depgraph
ktap_finish
