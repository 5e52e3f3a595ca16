/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key IDs (16 bytes, ETSI GS QKD 014 uses UUIDs) as text: the canonical
 * UUID form 8-4-4-4-12 in lowercase hex, or 32 hex digits.
 */
#ifndef QKD_KEYID_H
#define QKD_KEYID_H

#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define QKD_KEYID_UUID_LEN	36	/* without NUL */
#define QKD_KEYID_HEX_LEN	(2 * QKD_KEY_ID_LEN)
#define QKD_KEYID_STR_SIZE	(QKD_KEYID_UUID_LEN + 1)

/* Canonical UUID text, lowercase; out has QKD_KEYID_STR_SIZE bytes. */
char *qkd_keyid_format(const uint8_t id[QKD_KEY_ID_LEN], char *out);
/* 32 lowercase hex digits; out has QKD_KEYID_HEX_LEN + 1 bytes. */
char *qkd_keyid_format_hex(const uint8_t id[QKD_KEY_ID_LEN], char *out);

/*
 * Parse a UUID (8-4-4-4-12, either case) or exactly 32 hex digits; nothing
 * else (no braces, prefixes, spaces or trailing characters). Returns 0, or
 * -EINVAL with *why (if why is not NULL) set to a static explanation.
 * id is written only on success.
 */
int qkd_keyid_parse(const char *s, uint8_t id[QKD_KEY_ID_LEN],
		    const char **why);

#endif /* QKD_KEYID_H */
