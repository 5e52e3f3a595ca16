// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of key relay, phase 1 (docs/kx-protocol.md "Key relay"): the
 * routing (userspace/kmd/route.c) on a line of five and a ring of six, the
 * strict decoders of LSAs and relay frames (route.c, relay_msg.c) and the
 * per-hop one-time pad and MAC (relay_otp.c) over three hops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "relay_msg.h"
#include "relay_otp.h"
#include "route.h"
#include "secmem.h"

#define NODES_MAX 20

/* The network as every node advertises it: lsas[i] is node n<i+1>'s. */
static struct lsa lsas[NODES_MAX];
static int nodes;

static const char *name(int i)
{
	static char buf[4][16];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(buf[turn], sizeof(buf[turn]), "n%d", i + 1);
	return buf[turn];
}

static void topo_reset(int n)
{
	int i;

	memset(lsas, 0, sizeof(lsas));
	nodes = n;
	for (i = 0; i < n; i++) {
		strcpy(lsas[i].origin, name(i));
		lsas[i].seq = 1;
	}
}

/* a's view of its link to b: added if new. */
static void topo_set(int a, int b, uint8_t state, uint32_t stock)
{
	struct lsa *l = &lsas[a];
	unsigned int i;

	for (i = 0; i < l->count; i++)
		if (!strcmp(l->links[i].peer, name(b)))
			break;
	if (i == l->count)
		strcpy(l->links[l->count++].peer, name(b));
	l->links[i].state = state;
	l->links[i].stock = stock;
	l->links[i].rate = 1000;
}

static void topo_link(int a, int b, uint32_t stock)
{
	topo_set(a, b, ROUTE_LINK_UP, stock);
	topo_set(b, a, ROUTE_LINK_UP, stock);
}

/* Hand node i's current LSA to db, as flooding would (a newer seq). */
static int topo_push(struct route_db *db, int i)
{
	lsas[i].seq++;
	if (!strcmp(lsas[i].origin, "n1"))
		return route_db_originate(db, lsas[i].links, lsas[i].count,
					  100, 10, NULL);
	return route_db_update(db, &lsas[i], 10);
}

/* a changes its view of the link to b and floods it: what db made of it. */
static int advertise(struct route_db *db, int a, int b, uint8_t state,
		     uint32_t stock)
{
	topo_set(a, b, state, stock);
	return topo_push(db, a);
}

/* The database of n1 holding every LSA. */
static struct route_db *topo_db(void)
{
	struct route_db *db;
	int i;

	if (route_db_create("n1", &db))
		return NULL;
	for (i = 0; i < nodes; i++)
		if (topo_push(db, i) < 0) {
			route_db_destroy(db);
			return NULL;
		}
	return db;
}

static const char *path_str(const struct route_path *p)
{
	static char buf[ROUTE_PATH_MAX * KMD_ID_MAX];
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < p->nodes; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, p->node[i]);
	}
	return buf;
}

static void line(int n, uint32_t stock)
{
	int i;

	topo_reset(n);
	for (i = 0; i + 1 < n; i++)
		topo_link(i, i + 1, stock);
}

static void ring(int n, uint32_t stock)
{
	line(n, stock);
	topo_link(n - 1, 0, stock);
}

/* n1's database of a line of n, where the sender a of link a-b holds few. */
static struct route_db *line_db(int n, int a, int b, uint32_t few)
{
	line(n, 100);
	topo_set(a, b, ROUTE_LINK_UP, few);
	return topo_db();
}

TEST(route_line_of_five)
{
	struct route_db *db = line_db(5, 2, 3, 40);
	struct route_path p;

	ASSERT_NE(NULL, db);
	EXPECT_EQ(5, route_db_count(db));
	ASSERT_EQ(0, route_path(db, "n5", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4 n5", path_str(&p));
	EXPECT_EQ(40, p.bottleneck);
	EXPECT_FALSE(p.fixed);
	ASSERT_EQ(0, route_path(db, "n2", 2, &p));
	EXPECT_STREQ("n1 n2", path_str(&p));
	EXPECT_EQ(-EINVAL, route_path(db, "n1", 2, &p));
	EXPECT_EQ(-EINVAL, route_path(db, "bad id", 2, &p));
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n9", 2, &p));

	/* The link n3-n4 goes down (n4 says so): n5 is cut off. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 3, 2, ROUTE_LINK_DOWN, 0));
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n5", 2, &p));
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n4", 2, &p));
	ASSERT_EQ(0, route_path(db, "n3", 2, &p));
	EXPECT_STREQ("n1 n2 n3", path_str(&p));

	/* Back up but dry on n3's side: reachable later, not now. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 3, 2, ROUTE_LINK_UP, 40));
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 2, 3, ROUTE_LINK_UP, 1));
	EXPECT_EQ(-EAGAIN, route_path(db, "n5", 2, &p));
	ASSERT_EQ(0, route_path(db, "n5", 1, &p));
	EXPECT_EQ(1, p.bottleneck);
	route_db_destroy(db);
}

/* The keys a far node relays to us come its way: its side's stock counts. */
TEST(route_toward_us)
{
	struct route_db *db = line_db(4, 2, 1, 1);	/* n3 -> n2 */
	struct route_path p;

	ASSERT_NE(NULL, db);
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4", path_str(&p));
	EXPECT_EQ(-EAGAIN, route_path_to_us(db, "n4", 2, &p));
	ASSERT_EQ(0, route_path_to_us(db, "n4", 1, &p));
	EXPECT_STREQ("n4 n3 n2 n1", path_str(&p));
	EXPECT_EQ(1, p.bottleneck);
	EXPECT_EQ(-EHOSTUNREACH, route_path_to_us(db, "n9", 1, &p));
	EXPECT_EQ(-EINVAL, route_path_to_us(db, "n1", 1, &p));
	/* n2 withdraws (shutting down): nothing gets through it. */
	lsas[1].seq++;
	lsas[1].age = ROUTE_MAX_AGE;
	ASSERT_EQ(ROUTE_LSA_NEW, route_db_update(db, &lsas[1], 10));
	EXPECT_EQ(3, route_db_count(db));
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n4", 0, &p));
	EXPECT_EQ(-EHOSTUNREACH, route_path_to_us(db, "n4", 0, &p));
	route_db_destroy(db);
}

TEST(route_ring_of_six)
{
	struct route_path p;
	struct route_db *db;

	ring(6, 100);
	topo_set(0, 5, ROUTE_LINK_UP, 500);	/* n1 -> n6 */
	topo_set(5, 4, ROUTE_LINK_UP, 300);	/* n6 -> n5 */
	topo_set(4, 3, ROUTE_LINK_UP, 200);	/* n5 -> n4 */
	db = topo_db();
	ASSERT_NE(NULL, db);
	/* Fewest hops first. */
	ASSERT_EQ(0, route_path(db, "n3", 2, &p));
	EXPECT_STREQ("n1 n2 n3", path_str(&p));
	ASSERT_EQ(0, route_path(db, "n5", 2, &p));
	EXPECT_STREQ("n1 n6 n5", path_str(&p));
	/* Two ways of three hops: the one with more keys at its bottleneck. */
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n6 n5 n4", path_str(&p));
	EXPECT_EQ(200, p.bottleneck);

	/* n2 -> n3 down, said by n2 only: the link is out both ways. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 1, 2, ROUTE_LINK_DOWN, 100));
	ASSERT_EQ(0, route_path(db, "n3", 2, &p));
	EXPECT_STREQ("n1 n6 n5 n4 n3", path_str(&p));

	/* Up again; n6 -> n5 runs dry: n4 the other way round, n5 too. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 1, 2, ROUTE_LINK_UP, 100));
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 5, 4, ROUTE_LINK_UP, 1));
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4", path_str(&p));
	ASSERT_EQ(0, route_path(db, "n5", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4 n5", path_str(&p));

	/* Every way to n4 dry: try again later, nothing else. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 0, 1, ROUTE_LINK_UP, 0));
	EXPECT_EQ(-EAGAIN, route_path(db, "n4", 2, &p));
	route_db_destroy(db);
}

TEST(route_static_override)
{
	const char hops[3][KMD_ID_MAX] = { "n2", "n3", "n4" };
	const char loop[2][KMD_ID_MAX] = { "n2", "n2" };
	struct route_path p;
	struct route_db *db;

	ring(6, 100);
	db = topo_db();
	ASSERT_NE(NULL, db);
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	ASSERT_EQ(0, route_static_set(db, "n4", hops, 3));
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4", path_str(&p));
	EXPECT_TRUE(p.fixed);

	/* A pinned path is kept even when another is as good or better. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 0, 1, ROUTE_LINK_UP, 3));
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n2 n3 n4", path_str(&p));
	EXPECT_EQ(3, p.bottleneck);
	EXPECT_EQ(-EAGAIN, route_path(db, "n4", 4, &p));
	/* ...and never left for another: down on it is unreachable. */
	ASSERT_EQ(ROUTE_LSA_NEW, advertise(db, 2, 3, ROUTE_LINK_DOWN, 0));
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n4", 2, &p));
	ASSERT_EQ(0, route_static_set(db, "n4", NULL, 0));
	ASSERT_EQ(0, route_path(db, "n4", 2, &p));
	EXPECT_STREQ("n1 n6 n5 n4", path_str(&p));
	EXPECT_FALSE(p.fixed);

	EXPECT_EQ(-ENOENT, route_static_set(db, "n4", NULL, 0));
	EXPECT_EQ(-EINVAL, route_static_set(db, "n3", hops, 3));
	EXPECT_EQ(-EINVAL, route_static_set(db, "n2", loop, 2));
	EXPECT_EQ(-EINVAL, route_static_set(db, "n1", hops, 1));
	route_db_destroy(db);
}

TEST(route_one_way_link_unused)
{
	struct route_path p;
	struct route_db *db;

	line(3, 100);
	/* n3 never heard of n2: n2's advert alone does not make a link. */
	lsas[2].count = 0;
	db = topo_db();
	ASSERT_NE(NULL, db);
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, "n3", 0, &p));
	route_db_destroy(db);
}

TEST(route_path_length_limit)
{
	struct route_path p;
	struct route_db *db;

	line(ROUTE_PATH_MAX + 1, 100);
	db = topo_db();
	ASSERT_NE(NULL, db);
	ASSERT_EQ(0, route_path(db, name(ROUTE_PATH_MAX - 1), 2, &p));
	EXPECT_EQ(ROUTE_PATH_MAX, p.nodes);
	EXPECT_EQ(-EHOSTUNREACH, route_path(db, name(ROUTE_PATH_MAX), 2, &p));
	route_db_destroy(db);
}

TEST(route_lsa_database)
{
	struct route_db *db;
	struct lsa l, own;

	line(3, 100);
	db = topo_db();
	ASSERT_NE(NULL, db);
	l = lsas[1];
	EXPECT_EQ(ROUTE_LSA_SAME, route_db_update(db, &l, 20));
	l.seq--;
	EXPECT_EQ(ROUTE_LSA_OLD, route_db_update(db, &l, 20));
	l.seq += 2;
	EXPECT_EQ(ROUTE_LSA_NEW, route_db_update(db, &l, 20));

	/* Ages count from receipt; at ROUTE_MAX_AGE the LSA is gone. */
	ASSERT_EQ(0, route_db_get(db, "n2", 20 + 100, &l));
	EXPECT_EQ(100, l.age);
	EXPECT_EQ(0, route_db_expire(db, 10 + ROUTE_MAX_AGE - 1));
	EXPECT_EQ(1, route_db_expire(db, 10 + ROUTE_MAX_AGE));	/* n3 */
	EXPECT_EQ(-ENOENT, route_db_get(db, "n3", 0, &l));
	EXPECT_EQ(0, route_db_get(db, "n2", 0, &l));
	EXPECT_EQ(1, route_db_expire(db, 20 + ROUTE_MAX_AGE));	/* n2 */
	EXPECT_EQ(-ENOENT, route_db_get(db, "n2", 0, &l));
	EXPECT_EQ(0, route_db_get(db, "n1", 20 + ROUTE_MAX_AGE, &own));
	EXPECT_EQ(1, route_db_count(db));

	/* A withdrawal (age ROUTE_MAX_AGE) removes, even at the same seq. */
	l = lsas[2];
	EXPECT_EQ(ROUTE_LSA_NEW, route_db_update(db, &l, 30));
	l.age = ROUTE_MAX_AGE;
	EXPECT_EQ(ROUTE_LSA_NEW, route_db_update(db, &l, 30));
	EXPECT_EQ(-ENOENT, route_db_get(db, "n3", 30, &l));
	EXPECT_EQ(ROUTE_LSA_OLD, route_db_update(db, &l, 30));

	/* Our own LSA from a past life outnumbers us: we go past it. */
	ASSERT_EQ(0, route_db_get(db, "n1", 30, &own));
	l = own;
	l.seq += 50;
	EXPECT_EQ(ROUTE_LSA_SELF_STALE, route_db_update(db, &l, 30));
	ASSERT_EQ(0, route_db_originate(db, own.links, own.count, 1, 31, &l));
	EXPECT_EQ(own.seq + 51, l.seq);
	EXPECT_EQ(ROUTE_LSA_SAME, route_db_update(db, &l, 31));

	/* Bad LSAs never get in. */
	l = lsas[1];
	l.seq = 0;
	EXPECT_EQ(-EINVAL, route_db_update(db, &l, 31));
	route_db_destroy(db);
}

TEST(route_database_full)
{
	struct route_db *db;
	struct lsa l = { .seq = 1 };
	int i;

	ASSERT_EQ(0, route_db_create("n1", &db));
	for (i = 0; i < ROUTE_NODES_MAX; i++) {
		snprintf(l.origin, sizeof(l.origin), "x%d", i);
		ASSERT_EQ(ROUTE_LSA_NEW, route_db_update(db, &l, 1));
	}
	strcpy(l.origin, "one-more");
	EXPECT_EQ(-ENOSPC, route_db_update(db, &l, 1));
	route_db_destroy(db);
}

static uint8_t buf[RELAY_MSG_MAX + 2048];

static int lsa_sample(void)
{
	line(3, 77);
	lsas[1].seq = 0x01020304;
	lsas[1].age = 9;
	return route_lsa_encode(&lsas[1], buf, sizeof(buf));
}

TEST(lsa_roundtrip)
{
	const char *why = NULL;
	struct lsa out;
	int len;

	len = lsa_sample();
	ASSERT_GT(len, 0);
	ASSERT_EQ(0, route_lsa_decode(buf, len, &out, &why)) {
		TH_LOG("%s", why);
	}
	EXPECT_STREQ("n2", out.origin);
	EXPECT_EQ(0x01020304, out.seq);
	EXPECT_EQ(9, out.age);
	ASSERT_EQ(2, out.count);
	EXPECT_STREQ("n1", out.links[0].peer);
	EXPECT_STREQ("n3", out.links[1].peer);
	EXPECT_EQ(77, out.links[1].stock);
	EXPECT_EQ(1000, out.links[1].rate);
	EXPECT_EQ(ROUTE_LINK_UP, out.links[1].state);
	EXPECT_EQ(-ENOSPC, route_lsa_encode(&lsas[1], buf, len - 1));
}

/* Decode a mutated sample: the reason, or "accepted". */
static const char *lsa_why(int len)
{
	const char *why = NULL;
	struct lsa out;

	if (!route_lsa_decode(buf, len, &out, &why))
		return "accepted";
	return why ? why : "no reason";
}

TEST(lsa_rejects_with_reason)
{
	/* Offsets in the sample: 0 version, 1 "\2n2", 4 seq, 8 age,
	 * 10 count, 11 first link "\2n1", 14 state, 15 stock, 19 rate,
	 * 23 second link. */
	int len, i;

	len = lsa_sample();
	for (i = 0; i < len; i++)
		EXPECT_STREQ("payload truncated", lsa_why(i));
	buf[len] = 0;
	EXPECT_STREQ("trailing bytes after the payload", lsa_why(len + 1));

	buf[0] = 2;
	EXPECT_STREQ("unsupported relay version", lsa_why(len));
	lsa_sample();
	buf[1] = 0;
	EXPECT_STREQ("node ID length out of range", lsa_why(len));
	lsa_sample();
	buf[2] = ' ';
	EXPECT_STREQ("bad character in node ID", lsa_why(len));
	lsa_sample();
	memset(buf + 4, 0, 4);
	EXPECT_STREQ("sequence number 0", lsa_why(len));
	lsa_sample();
	buf[8] = 0xff;
	EXPECT_STREQ("age beyond the maximum", lsa_why(len));
	lsa_sample();
	buf[10] = ROUTE_LINKS_MAX + 1;
	EXPECT_STREQ("too many links", lsa_why(len));
	lsa_sample();
	buf[10] = 3;			/* a link more than there is */
	EXPECT_STREQ("payload truncated", lsa_why(len));
	lsa_sample();
	buf[10] = 1;			/* a link less */
	EXPECT_STREQ("trailing bytes after the payload", lsa_why(len));
	lsa_sample();
	buf[14] = 3;
	EXPECT_STREQ("bad link state", lsa_why(len));
	lsa_sample();
	buf[13] = '2';			/* a link to itself */
	EXPECT_STREQ("link to the origin itself", lsa_why(len));
	lsa_sample();
	buf[25] = '1';			/* n3 -> n1 again */
	EXPECT_STREQ("neighbour listed twice", lsa_why(len));
	lsa_sample();
	EXPECT_STREQ("accepted", lsa_why(len));
}

static void relay_sample(struct relay_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->relay = 0x1122334455667788ULL;
	m->nodes = 4;
	m->from = 1;
	m->to = 2;
	strcpy(m->route[0], "n1");
	strcpy(m->route[1], "n2");
	strcpy(m->route[2], "n3");
	strcpy(m->route[3], "n4");
	memset(m->key_id, 0xa5, sizeof(m->key_id));
	m->key_bytes = 32;
	m->npad = 1;
	m->nmac = 1;
	memset(m->ids[0], 1, QKD_KEY_ID_LEN);
	memset(m->ids[1], 2, QKD_KEY_ID_LEN);
	memset(m->ct, 0x3c, sizeof(m->ct));
	memset(m->tag, 0x7e, sizeof(m->tag));
	m->reason = RELAY_ABORT_BAD_MAC;
	m->count = 10;
	strcpy(m->text, "tag mismatch");
	if (type == KX_RELAY_COMPLETE || type == KX_RELAY_DONE) {
		m->from = 2;
		m->to = 1;
	}
	if (type == KX_RELAY_ABORT)
		m->nids = 2;
}

TEST(relay_msg_roundtrip_every_type)
{
	static struct relay_msg in, out;
	const char *why = NULL;
	int t, len;

	for (t = KX_RELAY; t < __KX_RELAY_TYPE_MAX; t++) {
		relay_sample(&in, t);
		len = relay_msg_encode(&in, buf, sizeof(buf));
		ASSERT_GT(len, 0) {
			TH_LOG("%s", relay_type_name(t));
		}
		ASSERT_EQ(0, relay_msg_decode(t, buf, len, &out, &why)) {
			TH_LOG("%s: %s", relay_type_name(t), why);
		}
		EXPECT_EQ(in.relay, out.relay);
		EXPECT_EQ(4, out.nodes);
		EXPECT_STREQ("n4", out.route[3]);
		EXPECT_EQ(in.from, out.from);
		if (t != KX_RELAY_REQUEST) {
			EXPECT_EQ(0, memcmp(in.key_id, out.key_id, 16));
		} else {
			EXPECT_EQ(10, out.count);
		}
		if (t == KX_RELAY) {
			EXPECT_EQ(32, out.key_bytes);
			EXPECT_EQ(0, memcmp(in.ids, out.ids, 32));
			EXPECT_EQ(0, memcmp(in.ct, out.ct, 32));
			EXPECT_EQ(0, memcmp(in.tag, out.tag, 16));
		}
		if (t == KX_RELAY_ABORT) {
			EXPECT_EQ(RELAY_ABORT_BAD_MAC, out.reason);
			EXPECT_EQ(2, out.nids);
			EXPECT_STREQ("tag mismatch", out.text);
		}
	}
	/* The first hop carries no ciphertext: 32 bytes shorter. */
	relay_sample(&in, KX_RELAY);
	in.from = 0;
	in.to = 1;
	ASSERT_EQ(len = relay_msg_encode(&in, buf, sizeof(buf)),
		  relay_msg_aad(&in, buf + 2048, 2048) - 2 + RELAY_TAG_LEN);
	ASSERT_EQ(0, relay_msg_decode(KX_RELAY, buf, len, &out, &why));
	EXPECT_EQ(0, out.from);
	EXPECT_EQ(-EINVAL, relay_msg_decode(KX_LSA, buf, len, &out, &why));
	EXPECT_EQ(-EINVAL, relay_msg_decode(99, buf, len, &out, &why));
}

static const char *relay_why(uint8_t type, int len)
{
	static struct relay_msg out;
	const char *why = NULL;

	if (!relay_msg_decode(type, buf, len, &out, &why))
		return "accepted";
	return why ? why : "no reason";
}

/* m encoded is accepted, and refused cut anywhere or with a byte more. */
static void strict_about_length(struct __test_metadata *_metadata,
				const struct relay_msg *m)
{
	int len = relay_msg_encode(m, buf, sizeof(buf)), i;

	ASSERT_GT(len, 0);
	for (i = 0; i < len; i++)
		EXPECT_STREQ("payload truncated", relay_why(m->type, i)) {
			TH_LOG("%s cut at %d", relay_type_name(m->type), i);
		}
	buf[len] = 0;
	EXPECT_STREQ("trailing bytes after the payload",
		     relay_why(m->type, len + 1));
	EXPECT_STREQ("accepted", relay_why(m->type, len));
}

TEST(relay_msg_truncated_and_trailing)
{
	static struct relay_msg m;
	int t;

	for (t = KX_RELAY; t < __KX_RELAY_TYPE_MAX; t++) {
		relay_sample(&m, t);
		strict_about_length(_metadata, &m);
	}
}

/* A valid sample with len bytes at off replaced, and the verdict. */
struct patch {
	uint8_t type, off, len;
	uint8_t val[QKD_KEY_ID_LEN];
	const char *why;
};

/*
 * Offsets in the RELAY sample: 0 version, 1 relay, 9 nodes, 10 from,
 * 11 to, 12 route ("\2n1\2n2\2n3\2n4"), 24 key ID, 40 key bytes, 42 npad,
 * 43 nmac, 44 link key IDs, 76 ciphertext, 108 tag. In the ABORT sample:
 * 40 reason, 41 count, 42 IDs, 74 text; in the REQUEST sample: 24 count,
 * 26 key bytes.
 */
static const struct patch patches[] = {
	{ KX_RELAY, 0, 1, { RELAY_VERSION_MAX + 1 }, "unsupported relay version" },
	{ KX_RELAY, 0, 1, { 0 }, "unsupported relay version" },
	{ KX_RELAY, 9, 1, { 1 }, "route length out of range" },
	{ KX_RELAY, 9, 1, { 17 }, "route length out of range" },
	{ KX_RELAY, 11, 1, { 3 }, "hop positions are not adjacent on the route" },
	{ KX_RELAY, 10, 2, { 4, 5 }, "hop positions are not adjacent on the route" },
	{ KX_RELAY, 10, 2, { 2, 1 }, "frame travels the wrong way" },
	{ KX_RELAY_ADDED, 10, 2, { 2, 1 }, "frame travels the wrong way" },
	{ KX_RELAY_REQUEST, 10, 2, { 2, 1 }, "frame travels the wrong way" },
	{ KX_RELAY, 20, 1, { '2' }, "node twice on the route" },
	{ KX_RELAY, 14, 1, { '/' }, "bad character in node ID" },
	{ KX_RELAY, 41, 1, { 15 }, "key size out of range" },
	{ KX_RELAY, 42, 2, { 0, 2 }, "link key counts out of range" },
	{ KX_RELAY, 43, 1, { 7 }, "link key counts out of range" },
	/* A 16-byte K padded with two link keys: one would do. */
	{ KX_RELAY, 41, 3, { 16, 2, 1 }, "link key counts out of range" },
	{ KX_RELAY, 60, 16, { [0 ... 15] = 1 }, "link key named twice" },
	{ KX_RELAY_ABORT, 40, 1, { 0 }, "unknown abort reason" },
	{ KX_RELAY_ABORT, 40, 1, { 99 }, "unknown abort reason" },
	{ KX_RELAY_ABORT, 41, 1, { RELAY_V1_HOP_KEYS_MAX + 1 },
	  "link key count out of range" },
	{ KX_RELAY_ABORT, 75, 1, { '\n' }, "text is not printable ASCII" },
	{ KX_RELAY_REQUEST, 24, 2, { 0, 0 }, "key count out of range" },
	{ KX_RELAY_REQUEST, 24, 2, { 4, 1 }, "key count out of range" },
	{ KX_RELAY_REQUEST, 26, 2, { 0, 65 }, "key size out of range" },
};

/* A frame of another relay version: its envelope is read, nothing more. */
TEST(relay_msg_envelope_of_any_version)
{
	static struct relay_msg m, out;
	const char *why;
	unsigned int t;
	int len;

	for (t = KX_RELAY; t < __KX_RELAY_TYPE_MAX; t++) {
		relay_sample(&m, t);
		len = relay_msg_encode(&m, buf, sizeof(buf));
		ASSERT_GT(len, 0);
		buf[0] = RELAY_VERSION_MAX + 1;
		EXPECT_STREQ("unsupported relay version", relay_why(t, len));
		/* A later version may change what follows the envelope. */
		buf[len++] = 0xff;
		ASSERT_EQ(0, relay_msg_envelope(t, buf, len, &out, &why)) {
			TH_LOG("%s: %s", relay_type_name(t), why);
		}
		EXPECT_EQ(m.relay, out.relay);
		EXPECT_EQ(4, out.nodes);
		EXPECT_EQ(m.from, out.from);
		EXPECT_EQ(m.to, out.to);
		EXPECT_STREQ("n4", out.route[3]);
		if (t != KX_RELAY_REQUEST)
			EXPECT_EQ(0, memcmp(m.key_id, out.key_id,
					    QKD_KEY_ID_LEN));
		/* Its envelope must still parse and make sense. */
		buf[11] = buf[10];	/* to = from */
		EXPECT_EQ(-EINVAL, relay_msg_envelope(t, buf, len, &out, &why));
		EXPECT_EQ(-EINVAL, relay_msg_envelope(t, buf, 11, &out, &why));
	}
	EXPECT_EQ(-EINVAL, relay_msg_envelope(KX_LSA, buf, len, &out, &why));
	EXPECT_STREQ("unsupported relay version",
		     relay_abort_name(RELAY_ABORT_VERSION));
}

TEST(relay_msg_rejects_with_reason)
{
	static struct relay_msg m;
	const struct patch *p;
	int len;

	for (p = patches; p < patches + ARRAY_SIZE(patches); p++) {
		relay_sample(&m, p->type);
		len = relay_msg_encode(&m, buf, sizeof(buf));
		ASSERT_GE(len, p->off + p->len);
		memcpy(buf + p->off, p->val, p->len);
		EXPECT_STREQ(p->why, relay_why(p->type, len)) {
			TH_LOG("%s: %u bytes at %u", relay_type_name(p->type),
			       p->len, p->off);
		}
	}
}

/* Decode buf as type t (an LSA or a relay frame), then encode it to out. */
static int reencode(unsigned int t, int len, uint8_t *out, size_t size)
{
	static struct relay_msg m;
	const char *why;
	struct lsa l;
	int n;

	if (t == KX_LSA ? route_lsa_decode(buf, len, &l, &why) :
	    relay_msg_decode(t, buf, len, &m, &why))
		return -EINVAL;
	n = t == KX_LSA ? route_lsa_encode(&l, out, size) :
	    relay_msg_encode(&m, out, size);
	/* Accepted but not encodable: the two disagree. */
	return n < 0 ? -EPROTO : n;
}

/*
 * Whatever a decoder accepts encodes back to the very same bytes: the
 * receiver of a RELAY recomputes the MAC's header from what it decoded,
 * so the encoding must be canonical. Tried on every byte of each sample
 * with a few values.
 */
TEST(decoders_accept_only_canonical_bytes)
{
	static const uint8_t vals[] = { 0, 1, 2, 0x20, 0x7f, 0xff };
	static uint8_t again[sizeof(buf)], orig[sizeof(buf)];
	static struct relay_msg m;
	unsigned int t, i, v, accepted = 0;
	int len, n;

	for (t = KX_LSA; t < __KX_RELAY_TYPE_MAX; t++) {
		if (t == KX_LSA) {
			len = lsa_sample();
		} else {
			relay_sample(&m, t);
			len = relay_msg_encode(&m, buf, sizeof(buf));
		}
		ASSERT_GT(len, 0);
		memcpy(orig, buf, len);
		for (i = 0; i < (unsigned int)len; i++)
			for (v = 0; v < ARRAY_SIZE(vals); v++) {
				memcpy(buf, orig, len);
				buf[i] = vals[v];
				n = reencode(t, len, again, sizeof(again));
				if (n == -EINVAL)
					continue;
				accepted++;
				EXPECT_EQ(len, n);
				EXPECT_EQ(0, memcmp(buf, again, len)) {
					TH_LOG("%s: byte %u = %#x",
					       relay_type_name(t), i, vals[v]);
				}
			}
	}
	/* Data bytes (IDs, tag, counters) change and still parse. */
	EXPECT_GT(accepted, 100);
}

TEST(relay_msg_encode_refuses_invalid)
{
	static struct relay_msg m;

	relay_sample(&m, KX_RELAY);
	m.to = 0;
	EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
	relay_sample(&m, KX_RELAY);
	strcpy(m.route[2], "n 3");
	EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
	relay_sample(&m, KX_RELAY_ABORT);
	m.text[0] = 1;
	EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
	relay_sample(&m, KX_RELAY);
	EXPECT_EQ(-ENOSPC, relay_msg_encode(&m, buf, 100));
	relay_sample(&m, KX_RELAY_DONE);
	EXPECT_EQ(-EINVAL, relay_msg_aad(&m, buf, sizeof(buf)));
}

/* Link keys of one hop, as both of its ends hold them. */
struct hop {
	struct qkd_key_record recs[RELAY_HOP_KEYS_MAX];
	uint8_t npad, nmac;
};

/* A hop carrying count keys of key_bytes over link keys of link_bytes. */
static int hop_new_batch(struct hop *h, unsigned int key_bytes,
			 unsigned int link_bytes, unsigned int count)
{
	int i, err;

	err = relay_otp_cost(key_bytes, link_bytes, count, &h->npad,
			     &h->nmac);
	for (i = 0; !err && i < h->npad + h->nmac; i++)
		err = qkd_random_key(&h->recs[i], link_bytes, QKD_OWNER_LOCAL,
				     0);
	return err;
}

static int hop_new(struct hop *h, unsigned int key_bytes,
		   unsigned int link_bytes)
{
	return hop_new_batch(h, key_bytes, link_bytes, 1);
}

/* corrupt 1 flips this byte of the ciphertext (-1: its last). */
static int flip_at = -1;

/*
 * Relay a batch of count keys of kb bytes, K = k0 (count * kb bytes), over
 * hops hops: each hop's sender seals with its keys, the receiver opens
 * with its own copy, which corrupt may spoil (0 none, 1 ciphertext, 2 tag,
 * 3 header, 4 pad key, 5 MAC key) at hop corrupt_hop. Returns the first
 * error, or 0 with k_out = K.
 */
static int relay_batch_over(struct hop *hops, int n, const uint8_t *k0,
			    unsigned int kb, unsigned int count, int corrupt,
			    int corrupt_hop, uint8_t *k_out)
{
	static uint8_t k[RELAY_K_MAX], aad[RELAY_AAD_MAX];
	static struct relay_hop_keys tx, rx;
	static struct relay_msg m;
	static struct hop spoilt;
	unsigned int klen = count * kb;
	int i, j, len, err = 0;

	memcpy(k, k0, klen);
	relay_sample(&m, KX_RELAY);
	m.version = count > 1 ? 2 : 1;
	m.nkeys = count;
	m.nodes = n + 1;
	m.key_bytes = kb;
	for (i = 0; !err && i < n; i++) {
		m.from = i;
		m.to = i + 1;
		m.npad = hops[i].npad;
		m.nmac = hops[i].nmac;
		for (j = 0; j < m.npad + m.nmac; j++)
			memcpy(m.ids[j], hops[i].recs[j].id, QKD_KEY_ID_LEN);
		err = relay_hop_keys_load(&tx, hops[i].recs, m.npad, m.nmac,
					  kb, count);
		if (err)
			break;
		len = relay_msg_aad(&m, aad, sizeof(aad));
		err = len < 0 ? len :
		      relay_otp_seal(&tx, aad, len, k, klen, i ? m.ct : NULL,
				     m.tag);
		relay_hop_keys_wipe(&tx);
		if (err)
			break;
		/* In flight: the first hop carries no copy of K. */
		if (i && !memcmp(m.ct, k, klen))
			err = -EPROTO;
		memset(k, 0, sizeof(k));
		spoilt = hops[i];
		if (i == corrupt_hop) {
			if (corrupt == 1)
				m.ct[flip_at < 0 ? (int)klen - 1 : flip_at] ^= 1;
			if (corrupt == 2)
				m.tag[0] ^= 0x80;
			if (corrupt == 3)
				m.relay ^= 1ULL << 40;
			if (corrupt == 4)
				spoilt.recs[0].material[3] ^= 4;
			if (corrupt == 5)
				spoilt.recs[m.npad].material[31] ^= 1;
		}
		if (!err)
			err = relay_hop_keys_load(&rx, spoilt.recs, m.npad,
						  m.nmac, kb, count);
		len = relay_msg_aad(&m, aad, sizeof(aad));
		if (!err)
			err = len < 0 ? len :
			      relay_otp_open(&rx, aad, len, i ? m.ct : NULL,
					     klen, m.tag, k);
		relay_hop_keys_wipe(&rx);
		qkd_wipe(&spoilt, sizeof(spoilt));
		if (corrupt == 3 && i == corrupt_hop)
			m.relay ^= 1ULL << 40;
	}
	memcpy(k_out, k, klen);
	qkd_wipe(k, sizeof(k));
	return err;
}

static int relay_over(struct hop *hops, int n, const uint8_t *k0,
		      unsigned int kb, int corrupt, int corrupt_hop,
		      uint8_t *k_out)
{
	return relay_batch_over(hops, n, k0, kb, 1, corrupt, corrupt_hop,
				k_out);
}

TEST(otp_three_hops_give_k_back)
{
	uint8_t k[QKD_KEY_MAX_LEN], out[QKD_KEY_MAX_LEN];
	struct hop hops[3];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, hop_new(&hops[i], 32, 32));
	EXPECT_EQ(1, hops[0].npad);
	EXPECT_EQ(1, hops[0].nmac);
	/* K is the first hop's data key: the source has nothing else. */
	memcpy(k, hops[0].recs[0].material, 32);
	ASSERT_EQ(0, relay_over(hops, 3, k, 32, 0, -1, out));
	EXPECT_EQ(0, memcmp(k, out, 32));

	/* 64-byte K on 16-byte link keys: four pad keys, two MAC keys. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, hop_new(&hops[i], 64, 16));
	EXPECT_EQ(4, hops[0].npad);
	EXPECT_EQ(2, hops[0].nmac);
	for (i = 0; i < 4; i++)
		memcpy(k + 16 * i, hops[0].recs[i].material, 16);
	ASSERT_EQ(0, relay_over(hops, 3, k, 64, 0, -1, out));
	EXPECT_EQ(0, memcmp(k, out, 64));
	qkd_wipe(hops, sizeof(hops));
}

TEST(otp_tamper_and_wrong_keys_fail)
{
	uint8_t k[QKD_KEY_MAX_LEN], out[QKD_KEY_MAX_LEN];
	struct hop hops[3];
	int i, what;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, hop_new(&hops[i], 32, 32));
	memcpy(k, hops[0].recs[0].material, 32);
	for (what = 1; what <= 5; what++)
		for (i = 0; i < 3; i++) {
			if (what == 1 && i == 0)
				continue;	/* no ciphertext there */
			memset(out, 0x55, sizeof(out));
			EXPECT_EQ(-EBADMSG, relay_over(hops, 3, k, 32, what, i,
						       out)) {
				TH_LOG("corruption %d at hop %d", what, i);
			}
			/* Nothing of K is left behind by a failed hop. */
			EXPECT_NE(0, memcmp(k, out, 32));
		}
	qkd_wipe(hops, sizeof(hops));
}

TEST(otp_every_bit_of_ciphertext_and_tag)
{
	uint8_t k[32], ct[32], tag[RELAY_TAG_LEN], got[32], aad[8] = "header";
	struct relay_hop_keys hk;
	struct hop h;
	int bit;

	ASSERT_EQ(0, hop_new(&h, 32, 32));
	ASSERT_EQ(0, qkd_random_bytes(k, sizeof(k)));
	ASSERT_EQ(0, relay_hop_keys_load(&hk, h.recs, 1, 1, 32, 1));
	ASSERT_EQ(0, relay_otp_seal(&hk, aad, sizeof(aad), k, 32, ct, tag));
	ASSERT_EQ(0, relay_otp_open(&hk, aad, sizeof(aad), ct, 32, tag, got));
	EXPECT_EQ(0, memcmp(k, got, 32));
	for (bit = 0; bit < 8 * 32; bit++) {
		ct[bit / 8] ^= 1 << bit % 8;
		EXPECT_EQ(-EBADMSG, relay_otp_open(&hk, aad, sizeof(aad), ct,
						   32, tag, got));
		ct[bit / 8] ^= 1 << bit % 8;
	}
	for (bit = 0; bit < 8 * RELAY_TAG_LEN; bit++) {
		tag[bit / 8] ^= 1 << bit % 8;
		EXPECT_EQ(-EBADMSG, relay_otp_open(&hk, aad, sizeof(aad), ct,
						   32, tag, got));
		tag[bit / 8] ^= 1 << bit % 8;
	}
	for (bit = 0; bit < 8 * (int)sizeof(aad); bit++) {
		aad[bit / 8] ^= 1 << bit % 8;
		EXPECT_EQ(-EBADMSG, relay_otp_open(&hk, aad, sizeof(aad), ct,
						   32, tag, got));
		aad[bit / 8] ^= 1 << bit % 8;
	}
	EXPECT_EQ(-EBADMSG, relay_otp_open(&hk, aad, sizeof(aad) - 1, ct, 32,
					   tag, got));
	EXPECT_EQ(0, relay_otp_open(&hk, aad, sizeof(aad), ct, 32, tag, got));
	relay_hop_keys_wipe(&hk);
	qkd_wipe(&h, sizeof(h));
}

TEST(otp_spends_exactly_what_it_costs)
{
	struct relay_hop_keys hk;
	struct hop h;
	uint8_t np, nm;

	EXPECT_EQ(0, relay_otp_cost(32, 32, 1, &np, &nm));
	EXPECT_EQ(1, np);
	EXPECT_EQ(1, nm);
	EXPECT_EQ(0, relay_otp_cost(48, 32, 1, &np, &nm));
	EXPECT_EQ(2, np);
	EXPECT_EQ(0, relay_otp_cost(16, 64, 1, &np, &nm));
	EXPECT_EQ(1, np);
	EXPECT_EQ(1, nm);
	EXPECT_EQ(-EINVAL, relay_otp_cost(8, 32, 1, &np, &nm));
	EXPECT_EQ(-EINVAL, relay_otp_cost(32, 65, 1, &np, &nm));

	ASSERT_EQ(0, hop_new(&h, 32, 16));
	ASSERT_EQ(2, h.npad);
	ASSERT_EQ(2, h.nmac);
	EXPECT_EQ(0, relay_hop_keys_load(&hk, h.recs, 2, 2, 32, 1));
	/* A key too many or too few, for the pad or for the MAC. */
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 3, 1, 32, 1));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 1, 3, 32, 1));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 1, 2, 32, 1));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 2, 1, 32, 1));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 0, 2, 32, 1));
	relay_hop_keys_wipe(&hk);
	qkd_wipe(&h, sizeof(h));
}

/* A RELAY of relay version 2: 16 keys of 32 bytes, 32-byte link keys. */
static void batch_sample(struct relay_msg *m, uint8_t type)
{
	int i;

	relay_sample(m, type);
	m->version = 2;
	m->nkeys = RELAY_BATCH_MAX;
	if (type != KX_RELAY)
		return;
	m->npad = RELAY_BATCH_MAX;
	for (i = 0; i < m->npad + m->nmac; i++)
		memset(m->ids[i], i + 1, QKD_KEY_ID_LEN);
	for (i = 0; i < RELAY_BATCH_MAX * 32; i++)
		m->ct[i] = i;
}

TEST(relay_msg_v2_roundtrip)
{
	static struct relay_msg in, out, v1;
	const char *why = NULL;
	int t, len, len1;

	for (t = KX_RELAY; t < __KX_RELAY_TYPE_MAX; t++) {
		batch_sample(&in, t);
		len = relay_msg_encode(&in, buf, sizeof(buf));
		ASSERT_GT(len, 0);
		ASSERT_EQ(0, relay_msg_decode(t, buf, len, &out, &why)) {
			TH_LOG("%s: %s", relay_type_name(t), why);
		}
		relay_sample(&v1, t);
		len1 = relay_msg_encode(&v1, buf + 4096, sizeof(buf) - 4096);
		ASSERT_GT(len1, 0);
		if (t == KX_RELAY_REQUEST) {
			/* Nothing of a batch in a request. */
			EXPECT_EQ(len1, len);
			continue;
		}
		EXPECT_EQ(2, buf[0]);
		EXPECT_EQ(2, relay_msg_version(&out));
		EXPECT_EQ(RELAY_BATCH_MAX, relay_msg_keys(&out));
		/* The count right after the key ID, at 40. */
		EXPECT_EQ(RELAY_BATCH_MAX, buf[40]);
		EXPECT_EQ(0, memcmp(in.key_id, out.key_id, QKD_KEY_ID_LEN));
		if (t != KX_RELAY) {
			EXPECT_EQ(len1 + 1, len);
			continue;
		}
		/* 15 more pad key IDs and 15 more keys of ciphertext. */
		EXPECT_EQ(len1 + 1 + 15 * QKD_KEY_ID_LEN + 15 * 32, len);
		EXPECT_EQ(RELAY_BATCH_MAX, out.npad);
		EXPECT_EQ(1, out.nmac);
		EXPECT_EQ(0, memcmp(in.ids, out.ids, 17 * QKD_KEY_ID_LEN));
		EXPECT_EQ(0, memcmp(in.ct, out.ct, RELAY_BATCH_MAX * 32));
		EXPECT_EQ(0, memcmp(in.tag, out.tag, RELAY_TAG_LEN));
		/* The aad covers the count. */
		ASSERT_EQ(len - RELAY_BATCH_MAX * 32 - RELAY_TAG_LEN + 2,
			  relay_msg_aad(&in, buf, sizeof(buf)));
		EXPECT_EQ(RELAY_BATCH_MAX, buf[42]);
	}
	/* The largest batch fits a Kx frame: 16 keys of 64 bytes. */
	batch_sample(&in, KX_RELAY);
	in.key_bytes = 64;
	in.npad = RELAY_PAD_KEYS_MAX;
	in.nmac = RELAY_MAC_KEYS_MAX;
	for (t = 0; t < RELAY_HOP_KEYS_MAX; t++) {
		memset(in.ids[t], 0, QKD_KEY_ID_LEN);
		in.ids[t][0] = t;
	}
	for (t = 0; t < ROUTE_PATH_MAX; t++)
		snprintf(in.route[t], sizeof(in.route[t]), "%063d", t);
	in.nodes = ROUTE_PATH_MAX;
	len = relay_msg_encode(&in, buf, sizeof(buf));
	ASSERT_GT(len, 0);
	EXPECT_LE(len, RELAY_MSG_MAX);
	EXPECT_LE(len, KX_PAYLOAD_MAX);
	ASSERT_EQ(0, relay_msg_decode(KX_RELAY, buf, len, &out, &why));
	EXPECT_EQ(RELAY_HOP_KEYS_MAX, out.npad + out.nmac);
}

TEST(relay_msg_v2_refusals)
{
	static struct relay_msg m;
	int t, i, len;

	for (t = KX_RELAY; t < __KX_RELAY_TYPE_MAX; t++) {
		if (t == KX_RELAY_REQUEST)
			continue;
		batch_sample(&m, t);
		strict_about_length(_metadata, &m);
		len = relay_msg_encode(&m, buf, sizeof(buf));
		ASSERT_GT(len, 0);
		buf[40] = 0;
		EXPECT_STREQ("batch size out of range", relay_why(t, len));
		buf[40] = RELAY_BATCH_MAX + 1;
		EXPECT_STREQ("batch size out of range", relay_why(t, len));
		/* Never sent either. */
		m.nkeys = 0;
		EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
		m.nkeys = RELAY_BATCH_MAX + 1;
		EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
	}
	/* Two keys: at most 2 x ceil(32 / 16) pad keys. */
	batch_sample(&m, KX_RELAY);
	m.nkeys = 2;
	m.npad = 5;
	EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
	m.npad = 4;
	m.nmac = 2;
	len = relay_msg_encode(&m, buf, sizeof(buf));
	ASSERT_GT(len, 0);
	buf[43] = 5;	/* npad, nmac: as many IDs, one pad key too many */
	buf[44] = 1;
	EXPECT_STREQ("link key counts out of range", relay_why(KX_RELAY, len));
	/* A version 1 ABORT lists at most 6 link keys, version 2 66. */
	batch_sample(&m, KX_RELAY_ABORT);
	m.nids = RELAY_HOP_KEYS_MAX;
	for (i = 0; i < m.nids; i++)
		memset(m.ids[i], i, QKD_KEY_ID_LEN);
	len = relay_msg_encode(&m, buf, sizeof(buf));
	ASSERT_GT(len, 0);
	EXPECT_STREQ("accepted", relay_why(KX_RELAY_ABORT, len));
	m.version = 1;
	EXPECT_EQ(-EINVAL, relay_msg_encode(&m, buf, sizeof(buf)));
}

/* A frame naming one link key more or fewer than the batch costs. */
TEST(otp_batch_refuses_wrong_key_count)
{
	static struct relay_hop_keys hk;
	static struct hop h;
	uint8_t np, nm;

	EXPECT_EQ(0, relay_otp_cost(32, 32, 16, &np, &nm));
	EXPECT_EQ(16, np);
	EXPECT_EQ(1, nm);
	EXPECT_EQ(0, relay_otp_cost(64, 16, 16, &np, &nm));
	EXPECT_EQ(RELAY_PAD_KEYS_MAX, np);
	EXPECT_EQ(2, nm);
	EXPECT_EQ(0, relay_otp_cost(48, 32, 3, &np, &nm));
	EXPECT_EQ(6, np);
	EXPECT_EQ(-EINVAL, relay_otp_cost(32, 32, 0, &np, &nm));
	EXPECT_EQ(-EINVAL, relay_otp_cost(32, 32, RELAY_BATCH_MAX + 1, &np,
					  &nm));

	ASSERT_EQ(0, hop_new_batch(&h, 32, 32, 16));
	EXPECT_EQ(0, relay_hop_keys_load(&hk, h.recs, 16, 1, 32, 16));
	EXPECT_EQ(16 * 32, hk.pad_len);
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 15, 1, 32, 16));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 17, 1, 32, 16));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 16, 2, 32, 16));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 16, 0, 32, 16));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 16, 1, 32, 15));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 16, 1, 32, 0));
	/* 32-byte keys on 16-byte link keys: two pad keys each. */
	ASSERT_EQ(0, hop_new_batch(&h, 32, 16, 3));
	EXPECT_EQ(6, h.npad);
	EXPECT_EQ(0, relay_hop_keys_load(&hk, h.recs, 6, 2, 32, 3));
	EXPECT_EQ(0, memcmp(hk.pad + 32, h.recs[2].material, 16));
	EXPECT_EQ(0, memcmp(hk.pad + 48, h.recs[3].material, 16));
	EXPECT_EQ(-EINVAL, relay_hop_keys_load(&hk, h.recs, 6, 2, 32, 2));
	relay_hop_keys_wipe(&hk);
	qkd_wipe(&h, sizeof(h));
}

TEST(relay_key_ids_carry_and_wrap)
{
	uint8_t id0[QKD_KEY_ID_LEN], id[QKD_KEY_ID_LEN];

	memset(id0, 0xa5, sizeof(id0));
	id0[14] = 0x00;
	id0[15] = 0xff;
	relay_key_id(id0, 0, id);
	EXPECT_EQ(0, memcmp(id0, id, QKD_KEY_ID_LEN));
	relay_key_id(id0, 1, id);
	EXPECT_EQ(0, memcmp(id0, id, 14));
	EXPECT_EQ(0x01, id[14]);
	EXPECT_EQ(0x00, id[15]);
	/* The carry stays in the last two bytes: 0xfff5 + 15 = 0x0004. */
	id0[14] = 0xff;
	id0[15] = 0xf5;
	relay_key_id(id0, 15, id);
	EXPECT_EQ(0, memcmp(id0, id, 14));
	EXPECT_EQ(0x00, id[14]);
	EXPECT_EQ(0x04, id[15]);
	relay_key_id(id0, 10, id);
	EXPECT_EQ(0xff, id[14]);
	EXPECT_EQ(0xff, id[15]);
	relay_key_id(id0, 11, id);
	EXPECT_EQ(0x00, id[14]);
	EXPECT_EQ(0x00, id[15]);
	EXPECT_EQ(0xa5, id[13]);
}

TEST(otp_batch_of_16_over_three_hops)
{
	static uint8_t k[RELAY_K_MAX], out[RELAY_K_MAX];
	static struct hop hops[3];
	unsigned int kb = 32, n = RELAY_BATCH_MAX, i, key;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hop_new_batch(&hops[i], kb, 32, n));
		/* 17 link keys a hop for 16 keys, not 32. */
		EXPECT_EQ(17, hops[i].npad + hops[i].nmac);
	}
	/* K is the first hop's pad keys, concatenated. */
	for (i = 0; i < n; i++)
		memcpy(k + i * kb, hops[0].recs[i].material, kb);
	ASSERT_EQ(0, relay_batch_over(hops, 3, k, kb, n, 0, -1, out));
	EXPECT_EQ(0, memcmp(k, out, n * kb));
	/* Any one key's bytes tampered with, at any later hop: all fails. */
	for (key = 0; key < n; key++)
		for (i = 1; i < 3; i++) {
			flip_at = key * kb + key % kb;
			memset(out, 0x55, sizeof(out));
			EXPECT_EQ(-EBADMSG, relay_batch_over(hops, 3, k, kb, n,
							     1, i, out)) {
				TH_LOG("key %u at hop %u", key, i);
			}
			/* Not a key of the batch is left behind. */
			EXPECT_NE(0, memcmp(k, out, kb));
			EXPECT_NE(0, memcmp(k + (n - 1) * kb,
					    out + (n - 1) * kb, kb));
		}
	flip_at = -1;
	/* Any one key's link key spoilt at a receiver, the header, the tag. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EBADMSG, relay_batch_over(hops, 3, k, kb, n, 4, i,
						     out));
		EXPECT_EQ(-EBADMSG, relay_batch_over(hops, 3, k, kb, n, 3, i,
						     out));
		EXPECT_EQ(-EBADMSG, relay_batch_over(hops, 3, k, kb, n, 2, i,
						     out));
		EXPECT_EQ(-EBADMSG, relay_batch_over(hops, 3, k, kb, n, 5, i,
						     out));
	}
	qkd_wipe(hops, sizeof(hops));
	qkd_wipe(k, sizeof(k));
}

/* A batch of one is a version 1 frame, byte for byte (§7.2). */
TEST(relay_msg_batch_of_one_is_v1)
{
	static struct relay_msg m;
	static uint8_t want[124];
	const char *why;
	int len;

	want[0] = 1;
	memcpy(want + 1, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(want + 9, "\4\1\2\2n1\2n2\2n3\2n4", 15);
	memset(want + 24, 0xa5, 16);
	memcpy(want + 40, "\0\x20\1\1", 4);
	memset(want + 44, 1, 16);
	memset(want + 60, 2, 16);
	memset(want + 76, 0x3c, 32);
	memset(want + 108, 0x7e, 16);
	relay_sample(&m, KX_RELAY);
	m.version = 1;
	m.nkeys = 1;
	len = relay_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(sizeof(want), len);
	EXPECT_EQ(0, memcmp(want, buf, sizeof(want)));
	/* Unset version and count mean the same. */
	relay_sample(&m, KX_RELAY);
	ASSERT_EQ(sizeof(want), relay_msg_encode(&m, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(want, buf, sizeof(want)));
	ASSERT_EQ(0, relay_msg_decode(KX_RELAY, buf, len, &m, &why));
	EXPECT_EQ(1, relay_msg_version(&m));
	EXPECT_EQ(1, relay_msg_keys(&m));
	/* Version 2 with one key is a different frame: 1 byte longer. */
	relay_sample(&m, KX_RELAY);
	m.version = 2;
	m.nkeys = 1;
	EXPECT_EQ(sizeof(want) + 1, relay_msg_encode(&m, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
