// SPDX-License-Identifier: GPL-2.0
/*
 * The two PSK parsers: a line of qkd-kmd's SKIP PSK file
 * (kmd/skip_psk.c), and the identity a TLS client offers for a QKD key
 * (lib/tlspsk.c, "qkd:<uuid>"). The first byte picks which. A PSK taken
 * from a line must be the line's own identity and key, and an identity
 * taken must be the one qkd_tlspsk_identity() writes for that key ID,
 * up to the case of its hex digits.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "skip_psk.h"
#include "tlspsk.h"

static void fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

static void identity(const uint8_t *data, size_t size)
{
	char text[QKD_TLSPSK_IDENTITY_SIZE];
	uint8_t id[QKD_KEY_ID_LEN];
	unsigned char *buf = malloc(size ? size : 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (!qkd_tlspsk_parse_identity(buf, size, id)) {
		qkd_tlspsk_identity(id, text);
		if (size != strlen(text) ||
		    strncasecmp((char *)buf, text, size))
			fail("an identity taken for another key ID");
	}
	free(buf);
}

/* skip_psk.c takes a line as fgets() gives it: NUL-terminated. */
static void line(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), hex[2 * SKIP_PSK_MAX + 1], *k;
	struct skip_psk p;
	const char *why = NULL;
	size_t idlen;
	int ret;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&p, 0xa5, sizeof(p));
	ret = skip_psk_parse_line(text, &p, &why);
	if (ret < 0 && (ret != -EINVAL || !why))
		fail("a line refused without a reason");
	if (ret == 1) {
		k = text + strspn(text, " \t");
		idlen = strlen(p.identity);
		if (!idlen || strncmp(k, p.identity, idlen) ||
		    !isspace((unsigned char)k[idlen]))
			fail("a PSK under an identity the line does not name");
		if (p.len < SKIP_PSK_MIN || p.len > SKIP_PSK_MAX)
			fail("a PSK of a length the file may not give");
		k += idlen + strspn(k + idlen, " \t");
		qkd_hex_encode(p.key, p.len, hex);
		if (strncasecmp(k, hex, 2 * p.len))
			fail("a PSK that is not the line's key");
	}
	explicit_bzero(&p, sizeof(p));
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		identity(data + 1, size - 1);
	else
		line(data + 1, size - 1);
	return 0;
}
