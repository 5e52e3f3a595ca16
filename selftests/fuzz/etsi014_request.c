// SPDX-License-Identifier: GPL-2.0
/*
 * The request bodies a KME reads from its SAEs (enc_keys and dec_keys
 * POSTs). A dec_keys body goes through both readers on every input:
 * bulk.c's fast path may decline (-EAGAIN) but, when it accepts, jansson's
 * tree parser must accept too and yield the same key IDs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "json.h"

static struct etsi014_dec_req fast, tree;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etsi014_enc_req enc = { .number = 1 };
	struct etsi014_error e;
	int rf, rt;

	rf = etsi014_bulk_ids_read((const char *)data, size, &fast);
	rt = etsi014_dec_req_parse_tree((const char *)data, size, &tree, &e);
	if (!rf && rt) {
		fprintf(stderr, "bulk.c accepts %zu key IDs, jansson refuses: %s\n",
			fast.n, e.details);
		abort();
	}
	if (!rf && (fast.n != tree.n ||
		    memcmp(fast.ids, tree.ids, fast.n * sizeof(fast.ids[0])))) {
		fprintf(stderr, "bulk.c and jansson read different key IDs\n");
		abort();
	}
	etsi014_dec_req_parse((const char *)data, size, &fast, &e);
	etsi014_enc_req_parse((const char *)data, size, &enc, &e);
	return 0;
}
