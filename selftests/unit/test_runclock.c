// SPDX-License-Identifier: GPL-2.0
/* qkd-macsecd's run clock (runclock.c): late ticks count a capped step. */
#include "kselftest_harness.h"
#include "runclock.h"

TEST(runclock_first_tick_counts_nothing)
{
	struct run_clock c = { 0 };

	EXPECT_EQ(0, run_clock_tick(&c, 123456));
	EXPECT_EQ(50, run_clock_tick(&c, 123506));
}

TEST(runclock_on_time_ticks_count_whole)
{
	struct run_clock c = { 0 };
	uint64_t now = 1000;
	int i;

	run_clock_tick(&c, now);
	for (i = 0; i < 100; i++)
		run_clock_tick(&c, now += 50);
	EXPECT_EQ(5000, c.ms);
	run_clock_tick(&c, now += RUN_STEP_MAX_MS);
	EXPECT_EQ(5000 + RUN_STEP_MAX_MS, c.ms);
}

/* The daemon held back 7 s (a stopped vCPU): one capped step, not 7 s. */
TEST(runclock_late_tick_capped)
{
	struct run_clock c = { 0 };

	run_clock_tick(&c, 1000);
	run_clock_tick(&c, 1050);
	EXPECT_EQ(50 + RUN_STEP_MAX_MS, run_clock_tick(&c, 8050));
	EXPECT_EQ(100 + RUN_STEP_MAX_MS, run_clock_tick(&c, 8100));
}

TEST(runclock_never_goes_back)
{
	struct run_clock c = { 0 };

	run_clock_tick(&c, 5000);
	run_clock_tick(&c, 5100);
	EXPECT_EQ(100, run_clock_tick(&c, 4000));
	EXPECT_EQ(100, run_clock_tick(&c, 4000));
	EXPECT_EQ(150, run_clock_tick(&c, 4050));
	EXPECT_EQ(0, run_clock_step(0, 9999));
	EXPECT_EQ(RUN_STEP_MAX_MS, run_clock_step(1, 1 + 10 * RUN_STEP_MAX_MS));
}

TEST_HARNESS_MAIN
