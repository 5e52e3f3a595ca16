/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_RESV_H
#define _QKD_RESV_H

#include <linux/types.h>

struct qkd_pending_notice;
struct qkd_key_record;
struct qkd_stream;
struct list_head;

int qkd_stream_reserve(struct qkd_stream *s, const u8 *id, const void *owner,
		       u32 timeout_ms, struct qkd_key_record *rec, u64 *gen);
int qkd_stream_commit(struct qkd_stream *s, const u8 *id, const void *owner);
int qkd_stream_release(struct qkd_stream *s, const u8 *id, const void *owner);
int qkd_stream_release_gen(struct qkd_stream *s, const u8 *id, u64 gen);
void qkd_stream_release_owner(struct qkd_stream *s, const void *owner);

/* For the stream itself, with s->lock held. */
void qkd_resv_expire(struct qkd_stream *s, struct qkd_pending_notice *pending,
		     struct list_head *gone, unsigned long *next);
void qkd_resv_drop_all(struct qkd_stream *s, struct list_head *gone);

#endif /* _QKD_RESV_H */
