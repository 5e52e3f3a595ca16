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
 * @defgroup qkd_uuid qkd_uuid
 * @{ @ingroup qkd
 */

#ifndef QKD_UUID_H_
#define QKD_UUID_H_

#include "qkd_source.h"

/** Length of a UUID string, without the terminating NUL */
#define QKD_UUID_STR_LEN 36

/** Prefix of the PPK_ID that carries a key ID on the wire */
#define QKD_PPK_ID_PREFIX "qkd:"

/** PPK_ID configured as ppk_id of initiating connections (a marker) */
#define QKD_PPK_ID_MARKER "qkd"

/**
 * Format a 16-byte key ID as a lowercase UUID string.
 *
 * @param id			key ID, QKD_ID_LEN bytes
 * @param buf			buffer of at least QKD_UUID_STR_LEN + 1 bytes
 * @return				buf
 */
char *qkd_uuid_to_string(chunk_t id, char *buf);

/**
 * Parse a UUID string (exactly 8-4-4-4-12 hex digits, any case).
 *
 * @param str			string, not necessarily NUL-terminated
 * @param id			receives QKD_ID_LEN bytes
 * @return				TRUE if str is a well-formed UUID
 */
bool qkd_uuid_from_string(chunk_t str, u_char *id);

/**
 * Parse a PPK_ID of the form "qkd:<uuid>".
 *
 * @param ppk_id		encoding of the PPK_ID
 * @param id			receives QKD_ID_LEN bytes
 * @return				TRUE if ppk_id has that form
 */
bool qkd_uuid_from_ppk_id(chunk_t ppk_id, u_char *id);

#endif /** QKD_UUID_H_ @}*/
