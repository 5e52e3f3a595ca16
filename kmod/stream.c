// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * A stream: the keys shared with one peer, with O(1) take-next (a FIFO of
 * local-owned keys) and O(1) take-by-ID (an rhashtable keyed by key ID).
 *
 * Locking: s->lock (a spinlock, never taken from interrupts) protects the
 * lists, the hash table contents, the counters and the limits. Every lookup
 * of the hash table happens under s->lock, and a key leaves the table under
 * it, so keys are freed without an RCU grace period. Key material is copied
 * into caller records under the lock and wiped from the key before the key
 * is freed.
 */

#include <net/net_namespace.h>
#include <linux/rhashtable.h>
#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "stream.h"
#include "events.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

enum qkd_key_state {
	QKD_KEY_AVAIL,
	QKD_KEY_RESERVED,
};

/*
 * 53 bytes plus material: a 32-byte key fits a 88-byte slab object, the
 * hash table adds 8 to 16 bytes of bucket per key.
 */
struct qkd_key {
	struct list_head list;		/* s->local, s->peer or a free list */
	struct rhash_head hnode;
	unsigned long expires;		/* jiffies, 0: never */
	u8 id[QKD_KEY_ID_LEN];
	u8 len;
	u8 owner;
	u8 state;
	u8 big;				/* index into key_cache[] */
	u8 userns;			/* charged to mem_max_userns too */
	u8 material[];
};

/* A reserved key; @owner is the device file holding it, NULL for netlink. */
struct qkd_resv {
	struct list_head list;
	struct qkd_key *key;
	const void *owner;
	unsigned long deadline;
};

/* What to do once the lock is dropped. */
struct notice {
	struct qkd_event_snap snap;
	u32 expired;
	bool low;
	bool exhausted;
	bool wake;
};

static const struct rhashtable_params key_params = {
	.key_len = QKD_KEY_ID_LEN,
	.key_offset = offsetof(struct qkd_key, id),
	.head_offset = offsetof(struct qkd_key, hnode),
	.automatic_shrinking = true,
};

static struct kmem_cache *key_cache[2];

/* Unsigned: a cap above LONG_MAX means no cap, not a negative one. */
static bool over(atomic_long_t *used, long charge, unsigned long *max)
{
	return (unsigned long)atomic_long_add_return(charge, used) >
	       READ_ONCE(*max);
}

static void mem_uncharge(bool userns, long charge)
{
	if (userns)
		atomic_long_sub(charge, &qkd_mem_used_userns);
	atomic_long_sub(charge, &qkd_mem_used);
}

/*
 * Namespaces owned by other user namespaces than the initial one, which
 * unprivileged users can create, also share a smaller cap: else they
 * could fill the global one and starve the host's pools.
 */
static bool mem_charge(bool userns, long charge)
{
	if (over(&qkd_mem_used, charge, &qkd_mem_max))
		goto err_total;
	if (userns && over(&qkd_mem_used_userns, charge, &qkd_mem_max_userns))
		goto err_userns;
	return true;

err_userns:
	atomic_long_sub(charge, &qkd_mem_used_userns);
err_total:
	atomic_long_sub(charge, &qkd_mem_used);
	return false;
}

/**
 * qkd_key_alloc() - allocate a key for a stream, charged to its caps
 * @s: the stream the key is for (it decides which caps apply)
 * @id: the key ID, QKD_KEY_ID_LEN bytes
 * @material: the material, copied
 * @len: its length
 * @owner: QKD_OWNER_LOCAL or QKD_OWNER_PEER
 * @lifetime_ms: 0 for the stream default
 *
 * Return: the key, to add with qkd_stream_add() or free with
 * qkd_key_free(); ERR_PTR(-EINVAL, -ENOSPC or -ENOMEM).
 */
struct qkd_key *qkd_key_alloc(const struct qkd_stream *s, const u8 *id,
			      const u8 *material, u32 len, u32 owner,
			      u32 lifetime_ms)
{
	struct kmem_cache *cache;
	struct qkd_key *key;
	long charge;
	bool big;

	if (len < QKD_KEY_MIN_LEN || len > QKD_KEY_MAX_LEN ||
	    (owner != QKD_OWNER_LOCAL && owner != QKD_OWNER_PEER))
		return ERR_PTR(-EINVAL);

	big = len > QKD_KEY_MAX_LEN / 2;
	cache = key_cache[big];
	charge = kmem_cache_size(cache);
	if (!mem_charge(s->userns, charge))
		return ERR_PTR(-ENOSPC);
	key = kmem_cache_alloc(cache, GFP_KERNEL_ACCOUNT);
	if (!key) {
		mem_uncharge(s->userns, charge);
		return ERR_PTR(-ENOMEM);
	}
	key->userns = s->userns;
	memcpy(key->id, id, QKD_KEY_ID_LEN);
	memcpy(key->material, material, len);
	key->len = len;
	key->owner = owner;
	key->state = QKD_KEY_AVAIL;
	key->big = big;
	/* Until qkd_stream_add() turns it into a deadline. */
	key->expires = lifetime_ms;
	return key;
}

void qkd_key_free(struct qkd_key *key)
{
	struct kmem_cache *cache = key_cache[key->big];

	memzero_explicit(key->material, key->len);
	mem_uncharge(key->userns, kmem_cache_size(cache));
	kmem_cache_free(cache, key);
}

static void free_keys(struct list_head *keys)
{
	struct qkd_key *key, *tmp;

	list_for_each_entry_safe(key, tmp, keys, list)
		qkd_key_free(key);
}

static bool key_expired(const struct qkd_key *key)
{
	return key->expires && time_after_eq(jiffies, key->expires);
}

static void key_to_record(const struct qkd_key *key,
			  struct qkd_key_record *rec)
{
	long ticks = key->expires - jiffies;
	u32 left = 0;

	/* Checked unexpired under the lock, but jiffies may have moved on. */
	if (key->expires)
		left = ticks > 0 ? jiffies_to_msecs(ticks) : 1;
	memcpy(rec->id, key->id, QKD_KEY_ID_LEN);
	rec->material_len = key->len;
	rec->owner = key->owner;
	rec->lifetime_ms = left;
	rec->flags = 0;
	memcpy(rec->material, key->material, key->len);
	memset(rec->material + key->len, 0, QKD_KEY_MAX_LEN - key->len);
}

/* Unlink from the table; the caller has taken it off its list. */
static void key_drop(struct qkd_stream *s, struct qkd_key *key,
		     struct list_head *gone)
{
	rhashtable_remove_fast(&s->keys, &key->hnode, key_params);
	list_add_tail(&key->list, gone);
}

static void snapshot(struct qkd_stream *s, struct notice *nt)
{
	nt->snap.low_watermark = s->lim.low_watermark;
	nt->snap.avail_local = s->nr_local;
	nt->snap.avail_peer = s->nr_peer;
}

static void notify(struct qkd_stream *s, struct notice *nt)
{
	if (nt->wake && wq_has_sleeper(&s->wq))
		wake_up_interruptible_poll(&s->wq, EPOLLIN | EPOLLRDNORM);
	if (nt->low)
		qkd_event_state(s, QKD_CMD_EVENT_LOW_WATERMARK, &nt->snap);
	if (nt->exhausted)
		qkd_event_state(s, QKD_CMD_EVENT_EXHAUSTED, &nt->snap);
	if (nt->expired) {
		trace_qkd_keys_gone(s->name, "expired", nt->expired);
		nt->snap.count = nt->expired;
		qkd_event_state(s, QKD_CMD_EVENT_EXPIRED, &nt->snap);
	}
}

/*
 * Expiry and netlink reservation timeouts share one delayed work per
 * stream. Scans are at least a second apart: takes check expiry themselves,
 * so a late scan only delays reclaiming memory, never hands out a stale key.
 * While a list is in expiry order (the common case: one default lifetime)
 * a scan stops at the first live key, so it costs O(expired keys) and the
 * lock is not held across a walk of a large stream.
 */
static void arm_scan(struct qkd_stream *s, unsigned long when)
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
static void link_key(struct qkd_key *key, struct list_head *head,
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

static void put_back(struct qkd_stream *s, struct qkd_resv *resv,
		     struct notice *nt, struct list_head *gone)
{
	struct qkd_key *key = resv->key;

	list_del(&resv->list);
	kfree(resv);
	s->nr_resv--;
	trace_qkd_key_release(s->name, key->id, key->owner);
	if (key_expired(key)) {
		key_drop(s, key, gone);
		s->expired++;
		nt->expired++;
		return;
	}
	key->state = QKD_KEY_AVAIL;
	/* Scans skip reserved keys, so none may be due for this one. */
	if (key->expires)
		arm_scan(s, key->expires);
	if (key->owner == QKD_OWNER_LOCAL) {
		/* It was the oldest when reserved: the head is its place. */
		link_key(key, &s->local, &s->local_sorted, true);
		s->nr_local++;
		s->exhausted = false;
		nt->wake = true;
	} else {
		link_key(key, &s->peer, &s->peer_sorted, false);
		s->nr_peer++;
	}
}

static void expire_list(struct qkd_stream *s, struct list_head *head,
			bool sorted, u32 *nr, struct notice *nt,
			struct list_head *gone, unsigned long *next)
{
	struct qkd_key *key, *tmp;

	list_for_each_entry_safe(key, tmp, head, list) {
		if (!key->expires) {
			if (sorted)
				break;
			continue;
		}
		if (!key_expired(key)) {
			if (expires_before(key->expires, *next))
				*next = key->expires;
			if (sorted)
				break;
			continue;
		}
		list_del(&key->list);
		key_drop(s, key, gone);
		(*nr)--;
		s->expired++;
		nt->expired++;
	}
}

static void expire_resv(struct qkd_stream *s, struct notice *nt,
			struct list_head *gone, unsigned long *next)
{
	struct qkd_resv *resv, *tmp;

	list_for_each_entry_safe(resv, tmp, &s->resv, list) {
		if (resv->owner)
			continue;
		if (time_after_eq(jiffies, resv->deadline)) {
			put_back(s, resv, nt, gone);
			continue;
		}
		if (!*next || time_before(resv->deadline, *next))
			*next = resv->deadline;
	}
}

static void scan_work(struct work_struct *work)
{
	struct qkd_stream *s = container_of(to_delayed_work(work),
					    struct qkd_stream, work);
	struct notice nt = {};
	unsigned long next = 0;
	LIST_HEAD(gone);

	spin_lock(&s->lock);
	if (s->dead) {
		spin_unlock(&s->lock);
		return;
	}
	s->scan_armed = false;
	s->last_scan = jiffies;
	/* Timed-out reservations first: their keys rejoin the lists. */
	expire_resv(s, &nt, &gone, &next);
	expire_list(s, &s->local, s->local_sorted, &s->nr_local, &nt, &gone,
		    &next);
	expire_list(s, &s->peer, s->peer_sorted, &s->nr_peer, &nt, &gone,
		    &next);
	if (next)
		arm_scan(s, next);
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	free_keys(&gone);
	notify(s, &nt);
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

struct qkd_stream *qkd_stream_create(struct net *net, const char *name,
				     const struct qkd_stream_limits *lim)
{
	struct qkd_stream *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	if (rhashtable_init(&s->keys, &key_params)) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&s->refs, 1);
	s->net = net;
	s->userns = net->user_ns != &init_user_ns;
	init_waitqueue_head(&s->wq);
	INIT_DELAYED_WORK(&s->work, scan_work);
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->local);
	INIT_LIST_HEAD(&s->peer);
	INIT_LIST_HEAD(&s->resv);
	s->last_scan = jiffies - HZ;
	s->lim = *lim;
	strscpy(s->name, name, sizeof(s->name));
	return s;
}

/*
 * Called once, when the stream leaves its pool: zeroize every key,
 * reserved ones included, and wake readers so they see the stream is gone.
 * References held by files keep the (empty, dead) struct alive.
 */
void qkd_stream_kill(struct qkd_stream *s)
{
	struct qkd_resv *resv, *tmp;
	LIST_HEAD(gone);
	u32 n;

	spin_lock(&s->lock);
	WRITE_ONCE(s->dead, true);
	n = s->nr_local + s->nr_peer + s->nr_resv;
	list_splice_init(&s->local, &gone);
	list_splice_init(&s->peer, &gone);
	list_for_each_entry_safe(resv, tmp, &s->resv, list) {
		list_add_tail(&resv->key->list, &gone);
		kfree(resv);
	}
	INIT_LIST_HEAD(&s->resv);
	s->nr_local = 0;
	s->nr_peer = 0;
	s->nr_resv = 0;
	spin_unlock(&s->lock);

	wake_up_interruptible_poll(&s->wq, EPOLLIN | EPOLLERR | EPOLLHUP);
	cancel_delayed_work_sync(&s->work);
	/* Stops the table's resize worker before the keys go away. */
	rhashtable_destroy(&s->keys);
	free_keys(&gone);
	if (n)
		trace_qkd_keys_gone(s->name, "killed", n);
}

void qkd_stream_put(struct qkd_stream *s)
{
	/* Name lookups run under RCU: the struct outlives a grace period. */
	if (refcount_dec_and_test(&s->refs))
		kfree_rcu(s, rcu);
}

static void link_keys(struct qkd_stream *s, struct qkd_key **keys,
		      unsigned int n, struct notice *nt)
{
	unsigned long next = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct qkd_key *key = keys[i];

		if (key->owner == QKD_OWNER_LOCAL) {
			link_key(key, &s->local, &s->local_sorted, false);
			s->nr_local++;
			nt->wake = true;
		} else {
			link_key(key, &s->peer, &s->peer_sorted, false);
			s->nr_peer++;
		}
		if (key->expires &&
		    (!next || time_before(key->expires, next)))
			next = key->expires;
		trace_qkd_key_add(s->name, key->id, key->owner);
	}
	if (nt->wake)
		s->exhausted = false;
	s->added += n;
	if (next)
		arm_scan(s, next);
}

static int hash_keys(struct qkd_stream *s, struct qkd_key **keys,
		     unsigned int n)
{
	unsigned int i;
	u32 ms;
	int ret;

	for (i = 0; i < n; i++) {
		struct qkd_key *key = keys[i];

		ms = key->expires ?: s->lim.lifetime_ms;
		key->expires = ms ? (jiffies + msecs_to_jiffies(ms)) ?: 1 : 0;
		ret = rhashtable_lookup_insert_fast(&s->keys, &key->hnode,
						    key_params);
		if (ret)
			goto err_unhash;
	}
	return 0;

err_unhash:
	while (i--)
		rhashtable_remove_fast(&s->keys, &keys[i]->hnode, key_params);
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
	struct notice nt = {};
	int ret = 0;

	spin_lock(&s->lock);
	if (s->dead) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if ((u64)s->nr_local + s->nr_peer + s->nr_resv + n >
	    s->lim.max_keys) {
		ret = -ENOSPC;
		s->rejected += n;
		goto out_unlock;
	}
	ret = hash_keys(s, keys, n);
	if (ret) {
		s->rejected += n;
		goto out_unlock;
	}
	link_keys(s, keys, n, &nt);
out_unlock:
	spin_unlock(&s->lock);
	notify(s, &nt);
	return ret;
}

/* Oldest unexpired local key, off its list but still hashed, or NULL. */
static struct qkd_key *pop_local(struct qkd_stream *s, struct notice *nt,
				 struct list_head *gone)
{
	struct qkd_key *key;

	while ((key = list_first_entry_or_null(&s->local, struct qkd_key,
					       list))) {
		list_del(&key->list);
		s->nr_local--;
		if (!key_expired(key))
			return key;
		key_drop(s, key, gone);
		s->expired++;
		nt->expired++;
	}
	return NULL;
}

/* Call after taking keys off the local list. */
static void check_levels(struct qkd_stream *s, u32 before, bool got,
			 struct notice *nt)
{
	u32 wm = s->lim.low_watermark;

	if (!got) {
		if (!s->exhausted)
			nt->exhausted = true;
		s->exhausted = true;
	} else if (before >= wm && s->nr_local < wm) {
		nt->low = true;
	}
}

/*
 * Take-next: hands out key material. Fills up to @n records with the oldest
 * unexpired local-owned keys and returns how many (-EAGAIN if none).
 */
int qkd_stream_take_next(struct qkd_stream *s, struct qkd_key_record *recs,
			 unsigned int n)
{
	struct notice nt = {};
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
	while (got < n && (key = pop_local(s, &nt, &gone))) {
		key_to_record(key, &recs[got++]);
		key_drop(s, key, &gone);
		s->taken++;
		trace_qkd_key_take(s->name, key->id, key->owner);
	}
	check_levels(s, before, got, &nt);
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	free_keys(&gone);
	notify(s, &nt);
	return got ? got : -EAGAIN;
}

/* Finds an available, unexpired peer-owned key; expired ones go. */
static int lookup_peer(struct qkd_stream *s, const u8 *id,
		       struct qkd_key **keyp, struct notice *nt,
		       struct list_head *gone)
{
	struct qkd_key *key;

	key = rhashtable_lookup_fast(&s->keys, id, key_params);
	if (!key)
		return -ENOENT;
	if (key->state == QKD_KEY_RESERVED)
		return -EBUSY;
	if (key->owner != QKD_OWNER_PEER)
		return -EACCES;
	list_del(&key->list);
	s->nr_peer--;
	if (key_expired(key)) {
		key_drop(s, key, gone);
		s->expired++;
		nt->expired++;
		return -ENOENT;
	}
	*keyp = key;
	return 0;
}

/* Take-by-ID: hands out key material, peer-owned keys only. */
int qkd_stream_take_id(struct qkd_stream *s, const u8 *id,
		       struct qkd_key_record *rec)
{
	struct notice nt = {};
	struct qkd_key *key;
	LIST_HEAD(gone);
	int ret;

	spin_lock(&s->lock);
	ret = s->dead ? -ENOENT : lookup_peer(s, id, &key, &nt, &gone);
	if (!ret) {
		key_to_record(key, rec);
		key_drop(s, key, &gone);
		s->taken++;
		trace_qkd_key_take(s->name, key->id, key->owner);
	}
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	free_keys(&gone);
	notify(s, &nt);
	return ret;
}

static int reserve_locked(struct qkd_stream *s, const u8 *id,
			  struct qkd_key **keyp, struct notice *nt,
			  struct list_head *gone)
{
	u32 before = s->nr_local;

	if (s->dead)
		return -ENOENT;
	if (id)
		return lookup_peer(s, id, keyp, nt, gone);
	*keyp = pop_local(s, nt, gone);
	check_levels(s, before, *keyp, nt);
	return *keyp ? 0 : -EAGAIN;
}

/*
 * Reserve: hands out key material but keeps the key, hidden from every
 * taker, until commit or release. @id NULL reserves the next local key.
 */
int qkd_stream_reserve(struct qkd_stream *s, const u8 *id, const void *owner,
		       u32 timeout_ms, struct qkd_key_record *rec)
{
	struct notice nt = {};
	struct qkd_resv *resv;
	struct qkd_key *key;
	LIST_HEAD(gone);
	int ret;

	resv = kmalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;

	spin_lock(&s->lock);
	ret = reserve_locked(s, id, &key, &nt, &gone);
	if (!ret) {
		key->state = QKD_KEY_RESERVED;
		resv->key = key;
		resv->owner = owner;
		list_add_tail(&resv->list, &s->resv);
		s->nr_resv++;
		if (!owner) {
			resv->deadline = jiffies + msecs_to_jiffies(timeout_ms);
			arm_scan(s, resv->deadline);
		}
		key_to_record(key, rec);
		trace_qkd_key_reserve(s->name, key->id, key->owner);
	}
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	if (ret)
		kfree(resv);
	free_keys(&gone);
	notify(s, &nt);
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
	key = rhashtable_lookup_fast(&s->keys, id, key_params);
	if (!key || key->state != QKD_KEY_RESERVED)
		return NULL;
	list_for_each_entry(resv, &s->resv, list) {
		if (resv->key != key)
			continue;
		if (resv->owner == owner)
			return resv;
		break;
	}
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
		list_del(&resv->list);
		s->nr_resv--;
		s->taken++;
		trace_qkd_key_commit(s->name, key->id, key->owner);
		key_drop(s, key, &gone);
		ret = 0;
	}
	spin_unlock(&s->lock);

	kfree(resv);
	free_keys(&gone);
	return ret;
}

int qkd_stream_release(struct qkd_stream *s, const u8 *id, const void *owner)
{
	struct notice nt = {};
	struct qkd_resv *resv;
	LIST_HEAD(gone);
	int ret;

	spin_lock(&s->lock);
	resv = find_resv(s, id, owner, &ret);
	if (resv) {
		put_back(s, resv, &nt, &gone);
		ret = 0;
	}
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	free_keys(&gone);
	notify(s, &nt);
	return ret;
}

/* A device file is closing: its reservations go back to the stream. */
void qkd_stream_release_owner(struct qkd_stream *s, const void *owner)
{
	struct qkd_resv *resv, *tmp;
	struct notice nt = {};
	LIST_HEAD(gone);

	spin_lock(&s->lock);
	list_for_each_entry_safe(resv, tmp, &s->resv, list)
		if (resv->owner == owner)
			put_back(s, resv, &nt, &gone);
	snapshot(s, &nt);
	spin_unlock(&s->lock);

	free_keys(&gone);
	notify(s, &nt);
}

static u32 flush_list(struct qkd_stream *s, struct list_head *head,
		      struct list_head *gone)
{
	struct qkd_key *key, *tmp;
	u32 n = 0;

	list_for_each_entry_safe(key, tmp, head, list) {
		list_del(&key->list);
		key_drop(s, key, gone);
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

	free_keys(&gone);
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
			s->lim.max_keys = *max_keys;
		if (low_watermark)
			s->lim.low_watermark = *low_watermark;
		if (lifetime_ms)
			s->lim.lifetime_ms = *lifetime_ms;
	}
	spin_unlock(&s->lock);
	return ret;
}

void qkd_stream_info(struct qkd_stream *s, struct qkd_stream_info *info)
{
	memset(info, 0, sizeof(*info));
	spin_lock(&s->lock);
	info->max_keys = s->lim.max_keys;
	info->low_watermark = s->lim.low_watermark;
	info->lifetime_ms = s->lim.lifetime_ms;
	info->avail_local = s->nr_local;
	info->avail_peer = s->nr_peer;
	info->reserved = s->nr_resv;
	info->added = s->added;
	info->taken = s->taken;
	info->expired = s->expired;
	info->rejected = s->rejected;
	spin_unlock(&s->lock);
}

int qkd_stream_init(void)
{
	key_cache[0] = kmem_cache_create("qkdpool_key32",
					 sizeof(struct qkd_key) +
					 QKD_KEY_MAX_LEN / 2, 0, 0, NULL);
	if (!key_cache[0])
		return -ENOMEM;
	key_cache[1] = kmem_cache_create("qkdpool_key64",
					 sizeof(struct qkd_key) +
					 QKD_KEY_MAX_LEN, 0, 0, NULL);
	if (!key_cache[1]) {
		kmem_cache_destroy(key_cache[0]);
		return -ENOMEM;
	}
	return 0;
}

void qkd_stream_uninit(void)
{
	/* Streams are freed with kfree_rcu(); keys synchronously. */
	rcu_barrier();
	kmem_cache_destroy(key_cache[1]);
	kmem_cache_destroy(key_cache[0]);
}
