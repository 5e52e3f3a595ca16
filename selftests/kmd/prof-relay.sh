#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a key relay's CPU goes; run as root in the VM:
#
#   selftests/qemu/vm-run.sh -t 1800 selftests/kmd/prof-relay.sh [LINK_RATE...]
#
# (default rate 2000; allow 15 min per rate under TCG on a loaded host). Not
# a test and not in `make check` or `make bench`: a profile to read, no
# assertion. The network is bench-relay.sh's: the line 1-2-3-4 with far
# stream 1-4, whose target both ends never reach, so that they relay
# without pause. After $warmup s (QKD_RELAY_PROF_WARMUP, default 10), it
# measures $ref s without profiling (QKD_RELAY_PROF_REF, default 10: the
# rate the profilers' cost is judged against), then over $span s
# (QKD_RELAY_PROF_SPAN, default 20) it prints:
#
# 1. the CPU by process: perf record -a -g -e cpu-clock of the whole VM (a
#    software event: it works under TCG) as shares of its 2 vCPUs, with
#    each daemon's CPU from the scheduler (/proc/PID/schedstat) per second
#    and per relayed key;
# 2. the top symbols of qkd-kmd (all four nodes; self, user [.] or kernel
#    [k]), its CPU by shared object, and its kernel time by syscall
#    (inclusive); the same for qkd-simkme;
# 3. syscalls per relayed key, by syscall, of an end's key manager (node
#    1), an intermediate's (node 2) and of the six qkd-simkme
#    together: perf stat on the syscall tracepoints (counted in the
#    kernel: no ptrace stop slows the daemon as strace -c would), divided
#    by the far keys relayed in each counter's own enabled time, at the
#    span's rate;
# 4. the link keys fetched per second, per link;
# 5. pool requests (netlink) per relayed key, by kind, of nodes 1 and 2,
#    from their status files' counters.
#
# Without perf (or its syscall tracepoints), 3. falls back to strace -c
# and 1. to the scheduler's figures alone. perf.data, a copy of
# /proc/kallsyms and the full reports stay in build/bench/prof-relay-RATE/:
# on the host, perf report -i perf.data --kallsyms kallsyms.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=selftests/kmd/lib.sh
. selftests/kmd/lib.sh
# shellcheck source=selftests/kmd/relay-lib.sh
. selftests/kmd/relay-lib.sh

# The daemons' status files are rewritten every second: on the VM's tmpfs,
# not on the 9p share of build/, which took 14% of a key manager's CPU
# (prof-relay.sh) and no gateway would pay.
work=/tmp/kmd-prof-relay
pki=/tmp/kmd-prof-relay-pki
rates=${*:-2000}
span=${QKD_RELAY_PROF_SPAN:-20}
warmup=${QKD_RELAY_PROF_WARMUP:-10}
ref=${QKD_RELAY_PROF_REF:-10}		# seconds measured without profiling
freq=${QKD_RELAY_PROF_FREQ:-499}	# perf samples per second per CPU
relay_window=${QKD_RELAY_PROF_WINDOW:-32}
far_target=2000000
link_key_bytes=32	# qkd-kmd's default key_size (relay-lib.sh sets none)
far_max=2000000
nodes=4 edges="1-2 2-3 3-4" fars="1-4"
declare -A faults=() extra_far=() ctl=() ack=()
perfs=()
tmp=$(mktemp -d /tmp/prof-relay.XXXXXX)	# tmpfs: perf.data off the 9p share

for f in "$kmd" "$sim" "$keys" "$ko"; do
	[ -e "$f" ] || { echo "# SKIP relay profile: $f not built"; exit 0; }
done
trap 'perf_stop; relay_cleanup; rm -rf "$tmp"' EXIT
# perf stat opens one event per syscall and process: 346 x 6 for the KMEs.
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null

# have_perf: perf can sample; asked once, a perf record -a took minutes
# to start in a VM busy relaying.
have_perf() { [ "$perf_ok" = yes ]; }
perf_ok=$(perf record -a -B -e cpu-clock -o /dev/null -- true >/dev/null 2>&1 &&
	echo yes || echo no)
have_tracepoints() { [ -d /sys/kernel/tracing/events/syscalls ]; }
daemons() { for f in "$work"/*.pid; do basename "$f" .pid; done; }
kmes() { daemons | grep '^kme-'; }
pids() { for d in "$@"; do pidof_ "$d"; done | paste -sd,; }

# perf_start NAME PERF-ARGS...: perf in the background with its events
# disabled, until perf_ctl enables them; its control and ack fifos are
# held open read-write here, so that neither end blocks on open.
perf_start()
{
	local name=$1 c a
	shift

	mkfifo "$tmp/$name.ctl" "$tmp/$name.ack"
	exec {c}<>"$tmp/$name.ctl" {a}<>"$tmp/$name.ack"
	ctl[$name]=$c ack[$name]=$a
	perf "$@" -D -1 --control "fd:$c,$a" >"$tmp/$name.out" 2>&1 &
	echo $! >"$tmp/$name.pid"
	perfs+=("$name")
}

# perf_ctl CMD: CMD (enable, disable) to every perf, then each one's ack.
# Sent to all first: their spans start within one round trip of each other.
perf_ctl()
{
	local n r

	for n in "${perfs[@]}"; do echo "$1" >&"${ctl[$n]}"; done
	for n in "${perfs[@]}"; do
		read -r -t 120 r <&"${ack[$n]}" || echo "# perf $n: no ack for $1"
	done
}

# perf_stop: end every perf (SIGINT: it writes its data and counts).
perf_stop()
{
	local n c a

	for n in "${perfs[@]}"; do
		kill -INT "$(cat "$tmp/$n.pid")" 2>/dev/null
		wait "$(cat "$tmp/$n.pid")" 2>/dev/null
		c=${ctl[$n]} a=${ack[$n]}
		exec {c}>&- {a}>&-
	done
	perfs=()
}

# syscalls_start NAME DAEMON...: count the syscalls of DAEMONs (summed).
syscalls_start()
{
	local name=$1
	shift

	if have_perf && have_tracepoints; then
		perf_start "sys-$name" stat -x, -e "$(syscall_events)" \
			-p "$(pids "$@")" -o "$tmp/sys-$name.csv"
	else
		local d args=()
		for d in "$@"; do args+=(-p "$(pidof_ "$d")"); done
		strace -c -f -o "$tmp/sys-$name.strace" "${args[@]}" 2>/dev/null &
		echo $! >"$tmp/strace-$name.pid"
	fi
}

# The syscalls counted one by one: those of an event loop, TLS, netlink,
# HTTP and files. The rest shows as "other" (all syscalls, less these):
# 346 events per process took minutes to set up under TCG.
counted="read write readv writev sendto recvfrom sendmsg recvmsg sendmmsg
recvmmsg epoll_wait epoll_pwait epoll_ctl poll ppoll select pselect6 openat
close rename renameat2 newfstatat newfstat lseek ioctl getrandom futex mmap
munmap mprotect madvise brk mremap socket connect accept accept4 bind
getsockopt setsockopt getsockname getpeername shutdown fcntl clock_gettime
gettimeofday clock_nanosleep nanosleep getpid timerfd_settime unlink fsync ftruncate
eventfd2 pipe2 dup dup2 dup3 sched_yield uname"
# syscall_events: perf's event list for $counted, where the kernel has
# the tracepoint, and the total.
syscall_events()
{
	local s

	for s in $counted; do
		[ -d "/sys/kernel/tracing/events/syscalls/sys_enter_$s" ] &&
			printf 'syscalls:sys_enter_%s,' "$s"
	done
	echo raw_syscalls:sys_enter
}

# syscalls NAME SECONDS: "syscall count seconds_counted" lines of NAME's
# counts; strace's are over the whole span.
syscalls()
{
	if [ -e "$tmp/sys-$1.csv" ]; then
		awk -F, '$1 ~ /^[0-9]+$/ {
			if ($3 == "raw_syscalls:sys_enter") {
				all = $1; t = $4 / 1e9
				next
			}
			sub(/^syscalls:sys_enter_/, "", $3)
			n += $1
			if ($1 > 0)
				print $3, $1, $4 / 1e9 }
			END { if (all > n) print "other", all - n, t }' \
			"$tmp/sys-$1.csv"
	else
		kill -INT "$(cat "$tmp/strace-$1.pid")" 2>/dev/null
		wait "$(cat "$tmp/strace-$1.pid")" 2>/dev/null
		awk -v s="$2" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ &&
			$NF != "total" { print $NF, $4, s }' "$tmp/sys-$1.strace"
	fi
}

# snapshot: "name value" lines: time, far keys, link keys added per link,
# link keys spent on relays, CPU ns of every daemon.
snapshot()
{
	local e d

	echo "time $(now)"
	echo "far $(far_keys)"
	for e in $edges; do echo "link-$e $(added "${e%-*}" "${e#*-}")"; done
	echo "spent $(counter link_keys_sent)"
	for d in $(daemons); do echo "cpu-$d $(cpu_ns "$d")"; done
	for d in 1 2; do
		st "$d" '.pool_requests // {} | to_entries[] |
			"\(.key) \(.value)"' | sed "s/^/nl-$d-/"
	done
}

# requests_table DELTAS: pool requests per relayed key by kind, nodes 1
# and 2 (the status files are a second old at most: over $span s, noise).
requests_table()
{
	printf '#   %-18s %9s %9s\n' request kmd-1 kmd-2
	awk '$1 ~ /^nl-/ { split($1, a, "-"); sub(/^nl-[0-9]+-/, "", $1)
		c[$1, a[2]] = $2; kinds[$1] = 1 }
		$1 == "far" { k = $2 }
		END {
			for (n in kinds) {
				printf "#   %-18s %9.2f %9.2f\n", n,
					k ? c[n, 1] / k : 0, k ? c[n, 2] / k : 0
				t1 += c[n, 1]; t2 += c[n, 2]
			}
			printf "#   %-18s %9.2f %9.2f\n", "total",
				k ? t1 / k : 0, k ? t2 / k : 0
		}' "$1" | sort -k1,1
}

# role DAEMON: what the daemon is in the line 1-2-3-4.
role()
{
	case $1 in
	kmd-1|kmd-4) echo "$1 (end)" ;;
	kmd-*) echo "$1 (intermediate)" ;;
	*) echo "$1" ;;
	esac
}

# cpu_table DELTAS: per daemon, its share of the VM's samples (perf), its
# CPU seconds per second and ms per relayed key (scheduler).
cpu_table()
{
	local d p share

	printf '#   %-22s %7s %8s %8s\n' process "perf %" "cpu s/s" "ms/key"
	for d in $(daemons); do
		p=$(pidof_ "$d")
		share=$(awk -v p="$p" '$2 ~ "^" p ":" { print $1 }' "$out/by-pid.txt")
		awk -v d="$(role "$d")" -v s="${share:--}" -v c="$(val "cpu-$d" "$1")" \
			-v t="$(val time "$1")" -v k="$(val far "$1")" 'BEGIN {
			printf "#   %-22s %7s %8.3f %8.2f\n", d, s, c / 1e9 / t,
				(k ? c / 1e6 / k : 0) }'
	done
}
# val NAME DELTAS: the value NAME of the deltas file.
val() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

# report WHAT PERF-REPORT-ARGS...: perf report of $out/perf.data, flat,
# to $out/WHAT.txt.
report()
{
	local what=$1
	shift

	perf report -i "$tmp/perf.data" --stdio -q -g none "$@" \
		>"$out/$what.txt" 2>/dev/null
}

# profile_tables: the perf report tables of 1. and 2.
profile_tables()
{
	report by-comm --no-children --sort comm
	report kmd-syms --no-children --comm qkd-kmd --sort dso,sym \
		--percentage relative
	report kmd-calls --children --comm qkd-kmd --sort sym \
		--percentage relative
	report kme-syms --no-children --comm qkd-simkme --sort dso,sym \
		--percentage relative
	report kme-calls --children --comm qkd-simkme --sort sym \
		--percentage relative

	echo "# by command (% of the VM's samples, idle = swapper):"
	awk '$1 + 0 >= 0.5 { printf "#   %7s %s\n", $1, $2 }' "$out/by-comm.txt"
	# Summed from the symbols: perf's --sort dso left the kernel out.
	echo "# qkd-kmd by shared object (% of qkd-kmd):"
	awk '{ s[$2] += $1 } END { for (d in s) if (s[d] >= 0.3)
		printf "#   %6.2f%% %s\n", s[d], d }' "$out/kmd-syms.txt" | sort -k2gr
	awk '/\[k\]/ { k += $1 } /\[\.\]/ { u += $1 }
		END { printf "# qkd-kmd: user %.1f%%, kernel %.1f%%\n", u, k }' \
		"$out/kmd-syms.txt"
	echo "# qkd-kmd top symbols (self, % of qkd-kmd):"
	head -n 25 "$out/kmd-syms.txt" | sed 's/^ */#   /'
	echo "# qkd-kmd kernel entries (inclusive, % of qkd-kmd):"
	syscall_entries "$out/kmd-calls.txt"
	echo "# qkd-simkme top symbols (self, % of qkd-simkme):"
	head -n 12 "$out/kme-syms.txt" | sed 's/^ */#   /'
	echo "# qkd-simkme kernel entries (inclusive, % of qkd-simkme):"
	syscall_entries "$out/kme-calls.txt"
}
syscall_entries()
{
	grep -E '\] (__x64_sys_|do_syscall_64|__do_softirq|asm_)' "$1" |
		awk '$1 + 0 >= 0.5' | head -n 16 | sed 's/^ */#   /'
}

# syscall_table DELTAS NAME...: syscalls per relayed key, a column per
# NAME, most frequent first; each count is divided by the keys relayed in
# its counter's own enabled time, at the span's rate.
syscall_table()
{
	local deltas=$1 n
	shift

	printf '#   %-18s' syscall
	printf ' %9s' "$@"
	echo
	for n in "$@"; do
		syscalls "$n" "$(val time "$deltas")" | sed "s/^/$n /"
	done | awk -v names="$*" -v k="$(val far "$deltas")" \
		-v t="$(val time "$deltas")" '
		{ c[$1, $2] = k ? $3 / (k / t * $4) : 0; sum[$2] += c[$1, $2]
		  tot[$1] += c[$1, $2] }
		END {
			nn = split(names, name, " ")
			for (s in sum) {
				line = sprintf("#   %-18s", s)
				for (i = 1; i <= nn; i++)
					line = line sprintf(" %9.2f", c[name[i], s])
				printf "%f\t%s\n", sum[s], line | "sort -gr | cut -f2"
			}
			close("sort -gr | cut -f2")
			printf "#   %-18s", "total"
			for (i = 1; i <= nn; i++)
				printf " %9.2f", tot[name[i]]
			print ""
		}'
}

# span_rates S0 S1: far keys/s and the key managers' CPU ms per relayed key
# between two snapshots.
span_rates()
{
	awk 'NR == FNR { v[$1] = $2; next } { d[$1] = $2 - v[$1] } END {
		t = d["time"]; k = d["far"]
		for (n in d)
			if (n ~ /^cpu-kmd-/)
				c += d[n]
		printf "%.1f far keys/s, %.2f ms of qkd-kmd CPU per key", k / t,
			k ? c / 1e6 / k : 0 }' "$1" "$2"
}

# progress WHAT: a time stamp on stderr (the console), where a phase ends.
progress() { echo "prof-relay: ${SECONDS}s: $*" >&2; }

# profile RATE: one network at RATE link keys/s, profiled over $span s.
# The profilers set up during the warm-up; then $ref s with them
# disabled gives the rate without profiling.
profile()
{
	local n names

	kme_rate=$1
	out=$top/build/bench/prof-relay-$kme_rate
	rm -rf "$out" "${tmp:?}"/*
	mkdir -p "$out"
	relay_bench_up 0 || return 1
	progress "routes up"
	if have_perf; then
		perf_start record record -a -g -B -e cpu-clock -F "$freq" \
			-o "$tmp/perf.data"
	else
		echo "# perf cannot run here: $(perf record -a -B -e cpu-clock \
			-o /dev/null -- true 2>&1 | head -n 1)"
	fi
	for n in kmd-1 kmd-2; do syscalls_start "$n" "$n"; done
	mapfile -t names < <(kmes)
	syscalls_start kmes "${names[@]}"
	progress "profilers started"
	sleep "$warmup"
	# Every perf set up (its "disable" acknowledged) before the spans.
	perf_ctl disable
	progress "profilers ready"
	snapshot >"$tmp/ref"
	sleep "$ref"
	snapshot >"$tmp/s0"
	perf_ctl enable
	sleep "$span"
	perf_ctl disable
	snapshot >"$tmp/s1"
	perf_stop
	# The reports run on an idle VM.
	teardown
	progress "span done"
	awk 'NR == FNR { v[$1] = $2; next } { print $1, $2 - v[$1] }' \
		"$tmp/s0" "$tmp/s1" >"$out/deltas"

	echo "# $kme_rate link keys/s: unprofiled ${ref}s: $(span_rates "$tmp/ref" "$tmp/s0")"
	echo "# profiled $(val time "$out/deltas" | cut -d. -f1)s:" \
		"$(span_rates "$tmp/s0" "$tmp/s1")"
	# A relay of b 32-byte keys over 32-byte link keys spends b + 1 link
	# keys a hop (b pads, one MAC key): bench-relay.sh's limit.
	awk -v r="$kme_rate" -v h=3 -v b="${relay_batch:-16}" \
		-v m="$(( (32 + link_key_bytes - 1) / link_key_bytes ))" '
		{ v[$1] = $2 } END {
		t = v["time"]; k = v["far"]; lim = r * b / (b + m)
		printf "# limit %d far keys/s (batch %d), ratio %.3f;", lim, b,
			k / t / lim
		printf " link keys spent per relayed key per hop %.2f\n",
			k ? v["spent"] / k / h : 0
		printf "# link keys fetched per second:"
		for (n in v)
			if (n ~ /^link-/)
				printf " %s %.0f", substr(n, 6), v[n] / t
		print "" }' "$out/deltas"
	echo "# 1. CPU by process (the VM's 2 vCPUs = 100% of perf samples):"
	[ -e "$tmp/perf.data" ] && report by-pid --no-children --sort pid
	touch "$out/by-pid.txt"
	cpu_table "$out/deltas"
	if [ -e "$tmp/perf.data" ]; then
		echo "# 2. where the CPU goes"
		profile_tables
		cp "$tmp/perf.data" /proc/kallsyms "$out/"
	fi
	echo "# 3. syscalls per relayed key:"
	syscall_table "$out/deltas" kmd-1 kmd-2 kmes | tee "$out/syscalls.txt"
	echo "# 5. pool requests per relayed key:"
	requests_table "$out/deltas" | tee "$out/requests.txt"
	progress "reports done"
}

echo "# relay profile: line 1-2-3-4, far stream 1-4, [relay] window" \
	"$relay_window; ${span}s after ${warmup}s; perf -F $freq"
for rate in $rates; do
	profile "$rate"
done
