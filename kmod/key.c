// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * A key: allocated from one of two slab caches (material up to 32 or 64
 * bytes), charged to the module's memory caps, found by ID through its
 * stream's table, and wiped before it is freed. Tables are only used under
 * their stream's lock, and a key leaves its table under that lock, so keys
 * are freed without an RCU grace period.
 */

#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/slab.h>

#include "stream.h"
#include "key.h"

static unsigned long mem_max = 256UL << 20;
module_param(mem_max, ulong, 0644);
MODULE_PARM_DESC(mem_max,
		 "Most bytes of kernel memory all keys and streams may use (default 256 MiB); adds and stream creations beyond it fail with -ENOSPC");

static unsigned long mem_max_userns = 16UL << 20;
module_param(mem_max_userns, ulong, 0644);
MODULE_PARM_DESC(mem_max_userns,
		 "Most bytes the keys and streams of one namespace owned by a non-initial user namespace may use (default 16 MiB)");

static unsigned long mem_max_userns_total = 128UL << 20;
module_param(mem_max_userns_total, ulong, 0644);
MODULE_PARM_DESC(mem_max_userns_total,
		 "Most bytes all namespaces owned by non-initial user namespaces may use together, within mem_max (default 128 MiB)");

static atomic_long_t mem_used = ATOMIC_LONG_INIT(0);
static atomic_long_t mem_used_userns = ATOMIC_LONG_INIT(0);

static int mem_used_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mem_used));
}

static const struct kernel_param_ops mem_used_ops = {
	.get = mem_used_get,
};
module_param_cb(mem_used, &mem_used_ops, NULL, 0444);
MODULE_PARM_DESC(mem_used, "Bytes of kernel memory held by keys and streams");

/*
 * What one namespace's pool is charged: its streams hold a reference, as
 * they may outlive the pool (device files keep them).
 */
struct qkd_mem {
	refcount_t refs;
	atomic_long_t used;
	bool userns;		/* owned by a non-initial user namespace */
};

static const struct rhashtable_params key_params = {
	.key_len = QKD_KEY_ID_LEN,
	.key_offset = offsetof(struct qkd_key, id),
	.head_offset = offsetof(struct qkd_key, hnode),
	.automatic_shrinking = true,
};

static struct kmem_cache *key_cache[2];

/* Unsigned: a cap above LONG_MAX means no cap, not a negative one. */
static bool charge_exceeds_cap(atomic_long_t *used, long charge,
			       unsigned long *max)
{
	return (unsigned long)atomic_long_add_return(charge, used) >
	       READ_ONCE(*max);
}

struct qkd_mem *qkd_mem_new(bool userns)
{
	struct qkd_mem *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (m) {
		refcount_set(&m->refs, 1);
		m->userns = userns;
	}
	return m;
}

struct qkd_mem *qkd_mem_get(struct qkd_mem *m)
{
	refcount_inc(&m->refs);
	return m;
}

void qkd_mem_put(struct qkd_mem *m)
{
	if (refcount_dec_and_test(&m->refs))
		kfree(m);
}

void qkd_mem_uncharge(struct qkd_mem *m, long charge)
{
	if (m->userns) {
		atomic_long_sub(charge, &m->used);
		atomic_long_sub(charge, &mem_used_userns);
	}
	atomic_long_sub(charge, &mem_used);
}

/*
 * Namespaces owned by other user namespaces than the initial one, which
 * unprivileged users can create, have a cap each, so that containers
 * cannot starve each other, and one together, so that many of them cannot
 * starve the host's pools.
 */
bool qkd_mem_charge(struct qkd_mem *m, long charge)
{
	if (charge_exceeds_cap(&mem_used, charge, &mem_max))
		goto err_total;
	if (!m->userns)
		return true;
	if (charge_exceeds_cap(&mem_used_userns, charge,
			       &mem_max_userns_total))
		goto err_userns;
	if (charge_exceeds_cap(&m->used, charge, &mem_max_userns))
		goto err_ns;
	return true;

err_ns:
	atomic_long_sub(charge, &m->used);
err_userns:
	atomic_long_sub(charge, &mem_used_userns);
err_total:
	atomic_long_sub(charge, &mem_used);
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
	if (!qkd_mem_charge(s->mem, charge))
		return ERR_PTR(-ENOSPC);
	key = kmem_cache_alloc(cache, GFP_KERNEL_ACCOUNT);
	if (!key) {
		qkd_mem_uncharge(s->mem, charge);
		return ERR_PTR(-ENOMEM);
	}
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

/* @s is the stream the key was allocated for: it has the key's charge. */
void qkd_key_free(const struct qkd_stream *s, struct qkd_key *key)
{
	struct kmem_cache *cache = key_cache[key->big];

	memzero_explicit(key->material, key->len);
	qkd_mem_uncharge(s->mem, kmem_cache_size(cache));
	kmem_cache_free(cache, key);
}

/* Frees the keys gathered on @keys while the stream lock was held. */
void qkd_key_free_list(const struct qkd_stream *s, struct list_head *keys)
{
	struct qkd_key *key, *tmp;

	list_for_each_entry_safe(key, tmp, keys, list)
		qkd_key_free(s, key);
}

/* Hands out key material: the caller wipes @rec once it is delivered. */
void qkd_key_to_record(const struct qkd_key *key,
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

int qkd_key_table_init(struct rhashtable *table)
{
	return rhashtable_init(table, &key_params);
}

/* Return: -EEXIST if a key with that ID is in @table. */
int qkd_key_table_insert(struct rhashtable *table, struct qkd_key *key)
{
	return rhashtable_lookup_insert_fast(table, &key->hnode, key_params);
}

void qkd_key_table_remove(struct rhashtable *table, struct qkd_key *key)
{
	rhashtable_remove_fast(table, &key->hnode, key_params);
}

struct qkd_key *qkd_key_table_lookup(struct rhashtable *table, const u8 *id)
{
	return rhashtable_lookup_fast(table, id, key_params);
}

/*
 * Unhashes a key its caller has taken off its list and queues it on @gone,
 * to be freed by qkd_key_free_list() once the stream lock is dropped.
 */
void qkd_key_drop(struct rhashtable *table, struct qkd_key *key,
		  struct list_head *gone)
{
	qkd_key_table_remove(table, key);
	list_add_tail(&key->list, gone);
}

int qkd_key_init(void)
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

void qkd_key_uninit(void)
{
	kmem_cache_destroy(key_cache[1]);
	kmem_cache_destroy(key_cache[0]);
}
