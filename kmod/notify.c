// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * What streams tell: wakeups of readers waiting for local keys, and events
 * for the netlink layer, which registers itself as the one listener so the
 * key store never calls up into it. Nothing here carries key material.
 */

#include <net/net_namespace.h>
#include <linux/rwsem.h>
#include <linux/poll.h>

#include "stream.h"
#include "notify.h"
#include "trace.h"

/*
 * Senders hold the semaphore for reading across the call, so that once
 * qkd_notify_unregister() returns none is still sending: the netlink
 * layer unregisters its family right after, while expiry scans of live
 * streams may still run (the pool goes last, as requests need it).
 */
static DECLARE_RWSEM(event_lock);
static qkd_event_fn event_fn;

void qkd_notify_register(qkd_event_fn fn)
{
	down_write(&event_lock);
	event_fn = fn;
	up_write(&event_lock);
}

/* Waits for senders in flight: after it, the listener is never called. */
void qkd_notify_unregister(void)
{
	down_write(&event_lock);
	event_fn = NULL;
	up_write(&event_lock);
}

static void call_listener(struct net *net, u8 cmd, const char *name,
			  const struct qkd_event_snap *snap)
{
	down_read(&event_lock);
	if (event_fn)
		event_fn(net, cmd, name, snap);
	up_read(&event_lock);
}

/* A stream was created in or deleted from the pool of @net. */
void qkd_notify_stream(struct net *net, u8 cmd, const char *name)
{
	call_listener(net, cmd, name, NULL);
}

/*
 * The stream may be used through a device file after its namespace began
 * to exit: s->net is only safe to use while the stream is not dead, and
 * the pernet exit waits for an RCU grace period after killing streams.
 */
static void send_state(struct qkd_stream *s, u8 cmd,
		       const struct qkd_event_snap *snap)
{
	struct net *net = NULL;

	rcu_read_lock();
	if (!READ_ONCE(s->dead))
		net = maybe_get_net(s->net);
	rcu_read_unlock();
	if (!net)
		return;
	call_listener(net, cmd, s->name, snap);
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
