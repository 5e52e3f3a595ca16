// SPDX-License-Identifier: GPL-2.0
/* Hex text: see hex.h. Table-free and branch-light; no locale. */
#include <errno.h>

#include "hex.h"

static const char digits[] = "0123456789abcdef";

void qkd_hex_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	*out = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int qkd_hex_decode(const char *in, size_t hexlen, uint8_t *out)
{
	size_t i;

	if (hexlen % 2)
		return -EINVAL;
	/* Validate first so that a bad string leaves out untouched. */
	for (i = 0; i < hexlen; i++)
		if (nibble(in[i]) < 0)
			return -EINVAL;
	for (i = 0; i < hexlen; i += 2)
		out[i / 2] = nibble(in[i]) << 4 | nibble(in[i + 1]);
	return 0;
}
