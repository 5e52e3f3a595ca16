// SPDX-License-Identifier: GPL-2.0
/*
 * The reply bodies a client of ETSI GS QKD 014 reads from its KME: key
 * containers, status and error bodies. A key container goes through both
 * readers on every input: bulk.c's fast path may decline (-EAGAIN) but,
 * when it accepts, jansson's tree parser must accept too and yield the same
 * keys; the fast path accepting what jansson refuses would let a malformed
 * body through on the path every key takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "json.h"

#define MAX_KEYS 8

static struct qkd_key_record fast[ETSI014_KEYS_MAX], tree[ETSI014_KEYS_MAX];

static void compare(const uint8_t *data, size_t size, size_t max)
{
	struct etsi014_error e;
	size_t nf = 0, nt = 0, i;
	int rf, rt;

	rf = etsi014_bulk_keys_read((const char *)data, size, fast, max, &nf);
	rt = etsi014_keys_parse_tree((const char *)data, size, tree, max, &nt,
				     &e);
	if (rf)
		return;
	if (rt) {
		fprintf(stderr, "bulk.c accepts %zu keys, jansson refuses: %s\n",
			nf, e.details);
		abort();
	}
	if (nf != nt) {
		fprintf(stderr, "bulk.c reads %zu keys, jansson %zu\n", nf, nt);
		abort();
	}
	for (i = 0; i < nf; i++)
		if (memcmp(fast[i].id, tree[i].id, sizeof(fast[i].id)) ||
		    fast[i].material_len != tree[i].material_len ||
		    memcmp(fast[i].material, tree[i].material,
			   fast[i].material_len)) {
			fprintf(stderr, "key %zu differs between bulk.c and jansson\n",
				i);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etsi014_status st;
	struct etsi014_error e;
	size_t n;

	compare(data, size, MAX_KEYS);
	compare(data, size, ETSI014_KEYS_MAX);
	/* The entry point the client calls, fast path first. */
	if (!etsi014_keys_parse((const char *)data, size, fast, MAX_KEYS, &n,
				&e))
		etsi014_keys_wipe(fast, n);
	etsi014_status_parse((const char *)data, size, &st, &e);
	etsi014_error_parse((const char *)data, size, &e);
	return 0;
}
