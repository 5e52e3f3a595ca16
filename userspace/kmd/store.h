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

struct event_base;

/*
 * Stream counts are read from the pool at most once per STORE_FRESH_MS
 * (libevent's cached time: no syscall) and kept up to date in between by
 * qkd-kmd's own requests, which go through the functions below. What they
 * miss only lowers the true counts (keys taken by applications through
 * the device, expiry), so a decision on a cached count fails safe: a
 * reservation the pool cannot fill aborts (RELAY_ABORT_DRY), a fill adds
 * no more than the stream has room for.
 */
#define STORE_FRESH_MS	200
void store_clock(struct event_base *base);

/* Create the peer's stream with the configured limits unless it exists. */
int store_stream_ensure(struct qkd_genl *g, const struct kmd_peer_cfg *p);
/* Keys in the stream: available (both owners) plus reserved (cached). */
int store_count(struct qkd_genl *g, const char *stream,
		struct qkd_stream_stats *st);
/*
 * Pipelined key operations (genl.h's qkd_genl_keys_*) that keep the cached
 * counts: reserve the next n local-owned keys, commit or release our
 * reservations, take n peer-owned keys by ID.
 */
int store_reserve(struct qkd_genl *g, const char *stream, size_t n,
		  uint32_t timeout_ms, struct qkd_key_record *recs, int *errs);
int store_commit(struct qkd_genl *g, const char *stream,
		 const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n, int *errs);
int store_release(struct qkd_genl *g, const char *stream,
		  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n);
int store_take(struct qkd_genl *g, const char *stream,
	       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
	       struct qkd_key_record *recs, int *errs);
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
