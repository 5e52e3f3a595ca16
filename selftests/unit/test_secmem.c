// SPDX-License-Identifier: GPL-2.0
/*
 * Random keys: well-formed records, v4 UUIDs, bounds checked, wipes; the
 * wipe-on-free allocator functions keep what they move.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "pool.h"
#include "secmem.h"

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

TEST(secmem_random_key_record)
{
	struct qkd_key_record rec;

	ASSERT_EQ(0, qkd_random_key(&rec, 32, QKD_OWNER_PEER, 1234));
	EXPECT_EQ(32, rec.material_len);
	EXPECT_EQ(QKD_OWNER_PEER, rec.owner);
	EXPECT_EQ(1234, rec.lifetime_ms);
	EXPECT_EQ(0, rec.flags);
	EXPECT_EQ(0x40, rec.id[6] & 0xf0);	/* version 4 */
	EXPECT_EQ(0x80, rec.id[8] & 0xc0);	/* RFC 4122 variant */
	EXPECT_TRUE(all_zero(rec.material + 32, QKD_KEY_MAX_LEN - 32));
	EXPECT_FALSE(all_zero(rec.material, 32));
}

TEST(secmem_random_keys_differ)
{
	struct qkd_key_record a, b;

	ASSERT_EQ(0, qkd_random_key(&a, QKD_KEY_MAX_LEN, QKD_OWNER_LOCAL, 0));
	ASSERT_EQ(0, qkd_random_key(&b, QKD_KEY_MAX_LEN, QKD_OWNER_LOCAL, 0));
	EXPECT_NE(0, memcmp(a.id, b.id, sizeof(a.id)));
	EXPECT_NE(0, memcmp(a.material, b.material, sizeof(a.material)));
}

TEST(secmem_random_key_bounds)
{
	struct qkd_key_record rec;

	EXPECT_EQ(-EINVAL, qkd_random_key(&rec, QKD_KEY_MIN_LEN - 1,
					  QKD_OWNER_LOCAL, 0));
	EXPECT_EQ(-EINVAL, qkd_random_key(&rec, QKD_KEY_MAX_LEN + 1,
					  QKD_OWNER_LOCAL, 0));
	EXPECT_EQ(-EINVAL, qkd_random_key(&rec, 32, 0, 0));
	EXPECT_EQ(-EINVAL, qkd_random_key(&rec, 32, 3, 0));
	EXPECT_EQ(0, qkd_random_key(&rec, QKD_KEY_MIN_LEN, QKD_OWNER_LOCAL, 0));
}

TEST(secmem_record_wipe)
{
	struct qkd_key_record rec;

	ASSERT_EQ(0, qkd_random_key(&rec, 32, QKD_OWNER_LOCAL, 5));
	qkd_key_record_wipe(&rec);
	EXPECT_TRUE(all_zero(&rec, sizeof(rec)));
}

TEST(secmem_secure_process)
{
	struct rlimit rl;
	bool locked = true;

	ASSERT_EQ(0, qkd_secure_process(false, &locked));
	EXPECT_FALSE(locked);
	EXPECT_EQ(0, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	ASSERT_EQ(0, getrlimit(RLIMIT_CORE, &rl));
	EXPECT_EQ(0, rl.rlim_cur);
}

TEST(secmem_wiped_allocators)
{
	char *p, *q;

	/* A library's realloc() must keep the contents it moves. */
	p = qkd_realloc_wiped(NULL, 8);
	ASSERT_NE(NULL, p);
	memcpy(p, "0123456", 8);
	q = qkd_realloc_wiped(p, 4096);
	ASSERT_NE(NULL, q);
	EXPECT_STREQ("0123456", q);
	q[3] = '\0';
	p = qkd_realloc_wiped(q, 4);
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("012", p);
	EXPECT_EQ(NULL, qkd_realloc_wiped(p, 0));
	p = qkd_strdup_wiped("key material");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("key material", p);
	qkd_free_wiped(p);
	qkd_free_wiped(NULL);
}

TEST(secmem_record_layout)
{
	/* The device ABI: fixed for every architecture. */
	EXPECT_EQ(96, sizeof(struct qkd_key_record));
	EXPECT_EQ(16, offsetof(struct qkd_key_record, material_len));
	EXPECT_EQ(32, offsetof(struct qkd_key_record, material));
}

TEST_HARNESS_MAIN
