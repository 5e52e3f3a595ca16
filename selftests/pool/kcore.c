// SPDX-License-Identifier: GPL-2.0
/* The /proc/kcore scan for key material: see kcore.h. */

#include <elf.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "kcore.h"
#include "qkdnl.h"

#define CHUNK (1 << 20)

void secret_init(struct secret *sec)
{
	size_t i;

	if (getrandom(sec->masked, MAT_LEN, 0) != MAT_LEN)
		abort();
	/* No zero bytes: a zeroed or partly zeroed copy never matches. */
	for (i = 0; i < MAT_LEN; i++)
		if ((sec->masked[i] ^ MASK) == 0)
			sec->masked[i] ^= 1;
}

/* The record is wiped whatever the write did. */
int secret_add(int fd, const struct secret *sec, uint32_t tag, uint32_t n)
{
	struct qkd_key_record rec;
	ssize_t ret;
	size_t i;

	qkd_make_key(&rec, tag, n, QKD_OWNER_LOCAL, MAT_LEN);
	for (i = 0; i < MAT_LEN; i++)
		rec.material[i] = sec->masked[i] ^ MASK;
	ret = write(fd, &rec, sizeof(rec));
	explicit_bzero(&rec, sizeof(rec));
	return ret == sizeof(rec) ? 0 : -1;
}

/*
 * The first two bytes of each secret, a bit per value: most offsets of RAM
 * are ruled out there, however many secrets are looked for.
 */
struct prefixes {
	uint8_t bits[65536 / 8];
};

static void prefix_add(struct prefixes *pre, const struct secret *sec)
{
	unsigned int v = (sec->masked[0] ^ MASK) << 8 | (sec->masked[1] ^ MASK);

	pre->bits[v / 8] |= 1 << (v % 8);
}

static bool prefix_has(const struct prefixes *pre, const uint8_t *p)
{
	unsigned int v = p[0] << 8 | p[1];

	return pre->bits[v / 8] & (1 << (v % 8));
}

static size_t match_at(const uint8_t *buf, size_t len,
		       const struct secret *secs, size_t n,
		       const struct prefixes *pre)
{
	size_t i, j, k, hits = 0;

	for (i = 0; i + MAT_LEN <= len; i++) {
		if (!prefix_has(pre, buf + i))
			continue;
		for (k = 0; k < n; k++) {
			for (j = 0; j < MAT_LEN; j++)
				if ((buf[i + j] ^ MASK) != secs[k].masked[j])
					break;
			hits += j == MAT_LEN;
		}
	}
	return hits;
}

long kcore_count(const struct secret *sec)
{
	return kcore_count_all(sec, 1);
}

long kcore_count_all(const struct secret *secs, size_t n)
{
	uint8_t *buf = malloc(CHUNK);
	struct prefixes pre = {};
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	long hits = 0;
	size_t k;
	int fd, i;

	for (k = 0; k < n; k++)
		prefix_add(&pre, &secs[k]);
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0 || !buf ||
	    pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) {
		hits = -1;
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		off_t off = eh.e_phoff + (off_t)i * eh.e_phentsize;
		uint64_t done;

		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph))
			break;
		/* RAM and kernel text have a physical address; vmalloc not. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1)
			continue;
		/* Chunks overlap by a copy's length less one: none is seen twice. */
		for (done = 0; done < ph.p_filesz; done += CHUNK - MAT_LEN + 1) {
			ssize_t got = pread(fd, buf, CHUNK,
					    ph.p_offset + done);

			if (got <= 0)
				break;
			hits += match_at(buf, got, secs, n, &pre);
			if ((size_t)got < CHUNK)
				break;
		}
	}
out:
	if (buf)
		explicit_bzero(buf, CHUNK);
	free(buf);
	if (fd >= 0)
		close(fd);
	return hits;
}
