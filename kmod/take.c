// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Taking keys out of a stream: take-next, O(1), the oldest local-owned key
 * from the head of the FIFO; take-by-ID, O(1), a peer-owned key through
 * the table. Both hand out key material: it is copied into the caller's
 * records under the stream lock and wiped from the key before the key is
 * freed. Expired keys met on the way go.
 */

#include <linux/spinlock.h>
#include <linux/list.h>

#include "stream.h"
#include "expiry.h"
#include "notify.h"
#include "trace.h"
#include "take.h"
#include "key.h"

/* Oldest unexpired local key, off its list but still hashed, or NULL. */
struct qkd_key *qkd_take_oldest_local(struct qkd_stream *s,
				      struct qkd_pending_notice *pending,
				      struct list_head *gone)
{
	struct qkd_key *key;

	while ((key = list_first_entry_or_null(&s->local, struct qkd_key,
					       list))) {
		qkd_expiry_unlink(s, key);
		s->nr_local--;
		if (!qkd_key_expired(key))
			return key;
		qkd_key_drop(&s->keys, key, gone);
		s->expired++;
		pending->expired++;
	}
	return NULL;
}

/* Call after taking keys off the local list. */
void qkd_take_check_levels(struct qkd_stream *s, u32 before, bool got,
			   struct qkd_pending_notice *pending)
{
	u32 wm = s->conf.low_watermark;

	if (!got) {
		if (!s->exhausted)
			pending->exhausted = true;
		s->exhausted = true;
	} else if (before >= wm && s->nr_local < wm) {
		pending->low = true;
	}
}

/*
 * Take-next: hands out key material. Fills up to @n records with the oldest
 * unexpired local-owned keys and returns how many (-EAGAIN if none).
 */
int qkd_stream_take_next(struct qkd_stream *s, struct qkd_key_record *recs,
			 unsigned int n)
{
	struct qkd_pending_notice pending = {};
	struct qkd_key *key;
	unsigned int got = 0;
	LIST_HEAD(gone);
	u32 before;

	spin_lock(&s->lock);
	if (s->dead) {
		spin_unlock(&s->lock);
		return -ENOENT;
	}
	before = s->nr_local;
	while (got < n && (key = qkd_take_oldest_local(s, &pending, &gone))) {
		qkd_key_to_record(key, &recs[got++]);
		qkd_key_drop(&s->keys, key, &gone);
		s->taken++;
		trace_qkd_key_take(s->name, key->id, key->owner);
	}
	qkd_take_check_levels(s, before, got, &pending);
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
	return got ? got : -EAGAIN;
}

/*
 * Finds an available, unexpired peer-owned key and takes it off its list,
 * still hashed; an expired one goes.
 */
int qkd_take_peer(struct qkd_stream *s, const u8 *id, struct qkd_key **keyp,
		  struct qkd_pending_notice *pending, struct list_head *gone)
{
	struct qkd_key *key;

	key = qkd_key_table_lookup(&s->keys, id);
	if (!key)
		return -ENOENT;
	/*
	 * Ownership first: a local-owned key is never taken by ID, so
	 * -EBUSY ("try again later") would be a false promise.
	 */
	if (key->owner != QKD_OWNER_PEER)
		return -EACCES;
	if (key->state == QKD_KEY_RESERVED)
		return -EBUSY;
	qkd_expiry_unlink(s, key);
	s->nr_peer--;
	if (qkd_key_expired(key)) {
		qkd_key_drop(&s->keys, key, gone);
		s->expired++;
		pending->expired++;
		return -ENOENT;
	}
	*keyp = key;
	return 0;
}

/* Take-by-ID: hands out key material, peer-owned keys only. */
int qkd_stream_take_id(struct qkd_stream *s, const u8 *id,
		       struct qkd_key_record *rec)
{
	struct qkd_pending_notice pending = {};
	struct qkd_key *key;
	LIST_HEAD(gone);
	int ret;

	spin_lock(&s->lock);
	ret = s->dead ? -ENOENT : qkd_take_peer(s, id, &key, &pending, &gone);
	if (!ret) {
		qkd_key_to_record(key, rec);
		qkd_key_drop(&s->keys, key, &gone);
		s->taken++;
		trace_qkd_key_take(s->name, key->id, key->owner);
	}
	qkd_notify_snapshot(s, &pending);
	spin_unlock(&s->lock);

	qkd_key_free_list(s, &gone);
	qkd_notify_deliver(s, &pending);
	return ret;
}
