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
 * @defgroup qkd_sa_keys qkd_sa_keys
 * @{ @ingroup qkd
 */

#ifndef QKD_SA_KEYS_H_
#define QKD_SA_KEYS_H_

#include "qkd_source.h"

#include <sa/ike_sa.h>

typedef struct qkd_sa_keys_t qkd_sa_keys_t;

/**
 * QKD keys reserved for IKE_SAs being established, by IKE_SA.
 *
 * A key stays reserved at its source while IKE_AUTH runs. It is committed
 * when the IKE_SA is established. If the IKE_SA fails, a responder releases
 * its key (an unauthenticated peer cannot burn keys), while an initiator
 * discards a key whose ID already went on the wire: the peer may have
 * consumed its copy, and offering that ID again could never succeed.
 *
 * All methods are short and never wait for I/O; they may be called from bus
 * listener hooks.
 */
struct qkd_sa_keys_t {

	/**
	 * Store the key reserved for an IKE_SA (a previous one is aborted).
	 *
	 * @param ike_sa		IKE_SA
	 * @param key			reserved key, owned by this object
	 * @param stream		stream of the key (cloned)
	 * @param initiator		TRUE if the key is local-owned (we initiate)
	 */
	void (*add)(qkd_sa_keys_t *this, ike_sa_t *ike_sa, qkd_key_t *key,
				char *stream, bool initiator);

	/**
	 * Get the ID of an initiator's key and note that it goes on the wire.
	 *
	 * @param ike_sa		IKE_SA
	 * @param id			receives the key ID (QKD_KEY_ID_LEN bytes)
	 * @return				TRUE if the IKE_SA has an initiator's key
	 */
	bool (*mark_sent)(qkd_sa_keys_t *this, ike_sa_t *ike_sa, u_char *id);

	/**
	 * Check whether an IKE_SA has a key reserved.
	 *
	 * @param ike_sa		IKE_SA
	 * @param sent			if the key is the initiator's: TRUE if its ID
	 *						went on the wire (NULL to ignore)
	 * @return				TRUE if a key is reserved for ike_sa
	 */
	bool (*has_key)(qkd_sa_keys_t *this, ike_sa_t *ike_sa, bool *sent);

	/**
	 * The IKE_SA is established: consume its key.
	 *
	 * @param ike_sa		IKE_SA
	 */
	void (*commit)(qkd_sa_keys_t *this, ike_sa_t *ike_sa);

	/**
	 * The IKE_SA failed or goes away: release or discard its key.
	 *
	 * @param ike_sa		IKE_SA
	 */
	void (*abort)(qkd_sa_keys_t *this, ike_sa_t *ike_sa);

	/**
	 * Release all reservations and destroy the table.
	 */
	void (*destroy)(qkd_sa_keys_t *this);
};

/**
 * Create an empty table.
 *
 * @return				table
 */
qkd_sa_keys_t *qkd_sa_keys_create();

#endif /** QKD_SA_KEYS_H_ @}*/
