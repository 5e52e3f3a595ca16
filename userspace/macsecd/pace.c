// SPDX-License-Identifier: GPL-2.0
/* Rekey pacing from the stream's key arrival rate: see pace.h. */
#include "pace.h"

void pace_init(struct pace *p, uint32_t reserve)
{
	*p = (struct pace){ .reserve = reserve, .interval_ms = PACE_NO_KEYS };
}

static void sample(struct pace *p, uint64_t added, uint64_t now)
{
	unsigned int last = (p->head + PACE_SAMPLES - 1) % PACE_SAMPLES;

	if (p->n && now - p->t_ms[last] < PACE_STEP_MS)
		return;
	p->t_ms[p->head] = now;
	p->added[p->head] = added;
	p->head = (p->head + 1) % PACE_SAMPLES;
	if (p->n < PACE_SAMPLES)
		p->n++;
}

/* Keys per second between the oldest sample of the window and now. */
static double measure(const struct pace *p, uint64_t added, uint64_t now)
{
	unsigned int first = (p->head + PACE_SAMPLES - p->n) % PACE_SAMPLES;
	uint64_t span = now - p->t_ms[first];

	if (!p->n || span < PACE_STEP_MS || added < p->added[first])
		return 0;
	return (double)(added - p->added[first]) * 1000 / span;
}

static uint64_t effective_interval(const struct pace *p, uint32_t floor_ms)
{
	double window_s = (double)(PACE_SAMPLES - 1) * PACE_STEP_MS / 1000;
	double surplus = pace_has_surplus(p) ? p->avail - p->reserve : 0;
	double spend = p->rate + surplus / window_s;
	uint64_t ms;

	if (spend <= 0)
		return PACE_NO_KEYS;
	ms = (uint64_t)(1000 / spend);
	return ms > floor_ms ? ms : floor_ms;
}

void pace_feed(struct pace *p, uint64_t added, uint32_t avail,
	       uint32_t floor_ms, uint64_t now)
{
	p->avail = avail;
	p->rate = measure(p, added, now);
	sample(p, added, now);
	p->interval_ms = effective_interval(p, floor_ms);
}

int pace_update(struct pace *p, struct qkd_pool *pool, uint32_t floor_ms,
		uint64_t now)
{
	struct qkd_stream_info info;
	int ret = qkd_pool_info(pool, &info);

	if (ret)
		return ret;
	/* Both owners count: the leader falls back on the follower's keys. */
	pace_feed(p, info.added, info.avail_local + info.avail_peer, floor_ms,
		  now);
	return 0;
}
