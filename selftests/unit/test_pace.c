// SPDX-License-Identifier: GPL-2.0
/* qkd-macsecd's rekey pacing (pace.c): the interval follows the key rate. */
#include "kselftest_harness.h"
#include "pace.h"

#define FLOOR_MS	500

/* Keys arrive one every period_ms for secs seconds; avail stays put. */
static void feed(struct pace *p, uint64_t *added, uint64_t *now,
		 uint32_t period_ms, uint32_t secs, uint32_t avail)
{
	uint64_t end = *now + secs * 1000ULL, next = *now + period_ms;

	for (; *now < end; *now += 50) {
		for (; next <= *now; next += period_ms)
			(*added)++;
		pace_feed(p, *added, avail, FLOOR_MS, *now);
	}
}

TEST(pace_stock_spent_over_a_window)
{
	struct pace p;

	pace_init(&p, 4);
	pace_feed(&p, 100, 64, FLOOR_MS, 1000);
	EXPECT_TRUE(pace_has_surplus(&p));
	EXPECT_EQ(0, p.rate);
	/* 60 keys beyond the reserve over 60 s: one a second. */
	EXPECT_EQ(1000, p.interval_ms);
	pace_feed(&p, 100, 1000, FLOOR_MS, 1050);
	EXPECT_EQ(FLOOR_MS, p.interval_ms);
}

TEST(pace_reserve_untouched)
{
	struct pace p;

	pace_init(&p, 4);
	pace_feed(&p, 10, 4, FLOOR_MS, 1000);
	EXPECT_FALSE(pace_has_surplus(&p));
	EXPECT_EQ(PACE_NO_KEYS, p.interval_ms);
	pace_feed(&p, 10, 5, FLOOR_MS, 1050);
	EXPECT_TRUE(pace_has_surplus(&p));
}

TEST(pace_follows_slow_arrivals)
{
	uint64_t added = 0, now = 1000;
	struct pace p;

	pace_init(&p, 4);
	feed(&p, &added, &now, 2000, 90, 4);
	/* 0.5 keys/s, measured over the 60 s window. */
	EXPECT_GE(p.rate, 0.45);
	EXPECT_LE(p.rate, 0.55);
	EXPECT_GE(p.interval_ms, 1800);
	EXPECT_LE(p.interval_ms, 2200);
}

TEST(pace_floor_on_fast_arrivals)
{
	uint64_t added = 0, now = 1000;
	struct pace p;

	pace_init(&p, 4);
	feed(&p, &added, &now, 10, 10, 4);
	EXPECT_GE(p.rate, 90);
	EXPECT_EQ(FLOOR_MS, p.interval_ms);
}

TEST(pace_rate_decays_when_keys_stop)
{
	uint64_t added = 0, now = 1000;
	struct pace p;

	pace_init(&p, 4);
	feed(&p, &added, &now, 1000, 60, 4);
	EXPECT_GE(p.rate, 0.9);
	feed(&p, &added, &now, 1000000, 61, 4);
	EXPECT_EQ(0, p.rate);
	EXPECT_EQ(PACE_NO_KEYS, p.interval_ms);
}

TEST(pace_counter_reset)
{
	uint64_t added = 500, now = 1000;
	struct pace p;

	pace_init(&p, 4);
	feed(&p, &added, &now, 1000, 10, 4);
	/* The stream was deleted and made again: its counter restarts. */
	pace_feed(&p, 0, 4, FLOOR_MS, now + 1000);
	EXPECT_EQ(0, p.rate);
}

TEST_HARNESS_MAIN
