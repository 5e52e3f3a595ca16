// SPDX-License-Identifier: GPL-2.0
/*
 * qkdpool generic netlink semantics: ownership, reservation, limits,
 * expiry, events, dumps, validation and privilege.
 */

#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/genetlink.h>

#include "qkdnl.h"
#include "kselftest_harness.h"

#define L QKD_OWNER_LOCAL
#define P QKD_OWNER_PEER

#include "nl_fixture.h"

/* struct _test_data_nl is FIXTURE_DATA(nl), spelled out for checkpatch. */
static int add_keys(struct _test_data_nl *self,
		    uint32_t first, uint32_t n, uint32_t owner)
{
	struct qkd_key_record *recs = calloc(n, sizeof(*recs));
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++)
		qkd_make_key(&recs[i], self->tag, first + i, owner, 32);
	ret = qnl_key_add(self->g, self->name, recs, n);
	free(recs);
	return ret;
}

static struct qkd_stream_stats info(struct _test_data_nl *self)
{
	struct qkd_stream_stats in = {};

	qkd_genl_stream_get(self->g, self->name, &in);
	return in;
}

TEST_F(nl, stream_defaults_and_set)
{
	struct qkd_stream_stats in = info(self);

	EXPECT_STREQ(self->name, in.name);
	EXPECT_EQ(QKD_STREAM_KEYS_DEFAULT, in.max_keys);
	EXPECT_EQ(0, in.low_watermark);
	EXPECT_EQ(0, in.avail_local + in.avail_peer + in.reserved);
	EXPECT_EQ(-EEXIST, qnl_stream_new(self->g, self->name, 0, 0, 0));
	EXPECT_EQ(-ENOENT, qkd_genl_stream_del(self->g, "no-such-stream"));
	EXPECT_EQ(-EINVAL, qnl_stream_new(self->g, "bad name", 0, 0, 0));
	EXPECT_EQ(-EINVAL, qnl_stream_new(self->g, "", 0, 0, 0));
}

TEST_F(nl, take_next_only_local_oldest_first)
{
	struct qkd_key_record rec;

	ASSERT_EQ(0, add_keys(self, 0, 2, P));
	ASSERT_EQ(0, add_keys(self, 10, 3, L));
	ASSERT_EQ(0, add_keys(self, 20, 2, P));
	for (uint32_t i = 10; i < 13; i++) {
		ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &rec));
		EXPECT_EQ(i, qkd_key_n(&rec));
		EXPECT_EQ(L, rec.owner);
		EXPECT_TRUE(qkd_key_ok(&rec));
	}
	EXPECT_EQ(-EAGAIN, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	EXPECT_NE(0, qkd_genl_extack(self->g)[0]);
	EXPECT_EQ(4, info(self).avail_peer);
	EXPECT_EQ(3, info(self).taken);
}

TEST_F(nl, take_id_only_peer)
{
	struct qkd_key_record want, rec;

	ASSERT_EQ(0, add_keys(self, 0, 1, L));
	ASSERT_EQ(0, add_keys(self, 1, 1, P));
	qkd_make_key(&want, self->tag, 0, L, 32);
	EXPECT_EQ(-EACCES, qkd_genl_key_take(self->g, self->name, want.id, &rec));
	EXPECT_EQ(1, info(self).avail_local);
	EXPECT_EQ(0, info(self).taken);
	qkd_make_key(&want, self->tag, 1, P, 32);
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, want.id, &rec));
	EXPECT_EQ(0, memcmp(&want, &rec, offsetof(typeof(rec), lifetime_ms)));
	EXPECT_EQ(0, memcmp(want.material, rec.material, 32));
	EXPECT_EQ(-ENOENT, qkd_genl_key_take(self->g, self->name, want.id, &rec));
	EXPECT_EQ(0, info(self).avail_peer);
	/* The local key is still there for take-next. */
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	EXPECT_EQ(0, qkd_key_n(&rec));
}

TEST_F(nl, duplicate_id_and_atomic_batch)
{
	struct qkd_key_record recs[3];

	ASSERT_EQ(0, add_keys(self, 0, 1, L));
	EXPECT_EQ(-EEXIST, add_keys(self, 0, 1, P));
	qkd_make_key(&recs[0], self->tag, 5, L, 32);
	qkd_make_key(&recs[1], self->tag, 6, L, 32);
	qkd_make_key(&recs[2], self->tag, 5, P, 32);
	EXPECT_EQ(-EEXIST, qnl_key_add(self->g, self->name, recs, 3));
	EXPECT_NE(0, qkd_genl_extack(self->g)[0]);
	EXPECT_EQ(1, info(self).avail_local);
	EXPECT_EQ(0, info(self).avail_peer);
	EXPECT_EQ(1, info(self).added);
	EXPECT_EQ(4, info(self).rejected);
}

TEST_F(nl, full_stream_enospc_then_success)
{
	struct qkd_key_record rec;

	ASSERT_EQ(0, qkd_genl_stream_del(self->g, self->name));
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 4, 0, 0));
	ASSERT_EQ(0, add_keys(self, 0, 4, L));
	EXPECT_EQ(-ENOSPC, add_keys(self, 4, 1, P));
	EXPECT_EQ(-ENOSPC, add_keys(self, 4, 1, L));
	EXPECT_EQ(4, info(self).avail_local);
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	EXPECT_EQ(0, qkd_key_n(&rec));
	EXPECT_EQ(0, add_keys(self, 4, 1, L));
	EXPECT_EQ(4, info(self).avail_local);
}

TEST_F(nl, reserve_release_returns_key)
{
	struct qkd_key_record a, b, c;

	ASSERT_EQ(0, add_keys(self, 0, 3, L));
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, NULL, 0, &a, NULL));
	EXPECT_EQ(0, qkd_key_n(&a));
	EXPECT_TRUE(qkd_key_ok(&a));
	EXPECT_EQ(1, info(self).reserved);
	/* Hidden from takers while reserved. */
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &b));
	EXPECT_EQ(1, qkd_key_n(&b));
	EXPECT_EQ(-EACCES, qkd_genl_key_take(self->g, self->name, a.id, &c));
	ASSERT_EQ(0, qkd_genl_key_release(self->g, self->name, a.id));
	EXPECT_EQ(0, info(self).reserved);
	EXPECT_EQ(-ENOENT, qkd_genl_key_release(self->g, self->name, a.id));
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &c));
	EXPECT_EQ(0, qkd_key_n(&c));
	EXPECT_EQ(0, memcmp(a.material, c.material, 32));
}

TEST_F(nl, reserve_commit_consumes_key)
{
	struct qkd_key_record a, b;

	ASSERT_EQ(0, add_keys(self, 0, 1, P));
	ASSERT_EQ(0, add_keys(self, 1, 1, L));
	qkd_make_key(&b, self->tag, 1, L, 32);
	EXPECT_EQ(-EACCES, qkd_genl_key_reserve(self->g, self->name, b.id, 0, &a, NULL));
	qkd_make_key(&b, self->tag, 0, P, 32);
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, b.id, 0, &a, NULL));
	EXPECT_EQ(0, memcmp(a.material, b.material, 32));
	EXPECT_EQ(0, info(self).avail_peer);
	ASSERT_EQ(0, qkd_genl_key_commit(self->g, self->name, a.id));
	EXPECT_EQ(-ENOENT, qkd_genl_key_release(self->g, self->name, a.id));
	EXPECT_EQ(-ENOENT, qkd_genl_key_take(self->g, self->name, a.id, &b));
	EXPECT_EQ(0, info(self).reserved);
	EXPECT_EQ(1, info(self).taken);
}

TEST_F_TIMEOUT(nl, reservation_times_out, 30)
{
	struct qkd_key_record a;
	int i;

	ASSERT_EQ(0, add_keys(self, 0, 1, L));
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, NULL, 100, &a, NULL));
	EXPECT_EQ(0, info(self).avail_local);
	for (i = 0; i < 100 && !info(self).avail_local; i++)
		usleep(50000);
	EXPECT_EQ(1, info(self).avail_local);
	EXPECT_EQ(0, info(self).reserved);
}

TEST_F_TIMEOUT(nl, keys_expire, 30)
{
	struct qkd_key_record rec;
	int i;

	ASSERT_EQ(0, qkd_genl_stream_del(self->g, self->name));
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 0, 0, 200));
	ASSERT_EQ(0, add_keys(self, 0, 3, L));
	ASSERT_EQ(0, add_keys(self, 3, 2, P));
	EXPECT_EQ(200, info(self).lifetime_ms);
	for (i = 0; i < 100 && info(self).expired < 5; i++)
		usleep(50000);
	EXPECT_EQ(5, info(self).expired);
	EXPECT_EQ(0, info(self).avail_local + info(self).avail_peer);
	EXPECT_EQ(-EAGAIN, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	qkd_make_key(&rec, self->tag, 3, P, 32);
	EXPECT_EQ(-ENOENT, qkd_genl_key_take(self->g, self->name, rec.id, &rec));
}

TEST_F_TIMEOUT(nl, expired_key_never_taken, 30)
{
	struct qkd_key_record recs[2], rec;
	int i;

	/*
	 * Expiry is checked at take time, not only by the reclaim scan. Scans
	 * are at least a second apart: run one, then race the next.
	 */
	qkd_make_key(&recs[0], self->tag, 0, L, 32);
	recs[0].lifetime_ms = 1;
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, recs, 1));
	for (i = 0; i < 100 && info(self).expired < 1; i++)
		usleep(20000);
	ASSERT_EQ(1, info(self).expired);
	qkd_make_key(&recs[0], self->tag, 1, L, 32);
	recs[0].lifetime_ms = 30;
	qkd_make_key(&recs[1], self->tag, 2, L, 32);
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, recs, 2));
	usleep(100000);
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	EXPECT_EQ(2, qkd_key_n(&rec));
	EXPECT_EQ(2, info(self).expired);
}

TEST_F_TIMEOUT(nl, expiry_out_of_order, 30)
{
	struct qkd_key_record recs[4], rec;
	int i;

	/* A long-lived key ahead of short-lived ones must not hide them. */
	qkd_make_key(&recs[0], self->tag, 0, L, 32);
	recs[0].lifetime_ms = 600000;
	qkd_make_key(&recs[1], self->tag, 1, L, 32);
	recs[1].lifetime_ms = 100;
	qkd_make_key(&recs[2], self->tag, 2, P, 32);
	qkd_make_key(&recs[3], self->tag, 3, P, 32);
	recs[3].lifetime_ms = 100;
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, recs, 4));
	for (i = 0; i < 100 && info(self).expired < 2; i++)
		usleep(50000);
	EXPECT_EQ(2, info(self).expired);
	EXPECT_EQ(1, info(self).avail_local);
	EXPECT_EQ(1, info(self).avail_peer);
	ASSERT_EQ(0, qkd_genl_key_take(self->g, self->name, NULL, &rec));
	EXPECT_EQ(0, qkd_key_n(&rec));
	EXPECT_NE(0, rec.lifetime_ms);
}

TEST_F(nl, flush_by_owner)
{
	ASSERT_EQ(0, add_keys(self, 0, 3, L));
	ASSERT_EQ(0, add_keys(self, 3, 2, P));
	ASSERT_EQ(3, qkd_genl_key_flush(self->g, self->name, QKD_F_LOCAL));
	EXPECT_EQ(0, info(self).avail_local);
	EXPECT_EQ(2, info(self).avail_peer);
	ASSERT_EQ(2, qkd_genl_key_flush(self->g, self->name, 0));
	EXPECT_EQ(-EINVAL, qkd_genl_key_flush(self->g, self->name, 1U << 7));
	EXPECT_NE(0, qkd_genl_extack(self->g)[0]);
}

TEST_F(nl, set_limits)
{
	struct qkd_stream_limits lim = {
		.has = QKD_LIMIT_MAX_KEYS | QKD_LIMIT_LOW_WATERMARK |
		       QKD_LIMIT_LIFETIME,
		.max_keys = 7, .low_watermark = 3, .lifetime_ms = 60000,
	};
	struct qkd_stream_stats in;

	ASSERT_EQ(0, qkd_genl_stream_set(self->g, self->name, &lim));
	in = info(self);
	EXPECT_EQ(7, in.max_keys);
	EXPECT_EQ(3, in.low_watermark);
	EXPECT_EQ(60000, in.lifetime_ms);
	EXPECT_EQ(0, add_keys(self, 0, 7, L));
	EXPECT_EQ(-ENOSPC, add_keys(self, 7, 1, L));
}

/* Malformed requests: each is rejected with a message and changes nothing. */
enum bad {
	BAD_NO_NAME,
	BAD_LONG_NAME,
	BAD_UNKNOWN_ATTR,
	BAD_REPLY_ATTR,
	BAD_WRONG_CMD_ATTR,
	BAD_SHORT_MATERIAL,
	BAD_LONG_MATERIAL,
	BAD_SHORT_ID,
	BAD_OWNER,
	BAD_NO_OWNER,
	BAD_NO_KEYS,
	BAD_FLAGS,
	BAD_MAX_KEYS,
	BAD_TIMEOUT,
	BAD_COUNT
};

static void put_key(struct nlmsghdr *nlh, int idlen, int len, int owner)
{
	struct qkd_key_record r;
	struct nlattr *keys, *key;

	qkd_make_key(&r, 1, 1, L, QKD_KEY_MAX_LEN);
	keys = mnl_attr_nest_start(nlh, QKD_A_KEYS);
	key = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, QKD_KEY_A_ID, idlen, r.id);
	mnl_attr_put(nlh, QKD_KEY_A_MATERIAL, len, r.material);
	if (owner)
		mnl_attr_put_u8(nlh, QKD_KEY_A_OWNER, owner);
	mnl_attr_nest_end(nlh, key);
	mnl_attr_nest_end(nlh, keys);
}

static struct nlmsghdr *bad_msg(struct qnl_raw *q, const char *name,
				void *buf, enum bad b)
{
	static const uint8_t cmds[BAD_COUNT] = {
		[BAD_NO_NAME] = QKD_CMD_KEY_ADD,
		[BAD_LONG_NAME] = QKD_CMD_STREAM_NEW,
		[BAD_UNKNOWN_ATTR] = QKD_CMD_KEY_ADD,
		[BAD_REPLY_ATTR] = QKD_CMD_STREAM_SET,
		[BAD_WRONG_CMD_ATTR] = QKD_CMD_STREAM_DEL,
		[BAD_SHORT_MATERIAL] = QKD_CMD_KEY_ADD,
		[BAD_LONG_MATERIAL] = QKD_CMD_KEY_ADD,
		[BAD_SHORT_ID] = QKD_CMD_KEY_ADD,
		[BAD_OWNER] = QKD_CMD_KEY_ADD,
		[BAD_NO_OWNER] = QKD_CMD_KEY_ADD,
		[BAD_NO_KEYS] = QKD_CMD_KEY_ADD,
		[BAD_FLAGS] = QKD_CMD_KEY_FLUSH,
		[BAD_MAX_KEYS] = QKD_CMD_STREAM_SET,
		[BAD_TIMEOUT] = QKD_CMD_KEY_RESERVE,
	};
	struct nlmsghdr *nlh = qnl_msg(q, buf, cmds[b], 0);
	char longname[80];

	memset(longname, 'x', sizeof(longname));
	longname[QKD_STREAM_NAME_MAX] = 0;
	if (b == BAD_LONG_NAME)
		mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, longname);
	else if (b != BAD_NO_NAME)
		mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	switch (b) {
	case BAD_NO_NAME:
		put_key(nlh, 16, 32, L);
		break;
	case BAD_UNKNOWN_ATTR:
		put_key(nlh, 16, 32, L);
		mnl_attr_put_u32(nlh, QKD_A_MAX + 1, 1);
		break;
	case BAD_REPLY_ATTR:
		mnl_attr_put_u32(nlh, QKD_A_STREAM_AVAIL_LOCAL, 1);
		break;
	case BAD_WRONG_CMD_ATTR:
		put_key(nlh, 16, 32, L);
		break;
	case BAD_SHORT_MATERIAL:
		put_key(nlh, 16, QKD_KEY_MIN_LEN - 1, L);
		break;
	case BAD_LONG_MATERIAL:
		put_key(nlh, 16, QKD_KEY_MAX_LEN + 1, L);
		break;
	case BAD_SHORT_ID:
		put_key(nlh, 15, 32, L);
		break;
	case BAD_OWNER:
		put_key(nlh, 16, 32, 3);
		break;
	case BAD_NO_OWNER:
		put_key(nlh, 16, 32, 0);
		break;
	case BAD_FLAGS:
		mnl_attr_put_u32(nlh, QKD_A_FLAGS, 1U << 31);
		break;
	case BAD_MAX_KEYS:
		mnl_attr_put_u32(nlh, QKD_A_STREAM_MAX_KEYS, 0);
		break;
	case BAD_TIMEOUT:
		mnl_attr_put_u32(nlh, QKD_A_TIMEOUT, QKD_RESV_TIMEOUT_MAX + 1);
		break;
	default:
		break;
	}
	return nlh;
}

/* Lengths and values outside a policy range give -ERANGE. */
static int bad_err(enum bad b)
{
	switch (b) {
	case BAD_SHORT_MATERIAL:
	case BAD_LONG_MATERIAL:
	case BAD_SHORT_ID:
	case BAD_OWNER:
	case BAD_MAX_KEYS:
	case BAD_TIMEOUT:
		return -ERANGE;
	default:
		return -EINVAL;
	}
}

TEST_F(nl, malformed_requests_rejected)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct qkd_stream_stats before, after;
	struct qnl_raw raw;
	int b;

	ASSERT_EQ(0, qnl_raw_open(&raw));
	ASSERT_EQ(0, add_keys(self, 100, 2, L));
	before = info(self);
	for (b = 0; b < BAD_COUNT; b++) {
		struct nlmsghdr *nlh = bad_msg(&raw, self->name, buf, b);
		int ret = qnl_talk(&raw, nlh, NULL, NULL);

		EXPECT_EQ(bad_err(b), ret) TH_LOG("case %d", b);
		EXPECT_NE(0, raw.errmsg[0]) TH_LOG("case %d: no extack", b);
		after = info(self);
		EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)))
			TH_LOG("case %d changed the stream", b);
	}
	/* Unknown command. */
	ASSERT_NE(0, qnl_talk(&raw, qnl_msg(&raw, buf, 99, 0), NULL, NULL));
	qnl_raw_close(&raw);
}

/* Streams named pfx... in a dump. */
static int count_streams(struct qkd_genl *g, const char *pfx,
			 unsigned int *seen)
{
	struct qkd_stream_stats *st;
	size_t n, i;
	int ret;

	ret = qkd_genl_stream_dump(g, &st, &n);
	if (ret)
		return ret;
	*seen = 0;
	for (i = 0; i < n; i++)
		if (!strncmp(st[i].name, pfx, strlen(pfx)))
			(*seen)++;
	free(st);
	return 0;
}

TEST_F_TIMEOUT(nl, dump_spans_messages, 120)
{
	const unsigned int n = 3000;
	char name[QKD_STREAM_NAME_MAX], pfx[32];
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int i, seen;
	struct qnl_raw raw;

	snprintf(pfx, sizeof(pfx), "d%u-", self->tag);

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%u-%u", self->tag, i);
		ASSERT_EQ(0, qnl_stream_new(self->g, name, 0, 0, 0));
	}
	ASSERT_EQ(0, count_streams(self->g, pfx, &seen));
	EXPECT_EQ(n, seen);
	/* The datagrams of the same dump, counted on a raw socket. */
	ASSERT_EQ(0, qnl_raw_open(&raw));
	ASSERT_EQ(0, qnl_talk(&raw, qnl_msg(&raw, buf, QKD_CMD_STREAM_GET,
					    NLM_F_DUMP), NULL, NULL));
	EXPECT_GT(raw.recvs, 2);
	EXPECT_GE(raw.msgs, n);
	qnl_raw_close(&raw);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%u-%u", self->tag, i);
		ASSERT_EQ(0, qkd_genl_stream_del(self->g, name));
	}
	ASSERT_EQ(0, count_streams(self->g, pfx, &seen));
	EXPECT_EQ(0, seen);
}

static int expect_event(struct qkd_genl *g, uint8_t cmd,
			struct qkd_event *ev)
{
	int ret;

	do {
		ret = qnl_event(g, 3000, ev);
	} while (!ret && ev->cmd != cmd);
	return ret;
}

TEST_F_TIMEOUT(nl, events_with_counts, 30)
{
	struct qkd_key_record rec;
	struct qkd_event ev;
	struct qkd_genl *ev_g;
	char other[64];
	int expired;

	ASSERT_EQ(0, qkd_genl_open(&ev_g));
	ASSERT_EQ(0, qkd_genl_subscribe(ev_g));
	snprintf(other, sizeof(other), "ev-%u", self->tag);
	ASSERT_EQ(0, qnl_stream_new(self->g, other, 0, 2, 0));
	ASSERT_EQ(0, expect_event(ev_g, QKD_CMD_EVENT_STREAM_NEW, &ev));
	EXPECT_STREQ(other, ev.stream);

	qkd_make_key(&rec, self->tag, 0, L, 32);
	for (int i = 0; i < 3; i++) {
		qkd_make_key(&rec, self->tag, i, L, 32);
		ASSERT_EQ(0, qnl_key_add(self->g, other, &rec, 1));
	}
	ASSERT_EQ(0, qkd_genl_key_take(self->g, other, NULL, &rec));	/* 3 -> 2 */
	ASSERT_EQ(0, qkd_genl_key_take(self->g, other, NULL, &rec));	/* 2 -> 1 */
	ASSERT_EQ(0, qnl_event(ev_g, 3000, &ev));
	EXPECT_EQ(QKD_CMD_EVENT_LOW_WATERMARK, ev.cmd);
	EXPECT_EQ(1, ev.avail_local);
	EXPECT_EQ(2, ev.low_watermark);
	ASSERT_EQ(0, qkd_genl_key_take(self->g, other, NULL, &rec));	/* 1 -> 0 */
	EXPECT_EQ(-EAGAIN, qkd_genl_key_take(self->g, other, NULL, &rec));
	EXPECT_EQ(-EAGAIN, qkd_genl_key_take(self->g, other, NULL, &rec));
	ASSERT_EQ(0, qnl_event(ev_g, 3000, &ev));
	EXPECT_EQ(QKD_CMD_EVENT_EXHAUSTED, ev.cmd);
	EXPECT_EQ(0, ev.avail_local);
	/* Exhausted is sent once until a key comes. */
	EXPECT_EQ(-ETIMEDOUT, qnl_event(ev_g, 200, &ev));

	for (int i = 10; i < 14; i++) {
		qkd_make_key(&rec, self->tag, i, i & 1 ? P : L, 32);
		rec.lifetime_ms = 100;
		ASSERT_EQ(0, qnl_key_add(self->g, other, &rec, 1));
	}
	/*
	 * One event per expiry scan: a slow kernel (the debug one) may add
	 * the last key after the first ones expired, so sum the counts.
	 */
	expired = 0;
	while (expired < 4) {
		ASSERT_EQ(0, expect_event(ev_g, QKD_CMD_EVENT_EXPIRED, &ev));
		EXPECT_STREQ(other, ev.stream);
		ASSERT_LT(0, ev.count);
		expired += ev.count;
	}
	EXPECT_EQ(4, expired);
	EXPECT_EQ(0, ev.avail_local + ev.avail_peer);

	ASSERT_EQ(0, qkd_genl_stream_del(self->g, other));
	ASSERT_EQ(0, expect_event(ev_g, QKD_CMD_EVENT_STREAM_DEL, &ev));
	EXPECT_STREQ(other, ev.stream);
	qkd_genl_close(ev_g);
}

TEST_F(nl, netns_isolation)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, add_keys(self, 0, 2, L));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct qkd_key_record rec;
		struct qkd_stream_stats in;
		struct qkd_genl *g;

		if (unshare(CLONE_NEWNET) || qkd_genl_open(&g))
			_exit(10);
		if (qkd_genl_stream_get(g, self->name, &in) != -ENOENT)
			_exit(11);
		if (qkd_genl_key_take(g, self->name, NULL, &rec) != -ENOENT)
			_exit(12);
		if (qnl_stream_new(g, self->name, 0, 0, 0))
			_exit(13);
		qkd_make_key(&rec, self->tag, 0, L, 32);
		if (qnl_key_add(g, self->name, &rec, 1))
			_exit(14);
		if (qdev_open("no-such", 0) != -ENOENT)
			_exit(15);
		/* Exiting leaves the namespace and its keys to be freed. */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2, info(self).avail_local);
	EXPECT_EQ(2, info(self).added);
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, d);
}

static int unprivileged_checks(const char *name)
{
	struct qkd_key_record rec;
	struct qkd_stream_stats in;
	struct qkd_genl *g;

	if (qkd_genl_open(&g))
		return 20;
	if (qkd_genl_stream_get(g, name, &in) != -EPERM ||
	    qkd_genl_subscribe(g) != -EPERM)
		return 21;
	if (qkd_genl_key_take(g, name, NULL, &rec) != -EPERM)
		return 22;
	qkd_make_key(&rec, 9, 9, L, 32);
	if (qnl_key_add(g, name, &rec, 1) != -EPERM)
		return 23;
	if (qnl_stream_new(g, "unpriv", 0, 0, 0) != -EPERM)
		return 24;
	if (qkd_genl_stream_del(g, name) != -EPERM)
		return 25;
	if (qdev_open(NULL, 0) >= 0)
		return 26;
	return 0;
}

TEST_F(nl, unprivileged_denied)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, add_keys(self, 0, 1, L));
	/* Root without CAP_NET_ADMIN, then nobody. */
	for (int mode = 0; mode < 2; mode++) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			if (mode == 0 && drop_net_admin())
				_exit(30);
			if (mode == 1 && (setgid(65534) || setuid(65534)))
				_exit(31);
			_exit(unprivileged_checks(self->name));
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("mode %d", mode);
	}
	EXPECT_EQ(1, info(self).avail_local);
}

/*
 * Any user may own a network namespace (through a user namespace) and be
 * its CAP_NET_ADMIN: filling the pool there must not starve the pools of
 * the host's namespaces.
 */
TEST_F(nl, userns_cannot_starve_host)
{
	int ready[2], done[2], status, i;
	long before, per_key;
	char c = 0;
	pid_t pid;

	/*
	 * Keys of earlier tests' namespaces may still be being freed: wait
	 * until mem_used holds still, and measure a key until it does too.
	 */
	for (i = 0; i < 20; i++) {
		before = qkd_mem_settled();
		ASSERT_EQ(0, add_keys(self, 1000, 1, L));
		per_key = qkd_mem_used() - before;
		ASSERT_LE(0, qkd_genl_key_flush(self->g, self->name, 0));
		if (per_key > 0 && qkd_mem_used() == before)
			break;
	}
	ASSERT_LT(0, per_key);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, qkd_param_set("mem_max", "2097152"));
	qkd_param_set("mem_max_userns", "1048576");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(ready[0]);
		close(done[1]);
		_exit(qkd_userns_fill(ready[1], done[0], 5));
	}
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &c, 1) == 1)
		EXPECT_EQ(0, add_keys(self, 0, 64, L));
	write(done[1], &c, 1);
	waitpid(pid, &status, 0);
	qkd_param_set("mem_max", "268435456");
	qkd_param_set("mem_max_userns", "16777216");
	if (WEXITSTATUS(status) == 42)
		SKIP(return, "no unprivileged user namespaces");
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(64, info(self).avail_local);
	/*
	 * The namespace is freed asynchronously, its keys with it (as may be
	 * those of earlier tests' namespaces: hence at most).
	 */
	for (i = 0; i < 2000 && qkd_mem_used() > before + 64 * per_key; i++)
		usleep(5000);
	EXPECT_GE(before + 64 * per_key, qkd_mem_used());
}

TEST_HARNESS_MAIN
