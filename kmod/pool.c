// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * The pool: one per network namespace, holding its streams by name (an
 * RCU hash table that grows with it, for lookups) and by a cyclic ID (an
 * xarray, the dump order). pool->lock serializes stream creation and
 * deletion and protects dumps.
 */

#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <linux/mutex.h>

#include "stream.h"
#include "notify.h"
#include "pool.h"
#include "key.h"

static unsigned int max_streams = 4096;
module_param(max_streams, uint, 0644);
MODULE_PARM_DESC(max_streams,
		 "Most streams one network namespace may hold (default 4096); creations beyond it fail with -ENOSPC");

struct qkd_pool {
	struct mutex lock;	/* stream creation, deletion and dumps */
	struct xarray streams;
	u32 next_id;
	u32 gen;
	u32 nr_streams;
	struct rhashtable names;
	struct qkd_mem *mem;	/* what the namespace's streams are charged */
};

/* Names are NUL-padded to their array in the stream (it is zeroed). */
static const struct rhashtable_params name_params = {
	.key_len = QKD_STREAM_NAME_MAX,
	.key_offset = offsetof(struct qkd_stream, name),
	.head_offset = offsetof(struct qkd_stream, name_node),
	.automatic_shrinking = true,
};

static unsigned int pool_net_id __read_mostly;

static struct qkd_pool *net_pool(struct net *net)
{
	return net_generic(net, pool_net_id);
}

/* Lookups are lockless: RCU, taken by rhashtable_lookup_fast(). */
static struct qkd_stream *lookup_stream(struct qkd_pool *pool,
					const char *name)
{
	char key[QKD_STREAM_NAME_MAX] = {};

	strscpy(key, name, sizeof(key));
	return rhashtable_lookup_fast(&pool->names, key, name_params);
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
	s = qkd_stream_create(net, name, conf, pool->mem);
	if (IS_ERR(s))
		return PTR_ERR(s);

	mutex_lock(&pool->lock);
	if (pool->nr_streams >= READ_ONCE(max_streams)) {
		ret = lookup_stream(pool, name) ? -EEXIST : -ENOSPC;
		goto err_kill;
	}
	ret = rhashtable_lookup_insert_fast(&pool->names, &s->name_node,
					    name_params);
	if (ret) {
		if (ret != -EEXIST)
			ret = -ENOMEM;
		goto err_kill;
	}
	ret = xa_alloc_cyclic(&pool->streams, &s->id, s, xa_limit_32b,
			      &pool->next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_unhash;
	pool->nr_streams++;
	pool->gen++;
	/* Under the lock: else a racing delete could be announced first. */
	qkd_notify_stream(net, QKD_CMD_EVENT_STREAM_NEW, name);
	mutex_unlock(&pool->lock);
	return 0;

err_unhash:
	rhashtable_remove_fast(&pool->names, &s->name_node, name_params);
err_kill:
	mutex_unlock(&pool->lock);
	qkd_stream_kill(s);
	qkd_stream_put(s);
	return ret;
}

static void unpublish(struct qkd_pool *pool, struct qkd_stream *s)
{
	rhashtable_remove_fast(&pool->names, &s->name_node, name_params);
	xa_erase(&pool->streams, s->id);
	pool->nr_streams--;
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
	int ret;

	pool->mem = qkd_mem_new(net->user_ns != &init_user_ns);
	if (!pool->mem)
		return -ENOMEM;
	ret = rhashtable_init(&pool->names, &name_params);
	if (ret) {
		qkd_mem_put(pool->mem);
		return ret;
	}
	mutex_init(&pool->lock);
	xa_init_flags(&pool->streams, XA_FLAGS_ALLOC);
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
	rhashtable_destroy(&pool->names);
	/* Streams device files still hold keep it until they are put. */
	qkd_mem_put(pool->mem);
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
