// SPDX-License-Identifier: GPL-2.0
/*
 * kmd-keys: the key manager tests' view of a pool stream (test use only:
 * it prints key material).
 *
 *   kmd-keys info STREAM    "avail_local avail_peer reserved added taken"
 *   kmd-keys drain STREAM   take every local-owned key: "ID HEX" lines
 *   kmd-keys take STREAM    take by ID each peer-owned key whose ID is on
 *                           stdin: "ID HEX", or "ID error" if refused
 *   kmd-keys time STREAM N  take N local-owned keys one by one (wiped,
 *                           not printed): "N MEAN_US" (for bench.sh)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "keyid.h"
#include "pool.h"

static void print_key(const struct qkd_key_record *rec)
{
	char id[QKD_KEYID_STR_SIZE], hex[2 * QKD_KEY_MAX_LEN + 1];

	qkd_hex_encode(rec->material, rec->material_len, hex);
	printf("%s %s\n", qkd_keyid_format(rec->id, id), hex);
}

static int info(struct qkd_pool *p)
{
	struct qkd_stream_info i;
	int ret = qkd_pool_info(p, &i);

	if (ret)
		return ret;
	printf("%u %u %u %llu %llu\n", i.avail_local, i.avail_peer,
	       i.reserved, (unsigned long long)i.added,
	       (unsigned long long)i.taken);
	return 0;
}

static int drain(struct qkd_pool *p)
{
	struct qkd_key_record rec;
	int ret;

	while (!(ret = qkd_pool_take_next(p, &rec))) {
		print_key(&rec);
		qkd_key_record_wipe(&rec);
	}
	return ret == -EAGAIN ? 0 : ret;
}

static int take(struct qkd_pool *p)
{
	struct qkd_key_record rec;
	uint8_t id[QKD_KEY_ID_LEN];
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, " \n")] = '\0';
		if (qkd_keyid_parse(line, id, NULL))
			return -EINVAL;
		if (qkd_pool_take_id(p, id, &rec)) {
			printf("%s error\n", line);
			continue;
		}
		print_key(&rec);
		qkd_key_record_wipe(&rec);
	}
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int time_takes(struct qkd_pool *p, int n)
{
	struct qkd_key_record rec;
	double t0 = now_us();
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = qkd_pool_take_next(p, &rec);
		qkd_key_record_wipe(&rec);
		if (ret)
			return ret;
	}
	printf("%d %.2f\n", n, (now_us() - t0) / n);
	return 0;
}

int main(int argc, char *argv[])
{
	struct qkd_pool *p;
	int ret;

	if (argc != 3 && !(argc == 4 && !strcmp(argv[1], "time"))) {
		fprintf(stderr, "usage: kmd-keys info|drain|take STREAM | time STREAM N\n");
		return 2;
	}
	ret = qkd_pool_open(argv[2], true, &p);
	if (ret) {
		fprintf(stderr, "kmd-keys: %s: %s\n", argv[2], strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "info"))
		ret = info(p);
	else if (!strcmp(argv[1], "drain"))
		ret = drain(p);
	else if (!strcmp(argv[1], "take"))
		ret = take(p);
	else if (!strcmp(argv[1], "time"))
		ret = time_takes(p, atoi(argv[3]));
	else
		ret = -EINVAL;
	qkd_pool_close(p);
	if (ret)
		fprintf(stderr, "kmd-keys: %s\n", strerror(-ret));
	return !!ret;
}
