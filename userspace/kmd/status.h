/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qkd-kmd's status (links, KME health, stream fill, counters) as JSON, in
 * the file [node] status_file, replaced atomically every second. Metadata
 * only: key IDs and material never appear in it.
 */
#ifndef KMD_STATUS_H
#define KMD_STATUS_H

#include <stdbool.h>

#include "kmd.h"

int kmd_status_start(struct kmd *k);
void kmd_status_stop(struct kmd *k);
/* Print a status file: a table, or the JSON itself (-j). 0 or -1. */
int kmd_status_print(const char *path, bool json);

#endif /* KMD_STATUS_H */
