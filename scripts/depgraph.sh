#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# File-level call graph of a component, from its object files: file A
# depends on file B when A refers to a global symbol that B defines (nm).
# Calls through function pointers (callbacks, ops tables) are not edges,
# which is the point: a layer may call down and be called back through an
# ops table without a cycle.
#
#   scripts/depgraph.sh [-e] COMPONENT...
#
# COMPONENT is one of: kmod kmd macsecd simkme qkdctl tlsproxy plugin
# plugin6 (the plugin's build for strongSwan 6), or a directory of .o
# files. Each daemon's graph, and the plugin's, includes the
# libraries it links (lib/, etsi014/), so a library calling up into a daemon shows as a
# cycle too. Prints "COMPONENT: no cycles" or the files of each cycle, and
# exits 1 if any component has a cycle (2 if its objects are not built).
# -e prints the edges ("a.o b.o": a.o calls b.o) as well.
#
# Needs the objects built (make); runs in a second per component.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
edges=0
[ "${1:-}" = -e ] && { edges=1; shift; }

objects_of()
{
	local u=$top/userspace o src

	case "$1" in
	kmod)	# the module's own objects, not the linked module
		for o in "$top"/kmod/*.o; do
			case "$o" in
			*.mod.o | */qkdpool.o) ;;
			*) [ -e "$o" ] && echo "$o" ;;
			esac
		done ;;
	kmd|macsecd|simkme|qkdctl|tlsproxy)
		ls "$u/$1"/*.o "$u"/lib/*.o
		case "$1" in kmd|simkme) ls "$u"/etsi014/*.o ;; esac ;;
	plugin) ls "$top"/build/strongswan/obj/*.o "$u"/lib/*.o "$u"/etsi014/*.o ;;
	# the build for strongSwan 6.x, with the key exchange method
	plugin6) ls "$top"/build/strongswan/obj6/*.o "$u"/lib/*.o "$u"/etsi014/*.o ;;
	*) ls "$1"/*.o ;;
	esac 2>/dev/null | while read -r o; do
		# an object left over from a source file since removed is no part
		src=${o%.o}.c
		[[ "$o" == */build/strongswan/obj/* || "$o" == */build/strongswan/obj6/* ]] &&
			src=$top/strongswan-plugin/${src##*/}
		[ -e "$src" ] && echo "$o"
	done
}

# One line "user definer" per cross-file reference, files named by path.
graph_edges()
{
	local o defs

	defs=$(mktemp)
	for o in "$@"; do
		nm --defined-only -g "$o" |
			awk -v f="${o#"$top"/}" 'NF == 3 { print $3, f }'
	done | sort -u >"$defs"
	for o in "$@"; do
		nm -u "$o" | awk -v f="${o#"$top"/}" '{ print $2, f }'
	done | sort -u | join - "$defs" |
		awk '$2 != $3 { print $2, $3 }' | sort -u
	rm -f "$defs"
}

status=0
for comp in "$@"; do
	mapfile -t objs < <(objects_of "$comp")
	if ((${#objs[@]} == 0)); then
		echo "$comp: no object files (build it first)" >&2
		status=2
		continue
	fi
	g=$(graph_edges "${objs[@]}")
	((edges)) && printf '%s\n' "$g" | sed "s/^/$comp: /"
	# tsort names every file of a cycle on stderr, one per line.
	loops=$(printf '%s\n' "$g" | tsort 2>&1 >/dev/null | grep -v 'input contains a loop')
	if [ -n "$loops" ]; then
		echo "$comp: cycle among: $(echo "$loops" | sed 's/^tsort: //' | sort -u | tr '\n' ' ')"
		((status == 0)) && status=1
	else
		echo "$comp: no cycles (${#objs[@]} files)"
	fi
done
exit "$status"
