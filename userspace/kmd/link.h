/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One neighbour key manager: the Kq side (our KME, through the ETSI 014
 * client), the Kx connection to the neighbour and the batches of keys in
 * delivery between the two (docs/kx-protocol.md). The master end drives:
 * it asks its KME for keys (enc_keys) whenever the stream is below its
 * fill target, offers the key IDs to the slave, which gets the same keys
 * from its KME (dec_keys); then the two ends add the batch to their pools
 * in the order that makes a half-delivered batch harmless and repairable.
 */
#ifndef KMD_LINK_H
#define KMD_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "config.h"
#include "frame.h"
#include "kmd.h"
#include "kx.h"
#include "pool.h"

struct batch;

struct link {
	struct kmd *kmd;
	const struct kmd_peer_cfg *cfg;
	struct link *next;

	/* Kx */
	struct kx_peer kx;		/* kx.c calls us back through it */
	bool up;			/* HELLOs exchanged */
	struct event *redial;		/* master: reconnect with backoff */
	unsigned int dial_backoff_ms;
	char kx_error[256];		/* why the link last went down */

	/* Kq */
	struct etsi014_client *kme;
	bool kme_ok;
	char kme_error[256];
	unsigned int kme_backoff_ms;	/* 0: no failure pending */
	struct event *kme_timer;	/* end of the back-off */
	bool kme_waiting;
	bool kme_probing;		/* a status request is out */
	bool kme_stored_known;		/* kme_stored is set */
	uint32_t kme_stored;		/* keys the KME surely holds */
	uint64_t kme_asked;		/* keys asked by enc_keys, ever */
	uint64_t kme_answered;		/* of which enc_keys came back */
	uint64_t probe_answered;	/* kme_answered when status was sent */

	struct batch *batches;
	struct event *fill_timer;
	unsigned int ticks;
	/* After a batch the pools refused: no new batch until it ends. */
	struct event *fill_hold;
	unsigned int fill_backoff_ms;	/* 0: none */

	struct qkd_pool *skip_pool;	/* skip.c: the stream for routers */

	/* Counters, for status. */
	uint64_t keys_added, keys_dropped, batches_done, batches_aborted;
	uint64_t kx_connects, kme_errors;	/* kx.rejects: bad frames */

	/* status.c: keys_added at the start of the rate window, and when. */
	uint64_t rate_mark_keys, rate_mark_ms;
	uint64_t keys_per_s;		/* over the last complete window */
};

int link_create(struct kmd *k, const struct kmd_peer_cfg *cfg,
		struct link **out);
void link_destroy(struct link *l);

/* Keys in delivery (not yet in both pools), for status. */
unsigned int link_inflight(const struct link *l);
/* Batches held in memory, in any state (0: nothing left to settle). */
unsigned int link_batches(const struct link *l);

#endif /* KMD_LINK_H */
