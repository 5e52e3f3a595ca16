// SPDX-License-Identifier: GPL-2.0
/*
 * trace_probe NAME: for the tracepoint check of test.sh. Creates stream
 * NAME, adds four local-owned keys, takes one through netlink and one
 * through the device, reserves and commits one, flushes the last and
 * deletes the stream. Prints "id HEX" and "material HEX" for each key, so
 * the caller can look for the IDs in the trace and the material nowhere.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "qkdnl.h"

#define NKEYS 4

static void print_hex(const char *what, const uint8_t *p, unsigned int len)
{
	unsigned int i;

	printf("%s ", what);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct qkd_key_record recs[NKEYS], rec;
	struct qkd_key_ref ref;
	struct qkd_genl *g;
	int i, fd;

	if (argc != 2)
		return 2;
	for (i = 0; i < NKEYS; i++) {
		qkd_make_key(&recs[i], 0x7ace, i, QKD_OWNER_LOCAL, 32);
		print_hex("id", recs[i].id, QKD_KEY_ID_LEN);
		print_hex("material", recs[i].material, 32);
	}
	if (qkd_genl_open(&g) || qnl_stream_new(g, argv[1], 0, 0, 0) ||
	    qnl_key_add(g, argv[1], recs, NKEYS))
		return 1;
	fd = qdev_open(argv[1], O_NONBLOCK);
	if (fd < 0 || qkd_genl_key_take(g, argv[1], NULL, &rec) ||
	    read(fd, &rec, sizeof(rec)) != sizeof(rec) ||
	    ioctl(fd, QKD_IOC_RESERVE_NEXT, &rec))
		return 1;
	memcpy(ref.id, rec.id, sizeof(ref.id));
	if (ioctl(fd, QKD_IOC_COMMIT, &ref) ||
	    qkd_genl_key_flush(g, argv[1], 0) != 1 ||
	    qkd_genl_stream_del(g, argv[1]))
		return 1;
	close(fd);
	qkd_genl_close(g);
	return 0;
}
