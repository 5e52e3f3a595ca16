/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel pool as qkd-kmd uses it (generic netlink): the pool is the
 * only store of delivered keys, so a restart of the daemon loses nothing.
 * Every function returns a count or 0 on success, -errno on failure.
 */
#ifndef KMD_STORE_H
#define KMD_STORE_H

#include "config.h"
#include "etsi014.h"
#include "genl.h"

/* Create the peer's stream with the configured limits unless it exists. */
int store_stream_ensure(struct qkd_genl *g, const struct kmd_peer_cfg *p);
/* Keys in the stream: available (both owners) plus reserved. */
int store_count(struct qkd_genl *g, const char *stream,
		struct qkd_stream_stats *st);
/* Add n keys (n <= QKD_ADD_BATCH_MAX: one atomic request). */
int store_add(struct qkd_genl *g, const char *stream,
	      const struct qkd_key_record *keys, size_t n, uint32_t owner,
	      uint32_t lifetime_ms);
/* Remove peer-owned keys by ID; absent ones are skipped. Returns removed. */
int store_drop(struct qkd_genl *g, const char *stream,
	       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n);
/*
 * How many of the IDs are in the stream as local-owned keys. Probing uses
 * a by-ID reservation, which the pool refuses for local-owned keys
 * (-EACCES) without touching them: nothing is taken.
 */
int store_probe_local(struct qkd_genl *g, const char *stream,
		      const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n);

#endif /* KMD_STORE_H */
