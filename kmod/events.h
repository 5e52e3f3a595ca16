/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_EVENTS_H
#define _QKD_EVENTS_H

#include <linux/types.h>

struct qkd_event_snap;
struct genl_family;
struct net;

void qkd_event_send(const struct genl_family *family, struct net *net,
		    u8 cmd, const char *name,
		    const struct qkd_event_snap *snap);

#endif /* _QKD_EVENTS_H */
