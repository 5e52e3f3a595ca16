/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qkd-kmd's Prometheus metrics on [node] metrics (qkd-kmd.conf(5)): every
 * stream of the pool (stock, adds, takes, expirations, reservations) and
 * every link (Kx and KME state, ingest and batch counters). Off unless
 * configured; metadata only.
 */
#ifndef KMD_METRICS_H
#define KMD_METRICS_H

#include "kmd.h"

int kmd_metrics_start(struct kmd *k);
void kmd_metrics_stop(struct kmd *k);

#endif /* KMD_METRICS_H */
