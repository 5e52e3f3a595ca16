/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics on [global] metrics (qkd-macsecd(8)): per interface
 * the rekeys, their failures and the leader's handshake latency (a
 * histogram), the control channel's refusals and the SA state. Off unless
 * configured; no key ID or key material.
 */
#ifndef MACSECD_METRICS_H
#define MACSECD_METRICS_H

#include "iface.h"

/* Serve one scrape waiting on the listening fd (lib/prom.h). */
void metrics_serve(int fd, const struct iface *ifaces, unsigned int n);

#endif /* MACSECD_METRICS_H */
