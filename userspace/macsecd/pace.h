/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rekey pacing: the rekey interval adapts to the rate at which keys
 * actually arrive in the pool stream (field QKD links deliver from ~20 bit/s
 * to tens of Mbit/s), so that rekeys driven by the clock never spend keys
 * faster than they come in, and never spend the last "key-reserve" keys,
 * which stay for rekeys that cannot wait (operator, PN threshold, end of
 * the SA's lifetime, a peer that restarted).
 *
 *   rate      keys added to the stream per second, over a sliding window
 *   surplus   keys available beyond the reserve
 *   interval  max(rekey-interval, 1 / (rate + surplus / window))
 *
 * A stock above the reserve is spent over about one window, on top of what
 * arrives; once at the reserve, rekeys follow the arrivals one for one.
 */
#ifndef MACSECD_PACE_H
#define MACSECD_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

#define PACE_SAMPLES	61	/* one a second: a 60 s window */
#define PACE_STEP_MS	1000
#define PACE_NO_KEYS	UINT64_MAX	/* interval: nothing to rekey with */

struct pace {
	uint64_t t_ms[PACE_SAMPLES];
	uint64_t added[PACE_SAMPLES];
	unsigned int head, n;
	uint32_t reserve;
	uint32_t avail;			/* local- and peer-owned, last read */
	double rate;			/* keys/s, 0 until measured */
	uint64_t interval_ms;		/* effective; PACE_NO_KEYS if none */
};

void pace_init(struct pace *p, uint32_t reserve);
/* Read the stream's counters (one ioctl) and recompute; 0 or -errno. */
int pace_update(struct pace *p, struct qkd_pool *pool, uint32_t floor_ms,
		uint64_t now);
/* The same from counters at hand: keys ever added, keys available now. */
void pace_feed(struct pace *p, uint64_t added, uint32_t avail,
	       uint32_t floor_ms, uint64_t now);
/* A clock-driven rekey may take a key: more than the reserve is left. */
static inline bool pace_has_surplus(const struct pace *p)
{
	return p->avail > p->reserve;
}

#endif /* MACSECD_PACE_H */
