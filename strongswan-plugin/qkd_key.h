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
 * @defgroup qkd_key qkd_key
 * @{ @ingroup qkd
 */

#ifndef QKD_KEY_H_
#define QKD_KEY_H_

#include <library.h>

#include <linux/qkdpool.h>
#include <pool.h>

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
 * Create a key from the record a source delivered.
 *
 * A key of the kernel pool stays reserved through its own file of
 * /dev/qkdpool until commit() or destroy(); if charon dies, closing the
 * file releases it, so a crash never strands a key. A key without a pool
 * file was consumed when the source handed it out (ETSI GS QKD 014):
 * commit() has nothing left to do and destroy() cannot give it back.
 *
 * @param rec			key record (ID and material), wiped here
 * @param pool			file holding the reservation (adopted), or NULL
 * @param stream		stream name, for log lines
 * @return				key
 */
qkd_key_t *qkd_key_create(struct qkd_key_record *rec, struct qkd_pool *pool,
						  char *stream);

#endif /** QKD_KEY_H_ @}*/
