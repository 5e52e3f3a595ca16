/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key relay (docs/kx-protocol.md §7): the layer above the links. It
 * floods link-state adverts to the neighbours and keeps the route
 * database (route.h), keeps each [far] stream filled by relaying keys hop
 * by hop under one-time pads and one-time MACs keyed from the links'
 * streams (relay_otp.h), passes on the relays of other nodes as a trusted
 * node, and confirms delivery end to end before either end adds a key.
 *
 * link.c hears nothing of this file: it calls back through kmd.upper.
 */
#ifndef KMD_RELAY_H
#define KMD_RELAY_H

#include <stdbool.h>

#include <jansson.h>

#include "kmd.h"

/* Start after the links exist (main.c). 0, or -errno (logged). */
int relay_start(struct kmd *k);
/*
 * Ask the far node c for count keys now (RELAY_REQUEST, §7.6): an
 * application wants more than the far stream holds. 0 (asked), or
 * -EHOSTUNREACH (no route), -EAGAIN (every path from c is dry), -ENOENT
 * (c is no [far] of ours), -ENOTCONN / -errno.
 */
int relay_request(struct kmd *k, const struct kmd_peer_cfg *c,
		  unsigned int count);
/*
 * Shutting down: flood the withdrawal of our LSA so that the network
 * routes around us at once, and start nothing new. true if it was sent
 * to a neighbour (the caller lets it drain before closing).
 */
bool relay_withdraw(struct kmd *k);
/* Stop, wiping every relayed key still in memory. */
void relay_stop(struct kmd *k);
/* The relay part of the status file: routes, far streams, counters. */
json_t *relay_status_json(struct kmd *k);

#endif /* KMD_RELAY_H */
