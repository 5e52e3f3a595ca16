// SPDX-License-Identifier: GPL-2.0
/* Key IDs as text: see keyid.h. */
#include <errno.h>
#include <string.h>

#include "hex.h"
#include "keyid.h"

/* Byte index after which the canonical form has a dash. */
static int dash_after(int byte)
{
	return byte == 3 || byte == 5 || byte == 7 || byte == 9;
}

char *qkd_keyid_format(const uint8_t id[QKD_KEY_ID_LEN], char *out)
{
	char *o = out;
	int i;

	for (i = 0; i < QKD_KEY_ID_LEN; i++) {
		qkd_hex_encode(&id[i], 1, o);
		o += 2;
		if (dash_after(i))
			*o++ = '-';
	}
	*o = '\0';
	return out;
}

char *qkd_keyid_format_hex(const uint8_t id[QKD_KEY_ID_LEN], char *out)
{
	qkd_hex_encode(id, QKD_KEY_ID_LEN, out);
	return out;
}

static int parse_uuid(const char *s, uint8_t id[QKD_KEY_ID_LEN],
		      const char **why)
{
	uint8_t tmp[QKD_KEY_ID_LEN];
	int i;

	for (i = 0; i < QKD_KEY_ID_LEN; i++) {
		if (qkd_hex_decode(s, 2, &tmp[i]) < 0) {
			*why = "not a hex digit where one is expected";
			return -EINVAL;
		}
		s += 2;
		if (!dash_after(i))
			continue;
		if (*s++ != '-') {
			*why = "dashes must split the UUID as 8-4-4-4-12";
			return -EINVAL;
		}
	}
	memcpy(id, tmp, sizeof(tmp));
	return 0;
}

int qkd_keyid_parse(const char *s, uint8_t id[QKD_KEY_ID_LEN],
		    const char **why)
{
	const char *dummy;
	size_t len;

	if (!why)
		why = &dummy;
	len = s ? strlen(s) : 0;
	if (len == QKD_KEYID_UUID_LEN)
		return parse_uuid(s, id, why);
	if (len == QKD_KEYID_HEX_LEN) {
		if (qkd_hex_decode(s, len, id) == 0)
			return 0;
		*why = "not a hex digit where one is expected";
		return -EINVAL;
	}
	*why = "expected a UUID (8-4-4-4-12 hex digits) or 32 hex digits";
	return -EINVAL;
}
