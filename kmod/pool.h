/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_POOL_H
#define _QKD_POOL_H

#include <linux/types.h>

struct qkd_stream_conf;
struct qkd_stream;
struct net;

typedef int (*qkd_pool_dump_fn)(struct qkd_stream *s, void *arg);

int qkd_pool_init(void);
void qkd_pool_uninit(void);

struct qkd_stream *qkd_pool_stream_get(struct net *net, const char *name);
int qkd_pool_stream_create(struct net *net, const char *name,
			   const struct qkd_stream_conf *conf);
int qkd_pool_stream_delete(struct net *net, const char *name);
int qkd_pool_dump(struct net *net, unsigned long *cursor, u32 *gen,
		  qkd_pool_dump_fn fn, void *arg);

#endif /* _QKD_POOL_H */
