// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/kcore scan of kcore.h for scripts that check, across steps
 * such as a package's purge, that key material left the kernel's RAM:
 *
 *   kcore_keys add STREAM FILE   one key of fresh material into STREAM
 *                                (it must exist), its material masked
 *                                into FILE
 *   kcore_keys count FILE        prints how many copies of FILE's key
 *                                are in RAM
 *
 * FILE holds the masked material only, so neither it nor its page cache
 * is ever a copy the scan would find.
 */

#include <fcntl.h>
#include <stdio.h>
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

static int count(const char *path)
{
	struct secret sec;
	long hits;
	FILE *f;

	f = fopen(path, "r");
	if (!f || fread(sec.masked, MAT_LEN, 1, f) != 1) {
		perror(path);
		return 1;
	}
	fclose(f);
	hits = kcore_count(&sec);
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
	if (argc == 3 && !strcmp(argv[1], "count"))
		return count(argv[2]);
	fprintf(stderr, "usage: %s add STREAM FILE | count FILE\n", argv[0]);
	return 2;
}
