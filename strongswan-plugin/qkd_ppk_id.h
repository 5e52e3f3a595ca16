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
 * @defgroup qkd_ppk_id qkd_ppk_id
 * @{ @ingroup qkd
 */

#ifndef QKD_PPK_ID_H_
#define QKD_PPK_ID_H_

#include <sa/ike_sa.h>

#include <keyid.h>

/** Prefix of the PPK_ID that carries a key ID on the wire */
#define QKD_PPK_ID_PREFIX "qkd:"

/** PPK_ID configured as ppk_id of initiating connections (a marker) */
#define QKD_PPK_ID_MARKER "qkd"

/** Length of "qkd:<uuid>", without the terminating NUL */
#define QKD_PPK_ID_LEN (sizeof(QKD_PPK_ID_PREFIX) - 1 + QKD_KEYID_UUID_LEN)

/**
 * Format the PPK_ID "qkd:<uuid>" of a key.
 *
 * @param id			key ID, QKD_KEY_ID_LEN bytes
 * @param buf			buffer of QKD_PPK_ID_LEN + 1 bytes
 * @return				buf
 */
char *qkd_ppk_id_format(chunk_t id, char *buf);

/**
 * Parse a PPK_ID of the form "qkd:<uuid>".
 *
 * @param ppk_id		encoding of the PPK_ID
 * @param id			receives QKD_KEY_ID_LEN bytes
 * @return				TRUE if ppk_id has that form
 */
bool qkd_ppk_id_parse(chunk_t ppk_id, u_char *id);

/**
 * Whether we initiated an IKE_SA for a connection with the marker as
 * ppk_id, i.e. one that takes its PPK from this plugin.
 *
 * @param ike_sa		IKE_SA
 * @return				TRUE if so
 */
bool qkd_ppk_id_initiator(ike_sa_t *ike_sa);

#endif /** QKD_PPK_ID_H_ @}*/
