/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key material left behind in kernel RAM, found by a scan of /proc/kcore.
 * A secret is kept XOR-masked; it is unmasked only into the record handed
 * to the kernel, which is wiped at once, so a scan never finds the
 * caller's own copies.
 */
#ifndef QKD_SELFTEST_KCORE_H
#define QKD_SELFTEST_KCORE_H

#include <stddef.h>
#include <stdint.h>

#define MASK 0x5a
#define MAT_LEN 48

struct secret {
	uint8_t masked[MAT_LEN];
};

/* Fresh random material, without a byte a zeroed copy would match. */
void secret_init(struct secret *sec);
/* Write it as key (tag, n), local-owned, to the stream bound to fd. */
int secret_add(int fd, const struct secret *sec, uint32_t tag, uint32_t n);
/* Copies of the material in RAM; -1 if /proc/kcore is unreadable. */
long kcore_count(const struct secret *sec);
/* The same for n secrets, in one pass over RAM: copies of any of them. */
long kcore_count_all(const struct secret *secs, size_t n);

#endif /* QKD_SELFTEST_KCORE_H */
