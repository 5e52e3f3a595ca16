/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run clock: the time in which the daemon ran. Advanced at every tick
 * by the time since the last one, a tick that comes late counting
 * RUN_STEP_MAX_MS at most: time in which the machine was too busy to run
 * the daemon does not count. The retirement of old RX SAs waits on it
 * (sa.c): a machine too busy to run the daemon is as busy draining the
 * frames a retirement waits for.
 */
#ifndef QKD_MACSECD_RUNCLOCK_H
#define QKD_MACSECD_RUNCLOCK_H

#include <stdint.h>

/* Twice the sparsest tick (IDLE_TICK_MS, main.c): on-time ticks count whole. */
#define RUN_STEP_MAX_MS		500

struct run_clock {
	uint64_t ms;		/* time run */
	uint64_t last_ms;	/* the wall clock's, at the last tick; 0: none */
};

/* The time a tick at now adds to the clock last advanced at last. */
uint64_t run_clock_step(uint64_t last, uint64_t now);
/* A tick at now (ms of a monotonic clock): returns the clock. */
uint64_t run_clock_tick(struct run_clock *c, uint64_t now);

#endif
