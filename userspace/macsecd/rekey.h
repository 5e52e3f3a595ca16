/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rekey protocol of one interface (rekey.c): a state machine driven by
 * control messages, timers and what the kernel shows. It sits on top: it
 * calls the SA installer (sa.c), the interface (iface.c), the pool and the
 * control channel, and nothing below calls it.
 */
#ifndef MACSECD_REKEY_H
#define MACSECD_REKEY_H

#include <stdbool.h>
#include <stdint.h>

struct iface;

enum rekey_state {
	ST_IDLE,
	ST_PREPARE,	/* leader: SAs installed, PREPARE sent, waiting for READY */
	ST_COMMIT,	/* leader: switched, COMMIT sent, waiting for DONE */
	ST_PENDING,	/* follower: SAs installed, READY sent */
	__ST_MAX
};

/* After bring-up: greet the peer, rekey (adopted SAs are replaced). */
void rekey_open(struct iface *ifc);
/* Abandon a handshake whose key nobody transmits with yet. */
void rekey_close(struct iface *ifc);
/* Control messages waiting on the interface's socket. */
void rekey_input(struct iface *ifc, uint64_t now);
/* Timers, kernel observation, triggers, retirement, exhaustion policy. */
void rekey_tick(struct iface *ifc, uint64_t now);
/* Operator or signal: rekey as soon as possible. */
void rekey_request(struct iface *ifc);
/* No handshake, request or retirement pending: ticks may be sparse. */
bool rekey_idle(const struct iface *ifc);
/* A leader has switched and waits for DONE: stopping should wait too. */
bool rekey_committing(const struct iface *ifc);
const char *rekey_state_name(enum rekey_state st);

#endif /* MACSECD_REKEY_H */
