// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Key expiry. Expiry and netlink reservation timeouts share one delayed
 * work per stream (stream.c), armed here. Scans are at least a second
 * apart: takes check expiry themselves, so a late scan only delays
 * reclaiming memory, never hands out a stale key. Expiring keys are also
 * in a tree by deadline, so a scan costs O(log n) per expired key and the
 * lock is never held across a walk of a large stream, whatever the mix of
 * lifetimes.
 */

#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <linux/rbtree.h>
#include <linux/list.h>

#include "stream.h"
#include "notify.h"
#include "expiry.h"
#include "key.h"

/* Runs the stream's work at @when (jiffies), or earlier if it is due. */
void qkd_expiry_arm(struct qkd_stream *s, unsigned long when)
{
	unsigned long earliest = s->last_scan + HZ;
	unsigned long now = jiffies;

	if (s->dead)
		return;
	if (time_before(when, earliest))
		when = earliest;
	if (s->scan_armed && !time_before(when, s->next_scan))
		return;
	s->scan_armed = true;
	s->next_scan = when;
	mod_delayed_work(system_wq, &s->work,
			 time_after(when, now) ? when - now : 0);
}

static bool expires_less(struct rb_node *a, const struct rb_node *b)
{
	return time_before(rb_entry(a, struct qkd_key, node)->expires,
			   rb_entry(b, struct qkd_key, node)->expires);
}

/*
 * Links an available key at the head or tail of @head, its list, and, if
 * it expires, into the stream's expiry tree: O(log n).
 */
void qkd_expiry_link(struct qkd_stream *s, struct qkd_key *key,
		     struct list_head *head, bool at_head)
{
	if (at_head)
		list_add(&key->list, head);
	else
		list_add_tail(&key->list, head);
	if (key->expires)
		rb_add_cached(&key->node, &s->expiry, expires_less);
}

/* Takes an available key off its list and the expiry tree. */
void qkd_expiry_unlink(struct qkd_stream *s, struct qkd_key *key)
{
	list_del(&key->list);
	if (key->expires)
		rb_erase_cached(&key->node, &s->expiry);
}

/* The scan runs now: the next one comes a second later at the earliest. */
void qkd_expiry_scan_start(struct qkd_stream *s)
{
	s->scan_armed = false;
	s->last_scan = jiffies;
}

/*
 * Drops the expired keys onto @gone, earliest first from the tree, so a
 * scan costs O(log n) per expired key whatever the lifetimes, and arms the
 * next scan for the earliest of @next (0: none) and the keys left.
 */
void qkd_expiry_scan(struct qkd_stream *s, unsigned long next,
		     struct qkd_pending_notice *pending,
		     struct list_head *gone)
{
	struct rb_node *node;
	struct qkd_key *key;

	while ((node = rb_first_cached(&s->expiry))) {
		key = rb_entry(node, struct qkd_key, node);
		if (!qkd_key_expired(key)) {
			if (!next || time_before(key->expires, next))
				next = key->expires;
			break;
		}
		qkd_expiry_unlink(s, key);
		if (key->owner == QKD_OWNER_LOCAL)
			s->nr_local--;
		else
			s->nr_peer--;
		qkd_key_drop(&s->keys, key, gone);
		s->expired++;
		pending->expired++;
	}
	if (next)
		qkd_expiry_arm(s, next);
}
