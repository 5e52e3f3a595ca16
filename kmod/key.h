/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_KEY_H
#define _QKD_KEY_H

#include <linux/rhashtable-types.h>
#include <linux/rbtree_types.h>
#include <linux/jiffies.h>
#include <linux/types.h>
#include <uapi/linux/qkdpool.h>

struct qkd_stream;
struct qkd_resv;

enum qkd_key_state {
	QKD_KEY_AVAIL,
	QKD_KEY_RESERVED,
};

/*
 * 76 bytes plus material: a 32-byte key fits a 112-byte slab object, the
 * hash table adds 8 to 16 bytes of bucket per key.
 */
struct qkd_key {
	struct list_head list;		/* s->local, s->peer or a free list */
	struct rhash_head hnode;
	union {
		struct rb_node node;	/* s->expiry, while available */
		struct qkd_resv *resv;	/* while reserved (resv.c) */
	};
	unsigned long expires;		/* jiffies, 0: never */
	u8 id[QKD_KEY_ID_LEN];
	u8 len;
	u8 owner;
	u8 state;
	u8 big;				/* index into key_cache[] in key.c */
	u8 material[];
};

struct qkd_mem;

struct qkd_mem *qkd_mem_new(bool userns);
struct qkd_mem *qkd_mem_get(struct qkd_mem *m);
void qkd_mem_put(struct qkd_mem *m);
bool qkd_mem_charge(struct qkd_mem *m, long charge);
void qkd_mem_uncharge(struct qkd_mem *m, long charge);

int qkd_key_init(void);
void qkd_key_uninit(void);

struct qkd_key *qkd_key_alloc(const struct qkd_stream *s, const u8 *id,
			      const u8 *material, u32 len, u32 owner,
			      u32 lifetime_ms);
void qkd_key_free(const struct qkd_stream *s, struct qkd_key *key);
void qkd_key_free_list(const struct qkd_stream *s, struct list_head *keys);
void qkd_key_to_record(const struct qkd_key *key,
		       struct qkd_key_record *rec);

int qkd_key_table_init(struct rhashtable *table);
int qkd_key_table_insert(struct rhashtable *table, struct qkd_key *key);
void qkd_key_table_remove(struct rhashtable *table, struct qkd_key *key);
struct qkd_key *qkd_key_table_lookup(struct rhashtable *table, const u8 *id);
void qkd_key_drop(struct rhashtable *table, struct qkd_key *key,
		  struct list_head *gone);

static inline bool qkd_key_expired(const struct qkd_key *key)
{
	return key->expires && time_after_eq(jiffies, key->expires);
}

#endif /* _QKD_KEY_H */
