/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics on [global] metrics (qkd-macsecd(8)): per interface
 * the rekeys, their failures and the leader's handshake latency (a
 * histogram), the control channel's refusals and the SA state. Off unless
 * configured; no key ID or key material.
 */
#ifndef MACSECD_METRICS_H
#define MACSECD_METRICS_H

#include <poll.h>

#include "iface.h"
#include "prom.h"

/*
 * The listener and the scrapes in progress, each a slot of the main
 * loop's poll() so that a slow client never holds the daemon up.
 */
struct metrics {
	int lfd;				/* -1: off */
	struct qkd_prom_conn *conn[PROM_MAX_CONNS];
	short want[PROM_MAX_CONNS];
};

#define METRICS_POLLFDS	(1 + PROM_MAX_CONNS)

/* The listener, then a slot per scrape (fd -1 when free). */
void metrics_pollfds(const struct metrics *m, struct pollfd *pfd);
/*
 * Act on poll()'s answer in those slots; a scrape past its time is
 * dropped here, within a loop tick.
 */
void metrics_events(struct metrics *m, const struct pollfd *pfd,
		    const struct iface *ifaces, unsigned int n);
void metrics_close(struct metrics *m, const char *addr);

#endif /* MACSECD_METRICS_H */
