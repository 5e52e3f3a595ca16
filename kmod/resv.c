// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Reservations: a key handed out but kept, hidden from every taker, until
 * its holder commits (the key is destroyed, as if taken) or releases it
 * (the key goes back where it was). A reservation made through a device
 * file is held by that file and released when it closes; one made through
 * netlink has no holder and is released when its timeout passes.
 */

#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include "stream.h"
#include "expiry.h"
#include "notify.h"
#include "trace.h"
#include "take.h"
#include "resv.h"
#include "key.h"

/*
 * A reserved key; @owner is the device file holding it, NULL for netlink.
 * @gen tells this reservation from a later one of the same key.
 */
struct qkd_resv {
	struct list_head list;		/* s->resv: all, for file close */
	struct rb_node node;		/* s->resv_timeouts, netlink only */
	struct qkd_key *key;
	const void *owner;
	unsigned long deadline;
	u64 gen;
};

static bool deadline_less(struct rb_node *a, const struct rb_node *b)
{
	return time_before(rb_entry(a, struct qkd_resv, node)->deadline,
			   rb_entry(b, struct qkd_resv, node)->deadline);
}

static void unlink_resv(struct qkd_stream *s, struct qkd_resv *resv)
{
	list_del(&resv->list);
	if (!resv->owner)
		rb_erase_cached(&resv->node, &s->resv_timeouts);
	s->nr_resv--;
}

static void put_back(struct qkd_stream *s, struct qkd_resv *resv,
		     struct qkd_pending_notice *pending,
		     struct list_head *gone)
{
	struct qkd_key *key = resv->key;

	unlink_resv(s, resv);
	kfree(resv);
	trace_qkd_key_release(s->name, key->id, key->owner);
	if (qkd_key_expired(key)) {
		qkd_key_drop(&s->keys, key, gone);
		s->expired++;
		pending->expired++;
		return;
	}
	key->state = QKD_KEY_AVAIL;
	/* Scans skip reserved keys, so none may be due for this one. */
	if (key->expires)
		qkd_expiry_arm(s, key->expires);
	if (key->owner == QKD_OWNER_LOCAL) {
		/* It was the oldest when reserved: the head is its place. */
		qkd_expiry_link(s, key, &s->local, true);
		s->nr_local++;
		s->exhausted = false;
		pending->wake = true;
	} else {
		qkd_expiry_link(s, key, &s->peer, false);
		s->nr_peer++;
	}
}

/*
 * Puts back the netlink reservations whose timeout passed, earliest first
 * from the tree (O(log n) each), and lowers *@next (0: none) to the
 * earliest deadline of the others.
 */
void qkd_resv_expire(struct qkd_stream *s, struct qkd_pending_notice *pending,
		     struct list_head *gone, unsigned long *next)
{
	struct qkd_resv *resv;
	struct rb_node *node;

	while ((node = rb_first_cached(&s->resv_timeouts))) {
		resv = rb_entry(node, struct qkd_resv, node);
		if (time_before(jiffies, resv->deadline)) {
			if (!*next || time_before(resv->deadline, *next))
				*next = resv->deadline;
			break;
		}
		put_back(s, resv, pending, gone);
	}
}

/* The stream is dying: every reserved key goes on @gone to be wiped. */
void qkd_resv_drop_all(struct qkd_stream *s, struct list_head *gone)
{
	struct qkd_resv *resv, *tmp;

	list_for_each_entry_safe(resv, tmp, &s->resv, list) {
		list_add_tail(&resv->key->list, gone);
		kfree(resv);
	}
	INIT_LIST_HEAD(&s->resv);
	s->resv_timeouts = RB_ROOT_CACHED;
	s->nr_resv = 0;
}

static int reserve_key(struct qkd_stream *s, const u8 *id,
		       struct qkd_key **keyp,
		       struct qkd_pending_notice *pending,
		       struct list_head *gone)
{
	u32 before = s->nr_local;

	if (s->dead)
		return -ENOENT;
	if (id)
		return qkd_take_peer(s, id, keyp, pending, gone);
	*keyp = qkd_take_oldest_local(s, pending, gone);
	qkd_take_check_levels(s, before, *keyp, pending);
	return *keyp ? 0 : -EAGAIN;
}

/*
 * Reserve: hands out key material but keeps the key, hidden from every
 * taker, until commit or release. @id NULL reserves the next local key.
 * @timeout_ms applies to netlink reservations (@owner NULL) only. *@gen,
 * if @gen is not NULL, is set to what qkd_stream_release_gen() takes.
 */
int qkd_stream_reserve(struct qkd_stream *s, const u8 *id, const void *owner,
		       u32 timeout_ms, struct qkd_key_record *rec, u64 *gen)
{
	struct qkd_pending_notice pending = {};
	struct qkd_resv *resv;
	struct qkd_key *key;
	LIST_HEAD(gone);
	int ret;

	resv = kmalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;

	spin_lock(&s->lock);
	ret = reserve_key(s, id, &key, &pending, &gone);
	if (!ret) {
		key->state = QKD_KEY_RESERVED;
		key->resv = resv;
		resv->key = key;
		resv->owner = owner;
		resv->gen = ++s->resv_gen;
		if (gen)
			*gen = resv->gen;
		list_add_tail(&resv->list, &s->resv);
		s->nr_resv++;
		if (!owner) {
			resv->deadline = jiffies + msecs_to_jiffies(timeout_ms);
			rb_add_cached(&resv->node, &s->resv_timeouts,
				      deadline_less);
			qkd_expiry_arm(s, resv->deadline);
		}
		qkd_key_to_record(key, rec);
		trace_qkd_key_reserve(s->name, key->id, key->owner);
	}
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	if (ret)
		kfree(resv);
	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
	return ret;
}

static struct qkd_resv *find_resv(struct qkd_stream *s, const u8 *id,
				  const void *owner, int *err)
{
	struct qkd_resv *resv;
	struct qkd_key *key;

	*err = -ENOENT;
	if (s->dead)
		return NULL;
	key = qkd_key_table_lookup(&s->keys, id);
	if (!key || key->state != QKD_KEY_RESERVED)
		return NULL;
	resv = key->resv;
	if (resv->owner == owner)
		return resv;
	*err = -EBUSY;
	return NULL;
}

int qkd_stream_commit(struct qkd_stream *s, const u8 *id, const void *owner)
{
	struct qkd_resv *resv;
	struct qkd_key *key;
	LIST_HEAD(gone);
	int ret;

	spin_lock(&s->lock);
	resv = find_resv(s, id, owner, &ret);
	if (resv) {
		key = resv->key;
		unlink_resv(s, resv);
		s->taken++;
		trace_qkd_key_commit(s->name, key->id, key->owner);
		qkd_key_drop(&s->keys, key, &gone);
		ret = 0;
	}
	spin_unlock(&s->lock);

	kfree(resv);
	qkd_key_free_list(s, &gone);
	return ret;
}

static int release(struct qkd_stream *s, const u8 *id, const void *owner,
		   const u64 *gen)
{
	struct qkd_pending_notice pending = {};
	struct qkd_resv *resv;
	LIST_HEAD(gone);
	int ret;

	spin_lock(&s->lock);
	resv = find_resv(s, id, owner, &ret);
	if (resv && gen && resv->gen != *gen) {
		resv = NULL;
		ret = -ENOENT;
	}
	if (resv) {
		put_back(s, resv, &pending, &gone);
		ret = 0;
	}
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
	return ret;
}

int qkd_stream_release(struct qkd_stream *s, const u8 *id, const void *owner)
{
	return release(s, id, owner, NULL);
}

/*
 * Releases the netlink reservation @gen of qkd_stream_reserve() only: by
 * the time its holder gives up, it may have timed out and the key been
 * reserved again by someone else, whose reservation must stay.
 */
int qkd_stream_release_gen(struct qkd_stream *s, const u8 *id, u64 gen)
{
	return release(s, id, NULL, &gen);
}

/* A device file is closing: its reservations go back to the stream. */
void qkd_stream_release_owner(struct qkd_stream *s, const void *owner)
{
	struct qkd_pending_notice pending = {};
	struct qkd_resv *resv, *tmp;
	LIST_HEAD(gone);

	spin_lock(&s->lock);
	list_for_each_entry_safe(resv, tmp, &s->resv, list)
		if (resv->owner == owner)
			put_back(s, resv, &pending, &gone);
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
}
