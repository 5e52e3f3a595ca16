// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * A stream: the keys shared with one peer. This is the object itself: its
 * life (create, kill, put), adding and flushing keys, its settings and
 * counters, and its one delayed work. Taking keys is in take.c,
 * reservations in resv.c, expiry in expiry.c, the keys in key.c.
 *
 * Locking: s->lock (a spinlock, never taken from interrupts) protects the
 * lists, the table contents, the counters and the settings. Keys that
 * leave the stream are gathered on a list under the lock and freed, wiped,
 * after it is dropped; readers and listeners are told then (notify.c).
 */

#include <net/net_namespace.h>
#include <linux/rhashtable.h>
#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "stream.h"
#include "expiry.h"
#include "notify.h"
#include "trace.h"
#include "resv.h"
#include "key.h"

/* Netlink reservation timeouts, then key expiry (expiry.c arms it). */
static void stream_work(struct work_struct *work)
{
	struct qkd_stream *s = container_of(to_delayed_work(work),
					    struct qkd_stream, work);
	struct qkd_pending_notice pending = {};
	unsigned long next = 0;
	LIST_HEAD(gone);

	spin_lock(&s->lock);
	if (s->dead) {
		spin_unlock(&s->lock);
		return;
	}
	qkd_expiry_scan_start(s);
	/* Timed-out reservations first: their keys rejoin the lists. */
	qkd_resv_expire(s, &pending, &gone, &next);
	qkd_expiry_scan(s, next, &pending, &gone);
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
}

bool qkd_stream_name_valid(const char *name)
{
	size_t len = strnlen(name, QKD_STREAM_NAME_MAX);
	size_t i;

	if (!len || len == QKD_STREAM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	return true;
}

/*
 * What a stream costs besides its keys: the struct, and the first bucket
 * table of its key table (64 buckets, about 600 bytes, a 1 KiB object)
 * with its share of the pool's name table.
 */
static long stream_charge(const struct qkd_stream *s)
{
	return ksize(s) + 1024;
}

struct qkd_stream *qkd_stream_create(struct net *net, const char *name,
				     const struct qkd_stream_conf *conf,
				     struct qkd_mem *mem)
{
	struct qkd_stream *s;
	int ret = -ENOMEM;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	if (!qkd_mem_charge(mem, stream_charge(s))) {
		ret = -ENOSPC;
		goto err_free;
	}
	if (qkd_key_table_init(&s->keys))
		goto err_uncharge;
	refcount_set(&s->refs, 1);
	s->net = net;
	s->mem = qkd_mem_get(mem);
	init_waitqueue_head(&s->wq);
	INIT_DELAYED_WORK(&s->work, stream_work);
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->local);
	INIT_LIST_HEAD(&s->peer);
	INIT_LIST_HEAD(&s->resv);
	s->expiry = RB_ROOT_CACHED;
	s->resv_timeouts = RB_ROOT_CACHED;
	s->last_scan = jiffies - HZ;
	s->conf = *conf;
	strscpy(s->name, name, sizeof(s->name));
	return s;

err_uncharge:
	qkd_mem_uncharge(mem, stream_charge(s));
err_free:
	kfree(s);
	return ERR_PTR(ret);
}

/*
 * Called once, when the stream leaves its pool: zeroize every key,
 * reserved ones included, and wake readers so they see the stream is gone.
 * References held by files keep the (empty, dead) struct alive.
 */
void qkd_stream_kill(struct qkd_stream *s)
{
	LIST_HEAD(gone);
	u32 n;

	spin_lock(&s->lock);
	WRITE_ONCE(s->dead, true);
	n = s->nr_local + s->nr_peer + s->nr_resv;
	list_splice_init(&s->local, &gone);
	list_splice_init(&s->peer, &gone);
	qkd_resv_drop_all(s, &gone);
	s->expiry = RB_ROOT_CACHED;
	s->nr_local = 0;
	s->nr_peer = 0;
	spin_unlock(&s->lock);

	wake_up_interruptible_poll(&s->wq, EPOLLIN | EPOLLERR | EPOLLHUP);
	cancel_delayed_work_sync(&s->work);
	/* Stops the table's resize worker before the keys go away. */
	rhashtable_destroy(&s->keys);
	qkd_key_free_list(s, &gone);
	if (n)
		trace_qkd_keys_gone(s->name, "killed", n);
}

void qkd_stream_put(struct qkd_stream *s)
{
	if (!refcount_dec_and_test(&s->refs))
		return;
	qkd_mem_uncharge(s->mem, stream_charge(s));
	qkd_mem_put(s->mem);
	/* Name lookups run under RCU: the struct outlives a grace period. */
	kfree_rcu(s, rcu);
}

static void link_keys(struct qkd_stream *s, struct qkd_key **keys,
		      unsigned int n, struct qkd_pending_notice *pending)
{
	unsigned long next = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct qkd_key *key = keys[i];

		if (key->owner == QKD_OWNER_LOCAL) {
			qkd_expiry_link(s, key, &s->local, false);
			s->nr_local++;
			pending->wake = true;
		} else {
			qkd_expiry_link(s, key, &s->peer, false);
			s->nr_peer++;
		}
		if (key->expires &&
		    (!next || time_before(key->expires, next)))
			next = key->expires;
		trace_qkd_key_add(s->name, key->id, key->owner);
	}
	if (pending->wake)
		s->exhausted = false;
	s->added += n;
	if (next)
		qkd_expiry_arm(s, next);
}

static int hash_keys(struct qkd_stream *s, struct qkd_key **keys,
		     unsigned int n)
{
	unsigned int i;
	u32 ms;
	int ret;

	for (i = 0; i < n; i++) {
		struct qkd_key *key = keys[i];

		ms = key->expires ?: s->conf.lifetime_ms;
		key->expires = ms ? (jiffies + msecs_to_jiffies(ms)) ?: 1 : 0;
		ret = qkd_key_table_insert(&s->keys, key);
		if (ret)
			goto err_unhash;
	}
	return 0;

err_unhash:
	while (i--)
		qkd_key_table_remove(&s->keys, keys[i]);
	return ret == -EEXIST ? ret : -ENOMEM;
}

/*
 * Adds all @n keys or none. On success the stream owns them; on failure
 * the caller still does (and frees them). IDs repeated within @keys are
 * caught by the table too.
 */
int qkd_stream_add(struct qkd_stream *s, struct qkd_key **keys,
		   unsigned int n)
{
	struct qkd_pending_notice pending = {};
	int ret = 0;

	spin_lock(&s->lock);
	if (s->dead) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if ((u64)s->nr_local + s->nr_peer + s->nr_resv + n >
	    s->conf.max_keys) {
		ret = -ENOSPC;
		s->rejected += n;
		goto out_unlock;
	}
	ret = hash_keys(s, keys, n);
	if (ret) {
		s->rejected += n;
		goto out_unlock;
	}
	link_keys(s, keys, n, &pending);
out_unlock:
	spin_unlock(&s->lock);
	qkd_notify_deliver(s, &pending);
	return ret;
}

static u32 flush_list(struct qkd_stream *s, struct list_head *head,
		      struct list_head *gone)
{
	struct qkd_key *key, *tmp;
	u32 n = 0;

	list_for_each_entry_safe(key, tmp, head, list) {
		qkd_expiry_unlink(s, key);
		qkd_key_drop(&s->keys, key, gone);
		n++;
	}
	return n;
}

u32 qkd_stream_flush(struct qkd_stream *s, u32 flags)
{
	LIST_HEAD(gone);
	u32 n = 0;

	if (!flags)
		flags = __QKD_F_ALL;
	spin_lock(&s->lock);
	if (!s->dead && (flags & QKD_F_LOCAL)) {
		n += flush_list(s, &s->local, &gone);
		s->nr_local = 0;
	}
	if (!s->dead && (flags & QKD_F_PEER)) {
		n += flush_list(s, &s->peer, &gone);
		s->nr_peer = 0;
	}
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	if (n)
		trace_qkd_keys_gone(s->name, "flushed", n);
	return n;
}

int qkd_stream_set(struct qkd_stream *s, const u32 *max_keys,
		   const u32 *low_watermark, const u32 *lifetime_ms)
{
	int ret = 0;

	spin_lock(&s->lock);
	if (s->dead) {
		ret = -ENOENT;
	} else {
		if (max_keys)
			s->conf.max_keys = *max_keys;
		if (low_watermark)
			s->conf.low_watermark = *low_watermark;
		if (lifetime_ms)
			s->conf.lifetime_ms = *lifetime_ms;
	}
	spin_unlock(&s->lock);
	return ret;
}

void qkd_stream_info(struct qkd_stream *s, struct qkd_stream_info *info)
{
	memset(info, 0, sizeof(*info));
	spin_lock(&s->lock);
	info->max_keys = s->conf.max_keys;
	info->low_watermark = s->conf.low_watermark;
	info->lifetime_ms = s->conf.lifetime_ms;
	info->avail_local = s->nr_local;
	info->avail_peer = s->nr_peer;
	info->reserved = s->nr_resv;
	info->added = s->added;
	info->taken = s->taken;
	info->expired = s->expired;
	info->rejected = s->rejected;
	spin_unlock(&s->lock);
}
