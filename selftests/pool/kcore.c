// SPDX-License-Identifier: GPL-2.0
/* The /proc/kcore scan for key material: see kcore.h. */

#include <elf.h>
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

static size_t match_at(const uint8_t *buf, size_t len,
		       const struct secret *sec)
{
	size_t i, j, hits = 0;

	for (i = 0; i + MAT_LEN <= len; i++) {
		if ((buf[i] ^ MASK) != sec->masked[0])
			continue;
		for (j = 1; j < MAT_LEN; j++)
			if ((buf[i + j] ^ MASK) != sec->masked[j])
				break;
		hits += j == MAT_LEN;
	}
	return hits;
}

long kcore_count(const struct secret *sec)
{
	uint8_t *buf = malloc(CHUNK);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	long hits = 0;
	int fd, i;

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
		for (done = 0; done < ph.p_filesz; done += CHUNK - MAT_LEN) {
			ssize_t got = pread(fd, buf, CHUNK,
					    ph.p_offset + done);

			if (got <= 0)
				break;
			hits += match_at(buf, got, sec);
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
