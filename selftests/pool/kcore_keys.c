// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/kcore scan of kcore.h for scripts that check, across steps
 * such as a package's purge, that key material left the kernel's RAM:
 *
 *   kcore_keys add STREAM FILE   one key of fresh material into STREAM
 *                                (it must exist), its material masked
 *                                into FILE
 *   kcore_keys count FILE...     prints how many copies of the keys of
 *                                the FILEs are in RAM (one pass over it)
 *
 * FILE holds the masked material only, so neither it nor its page cache
 * is ever a copy the scan would find. Other programs write such files of
 * several keys too (pool_fuzz -k), one masked material after the other.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcore.h"
#include "qkdnl.h"

static int add(const char *stream, const char *path)
{
	struct secret sec;
	FILE *f;
	int fd, ret;

	fd = qdev_open(stream, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", stream, strerror(-fd));
		return 1;
	}
	secret_init(&sec);
	f = fopen(path, "wx");
	if (!f || fwrite(sec.masked, MAT_LEN, 1, f) != 1 || fclose(f)) {
		perror(path);
		close(fd);
		return 1;
	}
	ret = secret_add(fd, &sec, getpid(), 0);
	if (ret)
		perror("write");
	close(fd);
	return ret ? 1 : 0;
}

/* Appends the secrets of @path to *@secs, *@n of them so far. */
static int load(const char *path, struct secret **secs, size_t *n)
{
	struct secret sec, *more;
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	while (fread(sec.masked, MAT_LEN, 1, f) == 1) {
		more = realloc(*secs, (*n + 1) * sizeof(**secs));
		if (!more) {
			ret = -1;
			break;
		}
		*secs = more;
		(*secs)[(*n)++] = sec;
	}
	if (ferror(f)) {
		perror(path);
		ret = -1;
	}
	fclose(f);
	return ret;
}

static int count(char *paths[], int npaths)
{
	struct secret *secs = NULL;
	size_t n = 0;
	long hits;
	int i;

	for (i = 0; i < npaths; i++)
		if (load(paths[i], &secs, &n)) {
			free(secs);
			return 1;
		}
	if (!n) {
		fprintf(stderr, "no key in %s\n", paths[0]);
		return 1;
	}
	hits = kcore_count_all(secs, n);
	free(secs);
	if (hits < 0) {
		fprintf(stderr, "/proc/kcore: unreadable\n");
		return 1;
	}
	printf("%ld\n", hits);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc == 4 && !strcmp(argv[1], "add"))
		return add(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "count"))
		return count(argv + 2, argc - 2);
	fprintf(stderr, "usage: %s add STREAM FILE | count FILE...\n", argv[0]);
	return 2;
}
