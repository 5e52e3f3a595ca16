/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_EXPIRY_H
#define _QKD_EXPIRY_H

#include <linux/types.h>

struct qkd_pending_notice;
struct qkd_stream;
struct list_head;
struct qkd_key;

/* All with s->lock held. */
void qkd_expiry_arm(struct qkd_stream *s, unsigned long when);
void qkd_expiry_link(struct qkd_stream *s, struct qkd_key *key,
		     struct list_head *head, bool at_head);
void qkd_expiry_unlink(struct qkd_stream *s, struct qkd_key *key);
void qkd_expiry_scan_start(struct qkd_stream *s);
void qkd_expiry_scan(struct qkd_stream *s, unsigned long next,
		     struct qkd_pending_notice *pending,
		     struct list_head *gone);

#endif /* _QKD_EXPIRY_H */
