// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Multicast notifications on the "events" group. They carry stream names
 * and counts, never key material.
 */

#include <net/net_namespace.h>
#include <net/genetlink.h>

#include "netlink.h"
#include "stream.h"
#include "events.h"

static struct sk_buff *event_new(u8 cmd, const char *name, void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &qkd_genl_family, 0, cmd);
	if (!*hdr || nla_put_string(skb, QKD_A_STREAM_NAME, name)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

void qkd_event_stream(struct net *net, u8 cmd, const char *name)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&qkd_genl_family, net, 0))
		return;
	skb = event_new(cmd, name, &hdr);
	if (!skb)
		return;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&qkd_genl_family, net, skb, 0, 0, GFP_KERNEL);
}

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

static void send_state(struct net *net, struct qkd_stream *s, u8 cmd,
		       const struct qkd_event_snap *snap)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&qkd_genl_family, net, 0))
		return;
	skb = event_new(cmd, s->name, &hdr);
	if (!skb)
		return;
	if (put_snap(skb, cmd, snap)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&qkd_genl_family, net, skb, 0, 0, GFP_KERNEL);
}

/*
 * The stream may be used through a device file after its namespace began
 * to exit: s->net is only safe to use while the stream is not dead, and
 * the pernet exit waits for an RCU grace period after killing streams.
 */
void qkd_event_state(struct qkd_stream *s, u8 cmd,
		     const struct qkd_event_snap *snap)
{
	struct net *net = NULL;

	rcu_read_lock();
	if (!READ_ONCE(s->dead))
		net = maybe_get_net(s->net);
	rcu_read_unlock();
	if (!net)
		return;
	send_state(net, s, cmd, snap);
	put_net(net);
}
