/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qkd-kmd's status (links, KME health, stream fill, counters) as JSON, in
 * the file [node] status_file, replaced atomically every second. Metadata
 * only: key IDs and material never appear in it. `qkdctl km status`
 * reads it.
 */
#ifndef KMD_STATUS_H
#define KMD_STATUS_H

#include "kmd.h"

int kmd_status_start(struct kmd *k);
void kmd_status_stop(struct kmd *k);

#endif /* KMD_STATUS_H */
