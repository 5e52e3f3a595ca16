// SPDX-License-Identifier: GPL-2.0
/*
 * pooltool: test helper of the strongSwan suite. Creates streams, fills
 * both ends' pools with mirrored keys from a file of records the test owns,
 * and inspects pools without consuming keys. Test-only: "secret" prints key
 * material so that a stock strongSwan can be given the same PPK statically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "genl.h"
#include "keyid.h"
#include "pool.h"

#define KEY_LEN 32

static const char usage_text[] =
"usage: pooltool stream NAME\n"
"       pooltool gen N FILE\n"
"       pooltool load STREAM FILE [mirror] [corrupt]\n"
"       pooltool info STREAM\n"
"       pooltool probe STREAM UUID\n"
"       pooltool id FILE INDEX\n"
"       pooltool secret FILE UUID\n"
"\n"
"stream   create STREAM in this network namespace's pool\n"
"gen      write N random local-owned 32-byte key records to FILE (0600)\n"
"load     add FILE's records to STREAM; mirror: flip the owners (the peer's\n"
"         view), corrupt: flip one bit of every material (a wrong key)\n"
"info     print 'local L peer P reserved R taken T' of STREAM\n"
"probe    print whether key UUID is 'present' or 'absent' in STREAM,\n"
"         without consuming it (a reservation by ID, released at once)\n"
"id       print the UUID of record INDEX (0-based) of FILE\n"
"secret   print the material of key UUID of FILE as 0x<hex> (tests only)\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "pooltool: %s: %s\n", what, strerror(-err));
	return 1;
}

static int cmd_stream(const char *name)
{
	struct qkd_stream_limits lim = { 0 };
	struct qkd_genl *g;
	int ret;

	ret = qkd_genl_open(&g);
	if (ret < 0)
		return fail("netlink", ret);
	ret = qkd_genl_stream_new(g, name, &lim);
	qkd_genl_close(g);
	return ret < 0 ? fail(name, ret) : 0;
}

static int cmd_gen(const char *count, const char *file)
{
	struct qkd_key_record rec;
	long n = strtol(count, NULL, 10);
	int fd, ret = 0;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(file, -errno);
	while (n-- > 0) {
		memset(&rec, 0, sizeof(rec));
		if (getrandom(rec.id, sizeof(rec.id), 0) != sizeof(rec.id) ||
		    getrandom(rec.material, KEY_LEN, 0) != KEY_LEN) {
			ret = fail("getrandom", -EIO);
			break;
		}
		rec.id[6] = (rec.id[6] & 0x0f) | 0x40;	/* UUID version 4 */
		rec.id[8] = (rec.id[8] & 0x3f) | 0x80;
		rec.material_len = KEY_LEN;
		rec.owner = QKD_OWNER_LOCAL;
		if (write(fd, &rec, sizeof(rec)) != sizeof(rec)) {
			ret = fail(file, -EIO);
			break;
		}
	}
	qkd_key_record_wipe(&rec);
	close(fd);
	return ret;
}

/* Read all records of FILE; returns the count, or -errno. */
static long read_records(const char *file, struct qkd_key_record **out)
{
	struct stat st;
	long n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size % sizeof(**out)) {
		close(fd);
		return -EINVAL;
	}
	n = st.st_size / sizeof(**out);
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out || read(fd, *out, st.st_size) != st.st_size) {
		free(*out);
		close(fd);
		return -EIO;
	}
	close(fd);
	return n;
}

static void free_records(struct qkd_key_record *recs, long n)
{
	while (n-- > 0)
		qkd_key_record_wipe(&recs[n]);
	free(recs);
}

static int cmd_load(const char *stream, const char *file, char **opts)
{
	struct qkd_key_record *recs;
	struct qkd_pool *p;
	int mirror = 0, corrupt = 0, ret;
	long n, i;

	for (; *opts; opts++) {
		if (!strcmp(*opts, "mirror"))
			mirror = 1;
		else if (!strcmp(*opts, "corrupt"))
			corrupt = 1;
		else
			return usage();
	}
	n = read_records(file, &recs);
	if (n < 0)
		return fail(file, n);
	for (i = 0; i < n; i++) {
		if (mirror)
			recs[i].owner = recs[i].owner == QKD_OWNER_LOCAL ?
					QKD_OWNER_PEER : QKD_OWNER_LOCAL;
		if (corrupt)
			recs[i].material[0] ^= 1;
	}
	ret = qkd_pool_open(stream, true, &p);
	if (ret < 0) {
		free_records(recs, n);
		return fail(stream, ret);
	}
	ret = qkd_pool_add(p, recs, n);
	qkd_pool_close(p);
	free_records(recs, n);
	if (ret < 0)
		return fail("add", ret);
	return ret == n ? 0 : fail("add (short)", -EIO);
}

static int cmd_info(const char *stream)
{
	struct qkd_stream_info info;
	struct qkd_pool *p;
	int ret;

	ret = qkd_pool_open(stream, true, &p);
	if (ret < 0)
		return fail(stream, ret);
	ret = qkd_pool_info(p, &info);
	qkd_pool_close(p);
	if (ret < 0)
		return fail("info", ret);
	printf("local %u peer %u reserved %u taken %llu\n", info.avail_local,
	       info.avail_peer, info.reserved,
	       (unsigned long long)info.taken);
	return 0;
}

static int cmd_probe(const char *stream, const char *uuid)
{
	uint8_t id[QKD_KEY_ID_LEN];
	struct qkd_key_record rec;
	struct qkd_pool *p;
	int ret;

	if (qkd_keyid_parse(uuid, id, NULL) < 0)
		return usage();
	ret = qkd_pool_open(stream, true, &p);
	if (ret < 0)
		return fail(stream, ret);
	ret = qkd_pool_reserve_id(p, id, &rec);
	if (!ret)
		qkd_pool_release(p, id);
	qkd_key_record_wipe(&rec);
	qkd_pool_close(p);
	/* a local-owned key cannot be reserved by ID, but it is there */
	if (!ret || ret == -EACCES)
		puts("present");
	else if (ret == -ENOENT)
		puts("absent");
	else
		return fail("probe", ret);
	return 0;
}

static int cmd_id(const char *file, const char *index)
{
	char buf[QKD_KEYID_STR_SIZE];
	struct qkd_key_record *recs;
	long n, i = strtol(index, NULL, 10);

	n = read_records(file, &recs);
	if (n < 0)
		return fail(file, n);
	if (i < 0 || i >= n) {
		free_records(recs, n);
		return fail(index, -ERANGE);
	}
	puts(qkd_keyid_format(recs[i].id, buf));
	free_records(recs, n);
	return 0;
}

static int cmd_secret(const char *file, const char *uuid)
{
	uint8_t id[QKD_KEY_ID_LEN];
	struct qkd_key_record *recs;
	long n, i;
	int found = 0;
	uint32_t j;

	if (qkd_keyid_parse(uuid, id, NULL) < 0)
		return usage();
	n = read_records(file, &recs);
	if (n < 0)
		return fail(file, n);
	for (i = 0; i < n && !found; i++) {
		if (memcmp(recs[i].id, id, sizeof(id)))
			continue;
		found = 1;
		printf("0x");
		for (j = 0; j < recs[i].material_len; j++)
			printf("%02x", recs[i].material[j]);
		printf("\n");
	}
	free_records(recs, n);
	return found ? 0 : fail(uuid, -ENOENT);
}

int main(int argc, char *argv[])
{
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "stream") && argc == 3)
		return cmd_stream(argv[2]);
	if (!strcmp(argv[1], "gen") && argc == 4)
		return cmd_gen(argv[2], argv[3]);
	if (!strcmp(argv[1], "load") && argc >= 4)
		return cmd_load(argv[2], argv[3], argv + 4);
	if (!strcmp(argv[1], "info") && argc == 3)
		return cmd_info(argv[2]);
	if (!strcmp(argv[1], "probe") && argc == 4)
		return cmd_probe(argv[2], argv[3]);
	if (!strcmp(argv[1], "id") && argc == 4)
		return cmd_id(argv[2], argv[3]);
	if (!strcmp(argv[1], "secret") && argc == 4)
		return cmd_secret(argv[2], argv[3]);
	return usage();
}
