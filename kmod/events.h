/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_EVENTS_H
#define _QKD_EVENTS_H

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

void qkd_event_stream(struct net *net, u8 cmd, const char *name);
void qkd_event_state(struct qkd_stream *s, u8 cmd,
		     const struct qkd_event_snap *snap);

#endif /* _QKD_EVENTS_H */
