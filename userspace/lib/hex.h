/* SPDX-License-Identifier: GPL-2.0 */
/* Hex text of byte strings (key IDs; material only when a user asks). */
#ifndef QKD_HEX_H
#define QKD_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2 * len lowercase hex digits and a NUL to out. */
void qkd_hex_encode(const uint8_t *in, size_t len, char *out);
/*
 * Decode exactly hexlen digits (even, either case) into hexlen / 2 bytes.
 * Returns 0 or -EINVAL; out is written only on success.
 */
int qkd_hex_decode(const char *in, size_t hexlen, uint8_t *out);

#endif /* QKD_HEX_H */
