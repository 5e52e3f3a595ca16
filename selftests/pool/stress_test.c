// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress: threads add (device and netlink), take (read, take by
 * ID, netlink), reserve then commit or release (device and netlink),
 * abandon netlink reservations to their timeout, flush, let keys expire,
 * close files holding reservations, and delete and re-create the stream,
 * all at once for a bounded time. Every key ID is used once ever, so the
 * checks are exact: no ID is handed out twice or while another holder has
 * it reserved, every handed-out record is intact, and once everything is
 * closed the module holds no key memory.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "qkdnl.h"
#include "kselftest_harness.h"

#define RUN_SECONDS 5
#define MAX_IDS (1U << 22)
#define RING 1024
#define BATCH 16

/* Per-ID states; an ID is added once, so each hand-out is checked. */
enum {
	FREE,		/* in the pool, or never added */
	HELD,		/* reserved by a thread that will finish it */
	GONE,		/* handed out for good */
	ABANDONED,	/* reserved through netlink, left to its timeout */
};

#define BIT(s) (1U << (s))

static struct {
	const char *name;
	uint32_t tag;
	uint8_t *state;
	uint32_t next_n;
	uint32_t ring[RING];
	uint32_t ring_pos;
	int stop;
	unsigned long violations, corrupt;
	unsigned long takes, reserves, commits, releases, flushes, deletes;
	unsigned long adds, abandons, closes;
} g;

#define INC(x) __atomic_add_fetch(&g.x, 1, __ATOMIC_RELAXED)

static bool stopped(void)
{
	return __atomic_load_n(&g.stop, __ATOMIC_RELAXED);
}

/* Moves ID @n from one of the states in @from to @to; else a violation. */
static void move(const struct qkd_key_record *rec, unsigned int from,
		 uint8_t to)
{
	uint32_t n = qkd_key_n(rec);
	uint8_t *st = &g.state[n % MAX_IDS];
	uint8_t cur = __atomic_load_n(st, __ATOMIC_RELAXED);

	if (!qkd_key_ok(rec) || n >= MAX_IDS)
		INC(corrupt);
	do {
		if (!(BIT(cur) & from)) {
			INC(violations);
			fprintf(stderr, "# id %u: state %u, wanted %#x -> %u\n",
				n, cur, from, to);
			return;
		}
	} while (!__atomic_compare_exchange_n(st, &cur, to, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
}

#define HAND_OUT (BIT(FREE) | BIT(ABANDONED))

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static void ring_put(uint32_t n)
{
	uint32_t pos = __atomic_fetch_add(&g.ring_pos, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&g.ring[pos % RING], n, __ATOMIC_RELAXED);
}

static void ring_id(unsigned int *seed, struct qkd_key_record *rec)
{
	uint32_t n = __atomic_load_n(&g.ring[rnd(seed, RING)],
				     __ATOMIC_RELAXED);

	qkd_make_key(rec, g.tag, n, 0, 16);
}

/* A bound file, reopened after the stream was deleted. */
static int dev(int *fd)
{
	if (*fd < 0)
		*fd = qdev_open(g.name, O_NONBLOCK);
	return *fd;
}

static void dev_gone(int *fd, int err)
{
	if (err == ENOENT && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void make_batch(struct qkd_key_record *recs, unsigned int *seed)
{
	uint32_t n = __atomic_fetch_add(&g.next_n, BATCH, __ATOMIC_RELAXED);
	unsigned int i;

	for (i = 0; i < BATCH; i++) {
		uint32_t owner = rnd(seed, 2) ? QKD_OWNER_LOCAL :
						QKD_OWNER_PEER;

		qkd_make_key(&recs[i], g.tag, (n + i) % MAX_IDS, owner,
			     16 + rnd(seed, 49));
		/* Some keys expire while the test runs. */
		if (!rnd(seed, 8))
			recs[i].lifetime_ms = 1 + rnd(seed, 300);
		if (owner == QKD_OWNER_PEER)
			ring_put((n + i) % MAX_IDS);
	}
}

static void *adder(void *arg)
{
	struct qkd_key_record recs[BATCH];
	unsigned int seed = (uintptr_t)arg;
	struct qkd_genl *nl;
	int fd = -1;

	if (qkd_genl_open(&nl))
		return NULL;
	while (!stopped()) {
		make_batch(recs, &seed);
		if (rnd(&seed, 2)) {
			if (!qnl_key_add(nl, g.name, recs, BATCH))
				INC(adds);
		} else if (dev(&fd) >= 0) {
			if (write(fd, recs, sizeof(recs)) > 0)
				INC(adds);
			else
				dev_gone(&fd, errno);
		}
	}
	if (fd >= 0)
		close(fd);
	qkd_genl_close(nl);
	return NULL;
}

/* read() and TAKE_ID through a device file. */
static void *dev_taker(void *arg)
{
	struct qkd_key_record recs[4];
	unsigned int seed = (uintptr_t)arg;
	struct pollfd pfd;
	ssize_t got;
	int fd = -1;
	int i;

	while (!stopped()) {
		if (dev(&fd) < 0)
			continue;
		if (rnd(&seed, 2)) {
			ring_id(&seed, &recs[0]);
			if (!ioctl(fd, QKD_IOC_TAKE_ID, &recs[0])) {
				move(&recs[0], HAND_OUT, GONE);
				INC(takes);
			}
			continue;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		poll(&pfd, 1, 1);
		got = read(fd, recs, sizeof(recs));
		if (got < 0)
			dev_gone(&fd, errno);
		for (i = 0; got > 0 && i < got / (ssize_t)sizeof(recs[0]);
		     i++) {
			move(&recs[i], HAND_OUT, GONE);
			INC(takes);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

#define HOLD 4

struct holdings {
	struct qkd_key_record rec[HOLD];
	unsigned int n;
};

static void finish_dev(int fd, struct qkd_key_record *rec, bool commit)
{
	struct qkd_key_ref ref;

	memcpy(ref.id, rec->id, sizeof(ref.id));
	if (commit) {
		/* Destroyed whether or not the stream still exists. */
		ioctl(fd, QKD_IOC_COMMIT, &ref);
		move(rec, BIT(HELD), GONE);
		INC(commits);
		return;
	}
	/* Free again before another taker can see it. */
	move(rec, BIT(HELD), FREE);
	ioctl(fd, QKD_IOC_RELEASE, &ref);
	INC(releases);
}

/* Closing the file releases what it holds. */
static void close_holder(int *fd, struct holdings *h)
{
	while (h->n)
		move(&h->rec[--h->n], BIT(HELD), FREE);
	close(*fd);
	*fd = -1;
	INC(closes);
}

static void *dev_reserver(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct holdings h = {};
	struct qkd_key_record *rec;
	unsigned long cmd;
	int fd = -1;

	while (!stopped()) {
		if (dev(&fd) < 0)
			continue;
		if (h.n == HOLD || (h.n && rnd(&seed, 2))) {
			rec = &h.rec[rnd(&seed, h.n)];
			finish_dev(fd, rec, rnd(&seed, 2));
			*rec = h.rec[--h.n];
			continue;
		}
		if (!rnd(&seed, 64)) {
			close_holder(&fd, &h);
			continue;
		}
		rec = &h.rec[h.n];
		cmd = QKD_IOC_RESERVE_NEXT;
		if (rnd(&seed, 2)) {
			ring_id(&seed, rec);
			cmd = QKD_IOC_RESERVE_ID;
		}
		if (ioctl(fd, cmd, rec)) {
			if (errno == ENOENT && cmd == QKD_IOC_RESERVE_NEXT)
				close_holder(&fd, &h);
			continue;
		}
		move(rec, HAND_OUT, HELD);
		h.n++;
		INC(reserves);
	}
	if (fd >= 0)
		close_holder(&fd, &h);
	return NULL;
}

static void nl_reserve(struct qkd_genl *nl, unsigned int *seed)
{
	struct qkd_key_record rec, id;
	bool abandon = !rnd(seed, 4);

	ring_id(seed, &id);
	if (qkd_genl_key_reserve(nl, g.name, rnd(seed, 2) ? id.id : NULL,
				 abandon ? 1 + rnd(seed, 50) : 3600000, &rec,
				 NULL))
		return;
	INC(reserves);
	if (abandon) {
		move(&rec, HAND_OUT, ABANDONED);
		INC(abandons);
		return;
	}
	move(&rec, HAND_OUT, HELD);
	if (rnd(seed, 2)) {
		qkd_genl_key_commit(nl, g.name, rec.id);
		move(&rec, BIT(HELD), GONE);
		INC(commits);
	} else {
		move(&rec, BIT(HELD), FREE);
		qkd_genl_key_release(nl, g.name, rec.id);
		INC(releases);
	}
}

static void *nl_taker(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct qkd_key_record rec, id;
	struct qkd_genl *nl;

	if (qkd_genl_open(&nl))
		return NULL;
	while (!stopped()) {
		if (rnd(&seed, 2)) {
			nl_reserve(nl, &seed);
			continue;
		}
		ring_id(&seed, &id);
		if (!qkd_genl_key_take(nl, g.name, rnd(&seed, 2) ? id.id : NULL,
				       &rec)) {
			move(&rec, HAND_OUT, GONE);
			INC(takes);
		}
	}
	qkd_genl_close(nl);
	return NULL;
}

/* Flushes now and then; deletes and re-creates the stream less often. */
static void *janitor(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	struct qkd_genl *nl;

	if (qkd_genl_open(&nl))
		return NULL;
	while (!stopped()) {
		usleep(10000 + rnd(&seed, 40000));
		if (rnd(&seed, 8)) {
			if (qkd_genl_key_flush(nl, g.name, rnd(&seed, 4)) >= 0)
				INC(flushes);
			continue;
		}
		if (!qkd_genl_stream_del(nl, g.name))
			INC(deletes);
		qnl_stream_new(nl, g.name, 4096, 64, 0);
	}
	qkd_genl_close(nl);
	return NULL;
}

static void *(*const workers[])(void *) = {
	adder, adder, dev_taker, dev_taker, dev_reserver, dev_reserver,
	nl_taker, nl_taker, janitor,
};

#define NWORKERS ARRAY_SIZE(workers)

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, mixed_operations_hand_out_each_key_once, 120)
{
	pthread_t t[NWORKERS];
	char name[QKD_STREAM_NAME_MAX];
	unsigned int i;
	struct qkd_genl *nl;

	if (access("/dev/qkdpool", F_OK))
		SKIP(return, "qkdpool module not loaded");
	/* Namespaces of earlier tests are freed asynchronously. */
	for (i = 0; i < 2000 && qkd_mem_used() > 0; i++)
		usleep(5000);
	ASSERT_EQ(0, qkd_mem_used());
	g.state = calloc(MAX_IDS, 1);
	ASSERT_NE(NULL, g.state);
	g.tag = getpid();
	snprintf(name, sizeof(name), "stress-%u", g.tag);
	g.name = name;
	ASSERT_EQ(0, qkd_genl_open(&nl));
	ASSERT_EQ(0, qnl_stream_new(nl, name, 4096, 64, 0));
	for (i = 0; i < NWORKERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, workers[i],
					    (void *)(uintptr_t)(i + 1)));
	sleep(RUN_SECONDS);
	__atomic_store_n(&g.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	qkd_genl_stream_del(nl, name);
	qkd_genl_close(nl);

	TH_LOG("adds %lu takes %lu reserves %lu commits %lu releases %lu",
	       g.adds, g.takes, g.reserves, g.commits, g.releases);
	TH_LOG("abandoned %lu flushes %lu deletes %lu closes %lu",
	       g.abandons, g.flushes, g.deletes, g.closes);
	EXPECT_EQ(0, g.violations);
	EXPECT_EQ(0, g.corrupt);
	/* Every kind of operation happened. */
	EXPECT_LT(0, g.takes);
	EXPECT_LT(0, g.commits);
	EXPECT_LT(0, g.releases);
	EXPECT_LT(0, g.flushes);
	EXPECT_LT(0, g.deletes);
	/* All files closed, the stream deleted: no key memory is left. */
	EXPECT_EQ(0, qkd_mem_used());
	free(g.state);
}

TEST_HARNESS_MAIN
