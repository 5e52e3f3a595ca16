// SPDX-License-Identifier: GPL-2.0
/* Key ID and hex text: formats round-trip, parsing is strict. */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "hex.h"
#include "keyid.h"

static const uint8_t id1[QKD_KEY_ID_LEN] = {
	0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
	0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00,
};

TEST(keyid_format_uuid)
{
	char s[QKD_KEYID_STR_SIZE];

	EXPECT_STREQ("123e4567-e89b-12d3-a456-426614174000",
		     qkd_keyid_format(id1, s));
}

TEST(keyid_format_hex)
{
	char s[QKD_KEYID_HEX_LEN + 1];

	EXPECT_STREQ("123e4567e89b12d3a456426614174000",
		     qkd_keyid_format_hex(id1, s));
}

TEST(keyid_parse_uuid_both_cases)
{
	uint8_t id[QKD_KEY_ID_LEN];

	ASSERT_EQ(0, qkd_keyid_parse("123e4567-e89b-12d3-a456-426614174000",
				     id, NULL));
	EXPECT_EQ(0, memcmp(id, id1, sizeof(id)));
	memset(id, 0, sizeof(id));
	ASSERT_EQ(0, qkd_keyid_parse("123E4567-E89B-12D3-A456-426614174000",
				     id, NULL));
	EXPECT_EQ(0, memcmp(id, id1, sizeof(id)));
}

TEST(keyid_parse_hex)
{
	uint8_t id[QKD_KEY_ID_LEN];

	ASSERT_EQ(0, qkd_keyid_parse("123e4567e89b12d3a456426614174000", id,
				     NULL));
	EXPECT_EQ(0, memcmp(id, id1, sizeof(id)));
}

TEST(keyid_roundtrip_all_byte_values)
{
	char s[QKD_KEYID_STR_SIZE];
	uint8_t id[QKD_KEY_ID_LEN], back[QKD_KEY_ID_LEN];
	int b, i;

	for (b = 0; b < 256; b += QKD_KEY_ID_LEN) {
		for (i = 0; i < QKD_KEY_ID_LEN; i++)
			id[i] = b + i;
		qkd_keyid_format(id, s);
		ASSERT_EQ(0, qkd_keyid_parse(s, back, NULL));
		ASSERT_EQ(0, memcmp(id, back, sizeof(id)));
	}
}

TEST(keyid_parse_rejects_and_keeps_output)
{
	static const char *const bad[] = {
		"",
		"123e4567-e89b-12d3-a456-42661417400",		/* short */
		"123e4567-e89b-12d3-a456-4266141740000",	/* long */
		"123e4567e-89b-12d3-a456-426614174000",		/* dash moved */
		"123e4567-e89b-12d3-a456_426614174000",		/* not a dash */
		"{23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456-42661417400g",		/* not hex */
		" 23e4567-e89b-12d3-a456-426614174000",
		"123e4567e89b12d3a45642661417400",		/* 31 digits */
		"123e4567e89b12d3a4564266141740000",		/* 33 digits */
		"0x3e4567e89b12d3a456426614174000",
		"123e4567e89b12d3a456426614174-00",
	};
	uint8_t id[QKD_KEY_ID_LEN];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(id, 0xaa, sizeof(id));
		why = NULL;
		EXPECT_EQ(-EINVAL, qkd_keyid_parse(bad[i], id, &why))
			TH_LOG("accepted bad[%zu]", i);
		EXPECT_NE(NULL, why);
		EXPECT_EQ(0xaa, id[0]);
		EXPECT_EQ(0xaa, id[15]);
	}
}

TEST(keyid_parse_null)
{
	uint8_t id[QKD_KEY_ID_LEN];

	EXPECT_EQ(-EINVAL, qkd_keyid_parse(NULL, id, NULL));
}

TEST(hex_decode)
{
	uint8_t out[3] = { 0 };

	ASSERT_EQ(0, qkd_hex_decode("00fFa5", 6, out));
	EXPECT_EQ(0x00, out[0]);
	EXPECT_EQ(0xff, out[1]);
	EXPECT_EQ(0xa5, out[2]);
	EXPECT_EQ(-EINVAL, qkd_hex_decode("abc", 3, out));
	EXPECT_EQ(-EINVAL, qkd_hex_decode("zz", 2, out));
	EXPECT_EQ(0xa5, out[2]);
}

TEST(hex_encode)
{
	const uint8_t in[] = { 0x00, 0x0f, 0xf0, 0xff };
	char s[9];

	qkd_hex_encode(in, sizeof(in), s);
	EXPECT_STREQ("000ff0ff", s);
}

TEST_HARNESS_MAIN
