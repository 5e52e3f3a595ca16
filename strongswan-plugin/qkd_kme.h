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
 * @defgroup qkd_kme qkd_kme
 * @{ @ingroup qkd
 */

#ifndef QKD_KME_H_
#define QKD_KME_H_

#include <library.h>

typedef struct qkd_kme_t qkd_kme_t;

/**
 * HTTPS client of one ETSI GS QKD 014 key management entity (KME).
 *
 * Requests use mutual TLS (our SAE certificate and key, the KME's CA) and
 * block for at most the configured timeout: call them on the IKE_SA's
 * thread, never under the bus lock. Replies are kept in memory that is
 * wiped when freed, as they carry key material.
 */
struct qkd_kme_t {

	/**
	 * Send a request to the KME and wait for its reply.
	 *
	 * @param path		path below the KME URL, URL-escaped
	 * @param body		JSON body of a POST, or NULL for a GET
	 * @param reply		receives the reply body (caller chunk_clear()s)
	 * @return			HTTP status, 0 if there was no reply (logged)
	 */
	u_int (*request)(qkd_kme_t *this, char *path, char *body,
					 chunk_t *reply);

	/**
	 * Get the base URL of the KME, for log lines.
	 *
	 * @return			URL, internal data
	 */
	char *(*get_url)(qkd_kme_t *this);

	/**
	 * Destroy the client.
	 */
	void (*destroy)(qkd_kme_t *this);
};

/**
 * Create a client of a KME.
 *
 * @param url			base URL, https://host:port
 * @param cert			our SAE's client certificate (PEM file)
 * @param key			its private key (PEM file)
 * @param ca			CA certificates of the KME (PEM file)
 * @param timeout		timeout of a request in seconds
 * @return				client; libcurl must be initialized (qkd_wipe_init())
 */
qkd_kme_t *qkd_kme_create(char *url, char *cert, char *key, char *ca,
						  u_int timeout);

#endif /** QKD_KME_H_ @}*/
