// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * What streams tell: wakeups of readers waiting for local keys, and events
 * for the netlink layer, which registers itself as the one listener so the
 * key store never calls up into it. Nothing here carries key material.
 */

#include <net/net_namespace.h>
#include <linux/poll.h>

#include "stream.h"
#include "notify.h"
#include "trace.h"

static qkd_event_fn event_fn __read_mostly;

/*
 * A stream operation may still be in qkd_notify_deliver() after
 * unregistering: @fn must stay callable until the module is unloaded.
 */
void qkd_notify_register(qkd_event_fn fn)
{
	WRITE_ONCE(event_fn, fn);
}

void qkd_notify_unregister(void)
{
	WRITE_ONCE(event_fn, NULL);
}

/* A stream was created in or deleted from the pool of @net. */
void qkd_notify_stream(struct net *net, u8 cmd, const char *name)
{
	qkd_event_fn fn = READ_ONCE(event_fn);

	if (fn)
		fn(net, cmd, name, NULL);
}

/*
 * The stream may be used through a device file after its namespace began
 * to exit: s->net is only safe to use while the stream is not dead, and
 * the pernet exit waits for an RCU grace period after killing streams.
 */
static void send_state(struct qkd_stream *s, u8 cmd,
		       const struct qkd_event_snap *snap)
{
	qkd_event_fn fn = READ_ONCE(event_fn);
	struct net *net = NULL;

	if (!fn)
		return;
	rcu_read_lock();
	if (!READ_ONCE(s->dead))
		net = maybe_get_net(s->net);
	rcu_read_unlock();
	if (!net)
		return;
	fn(net, cmd, s->name, snap);
	put_net(net);
}

/* Called with s->lock held, last thing before dropping it. */
void qkd_notify_snapshot(const struct qkd_stream *s,
			 struct qkd_pending_notice *pending)
{
	pending->snap.low_watermark = s->conf.low_watermark;
	pending->snap.avail_local = s->nr_local;
	pending->snap.avail_peer = s->nr_peer;
}

void qkd_notify_deliver(struct qkd_stream *s,
			struct qkd_pending_notice *pending)
{
	if (pending->wake && wq_has_sleeper(&s->wq))
		wake_up_interruptible_poll(&s->wq, EPOLLIN | EPOLLRDNORM);
	if (pending->low)
		send_state(s, QKD_CMD_EVENT_LOW_WATERMARK, &pending->snap);
	if (pending->exhausted)
		send_state(s, QKD_CMD_EVENT_EXHAUSTED, &pending->snap);
	if (pending->expired) {
		trace_qkd_keys_gone(s->name, "expired", pending->expired);
		pending->snap.count = pending->expired;
		send_state(s, QKD_CMD_EVENT_EXPIRED, &pending->snap);
	}
}
