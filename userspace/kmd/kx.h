/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kx connections: TLS 1.3 with mutual certificate authentication over TCP
 * (bufferevent_openssl), carrying the frames of frame.h. The master end of
 * a QKD link dials its slave, which listens; each side names the other by
 * its certificate's CN, which must be the configured node ID.
 */
#ifndef KMD_KX_H
#define KMD_KX_H

#include "frame.h"
#include "kmd.h"
#include "link.h"

int kx_listen(struct kmd *k);
void kx_listener_free(struct kx_listener *x);

/* Dial the link's peer; the outcome arrives as link_kx_up/link_kx_down. */
int kx_dial(struct link *l);

/* Queue a frame. Returns 0 or -1 (the connection is then being closed). */
int kx_send(struct kx_conn *c, const struct kx_msg *m);

/* Close now (logs why, sends an ERROR frame first if why_peer). */
void kx_close(struct kx_conn *c, const char *why, bool tell_peer);

#endif /* KMD_KX_H */
