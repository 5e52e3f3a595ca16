#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Find the reports of the kernel's bug detectors in a kernel log (dmesg,
# with the contents of /sys/kernel/debug/kmemleak appended) and print each
# with the lines that follow it. Exit 1 if there is any, 0 if none.
#
# usage: kreports.sh [FILE...]      (default: standard input)
#
# A report is what KASAN, KFENCE, UBSAN, lockdep, RCU lockdep, debug
# objects, kmemleak, the list and usercopy checks, the hung task and soft
# lockup detectors print, and any BUG, WARNING or oops: each of them means
# the kernel found a defect, whoever's it is.
set -uo pipefail

# One extended regexp per kind; matched against the message after the
# "[ seconds]" timestamp.
starts=(
	'BUG: '				# KASAN, KFENCE, sleep in atomic, lockups
	'kernel BUG at '
	'UBSAN: '
	'WARNING: '			# WARN_ON, lockdep, suspicious RCU usage
	'ODEBUG: '
	'Oops'
	'general protection fault'
	'Kernel panic'
	'list_(add|del) corruption'
	'INFO: task .* blocked for more than'
	'rcu: INFO: .* detected stalls'
	'kmemleak: [0-9]+ new suspected memory leaks'
	'unreferenced object 0x'	# the kmemleak file itself
)
re=$(IFS='|'; echo "${starts[*]}")

cat -- "$@" | awk -v re="^(\\[ *[0-9.]+\\] )?($re)" '
	# A report and up to 40 lines after it, or until the end of its trace.
	$0 ~ re {
		if (!left)
			print "-------- kernel report --------"
		left = 41
		n++
	}
	left > 0 {
		print
		left--
		if ($0 ~ /---\[ end trace/ || $0 ~ /^(\[ *[0-9.]+\] )?=+$/ && left < 38)
			left = 0
	}
	END { exit n > 0 }'
