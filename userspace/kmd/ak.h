/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ak: ETSI GS QKD 014 for local applications, served from the kernel pool.
 * An application (SAE) is named by its client certificate's CN and mapped
 * to a peer's stream by that peer's app_sae_id / peer_app_sae_id:
 * enc_keys takes local-owned keys (the next ones), dec_keys takes
 * peer-owned keys by ID; each request is all or nothing.
 */
#ifndef KMD_AK_H
#define KMD_AK_H

#include "kmd.h"

/* Start serving if [ak] is configured. 0, or -errno (logged). */
int ak_start(struct kmd *k);
void ak_stop(struct kmd *k);

#endif /* KMD_AK_H */
