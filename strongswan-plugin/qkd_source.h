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
 * @defgroup qkd_source qkd_source
 * @{ @ingroup qkd
 */

#ifndef QKD_SOURCE_H_
#define QKD_SOURCE_H_

#include <library.h>

#include "qkd_kme.h"

/** Length of a QKD key ID (a UUID, as ETSI GS QKD 014 uses) */
#define QKD_ID_LEN 16

typedef struct qkd_source_t qkd_source_t;
typedef struct qkd_key_t qkd_key_t;

/**
 * A QKD key reserved from a key source.
 *
 * The key is hidden from every other taker until it is committed (gone for
 * good) or destroyed without commit (given back to the source, if the
 * source can take it back).
 */
struct qkd_key_t {

	/**
	 * Get the 16-byte ID of the key.
	 *
	 * @return			key ID, internal data
	 */
	chunk_t (*get_id)(qkd_key_t *this);

	/**
	 * Move the key material out of the reservation.
	 *
	 * The material is handed out once; the reservation keeps only the ID.
	 *
	 * @return			allocated key material (caller clears), or
	 *					chunk_empty if already taken
	 */
	chunk_t (*take_material)(qkd_key_t *this);

	/**
	 * Consume the key: it is destroyed at the source.
	 *
	 * @return			TRUE if the source confirmed
	 */
	bool (*commit)(qkd_key_t *this);

	/**
	 * Release the reservation (unless committed) and wipe the object.
	 */
	void (*destroy)(qkd_key_t *this);
};

/**
 * Source of QKD keys: the kernel pool or an ETSI GS QKD 014 KME.
 *
 * Keys are organised in streams, one per peer. Locally initiated SAs use
 * local-owned keys ("next"); keys named by the peer are looked up by ID and
 * must be peer-owned, so the two ends never pick the same key on their own.
 * Both calls may block briefly (a system call or a KME request) and must not
 * be made under the bus lock.
 */
struct qkd_source_t {

	/**
	 * Reserve the next local-owned key of a stream.
	 *
	 * @param stream	stream name
	 * @return			reserved key, NULL if none (logged)
	 */
	qkd_key_t *(*reserve_next)(qkd_source_t *this, char *stream);

	/**
	 * Reserve a peer-owned key of a stream by its ID.
	 *
	 * @param stream	stream name
	 * @param id		16-byte key ID
	 * @return			reserved key, NULL if unknown, used, local-owned
	 *					or busy (logged)
	 */
	qkd_key_t *(*reserve_id)(qkd_source_t *this, char *stream, chunk_t id);

	/**
	 * Destroy the source.
	 */
	void (*destroy)(qkd_source_t *this);
};

/**
 * Create a key source on the kernel pool (/dev/qkdpool).
 *
 * @param device		path of the pool device
 * @return				key source
 */
qkd_source_t *qkd_source_pool_create(char *device);

/**
 * Create a key source on an ETSI GS QKD 014 KME.
 *
 * Streams are the peers' SAE IDs: an initiator asks enc_keys for one key
 * with the peer as slave SAE, a responder asks dec_keys for the key ID the
 * peer sent, with the peer as master SAE. ETSI 014 knows no reservation:
 * a key is consumed when the KME hands it out, so an IKE_SA that fails
 * after dec_keys cannot give its key back.
 *
 * @param kme			client of the KME (adopted, destroyed on failure)
 * @param key_bits		size of the keys to ask for, in bits
 * @return				key source, NULL if libcurl failed (logged)
 */
qkd_source_t *qkd_source_etsi014_create(qkd_kme_t *kme, u_int key_bits);

#endif /** QKD_SOURCE_H_ @}*/
