// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Multicast notifications on the "events" group of the family the netlink
 * layer passes in. They carry stream names and counts, never key material.
 */

#include <net/genetlink.h>
#include <uapi/linux/qkdpool.h>

#include "notify.h"
#include "events.h"

static int put_snap(struct sk_buff *skb, u8 cmd,
		    const struct qkd_event_snap *snap)
{
	if (cmd == QKD_CMD_EVENT_EXPIRED &&
	    nla_put_u32(skb, QKD_A_COUNT, snap->count))
		return -EMSGSIZE;
	if (cmd != QKD_CMD_EVENT_EXPIRED &&
	    nla_put_u32(skb, QKD_A_STREAM_LOW_WATERMARK, snap->low_watermark))
		return -EMSGSIZE;
	if (nla_put_u32(skb, QKD_A_STREAM_AVAIL_LOCAL, snap->avail_local) ||
	    nla_put_u32(skb, QKD_A_STREAM_AVAIL_PEER, snap->avail_peer))
		return -EMSGSIZE;
	return 0;
}

/**
 * qkd_event_send() - multicast one event to the listeners in a namespace
 * @family: the registered family whose "events" group is used
 * @net: the namespace
 * @cmd: a QKD_CMD_EVENT_* command
 * @name: the stream it is about
 * @snap: the stream's state, NULL for stream new and delete events
 *
 * Events are best effort: without memory the event is dropped.
 */
void qkd_event_send(const struct genl_family *family, struct net *net,
		    u8 cmd, const char *name,
		    const struct qkd_event_snap *snap)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(family, net, 0))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, family, 0, cmd);
	if (!hdr || nla_put_string(skb, QKD_A_STREAM_NAME, name) ||
	    (snap && put_snap(skb, cmd, snap))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(family, net, skb, 0, 0, GFP_KERNEL);
}
