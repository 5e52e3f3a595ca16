// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * The pool: one per network namespace, holding its streams by name (an
 * RCU hash for lookups) and by a cyclic ID (an xarray, the dump order).
 * pool->lock serializes stream creation and deletion and protects dumps.
 */

#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/xarray.h>
#include <linux/jhash.h>
#include <linux/mutex.h>

#include "stream.h"
#include "notify.h"
#include "pool.h"

#define NAME_HASH_BITS 8

struct qkd_pool {
	struct mutex lock;	/* stream creation, deletion and dumps */
	struct xarray streams;
	u32 next_id;
	u32 gen;
	struct hlist_head names[1 << NAME_HASH_BITS];
};

static unsigned int pool_net_id __read_mostly;

static struct qkd_pool *net_pool(struct net *net)
{
	return net_generic(net, pool_net_id);
}

static struct hlist_head *name_bucket(struct qkd_pool *pool,
				      const char *name)
{
	u32 h = jhash(name, strnlen(name, QKD_STREAM_NAME_MAX), 0);

	return &pool->names[hash_32(h, NAME_HASH_BITS)];
}

static struct qkd_stream *lookup_stream(struct qkd_pool *pool,
					const char *name)
{
	struct qkd_stream *s;

	hlist_for_each_entry_rcu(s, name_bucket(pool, name), name_node,
				 lockdep_is_held(&pool->lock))
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/**
 * qkd_pool_stream_get() - look up a stream of a namespace by name
 * @net: the namespace
 * @name: the stream name
 *
 * Return: the stream with a reference the caller puts, or NULL.
 */
struct qkd_stream *qkd_pool_stream_get(struct net *net, const char *name)
{
	struct qkd_stream *s;

	rcu_read_lock();
	s = lookup_stream(net_pool(net), name);
	if (s && !refcount_inc_not_zero(&s->refs))
		s = NULL;
	rcu_read_unlock();
	return s;
}

int qkd_pool_stream_create(struct net *net, const char *name,
			   const struct qkd_stream_conf *conf)
{
	struct qkd_pool *pool = net_pool(net);
	struct qkd_stream *s;
	int ret;

	if (!qkd_stream_name_valid(name))
		return -EINVAL;
	s = qkd_stream_create(net, name, conf);
	if (IS_ERR(s))
		return PTR_ERR(s);

	mutex_lock(&pool->lock);
	if (lookup_stream(pool, name)) {
		ret = -EEXIST;
		goto err_kill;
	}
	ret = xa_alloc_cyclic(&pool->streams, &s->id, s, xa_limit_32b,
			      &pool->next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_kill;
	hlist_add_head_rcu(&s->name_node, name_bucket(pool, name));
	pool->gen++;
	/* Under the lock: else a racing delete could be announced first. */
	qkd_notify_stream(net, QKD_CMD_EVENT_STREAM_NEW, name);
	mutex_unlock(&pool->lock);
	return 0;

err_kill:
	mutex_unlock(&pool->lock);
	qkd_stream_kill(s);
	qkd_stream_put(s);
	return ret;
}

static void unpublish(struct qkd_pool *pool, struct qkd_stream *s)
{
	hlist_del_init_rcu(&s->name_node);
	xa_erase(&pool->streams, s->id);
	pool->gen++;
}

int qkd_pool_stream_delete(struct net *net, const char *name)
{
	struct qkd_pool *pool = net_pool(net);
	struct qkd_stream *s;

	mutex_lock(&pool->lock);
	s = lookup_stream(pool, name);
	if (!s) {
		mutex_unlock(&pool->lock);
		return -ENOENT;
	}
	unpublish(pool, s);
	/* Before a new stream of that name can be announced. */
	qkd_notify_stream(net, QKD_CMD_EVENT_STREAM_DEL, s->name);
	mutex_unlock(&pool->lock);

	qkd_stream_kill(s);
	qkd_stream_put(s);
	return 0;
}

/**
 * qkd_pool_dump() - call @fn for streams, in ID order, from *@cursor on
 * @net: the namespace
 * @cursor: first stream ID to visit; updated to the one to resume at
 * @gen: set to the generation of the stream set, for consistency checks
 * @fn: called under the pool lock; a nonzero return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0 when every stream was visited, else what @fn returned.
 */
int qkd_pool_dump(struct net *net, unsigned long *cursor, u32 *gen,
		  qkd_pool_dump_fn fn, void *arg)
{
	struct qkd_pool *pool = net_pool(net);
	struct qkd_stream *s;
	unsigned long id;
	int ret = 0;

	mutex_lock(&pool->lock);
	*gen = pool->gen;
	xa_for_each_start(&pool->streams, id, s, *cursor) {
		ret = fn(s, arg);
		if (ret)
			break;
		*cursor = id + 1;
	}
	mutex_unlock(&pool->lock);
	return ret;
}

static int __net_init pool_net_init(struct net *net)
{
	struct qkd_pool *pool = net_pool(net);

	mutex_init(&pool->lock);
	xa_init_flags(&pool->streams, XA_FLAGS_ALLOC);
	__hash_init(pool->names, ARRAY_SIZE(pool->names));
	return 0;
}

static void pool_net_kill(struct net *net)
{
	struct qkd_pool *pool = net_pool(net);
	struct qkd_stream *s;
	unsigned long id;

	mutex_lock(&pool->lock);
	xa_for_each(&pool->streams, id, s) {
		unpublish(pool, s);
		qkd_stream_kill(s);
		qkd_stream_put(s);
	}
	mutex_unlock(&pool->lock);
	xa_destroy(&pool->streams);
}

static void __net_exit pool_net_exit_batch(struct list_head *net_list)
{
	struct net *net;

	list_for_each_entry(net, net_list, exit_list)
		pool_net_kill(net);
	/*
	 * Event senders check s->dead under RCU before touching s->net:
	 * after this, none can still be looking at a dying namespace.
	 */
	synchronize_rcu();
}

static struct pernet_operations pool_net_ops = {
	.init = pool_net_init,
	.exit_batch = pool_net_exit_batch,
	.id = &pool_net_id,
	.size = sizeof(struct qkd_pool),
};

int qkd_pool_init(void)
{
	return register_pernet_device(&pool_net_ops);
}

void qkd_pool_uninit(void)
{
	unregister_pernet_device(&pool_net_ops);
	/* Streams are freed with kfree_rcu(): let the last ones go. */
	rcu_barrier();
}
