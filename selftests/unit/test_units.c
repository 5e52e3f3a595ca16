// SPDX-License-Identifier: GPL-2.0
/* qkdctl's numbers and durations: strict parsing, exact formatting. */
#include <errno.h>

#include "kselftest_harness.h"
#include "units.h"

TEST(units_u32_valid)
{
	uint32_t v = 7;

	ASSERT_EQ(0, parse_u32("0", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, parse_u32("4294967295", &v));
	EXPECT_EQ(4294967295U, v);
	ASSERT_EQ(0, parse_u32("007", &v));
	EXPECT_EQ(7, v);
}

TEST(units_u32_invalid)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "0x10",
					   "1e3", "abc", "12a" };
	uint32_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, parse_u32(bad[i], &v))
			TH_LOG("accepted bad[%zu]", i);
	EXPECT_EQ(-ERANGE, parse_u32("4294967296", &v));
	EXPECT_EQ(-ERANGE, parse_u32("99999999999999999999999", &v));
	EXPECT_EQ(42, v);
}

TEST(units_duration_units)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} cases[] = {
		{ "1500", 1500 }, { "1500ms", 1500 }, { "30s", 30000 },
		{ "5m", 300000 }, { "2h", 7200000 }, { "0", 0 },
	};
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 1;
		ASSERT_EQ(0, parse_duration_ms(cases[i].text, &v))
			TH_LOG("%s", cases[i].text);
		EXPECT_EQ(cases[i].ms, v) TH_LOG("%s", cases[i].text);
	}
}

TEST(units_duration_invalid)
{
	static const char *const bad[] = { "", "s", "1x", "1 s", "1sec", "1S",
					   "-1s", "1.5s", "1hm", "ms" };
	uint32_t v = 9;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, parse_duration_ms(bad[i], &v))
			TH_LOG("accepted bad[%zu]", i);
	EXPECT_EQ(9, v);
}

TEST(units_duration_range)
{
	uint32_t v;

	ASSERT_EQ(0, parse_duration_ms("1193h", &v));
	EXPECT_EQ(1193U * 3600000, v);
	EXPECT_EQ(-ERANGE, parse_duration_ms("1194h", &v));
	EXPECT_EQ(-ERANGE, parse_duration_ms("4294968s", &v));
	ASSERT_EQ(0, parse_duration_ms("4294967s", &v));
	EXPECT_EQ(4294967000U, v);
}

TEST(units_format)
{
	char b[32];

	EXPECT_STREQ("none", format_duration(0, b, sizeof(b)));
	EXPECT_STREQ("1500ms", format_duration(1500, b, sizeof(b)));
	EXPECT_STREQ("90s", format_duration(90000, b, sizeof(b)));
	EXPECT_STREQ("5m", format_duration(300000, b, sizeof(b)));
	EXPECT_STREQ("2h", format_duration(7200000, b, sizeof(b)));
	EXPECT_STREQ("4294967295ms", format_duration(UINT32_MAX, b, sizeof(b)));
}

TEST(units_format_parses_back)
{
	static const uint32_t values[] = { 1, 999, 1000, 61000, 3600000,
					   3601000, UINT32_MAX };
	uint32_t v;
	char b[32];
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		ASSERT_EQ(0, parse_duration_ms(format_duration(values[i], b,
							       sizeof(b)), &v));
		EXPECT_EQ(values[i], v);
	}
}

TEST_HARNESS_MAIN
