// SPDX-License-Identifier: GPL-2.0
/*
 * qkd_hold NAME NKEYS: create stream NAME in the current namespace, add
 * NKEYS keys through the device, reserve one, add a short-lived key and
 * reserve it through netlink (so the stream's delayed work is queued),
 * print "ready" and hold the file open until stdin closes. For the unload
 * and netns-exit checks of test.sh.
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "qkdnl.h"

int main(int argc, char **argv)
{
	struct qkd_key_record rec, peer;
	unsigned int i, n;
	struct qkd_genl *g;
	char c;
	int fd;

	if (argc != 3)
		return 2;
	n = atoi(argv[2]);
	if (qkd_genl_open(&g) || qnl_stream_new(g, argv[1], 0, 0, 0))
		return 1;
	fd = qdev_open(argv[1], 0);
	if (fd < 0)
		return 1;
	for (i = 0; i < n; i++) {
		qkd_make_key(&rec, 7, i, i % 2 ? QKD_OWNER_PEER :
			     QKD_OWNER_LOCAL, 32);
		if (write(fd, &rec, sizeof(rec)) != sizeof(rec))
			return 1;
	}
	if (n && ioctl(fd, QKD_IOC_RESERVE_NEXT, &rec))
		return 1;
	/* Arm the stream's delayed work: an expiry and a reservation timer. */
	qkd_make_key(&peer, 8, 0, QKD_OWNER_PEER, 32);
	peer.lifetime_ms = 1500;
	if (write(fd, &peer, sizeof(peer)) != sizeof(peer) ||
	    qkd_genl_key_reserve(g, argv[1], peer.id, 1500, &rec, NULL))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
