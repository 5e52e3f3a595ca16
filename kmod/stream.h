/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_STREAM_H
#define _QKD_STREAM_H

#include <linux/rhashtable-types.h>
#include <linux/rbtree_types.h>
#include <linux/workqueue.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/qkdpool.h>

struct qkd_key;
struct qkd_mem;
struct net;

/* What a stream is configured with: QKD_A_STREAM_* of the UAPI. */
struct qkd_stream_conf {
	u32 max_keys;
	u32 low_watermark;
	u32 lifetime_ms;
};

/*
 * A stream is reachable from its pool (name table and ID xarray, both under
 * the pool mutex, lookups under RCU) and referenced by netlink requests in
 * flight and by bound device files. Everything below @lock is protected by
 * it; @dead is set under it when the stream leaves its pool, after which no
 * key is added or handed out and @net must not be used.
 *
 * Keys are in @keys by ID and on @local (a FIFO, the take-next order) or
 * @peer while available (take.c), or behind an entry of @resv while
 * reserved (resv.c). The scan fields and @expiry are expiry.c's.
 */
struct qkd_stream {
	struct rhash_head name_node;
	struct rcu_head rcu;
	refcount_t refs;
	struct net *net;
	struct qkd_mem *mem;	/* what its keys and itself are charged to */
	u32 id;
	wait_queue_head_t wq;
	struct delayed_work work;
	spinlock_t lock;	/* the fields below */
	struct rhashtable keys;
	struct list_head local;
	struct list_head peer;
	struct list_head resv;
	unsigned long next_scan;
	unsigned long last_scan;
	bool scan_armed;
	struct qkd_stream_conf conf;
	u32 nr_local;
	u32 nr_peer;
	u32 nr_resv;
	u64 added;
	u64 taken;
	u64 expired;
	u64 rejected;
	u64 resv_gen;		/* of the last reservation (resv.c) */
	struct rb_root_cached expiry;		/* expiring keys, by deadline */
	struct rb_root_cached resv_timeouts;	/* netlink reservations */
	bool dead;
	bool exhausted;
	char name[QKD_STREAM_NAME_MAX];
};

bool qkd_stream_name_valid(const char *name);
struct qkd_stream *qkd_stream_create(struct net *net, const char *name,
				     const struct qkd_stream_conf *conf,
				     struct qkd_mem *mem);
void qkd_stream_kill(struct qkd_stream *s);
void qkd_stream_put(struct qkd_stream *s);

int qkd_stream_add(struct qkd_stream *s, struct qkd_key **keys,
		   unsigned int n);
u32 qkd_stream_flush(struct qkd_stream *s, u32 flags);
int qkd_stream_set(struct qkd_stream *s, const u32 *max_keys,
		   const u32 *low_watermark, const u32 *lifetime_ms);
void qkd_stream_info(struct qkd_stream *s, struct qkd_stream_info *info);

/* For wait_event() and poll(): lockless, a hint rechecked under the lock. */
static inline bool qkd_stream_readable(struct qkd_stream *s)
{
	return READ_ONCE(s->nr_local) || READ_ONCE(s->dead);
}

#endif /* _QKD_STREAM_H */
