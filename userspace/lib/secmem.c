// SPDX-License-Identifier: GPL-2.0
/* Secure memory helpers: see secmem.h. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>

#include "secmem.h"

int qkd_secure_process(bool lock, bool *locked)
{
	struct rlimit nocore = { 0, 0 };
	bool ok = false;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &nocore) < 0)
		return -errno;
	/* Best effort: an unprivileged memlock limit is often tiny. */
	if (lock)
		ok = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
	if (locked)
		*locked = ok;
	return 0;
}

void qkd_wipe(void *buf, size_t len)
{
	explicit_bzero(buf, len);
}

void qkd_free_wiped(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* realloc() may move the block and leave the old copy behind: move it here. */
void *qkd_realloc_wiped(void *p, size_t size)
{
	size_t old;
	void *n;

	if (!p)
		return malloc(size);
	if (!size) {
		qkd_free_wiped(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	n = malloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, old < size ? old : size);
	qkd_free_wiped(p);
	return n;
}

/* Not strdup(): its block must come from the malloc() we pair with. */
char *qkd_strdup_wiped(const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = malloc(len);

	if (d)
		memcpy(d, s, len);
	return d;
}

int qkd_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int qkd_random_key(struct qkd_key_record *rec, uint32_t len, uint32_t owner,
		   uint32_t lifetime_ms)
{
	int ret;

	if (len < QKD_KEY_MIN_LEN || len > QKD_KEY_MAX_LEN)
		return -EINVAL;
	if (owner != QKD_OWNER_LOCAL && owner != QKD_OWNER_PEER)
		return -EINVAL;
	memset(rec, 0, sizeof(*rec));
	ret = qkd_random_bytes(rec->id, sizeof(rec->id));
	if (!ret)
		ret = qkd_random_bytes(rec->material, len);
	if (ret) {
		qkd_wipe(rec, sizeof(*rec));
		return ret;
	}
	/* RFC 4122 version 4 (random) UUID. */
	rec->id[6] = (rec->id[6] & 0x0f) | 0x40;
	rec->id[8] = (rec->id[8] & 0x3f) | 0x80;
	rec->material_len = len;
	rec->owner = owner;
	rec->lifetime_ms = lifetime_ms;
	return 0;
}
