// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Key expiry. Expiry and netlink reservation timeouts share one delayed
 * work per stream (stream.c), armed here. Scans are at least a second
 * apart: takes check expiry themselves, so a late scan only delays
 * reclaiming memory, never hands out a stale key. While a list is in
 * expiry order (the common case: one default lifetime) a scan stops at the
 * first live key, so it costs O(expired keys) and the lock is not held
 * across a walk of a large stream.
 */

#include <linux/workqueue.h>
#include <linux/jiffies.h>
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

/* Expiry order, where 0 (never) comes last. */
static bool expires_before(unsigned long a, unsigned long b)
{
	if (!a)
		return false;
	return !b || time_before(a, b);
}

/* Links @key at the head or tail of @head, noting if that breaks order. */
void qkd_expiry_link(struct qkd_key *key, struct list_head *head,
		     bool *sorted, bool at_head)
{
	struct qkd_key *next;

	if (list_empty(head)) {
		*sorted = true;
	} else if (at_head) {
		next = list_first_entry(head, struct qkd_key, list);
		if (expires_before(next->expires, key->expires))
			*sorted = false;
	} else {
		next = list_last_entry(head, struct qkd_key, list);
		if (expires_before(key->expires, next->expires))
			*sorted = false;
	}
	if (at_head)
		list_add(&key->list, head);
	else
		list_add_tail(&key->list, head);
}

static void expire_list(struct qkd_stream *s, struct list_head *head,
			bool sorted, u32 *nr,
			struct qkd_pending_notice *pending,
			struct list_head *gone, unsigned long *next)
{
	struct qkd_key *key, *tmp;

	list_for_each_entry_safe(key, tmp, head, list) {
		if (!key->expires) {
			if (sorted)
				break;
			continue;
		}
		if (!qkd_key_expired(key)) {
			if (expires_before(key->expires, *next))
				*next = key->expires;
			if (sorted)
				break;
			continue;
		}
		list_del(&key->list);
		qkd_key_drop(&s->keys, key, gone);
		(*nr)--;
		s->expired++;
		pending->expired++;
	}
}

/* The scan runs now: the next one comes a second later at the earliest. */
void qkd_expiry_scan_start(struct qkd_stream *s)
{
	s->scan_armed = false;
	s->last_scan = jiffies;
}

/*
 * Drops the expired keys of both lists onto @gone and arms the next scan
 * for the earliest of @next (0: none) and the keys left.
 */
void qkd_expiry_scan(struct qkd_stream *s, unsigned long next,
		     struct qkd_pending_notice *pending,
		     struct list_head *gone)
{
	expire_list(s, &s->local, s->local_sorted, &s->nr_local, pending,
		    gone, &next);
	expire_list(s, &s->peer, s->peer_sorted, &s->nr_peer, pending,
		    gone, &next);
	if (next)
		qkd_expiry_arm(s, next);
}
