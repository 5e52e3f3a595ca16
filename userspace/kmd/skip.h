/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SKIP (draft-cisco-skip-02, Secure Key Integration Protocol) for routers
 * that take IKEv2 PPKs from an external key provider, served from the
 * kernel pool over TLS-PSK (skip_psk.h):
 *
 *   GET /capabilities                     what we serve (no /entropy)
 *   GET /key?remoteSystemID=ID[&size=N]   the next local-owned key of the
 *                                         stream for ID: {"keyId", "key"}
 *   GET /key/{keyId}?remoteSystemID=ID    that peer-owned key, once
 *
 * A remoteSystemID names a [peer] by its skip_remote_system_id. Key IDs
 * are the pool's 16-byte IDs as 32 hex digits, keys hex; size (bits) must
 * be the stream's key_size. Errors are JSON {"message", "details"} as the
 * Ak server's: 400 for a bad, unknown or used keyId, an unknown
 * remoteSystemID or a bad size; 404 unknown path; 405 not GET; 500 when no
 * key can be read (pool empty). An error takes nothing from the pool.
 */
#ifndef KMD_SKIP_H
#define KMD_SKIP_H

#include "kmd.h"

/* Start serving if [skip] is configured. 0, or -errno (logged). */
int skip_start(struct kmd *k);
void skip_stop(struct kmd *k);

#endif /* KMD_SKIP_H */
