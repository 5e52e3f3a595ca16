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

#include "qkd_ppk_id.h"

/*
 * Described in header
 */
char *qkd_ppk_id_format(chunk_t id, char *buf)
{
	memcpy(buf, QKD_PPK_ID_PREFIX, sizeof(QKD_PPK_ID_PREFIX) - 1);
	qkd_keyid_format(id.ptr, buf + sizeof(QKD_PPK_ID_PREFIX) - 1);
	return buf;
}

/*
 * Described in header
 */
bool qkd_ppk_id_parse(chunk_t ppk_id, u_char *id)
{
	chunk_t prefix = chunk_from_str(QKD_PPK_ID_PREFIX);
	char uuid[QKD_KEYID_STR_SIZE];

	/* the canonical UUID only: the ID on the wire is what we send */
	if (ppk_id.len != QKD_PPK_ID_LEN ||
		!memeq(ppk_id.ptr, prefix.ptr, prefix.len))
	{
		return FALSE;
	}
	memcpy(uuid, ppk_id.ptr + prefix.len, QKD_KEYID_UUID_LEN);
	uuid[QKD_KEYID_UUID_LEN] = '\0';
	return qkd_keyid_parse(uuid, id, NULL) == 0;
}

/*
 * Described in header
 */
bool qkd_ppk_id_initiator(ike_sa_t *ike_sa)
{
	peer_cfg_t *peer_cfg = ike_sa->get_peer_cfg(ike_sa);
	identification_t *ppk_id;

	if (!peer_cfg || !ike_sa->get_id(ike_sa)->is_initiator(
													ike_sa->get_id(ike_sa)))
	{
		return FALSE;
	}
	ppk_id = peer_cfg->get_ppk_id(peer_cfg);
	return ppk_id && chunk_equals(ppk_id->get_encoding(ppk_id),
								  chunk_from_str(QKD_PPK_ID_MARKER));
}
