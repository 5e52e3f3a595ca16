/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/**
 * @defgroup qkd_creds qkd_creds
 * @{ @ingroup qkd
 */

#ifndef QKD_CREDS_H_
#define QKD_CREDS_H_

#include "qkd_source.h"
#include "qkd_sa_keys.h"

#include <credentials/credential_set.h>

typedef struct qkd_creds_t qkd_creds_t;

/**
 * Credential set serving QKD keys as PPKs (RFC 8784).
 *
 * Asked for the PPK_ID "qkd" on the thread of an IKE_SA we initiate, it
 * reserves the next local-owned key of the peer's stream; asked for
 * "qkd:<uuid>" on an IKE_SA we respond to, it reserves that peer-owned key
 * of the peer's stream. The reservation is handed to qkd_sa_keys_t, which
 * commits or releases it when the IKE_SA is established or fails. Asked for
 * any PPK without identities (a responder deciding whether to announce
 * USE_PPK), it returns a random placeholder that matches no PPK_ID.
 */
struct qkd_creds_t {

	/**
	 * Implements credential_set_t
	 */
	credential_set_t set;

	/**
	 * Destroy the credential set.
	 */
	void (*destroy)(qkd_creds_t *this);
};

/**
 * Create the credential set.
 *
 * @param source		key source
 * @param keys			table of reserved keys
 * @return				credential set, NULL if no RNG is available
 */
qkd_creds_t *qkd_creds_create(qkd_source_t *source, qkd_sa_keys_t *keys);

#endif /** QKD_CREDS_H_ @}*/
