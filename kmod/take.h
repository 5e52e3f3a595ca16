/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_TAKE_H
#define _QKD_TAKE_H

#include <linux/types.h>

struct qkd_pending_notice;
struct qkd_key_record;
struct qkd_stream;
struct list_head;
struct qkd_key;

int qkd_stream_take_next(struct qkd_stream *s, struct qkd_key_record *recs,
			 unsigned int n);
int qkd_stream_take_id(struct qkd_stream *s, const u8 *id,
		       struct qkd_key_record *rec);

/* For reservations, which take a key but keep it: with s->lock held. */
struct qkd_key *qkd_take_oldest_local(struct qkd_stream *s,
				      struct qkd_pending_notice *pending,
				      struct list_head *gone);
int qkd_take_peer(struct qkd_stream *s, const u8 *id, struct qkd_key **keyp,
		  struct qkd_pending_notice *pending, struct list_head *gone);
void qkd_take_check_levels(struct qkd_stream *s, u32 before, bool got,
			   struct qkd_pending_notice *pending);

#endif /* _QKD_TAKE_H */
