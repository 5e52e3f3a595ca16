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

#include "qkd_key.h"

typedef struct qkd_source_t qkd_source_t;

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
 * Requests go through libetsi014's client with mutual TLS (our SAE
 * certificate and key, the KME's CA) and block the calling thread for at
 * most the timeout: call them on the IKE_SA's thread, never under the bus
 * lock.
 *
 * @param url			base URL of the KME, https://host:port
 * @param cert			our SAE's client certificate (PEM file)
 * @param key			its private key (PEM file)
 * @param ca			CA certificates of the KME (PEM file)
 * @param timeout		timeout of a request in seconds
 * @param key_bits		size of the keys to ask for, in bits
 * @return				key source, NULL if libcurl failed (logged)
 */
qkd_source_t *qkd_source_etsi014_create(char *url, char *cert, char *key,
										char *ca, u_int timeout,
										u_int key_bits);

#endif /** QKD_SOURCE_H_ @}*/
