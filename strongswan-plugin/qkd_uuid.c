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

#include "qkd_uuid.h"

/**
 * Offsets of the hyphens in a UUID string
 */
static bool is_hyphen_pos(int i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

/*
 * Described in header
 */
char *qkd_uuid_to_string(chunk_t id, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	int i, j = 0;

	for (i = 0; i < QKD_UUID_STR_LEN; i++)
	{
		if (is_hyphen_pos(i))
		{
			buf[i] = '-';
			continue;
		}
		buf[i] = j / 2 < id.len ? hex[(id.ptr[j / 2] >> (j % 2 ? 0 : 4)) & 0xf]
								: '0';
		j++;
	}
	buf[QKD_UUID_STR_LEN] = '\0';
	return buf;
}

/**
 * Value of a hex digit, -1 if c is none
 */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
	{
		return c - '0';
	}
	if (c >= 'a' && c <= 'f')
	{
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F')
	{
		return c - 'A' + 10;
	}
	return -1;
}

/*
 * Described in header
 */
bool qkd_uuid_from_string(chunk_t str, u_char *id)
{
	int i, j = 0, v;

	if (str.len != QKD_UUID_STR_LEN)
	{
		return FALSE;
	}
	memset(id, 0, QKD_ID_LEN);
	for (i = 0; i < QKD_UUID_STR_LEN; i++)
	{
		if (is_hyphen_pos(i))
		{
			if (str.ptr[i] != '-')
			{
				return FALSE;
			}
			continue;
		}
		v = hex_value(str.ptr[i]);
		if (v < 0)
		{
			return FALSE;
		}
		id[j / 2] |= v << (j % 2 ? 0 : 4);
		j++;
	}
	return TRUE;
}

/*
 * Described in header
 */
bool qkd_uuid_from_ppk_id(chunk_t ppk_id, u_char *id)
{
	chunk_t prefix = chunk_from_str(QKD_PPK_ID_PREFIX);

	if (ppk_id.len <= prefix.len || !memeq(ppk_id.ptr, prefix.ptr, prefix.len))
	{
		return FALSE;
	}
	return qkd_uuid_from_string(chunk_skip(ppk_id, prefix.len), id);
}
