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
 * @defgroup qkd_listener qkd_listener
 * @{ @ingroup qkd
 */

#ifndef QKD_LISTENER_H_
#define QKD_LISTENER_H_

#include "qkd_sa_keys.h"

#include <bus/listeners/listener.h>

typedef struct qkd_listener_t qkd_listener_t;

/**
 * Bus listener that puts QKD key IDs on the wire and settles reservations.
 *
 * - message: in an outgoing IKE_AUTH request (before encryption), replaces
 *   the marker PPK_ID "qkd" by "qkd:<uuid>" of the key reserved for that
 *   IKE_SA.
 * - authorize (final): refuses an IKE_SA of a "qkd" connection, or one we
 *   reserved a key for, that completed without using the PPK. strongSwan
 *   5.9.8 lets an initiator with ppk_required complete without a PPK if the
 *   responder ignores it; this closes that hole for QKD connections.
 * - ike_state_change: commits the key when the IKE_SA is established,
 *   releases or discards it when the IKE_SA is destroyed before.
 *
 * The hooks run under the bus lock: they only touch the in-memory table and
 * issue non-blocking ioctls, never wait for a peer or a KME.
 */
struct qkd_listener_t {

	/**
	 * Implements listener_t
	 */
	listener_t listener;

	/**
	 * Destroy the listener.
	 */
	void (*destroy)(qkd_listener_t *this);
};

/**
 * Create the listener.
 *
 * @param keys			table of reserved keys
 * @return				listener
 */
qkd_listener_t *qkd_listener_create(qkd_sa_keys_t *keys);

#endif /** QKD_LISTENER_H_ @}*/
