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
 * @defgroup qkd qkd
 * @ingroup cplugins
 *
 * @defgroup qkd_plugin qkd_plugin
 * @{ @ingroup qkd
 */

#ifndef QKD_PLUGIN_H_
#define QKD_PLUGIN_H_

#include <plugins/plugin.h>

typedef struct qkd_plugin_t qkd_plugin_t;

/**
 * Plugin keying every IKEv2 SA with a fresh QKD key as a PPK (RFC 8784).
 *
 * A connection with ppk_id = qkd takes the next local-owned key of the
 * peer's stream in the qkdpool kernel pool for each IKE_SA it initiates and
 * sends its ID as PPK_ID "qkd:<uuid>"; a responder resolves such a PPK_ID to
 * the peer-owned key with that ID. Keys are committed once the IKE_SA is
 * established; the SA fails closed without a key.
 */
struct qkd_plugin_t {

	/**
	 * Implements plugin interface
	 */
	plugin_t plugin;
};

#endif /** QKD_PLUGIN_H_ @}*/
