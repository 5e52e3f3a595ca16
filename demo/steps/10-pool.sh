# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Demo step: the key pool. Load qkdpool.ko, fill one stream per gateway with
# the same keys (owners mirrored) using qkdctl, and show that a key taken
# at one end is found by its ID, with the same material, at the other end.
# The demo stream is deleted at the end: later steps start from empty pools.
step "key pool (qkdpool.ko) and qkdctl"
qkdctl=$demo_qkdctl
if ! demo_have_pool || [ ! -x "$qkdctl" ]; then
	echo "    not built yet: skipped"
else
	demo_load_pool
	echo "    loaded; /dev/qkdpool: $(stat -c '%A %U' /dev/qkdpool 2>/dev/null || echo absent)"
	demo_keys=$(mktemp -u /tmp/qkd-demo-keys.XXXXXX)
	n1 "$qkdctl" pool stream add demo-link low-watermark 10 lifetime 1h
	n2 "$qkdctl" pool stream add demo-link low-watermark 10 lifetime 1h
	echo "    gw1: $(n1 "$qkdctl" pool key add demo-link random 100 owner alternate mirror "$demo_keys")"
	echo "    gw2: $(n2 "$qkdctl" pool key add demo-link file "$demo_keys")"
	shred -u "$demo_keys" 2>/dev/null || rm -f "$demo_keys"
	echo "    pools (gw1, then gw2):"
	n1 "$qkdctl" pool show demo-link | sed 's/^/      /'
	n2 "$qkdctl" pool show demo-link | sed 1d | sed 's/^/      /'
	# Material stays in shell variables: compared, never printed.
	demo_a=$(n1 "$qkdctl" -j --show-material pool key take demo-link)
	demo_id=$(jq -r .id <<<"$demo_a")
	demo_b=$(n2 "$qkdctl" -j --show-material pool key take demo-link id "$demo_id")
	echo "    gw1 takes its next local key: $demo_id ($(jq -r .owner <<<"$demo_a")-owned)"
	echo "    gw2 takes that ID: $(jq -r .owner <<<"$demo_b")-owned there;" \
		"material identical: $([ "$(jq -r .material <<<"$demo_a")" = "$(jq -r .material <<<"$demo_b")" ] && echo yes || echo NO)"
	if n2 "$qkdctl" pool key take demo-link id "$demo_id" 2>/dev/null; then
		echo "    a second take of that ID: SUCCEEDED (wrong)"
	else
		echo "    a second take of that ID at gw2: refused (every key is handed out once)"
	fi
	unset demo_a demo_b
	n1 "$qkdctl" pool stream del demo-link
	n2 "$qkdctl" pool stream del demo-link
fi
