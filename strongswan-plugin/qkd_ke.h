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
 * @defgroup qkd_ke qkd_ke
 * @{ @ingroup qkd
 *
 * The key exchange method `qkd` (strongSwan 6.x only, RFC 9370): a fresh
 * QKD key in every exchange that negotiates it, as the first or an
 * additional key exchange of IKE_SA setup, IKE_SA rekey or CHILD_SA
 * create/rekey (`ke1_qkd`, `esp_proposals = aes256gcm16-qkd`).
 *
 * KE data on the wire (encrypted in every exchange that can carry it):
 *
 *     initiator: version (1) | flags (1) | key ID (16)
 *     responder: version (1) | flags (1) | key ID (16) | confirmation (16)
 *
 * The initiator reserves the next local-owned key of the peer's stream and
 * sends its ID; the responder reserves that ID (it must be peer-owned) and
 * echoes it with a key confirmation, the first 16 bytes of
 * HMAC-SHA-256(material, "qkdpool ke confirm v1" | ID), so that mismatched
 * material fails the exchange at the initiator instead of surfacing later
 * as an integrity failure. The shared secret is the key material. An
 * initiator whose pool is empty sends the flag QKD_KE_NO_KEY without an
 * ID, which the responder refuses: charon then handles a refused rekey as
 * it does any other (retry later, the SA keeps its keys) instead of tearing
 * down the IKE_SA, which a local failure to build the KE payload would do.
 *
 * Keys are committed when what they keyed is up: a CHILD_SA when its keys
 * are installed (listener child_keys), an IKE_SA when it is established,
 * initially or as a rekey (the reservation moves to a table by IKE_SA at
 * ike_keys). Otherwise a responder releases its key (an unauthenticated
 * peer cannot burn keys) and an initiator discards a key whose ID it sent
 * (the peer may have consumed its copy; the ID is never offered again).
 */

#ifndef QKD_KE_H_
#define QKD_KE_H_

#include "qkd_source.h"

#include <crypto/key_exchange.h>

/**
 * Transform Type 4 ID of the method: private use (RFC 7296: 1024-65535),
 * "QK". Negotiated only between peers that exchange strongSwan's vendor ID
 * (charon.send_vendor_id) or accept private algorithms
 * (charon.accept_private_algs).
 */
#define KE_QKD 0x514B

/**
 * Enable the method: its proposal keyword, names and bus listener.
 *
 * @param source		key source, must outlive the method
 */
void qkd_ke_register(qkd_source_t *source);

/**
 * Disable the method; reservations still held are released or discarded.
 */
void qkd_ke_unregister();

/**
 * Create a key exchange object of the method (ke_constructor_t).
 *
 * @param method		KE_QKD
 * @return				key exchange, NULL if the method is not enabled
 */
key_exchange_t *qkd_ke_create(key_exchange_method_t method);

#endif /** QKD_KE_H_ @}*/
