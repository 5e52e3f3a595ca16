/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kx connections: TLS 1.3 with mutual certificate authentication over TCP
 * (bufferevent_openssl), carrying the frames of frame.h. The master end of
 * a QKD link dials its slave, which listens; each side names the other by
 * its certificate's CN, which must be the configured node ID.
 *
 * This layer knows connections, not what travels on them: the layer above
 * (link.c) embeds a struct kx_peer per neighbour, registers it and hears
 * back through its ops. Nothing here calls up by name, so a layer above
 * link.c (routing) can sit on the same connections without a cycle.
 */
#ifndef KMD_KX_H
#define KMD_KX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "kmd.h"

struct kx_conn;
struct kx_peer;

struct kx_peer_ops {
	/* Authenticated and HELLOs exchanged: p->conn carries frames. */
	void (*up)(struct kx_peer *p);
	/* The connection is gone (already freed), or a dial failed. */
	void (*down)(struct kx_peer *p, const char *why);
	/*
	 * A frame after HELLO. Returns 0, or -EPROTO with *why when the
	 * frame breaks the protocol (the connection is then closed).
	 */
	int (*recv)(struct kx_peer *p, const struct kx_msg *m,
		    const char **why);
};

/* One neighbour, as Kx sees it; the owner fills the first four fields. */
struct kx_peer {
	const struct kx_peer_ops *ops;
	const char *id;			/* node ID: its certificate's CN */
	const char *address;		/* where the master dials */
	bool master;			/* our role on the QKD link */

	struct kx_conn *conn;		/* NULL while down */
	uint64_t rejects;		/* frames that broke the protocol */
	struct kx_peer *next;		/* kmd.kx_peers */
};

/* Make p known to incoming connections (slave) and to kx_dial (master). */
void kx_peer_register(struct kmd *k, struct kx_peer *p);
/* Forget p and drop its connection without calling it back. */
void kx_peer_unregister(struct kmd *k, struct kx_peer *p);

int kx_listen(struct kmd *k);
void kx_listener_free(struct kx_listener *x);

/* Dial p; the outcome arrives through p->ops (up, or down). */
int kx_dial(struct kmd *k, struct kx_peer *p);

/* Queue a frame. Returns 0, or -EMSGSIZE / -ENOBUFS (frame not queued). */
int kx_send(struct kx_conn *c, const struct kx_msg *m);
/* Queue a frame around a payload encoded by the caller (relay types). */
int kx_send_raw(struct kx_conn *c, uint8_t type, const uint8_t *payload,
		size_t len);

#endif /* KMD_KX_H */
