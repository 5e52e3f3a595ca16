/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_NOTIFY_H
#define _QKD_NOTIFY_H

#include <linux/types.h>

struct qkd_stream;
struct net;

/* Stream state captured under the stream lock for one notification. */
struct qkd_event_snap {
	u32 low_watermark;
	u32 avail_local;
	u32 avail_peer;
	u32 count;
};

/*
 * What an operation on a stream has to tell readers and listeners, noted
 * under the stream lock and told by qkd_notify_deliver() once it is dropped.
 */
struct qkd_pending_notice {
	struct qkd_event_snap snap;
	u32 expired;
	bool low;
	bool exhausted;
	bool wake;
};

/*
 * The listener the netlink layer registers: @net is held for the call,
 * @snap is NULL for QKD_CMD_EVENT_STREAM_NEW and QKD_CMD_EVENT_STREAM_DEL.
 */
typedef void (*qkd_event_fn)(struct net *net, u8 cmd, const char *name,
			     const struct qkd_event_snap *snap);

void qkd_notify_register(qkd_event_fn fn);
void qkd_notify_unregister(void);

void qkd_notify_stream(struct net *net, u8 cmd, const char *name);
void qkd_notify_snapshot(const struct qkd_stream *s,
			 struct qkd_pending_notice *pending);
void qkd_notify_deliver(struct qkd_stream *s,
			struct qkd_pending_notice *pending);

#endif /* _QKD_NOTIFY_H */
