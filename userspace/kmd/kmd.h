/* SPDX-License-Identifier: GPL-2.0 */
/* qkd-kmd's daemon-wide state, shared by its parts. */
#ifndef KMD_KMD_H
#define KMD_KMD_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config.h"
#include "genl.h"

struct link;
struct kx_listener;
struct kx_peer;
struct ak;
struct skip;
struct kmd;
struct kx_msg;
struct relay;
struct kmd_metrics;

/*
 * The layer above the links (relay.c), called back by link.c through
 * these, so that link.c never calls it by name.
 */
struct kmd_upper_ops {
	void (*link_up)(struct kmd *k, struct link *l);
	void (*link_down)(struct kmd *k, struct link *l);
	/* A relay frame (type >= KX_RELAY_FIRST); as kx_peer_ops.recv. */
	int (*recv)(struct kmd *k, struct link *l, const struct kx_msg *m,
		    const char **why);
};

struct kmd {
	struct event_base *base;
	struct kmd_config cfg;
	struct qkd_genl *genl;		/* requests to the kernel pool */
	SSL_CTX *kx_server, *kx_client;	/* Kx TLS contexts */
	struct kx_listener *listener;
	struct link *links;		/* one per [peer] */
	struct kx_peer *kx_peers;	/* the links' Kx ends, for kx.c */
	struct ak *ak;			/* ETSI 014 for local applications */
	struct skip *skip;		/* SKIP for routers (skip.c) */
	const struct kmd_upper_ops *upper;	/* NULL: no relay */
	struct relay *relay;		/* key relay: relay.c */
	struct event *status_timer;
	struct kmd_metrics *metrics;	/* metrics.c */
};

#endif /* KMD_KMD_H */
