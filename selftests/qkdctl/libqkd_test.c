// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/lib (libqkd) against the real module: the /dev/qkdpool client
 * every consumer uses (pool.h) and the generic netlink client (genl.h).
 * Run by test.sh in the VM, with qkdpool.ko loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "genl.h"
#include "pool.h"
#include "secmem.h"

static void make_key(struct qkd_key_record *rec, uint32_t owner, uint8_t tag)
{
	memset(rec, 0, sizeof(*rec));
	qkd_random_key(rec, 32, owner, 0);
	rec->id[0] = tag;	/* readable order in failures */
}

/*
 * 6.1's harness runs the test body even when the setup skipped: say so
 * again in each test.
 */
#define NEED_POOL() do { \
		if (!self->p) \
			SKIP(return, "qkdpool.ko not loaded"); \
	} while (0)

FIXTURE(pool) {
	struct qkd_genl *g;
	struct qkd_pool *p;
	char name[32];
};

FIXTURE_SETUP(pool)
{
	static int n;

	if (access(QKD_POOL_DEVICE, F_OK))
		SKIP(return, "qkdpool.ko not loaded");
	ASSERT_EQ(0, qkd_genl_open(&self->g));
	snprintf(self->name, sizeof(self->name), "lib-%d-%d", getpid(), n++);
	ASSERT_EQ(0, qkd_genl_stream_new(self->g, self->name, NULL));
	ASSERT_EQ(0, qkd_pool_open(self->name, true, &self->p));
}

FIXTURE_TEARDOWN(pool)
{
	qkd_pool_close(self->p);
	if (self->g) {
		qkd_genl_stream_del(self->g, self->name);
		qkd_genl_close(self->g);
	}
}

TEST_F(pool, add_then_take_next_in_order)
{
	struct qkd_key_record in[3], out;
	int i;

	NEED_POOL();
	for (i = 0; i < 3; i++)
		make_key(&in[i], QKD_OWNER_LOCAL, i);
	ASSERT_EQ(3, qkd_pool_add(self->p, in, 3));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, qkd_pool_take_next(self->p, &out));
		EXPECT_EQ(0, memcmp(in[i].id, out.id, QKD_KEY_ID_LEN));
		EXPECT_EQ(32, out.material_len);
		EXPECT_EQ(0, memcmp(in[i].material, out.material, 32));
		EXPECT_EQ(QKD_OWNER_LOCAL, out.owner);
	}
	EXPECT_EQ(-EAGAIN, qkd_pool_take_next(self->p, &out));
}

TEST_F(pool, take_id_only_peer_owned)
{
	struct qkd_key_record peer, local, out;

	NEED_POOL();
	make_key(&peer, QKD_OWNER_PEER, 1);
	make_key(&local, QKD_OWNER_LOCAL, 2);
	ASSERT_EQ(1, qkd_pool_add(self->p, &peer, 1));
	ASSERT_EQ(1, qkd_pool_add(self->p, &local, 1));
	EXPECT_EQ(-EACCES, qkd_pool_take_id(self->p, local.id, &out));
	ASSERT_EQ(0, qkd_pool_take_id(self->p, peer.id, &out));
	EXPECT_EQ(QKD_OWNER_PEER, out.owner);
	EXPECT_EQ(0, memcmp(peer.material, out.material, 32));
	EXPECT_EQ(-ENOENT, qkd_pool_take_id(self->p, peer.id, &out));
	ASSERT_EQ(0, qkd_pool_take_next(self->p, &out));
	EXPECT_EQ(0, memcmp(local.id, out.id, QKD_KEY_ID_LEN));
}

TEST_F(pool, reserve_release_commit)
{
	struct qkd_key_record local, peer, out;
	struct qkd_stream_info info;

	NEED_POOL();
	make_key(&local, QKD_OWNER_LOCAL, 1);
	make_key(&peer, QKD_OWNER_PEER, 2);
	ASSERT_EQ(1, qkd_pool_add(self->p, &local, 1));
	ASSERT_EQ(1, qkd_pool_add(self->p, &peer, 1));

	ASSERT_EQ(0, qkd_pool_reserve_next(self->p, &out));
	EXPECT_EQ(0, memcmp(local.id, out.id, QKD_KEY_ID_LEN));
	ASSERT_EQ(0, qkd_pool_info(self->p, &info));
	EXPECT_EQ(1, info.reserved);
	EXPECT_EQ(0, info.avail_local);
	EXPECT_EQ(-EAGAIN, qkd_pool_reserve_next(self->p, &out));
	ASSERT_EQ(0, qkd_pool_release(self->p, local.id));
	ASSERT_EQ(0, qkd_pool_info(self->p, &info));
	EXPECT_EQ(0, info.reserved);
	EXPECT_EQ(1, info.avail_local);

	ASSERT_EQ(0, qkd_pool_reserve_id(self->p, peer.id, &out));
	EXPECT_EQ(0, memcmp(peer.material, out.material, 32));
	ASSERT_EQ(0, qkd_pool_commit(self->p, peer.id));
	EXPECT_EQ(-ENOENT, qkd_pool_commit(self->p, peer.id));
	ASSERT_EQ(0, qkd_pool_info(self->p, &info));
	EXPECT_EQ(0, info.avail_peer);
	EXPECT_EQ(1, info.taken);
}

TEST_F(pool, close_releases_reservations)
{
	struct qkd_key_record local, out;
	struct qkd_stream_info info;

	NEED_POOL();
	make_key(&local, QKD_OWNER_LOCAL, 1);
	ASSERT_EQ(1, qkd_pool_add(self->p, &local, 1));
	ASSERT_EQ(0, qkd_pool_reserve_next(self->p, &out));
	qkd_pool_close(self->p);
	self->p = NULL;
	ASSERT_EQ(0, qkd_pool_open(self->name, true, &self->p));
	ASSERT_EQ(0, qkd_pool_info(self->p, &info));
	EXPECT_EQ(0, info.reserved);
	EXPECT_EQ(1, info.avail_local);
}

TEST_F(pool, add_stops_at_a_duplicate)
{
	struct qkd_key_record in[3];

	NEED_POOL();
	make_key(&in[0], QKD_OWNER_LOCAL, 1);
	in[1] = in[0];
	make_key(&in[2], QKD_OWNER_LOCAL, 3);
	EXPECT_EQ(1, qkd_pool_add(self->p, in, 3));
	EXPECT_EQ(-EEXIST, qkd_pool_add(self->p, in, 1));
	EXPECT_EQ(0, qkd_pool_add(self->p, in, 0));
}

TEST_F(pool, info_matches_netlink)
{
	struct qkd_key_record in[4];
	struct qkd_stream_stats st;
	struct qkd_stream_info info;
	int i;

	NEED_POOL();
	for (i = 0; i < 4; i++)
		make_key(&in[i], i % 2 ? QKD_OWNER_PEER : QKD_OWNER_LOCAL, i);
	ASSERT_EQ(4, qkd_pool_add(self->p, in, 4));
	ASSERT_EQ(0, qkd_pool_info(self->p, &info));
	ASSERT_EQ(0, qkd_genl_stream_get(self->g, self->name, &st));
	EXPECT_STREQ(self->name, st.name);
	EXPECT_EQ(info.avail_local, st.avail_local);
	EXPECT_EQ(info.avail_peer, st.avail_peer);
	EXPECT_EQ(2, st.avail_local);
	EXPECT_EQ(2, st.avail_peer);
	EXPECT_EQ(info.max_keys, st.max_keys);
	EXPECT_EQ(4, st.added);
	EXPECT_EQ(info.added, st.added);
}

TEST_F(pool, netlink_add_device_take)
{
	struct qkd_key_record in, out;

	NEED_POOL();
	make_key(&in, QKD_OWNER_PEER, 9);
	in.material_len = QKD_KEY_MAX_LEN;
	ASSERT_EQ(0, qkd_random_bytes(in.material, QKD_KEY_MAX_LEN));
	ASSERT_EQ(1, qkd_genl_key_add(self->g, self->name, &in, 1, NULL));
	ASSERT_EQ(0, qkd_pool_take_id(self->p, in.id, &out));
	EXPECT_EQ(QKD_KEY_MAX_LEN, out.material_len);
	EXPECT_EQ(0, memcmp(in.material, out.material, QKD_KEY_MAX_LEN));
}

TEST_F(pool, netlink_take_reserve_flush)
{
	struct qkd_key_record in[3], out;
	uint32_t timeout = 0;

	NEED_POOL();
	make_key(&in[0], QKD_OWNER_LOCAL, 1);
	make_key(&in[1], QKD_OWNER_LOCAL, 2);
	make_key(&in[2], QKD_OWNER_PEER, 3);
	ASSERT_EQ(3, qkd_genl_key_add(self->g, self->name, in, 3, NULL));
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &out));
	EXPECT_EQ(0, memcmp(in[0].id, out.id, QKD_KEY_ID_LEN));
	EXPECT_EQ(0, memcmp(in[0].material, out.material, 32));
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, in[2].id, 5000,
					  &out, &timeout));
	EXPECT_EQ(5000, timeout);
	EXPECT_EQ(QKD_OWNER_PEER, out.owner);
	/* A netlink reservation is not the device file's. */
	EXPECT_EQ(-EBUSY, qkd_pool_commit(self->p, in[2].id));
	EXPECT_EQ(0, qkd_genl_key_release(self->g, self->name, in[2].id));
	EXPECT_EQ(2, qkd_genl_key_flush(self->g, self->name, 0));
	EXPECT_EQ(-EAGAIN, qkd_genl_key_take(self->g, self->name, NULL, &out));
	EXPECT_NE(0, strlen(qkd_genl_extack(self->g)));
}

TEST_F(pool, netlink_add_splits_large_batches)
{
	const size_t n = 2000;
	struct qkd_key_record *in = calloc(n, sizeof(*in));
	struct qkd_stream_limits lim = { .has = QKD_LIMIT_MAX_KEYS,
					 .max_keys = n + 1500 };
	struct qkd_stream_stats st;
	size_t i;
	int err = 1;

	NEED_POOL();
	ASSERT_NE(NULL, in);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, qkd_random_key(&in[i], QKD_KEY_MAX_LEN,
					    QKD_OWNER_LOCAL, 60000));
	EXPECT_EQ((int)n, qkd_genl_key_add(self->g, self->name, in, n, &err));
	EXPECT_EQ(0, err);
	ASSERT_EQ(0, qkd_genl_stream_get(self->g, self->name, &st));
	EXPECT_EQ(n, st.avail_local);
	/* Past max-keys: what fits goes in, the count says how many. */
	ASSERT_EQ(0, qkd_genl_stream_set(self->g, self->name, &lim));
	for (i = 0; i < n; i++)
		in[i].id[15] ^= 0x5a;
	i = qkd_genl_key_add(self->g, self->name, in, n, &err);
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_GT(1500, i);
	EXPECT_LT(0, i);
	qkd_wipe(in, n * sizeof(*in));
	free(in);
}

TEST_F(pool, netlink_extack_and_errors)
{
	struct qkd_pool *p;

	NEED_POOL();
	EXPECT_EQ(-EEXIST, qkd_genl_stream_new(self->g, self->name, NULL));
	EXPECT_NE(NULL, strstr(qkd_genl_extack(self->g), "exists"));
	EXPECT_EQ(-ENOENT, qkd_genl_stream_del(self->g, "lib-nonexistent"));
	EXPECT_NE(0, strlen(qkd_genl_extack(self->g)));
	EXPECT_EQ(-ENOENT, qkd_pool_open("lib-nonexistent", false, &p));
	EXPECT_EQ(-EINVAL, qkd_pool_open("", false, &p));
	EXPECT_EQ(-EINVAL, qkd_pool_open("0123456789012345678901234567890123456789012345678901234567890123",
					 false, &p));
}

static void count_event(const struct qkd_event *ev, void *data)
{
	struct qkd_event *last = data;

	*last = *ev;
}

TEST_F(pool, events)
{
	struct qkd_genl *ev;
	struct qkd_event last = { 0 };
	char other[40];

	NEED_POOL();
	ASSERT_EQ(0, qkd_genl_open(&ev));
	ASSERT_EQ(0, qkd_genl_subscribe(ev));
	snprintf(other, sizeof(other), "%s-ev", self->name);
	ASSERT_EQ(0, qkd_genl_stream_new(self->g, other, NULL));
	ASSERT_EQ(1, qkd_genl_events_read(ev, count_event, &last));
	EXPECT_EQ(QKD_CMD_EVENT_STREAM_NEW, last.cmd);
	EXPECT_STREQ(other, last.stream);
	EXPECT_STREQ("stream-new", qkd_event_name(last.cmd));
	ASSERT_EQ(0, qkd_genl_stream_del(self->g, other));
	ASSERT_EQ(1, qkd_genl_events_read(ev, count_event, &last));
	EXPECT_EQ(QKD_CMD_EVENT_STREAM_DEL, last.cmd);
	qkd_genl_close(ev);
}

/* Many streams: the dump spans several messages and misses none. */
TEST_F_TIMEOUT(pool, netlink_dump_many_streams, 300)
{
	const int n = 2000;
	struct qkd_stream_stats *all = NULL;
	struct qkd_genl *g = self->g;
	char name[32];
	size_t count = 0, i, mine = 0;
	int k;

	NEED_POOL();
	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "dump-%d-%d", getpid(), k);
		ASSERT_EQ(0, qkd_genl_stream_new(g, name, NULL));
	}
	ASSERT_EQ(0, qkd_genl_stream_dump(g, &all, &count));
	snprintf(name, sizeof(name), "dump-%d-", getpid());
	for (i = 0; i < count; i++)
		mine += !strncmp(all[i].name, name, strlen(name));
	EXPECT_EQ((size_t)n, mine);
	free(all);
	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "dump-%d-%d", getpid(), k);
		EXPECT_EQ(0, qkd_genl_stream_del(g, name));
	}
}

/* Pipelined key operations (genl.h: qkd_genl_keys_*). */

/* n keys of one owner into the stream; their records in out. */
static int add_keys(struct qkd_genl *g, const char *name,
		    struct qkd_key_record *out, size_t n, uint32_t owner)
{
	size_t i;

	for (i = 0; i < n; i++) {
		make_key(&out[i], owner, i);
		out[i].id[1] = i >> 8;
	}
	return qkd_genl_key_add(g, name, out, n, NULL);
}

static int stream_counts(struct qkd_genl *g, const char *name,
			 uint32_t *local, uint32_t *peer, uint32_t *resv)
{
	struct qkd_stream_stats st = { 0 };
	int ret = qkd_genl_stream_get(g, name, &st);

	*local = st.avail_local;
	*peer = st.avail_peer;
	*resv = st.reserved;
	return ret;
}

TEST_F(pool, keys_reserve_fewer_than_asked)
{
	struct qkd_key_record in[3], out[5];
	uint8_t ids[3][QKD_KEY_ID_LEN];
	uint32_t local, peer, resv;
	int errs[5], i;

	NEED_POOL();
	ASSERT_EQ(3, add_keys(self->g, self->name, in, 3, QKD_OWNER_LOCAL));
	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(3, qkd_genl_keys_reserve(self->g, self->name, NULL, 5, 5000,
					   out, errs));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, errs[i]);
		EXPECT_EQ(0, memcmp(in[i].id, out[i].id, QKD_KEY_ID_LEN));
		EXPECT_EQ(0, memcmp(in[i].material, out[i].material, 32));
		memcpy(ids[i], out[i].id, QKD_KEY_ID_LEN);
	}
	/* The two the pool did not have: reported, and no record. */
	for (i = 3; i < 5; i++) {
		EXPECT_EQ(-EAGAIN, errs[i]);
		EXPECT_EQ(0, out[i].material_len);
		EXPECT_EQ(0, out[i].material[0]);
	}
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(0, local);
	EXPECT_EQ(3, resv);
	EXPECT_EQ(3, qkd_genl_keys_release(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 3, NULL));
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(3, local);
	EXPECT_EQ(0, resv);
}

TEST_F(pool, keys_take_by_id_unknown_in_middle)
{
	struct qkd_key_record in[3], out[4];
	uint8_t ids[4][QKD_KEY_ID_LEN];
	uint32_t local, peer, resv;
	int errs[4];

	NEED_POOL();
	ASSERT_EQ(3, add_keys(self->g, self->name, in, 3, QKD_OWNER_PEER));
	memcpy(ids[0], in[0].id, QKD_KEY_ID_LEN);
	memset(ids[1], 0xee, QKD_KEY_ID_LEN);	/* in no pool */
	memcpy(ids[2], in[2].id, QKD_KEY_ID_LEN);
	memcpy(ids[3], in[0].id, QKD_KEY_ID_LEN);	/* taken just before */
	EXPECT_EQ(2, qkd_genl_keys_take(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 4, out, errs));
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(-ENOENT, errs[1]);
	EXPECT_EQ(0, errs[2]);
	EXPECT_EQ(-ENOENT, errs[3]);
	EXPECT_EQ(0, memcmp(in[0].material, out[0].material, 32));
	EXPECT_EQ(0, memcmp(in[2].material, out[2].material, 32));
	EXPECT_EQ(QKD_OWNER_PEER, out[2].owner);
	EXPECT_EQ(0, out[1].material_len);
	EXPECT_EQ(0, out[3].material_len);
	EXPECT_NE(0, strlen(qkd_genl_extack(self->g)));
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(1, peer);	/* in[1] only */
}

/* A stream that is not there: every key's request made, and refused. */
TEST_F(pool, keys_no_stream)
{
	struct qkd_key_record out[3];
	uint8_t ids[3][QKD_KEY_ID_LEN];
	int errs[3], i;

	NEED_POOL();
	memset(ids, 0x11, sizeof(ids));
	EXPECT_EQ(0, qkd_genl_keys_take(self->g, "lib-nonexistent",
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 3, out, errs));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ENOENT, errs[i]);
	EXPECT_EQ(0, qkd_genl_keys_reserve(self->g, "lib-nonexistent", NULL,
					   3, 0, out, errs));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ENOENT, errs[i]);
	EXPECT_EQ(-EINVAL, qkd_genl_keys_commit(self->g,
		"0123456789012345678901234567890123456789012345678901234567890123",
		(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 3, errs));
	EXPECT_EQ(-EINVAL, errs[2]);
}

/* Commit and release by ID, an unknown ID among them. */
TEST_F(pool, keys_commit_release_unknown_in_middle)
{
	struct qkd_key_record in[4], out[4];
	uint8_t ids[3][QKD_KEY_ID_LEN];
	uint32_t local, peer, resv;
	int errs[4];

	NEED_POOL();
	ASSERT_EQ(4, add_keys(self->g, self->name, in, 4, QKD_OWNER_LOCAL));
	ASSERT_EQ(4, qkd_genl_keys_reserve(self->g, self->name, NULL, 4, 0,
					   out, errs));
	memcpy(ids[0], out[0].id, QKD_KEY_ID_LEN);
	memset(ids[1], 0xee, QKD_KEY_ID_LEN);
	memcpy(ids[2], out[1].id, QKD_KEY_ID_LEN);
	EXPECT_EQ(2, qkd_genl_keys_commit(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 3, errs));
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(-ENOENT, errs[1]);
	EXPECT_EQ(0, errs[2]);
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(0, local);
	EXPECT_EQ(2, resv);
	memcpy(ids[0], out[2].id, QKD_KEY_ID_LEN);
	memcpy(ids[2], out[3].id, QKD_KEY_ID_LEN);
	EXPECT_EQ(2, qkd_genl_keys_release(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, 3, errs));
	EXPECT_EQ(0, errs[0]);
	EXPECT_EQ(-ENOENT, errs[1]);
	EXPECT_EQ(0, errs[2]);
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(2, local);
	EXPECT_EQ(0, resv);
	/* The released two come back, the committed two are gone. */
	EXPECT_EQ(2, qkd_genl_keys_take(self->g, self->name, NULL, 3, out,
					errs));
	EXPECT_EQ(-EAGAIN, errs[2]);
	qkd_wipe(out, sizeof(out));
}

/* More keys than one datagram carries: every one done, in order. */
TEST_F(pool, keys_more_than_one_chunk)
{
	const size_t n = 2 * QKD_GENL_PIPE_MAX + 22;
	struct qkd_key_record *in = calloc(n, sizeof(*in));
	struct qkd_key_record *out = calloc(n, sizeof(*out));
	uint8_t (*ids)[QKD_KEY_ID_LEN] = calloc(n, sizeof(*ids));
	int *errs = calloc(n, sizeof(*errs));
	uint32_t local, peer, resv;
	size_t i;

	NEED_POOL();
	ASSERT_TRUE(in && out && ids && errs);
	ASSERT_EQ((int)n, add_keys(self->g, self->name, in, n,
				   QKD_OWNER_LOCAL));
	ASSERT_EQ((int)n, qkd_genl_keys_reserve(self->g, self->name, NULL, n,
						0, out, errs));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, errs[i]);
		EXPECT_EQ(0, memcmp(in[i].id, out[i].id, QKD_KEY_ID_LEN));
		EXPECT_EQ(0, memcmp(in[i].material, out[i].material, 32));
		memcpy(ids[i], out[i].id, QKD_KEY_ID_LEN);
	}
	EXPECT_EQ((int)n, qkd_genl_keys_commit(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, n, errs));
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(0, local);
	EXPECT_EQ(0, resv);
	/* Peer-owned, taken by ID, one unknown in the second chunk. */
	ASSERT_EQ((int)n, add_keys(self->g, self->name, in, n,
				   QKD_OWNER_PEER));
	for (i = 0; i < n; i++)
		memcpy(ids[i], in[i].id, QKD_KEY_ID_LEN);
	ids[QKD_GENL_PIPE_MAX + 3][0] ^= 0xff;
	EXPECT_EQ((int)n - 1, qkd_genl_keys_take(self->g, self->name,
			(const uint8_t (*)[QKD_KEY_ID_LEN])ids, n, out, errs));
	for (i = 0; i < n; i++) {
		if (i == QKD_GENL_PIPE_MAX + 3) {
			EXPECT_EQ(-ENOENT, errs[i]);
			continue;
		}
		EXPECT_EQ(0, errs[i]);
		EXPECT_EQ(0, memcmp(in[i].material, out[i].material, 32));
	}
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(1, peer);
	qkd_wipe(in, n * sizeof(*in));
	qkd_wipe(out, n * sizeof(*out));
	free(in);
	free(out);
	free(ids);
	free(errs);
}

/*
 * A receive buffer too small for a chunk's replies: the dropped ones are
 * errors (-ENOBUFS), never successes, each success has its key, and the
 * handle still works after.
 */
TEST_F(pool, keys_dropped_replies_are_errors)
{
	const size_t n = QKD_GENL_PIPE_MAX;
	struct qkd_key_record in[QKD_GENL_PIPE_MAX], out[QKD_GENL_PIPE_MAX];
	uint8_t ids[QKD_GENL_PIPE_MAX][QKD_KEY_ID_LEN];
	int errs[QKD_GENL_PIPE_MAX], small = 1, got, lost = 0, rcvbuf;
	socklen_t len = sizeof(rcvbuf);
	uint32_t local, peer, resv;
	size_t i;

	NEED_POOL();
	ASSERT_EQ((int)n, add_keys(self->g, self->name, in, n,
				   QKD_OWNER_PEER));
	for (i = 0; i < n; i++)
		memcpy(ids[i], in[i].id, QKD_KEY_ID_LEN);
	ASSERT_EQ(0, getsockopt(qkd_genl_fd(self->g), SOL_SOCKET, SO_RCVBUF,
				&rcvbuf, &len));
	/* The kernel's minimum: a few replies. */
	ASSERT_EQ(0, setsockopt(qkd_genl_fd(self->g), SOL_SOCKET, SO_RCVBUF,
				&small, sizeof(small)));
	got = qkd_genl_keys_take(self->g, self->name,
				 (const uint8_t (*)[QKD_KEY_ID_LEN])ids, n,
				 out, errs);
	EXPECT_LT(0, got);
	EXPECT_GT((int)n, got);
	for (i = 0; i < n; i++) {
		if (errs[i]) {
			EXPECT_EQ(-ENOBUFS, errs[i]);
			EXPECT_EQ(0, out[i].material_len);
			lost++;
			continue;
		}
		EXPECT_EQ(0, memcmp(in[i].material, out[i].material, 32));
	}
	EXPECT_EQ((int)n - got, lost);
	/* getsockopt() said twice what was set. */
	rcvbuf /= 2;
	ASSERT_EQ(0, setsockopt(qkd_genl_fd(self->g), SOL_SOCKET, SO_RCVBUF,
				&rcvbuf, sizeof(rcvbuf)));
	/* Taken in the pool all the same: destroyed, never handed out twice. */
	ASSERT_EQ(0, stream_counts(self->g, self->name, &local, &peer, &resv));
	EXPECT_EQ(0, peer);
	qkd_wipe(in, sizeof(in));
	qkd_wipe(out, sizeof(out));
}

TEST_HARNESS_MAIN
