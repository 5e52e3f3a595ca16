/* SPDX-License-Identifier: GPL-2.0 */
/* Keeping key material out of core dumps, swap and freed memory. */
#ifndef QKD_SECMEM_H
#define QKD_SECMEM_H

#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#include <stdbool.h>

/*
 * Harden the calling process for holding keys: not dumpable (no core, no
 * ptrace by peers of the same uid) and RLIMIT_CORE 0. With lock, also
 * mlockall() current and future memory if the memlock limit allows: failure
 * to lock is not an error, it is reported through *locked (may be NULL).
 * Daemons lock; short-lived tools should not (MCL_FUTURE makes allocations
 * fail once RLIMIT_MEMLOCK is reached). Returns 0 or -errno.
 */
int qkd_secure_process(bool lock, bool *locked);

/* explicit_bzero: a wipe the compiler may not drop. */
void qkd_wipe(void *buf, size_t len);

/*
 * free(), realloc() and strdup() that wipe every block they give back, for
 * the allocator hooks of libraries that hold key material in their heap
 * and never wipe it (jansson, libcurl, libevent, OpenSSL). They pair with
 * plain malloc() and calloc().
 */
void qkd_free_wiped(void *p);
void *qkd_realloc_wiped(void *p, size_t size);
char *qkd_strdup_wiped(const char *s);

/* Fill buf from getrandom(2), retrying on EINTR. Returns 0 or -errno. */
int qkd_random_bytes(void *buf, size_t len);

/*
 * A fresh random key: random version 4 UUID as ID, len (QKD_KEY_MIN_LEN..
 * QKD_KEY_MAX_LEN) random bytes of material. Returns 0 or -errno
 * (-EINVAL for a bad len or owner).
 */
int qkd_random_key(struct qkd_key_record *rec, uint32_t len, uint32_t owner,
		   uint32_t lifetime_ms);

#endif /* QKD_SECMEM_H */
