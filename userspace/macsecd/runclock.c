// SPDX-License-Identifier: GPL-2.0
/* The run clock: see runclock.h. */
#include "runclock.h"

uint64_t run_clock_step(uint64_t last, uint64_t now)
{
	if (!last || now <= last)
		return 0;
	return now - last < RUN_STEP_MAX_MS ? now - last : RUN_STEP_MAX_MS;
}

uint64_t run_clock_tick(struct run_clock *c, uint64_t now)
{
	c->ms += run_clock_step(c->last_ms, now);
	c->last_ms = now;
	return c->ms;
}
