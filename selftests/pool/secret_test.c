// SPDX-License-Identifier: GPL-2.0
/*
 * Key material left behind: after keys leave the pool, scan all kernel RAM
 * (/proc/kcore) for their material. The test never holds the material in
 * the clear for long: it keeps it XOR-masked, builds records just before
 * handing them to the kernel and wipes them at once, so the scan cannot
 * find the test's own copies.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "kcore.h"
#include "qkdnl.h"
#include "kselftest_harness.h"

FIXTURE(sec) {
	struct qkd_genl *g;
	char name[QKD_STREAM_NAME_MAX];
	int fd;
};

FIXTURE_SETUP(sec)
{
	self->fd = -1;
	if (access("/dev/qkdpool", F_OK))
		SKIP(return, "qkdpool module not loaded");
	if (access("/proc/kcore", R_OK))
		SKIP(return, "no /proc/kcore");
	ASSERT_EQ(0, qkd_genl_open(&self->g));
	snprintf(self->name, sizeof(self->name), "sec-%d", getpid());
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 0, 0, 0));
	self->fd = qdev_open(self->name, O_NONBLOCK);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sec)
{
	qnl_teardown(self->g, self->name, self->fd);
}

/* Asks for a take on @sk and does not read the reply. */
static int send_take(struct qnl_raw *q, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_KEY_TAKE, 0);

	nlh->nlmsg_flags &= ~NLM_F_ACK;
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	return mnl_socket_sendto(q->sk, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

/*
 * A take whose reply cannot be queued (the receiver's buffer is full)
 * destroys the key, and the undelivered reply must not leave the material
 * in freed memory.
 */
TEST_F_TIMEOUT(sec, undelivered_take_leaves_no_copy, 300)
{
	struct qkd_stream_info in = {};
	struct secret sec;
	int small = 1, i;
	struct qnl_raw q2;
	long hits;

	secret_init(&sec);
	ASSERT_EQ(0, secret_add(self->fd, &sec, getpid(), 0));
	ASSERT_LT(0, kcore_count(&sec));	/* the scan finds live keys */
	ASSERT_EQ(0, qnl_raw_open(&q2));
	ASSERT_EQ(0, setsockopt(mnl_socket_get_fd(q2.sk), SOL_SOCKET,
				SO_RCVBUF, &small, sizeof(small)));
	/* Unread error replies fill the smallest receive buffer. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, send_take(&q2, "no-such-stream-fill"));
	ASSERT_EQ(0, send_take(&q2, self->name));
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_STREAM_INFO, &in));
	EXPECT_EQ(0, in.avail_local);
	EXPECT_EQ(1, in.taken);
	qnl_raw_close(&q2);
	hits = kcore_count(&sec);
	EXPECT_EQ(0, hits);
	explicit_bzero(&sec, sizeof(sec));
}

/* A reservation whose reply cannot be queued goes back at once. */
TEST_F(sec, undelivered_reserve_released)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct qkd_stream_info in = {};
	struct qkd_key_record rec;
	struct nlmsghdr *nlh;
	int small = 1, i;
	struct qnl_raw q2;

	qkd_make_key(&rec, getpid(), 0, QKD_OWNER_LOCAL, 32);
	ASSERT_EQ(sizeof(rec), write(self->fd, &rec, sizeof(rec)));
	ASSERT_EQ(0, qnl_raw_open(&q2));
	ASSERT_EQ(0, setsockopt(mnl_socket_get_fd(q2.sk), SOL_SOCKET,
				SO_RCVBUF, &small, sizeof(small)));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, send_take(&q2, "no-such-stream-fill"));
	nlh = qnl_msg(&q2, buf, QKD_CMD_KEY_RESERVE, 0);
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, self->name);
	ASSERT_LT(0, mnl_socket_sendto(q2.sk, nlh, nlh->nlmsg_len));
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_STREAM_INFO, &in));
	EXPECT_EQ(0, in.reserved);
	EXPECT_EQ(1, in.avail_local);
	EXPECT_EQ(0, in.taken);
	qnl_raw_close(&q2);
}

/*
 * A KEY_ADD rejected for a bad key leaves no copy of the good keys'
 * material in the freed request.
 */
TEST_F_TIMEOUT(sec, rejected_add_leaves_no_copy, 300)
{
	struct qkd_key_record recs[2];
	struct secret sec;
	size_t i;
	int ret;

	secret_init(&sec);
	qkd_make_key(&recs[0], getpid(), 0, QKD_OWNER_LOCAL, MAT_LEN);
	for (i = 0; i < MAT_LEN; i++)
		recs[0].material[i] = sec.masked[i] ^ MASK;
	qkd_make_key(&recs[1], getpid(), 1, 3, MAT_LEN);
	ret = qnl_key_add(self->g, self->name, recs, 2);
	explicit_bzero(recs, sizeof(recs));
	EXPECT_EQ(-ERANGE, ret);
	EXPECT_EQ(0, kcore_count(&sec));
	explicit_bzero(&sec, sizeof(sec));
}

/* Flush and stream delete zeroize the keys they drop. */
TEST_F_TIMEOUT(sec, flushed_and_deleted_keys_wiped, 300)
{
	struct secret sec;

	secret_init(&sec);
	ASSERT_EQ(0, secret_add(self->fd, &sec, getpid(), 0));
	ASSERT_EQ(0, secret_add(self->fd, &sec, getpid(), 1));
	ASSERT_EQ(2, qkd_genl_key_flush(self->g, self->name, 0));
	ASSERT_EQ(0, secret_add(self->fd, &sec, getpid(), 2));
	ASSERT_EQ(0, qkd_genl_stream_del(self->g, self->name));
	EXPECT_EQ(0, kcore_count(&sec));
	explicit_bzero(&sec, sizeof(sec));
}

TEST_HARNESS_MAIN
