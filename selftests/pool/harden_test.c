// SPDX-License-Identifier: GPL-2.0
/*
 * qkdpool defects found in review (issue 13): error codes, event order,
 * wiping on a faulting write, stream limits and their memory, isolation of
 * unprivileged namespaces from each other, and who may listen.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kcore.h"
#include "qkdnl.h"
#include "kselftest_harness.h"

#define L QKD_OWNER_LOCAL
#define P QKD_OWNER_PEER
#include "nl_fixture.h"

/*
 * A local-owned key is never taken or reserved by ID, reserved or not:
 * -EACCES, as the header says, not -EBUSY.
 */
TEST_F(nl, take_id_of_reserved_local_key_eacces)
{
	struct qkd_key_record rec, got;

	qkd_make_key(&rec, self->tag, 0, L, 32);
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, &rec, 1));
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, NULL, 0, &got, NULL));
	EXPECT_EQ(0, memcmp(rec.id, got.id, QKD_KEY_ID_LEN));
	EXPECT_EQ(-EACCES, qkd_genl_key_take(self->g, self->name, rec.id, &got));
	EXPECT_EQ(-EACCES, qkd_genl_key_reserve(self->g, self->name, rec.id, 0,
				       &got, NULL));
	/* A reserved peer-owned key is busy. */
	qkd_make_key(&rec, self->tag, 1, P, 32);
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, &rec, 1));
	ASSERT_EQ(0, qkd_genl_key_reserve(self->g, self->name, rec.id, 0, &got, NULL));
	EXPECT_EQ(-EBUSY, qkd_genl_key_take(self->g, self->name, rec.id, &got));
	explicit_bzero(&got, sizeof(got));
}

struct race {
	const char *name;
	int rounds;
	int stop;
};

static void *race_new(void *arg)
{
	struct race *r = arg;
	struct qkd_genl *q;
	int i;

	if (qkd_genl_open(&q))
		return NULL;
	for (i = 0; i < r->rounds; i++)
		qnl_stream_new(q, r->name, 0, 0, 0);
	qkd_genl_close(q);
	return NULL;
}

static void *race_del(void *arg)
{
	struct race *r = arg;
	struct qkd_genl *q;

	if (qkd_genl_open(&q))
		return NULL;
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
		qkd_genl_stream_del(q, r->name);
	qkd_genl_close(q);
	return NULL;
}

/*
 * Creating and deleting one name from two threads: a listener must see
 * NEW and DEL strictly alternate, NEW first, as the stream set changed.
 */
TEST_F_TIMEOUT(nl, stream_events_in_order, 600)
{
	struct race r = { .rounds = 3000 };
	int news = 0, dels = 0, bad = 0, big = 4 << 20;
	pthread_t tn, td;
	struct qkd_event ev;
	char name[32];
	struct qkd_genl *ev_q;
	int ret;

	snprintf(name, sizeof(name), "race-%u", self->tag);
	r.name = name;
	ASSERT_EQ(0, qkd_genl_open(&ev_q));
	ASSERT_EQ(0, setsockopt(qkd_genl_fd(ev_q), SOL_SOCKET,
				SO_RCVBUFFORCE, &big, sizeof(big)));
	ASSERT_EQ(0, qkd_genl_subscribe(ev_q));
	ASSERT_EQ(0, pthread_create(&tn, NULL, race_new, &r));
	ASSERT_EQ(0, pthread_create(&td, NULL, race_del, &r));
	pthread_join(tn, NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(td, NULL);
	qkd_genl_stream_del(self->g, name);
	while ((ret = qnl_event(ev_q, 500, &ev)) == 0) {
		if (strcmp(ev.stream, name))
			continue;
		if (ev.cmd == QKD_CMD_EVENT_STREAM_NEW)
			bad += news++ != dels;
		else if (ev.cmd == QKD_CMD_EVENT_STREAM_DEL)
			bad += ++dels != news;
	}
	qkd_genl_close(ev_q);
	if (ret == -ENOBUFS)
		SKIP(return, "events overran the listener");
	EXPECT_EQ(0, bad) TH_LOG("%d new, %d del", news, dels);
	EXPECT_EQ(news, dels);
	EXPECT_LT(0, news);
}

/*
 * Writes a record whose material runs off the end of the mapping, so the
 * copy faults after MAT_LEN + 8 bytes of material, then spins in user
 * space, telling through shared memory (a system call would reuse its
 * kernel stack), until it is killed.
 */
static void fault_write(int fd, const struct secret *sec, char *ready)
{
	long page = sysconf(_SC_PAGESIZE);
	struct qkd_key_record *rec;
	uint8_t *map;
	ssize_t ret;
	size_t i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || munmap(map + page, page))
		_exit(1);
	rec = (void *)(map + page -
		       offsetof(struct qkd_key_record, material) -
		       MAT_LEN - 8);
	memset(rec, 0, offsetof(struct qkd_key_record, material));
	rec->material_len = QKD_KEY_MAX_LEN;
	rec->owner = L;
	for (i = 0; i < MAT_LEN + 8; i++)
		rec->material[i] = sec->masked[i % MAT_LEN] ^ MASK;
	ret = write(fd, rec, sizeof(*rec));
	explicit_bzero(map, page);
	__atomic_store_n(ready, ret < 0 && errno == EFAULT ? 'y' : 'n',
			 __ATOMIC_RELEASE);
	for (;;)
		;
}

/* A write whose copy faults part-way leaves no copy of what it read. */
TEST_F_TIMEOUT(nl, faulting_write_wiped, 600)
{
	struct secret sec;
	char *ready;
	int fd, i;
	pid_t pid;

	if (access("/proc/kcore", R_OK))
		SKIP(return, "no /proc/kcore");
	secret_init(&sec);
	fd = qdev_open(self->name, 0);
	ASSERT_LE(0, fd);
	ready = mmap(NULL, 1, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ready);
	*ready = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		fault_write(fd, &sec, ready);
	for (i = 0; i < 6000 && !__atomic_load_n(ready, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	EXPECT_EQ('y', *ready);
	EXPECT_EQ(0, kcore_count(&sec));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	explicit_bzero(&sec, sizeof(sec));
}

/* Streams are charged to mem_used, their tables included. */
TEST_F(nl, streams_charged)
{
	char name[QKD_STREAM_NAME_MAX];
	long before, after;
	int i;

	before = qkd_mem_settled();
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "hd-%u-c%d", self->tag, i);
		ASSERT_EQ(0, qnl_stream_new(self->g, name, 0, 0, 0));
	}
	after = qkd_mem_used();
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "hd-%u-c%d", self->tag, i);
		ASSERT_EQ(0, qkd_genl_stream_del(self->g, name));
	}
	EXPECT_LE(before + 16 * 512, after);
	EXPECT_GE(before, qkd_mem_used());
}

static int fill_streams(int max)
{
	char name[QKD_STREAM_NAME_MAX];
	struct qkd_genl *q;
	int i, ret;

	if (unshare(CLONE_NEWNET) || qkd_genl_open(&q))
		return 10;
	for (i = 0; i < max; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		if (qnl_stream_new(q, name, 0, 0, 0))
			return 11;
	}
	ret = qnl_stream_new(q, "one-too-many", 0, 0, 0);
	if (ret != -ENOSPC)
		return 12;
	/* A deletion makes room again. */
	if (qkd_genl_stream_del(q, "s0") ||
	    qnl_stream_new(q, "one-too-many", 0, 0, 0))
		return 13;
	return 0;
}

/* max_streams caps the streams of each namespace. */
TEST_F(nl, streams_capped_per_netns)
{
	long old = qkd_param_get("max_streams");
	int status;
	pid_t pid;

	ASSERT_LT(0, old);
	ASSERT_EQ(0, qkd_param_set("max_streams", "8"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fill_streams(8));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* This namespace's own stream does not count against the child's. */
	{
		char buf[24];

		snprintf(buf, sizeof(buf), "%ld", old);
		ASSERT_EQ(0, qkd_param_set("max_streams", buf));
	}
}

/* Many streams in one netns: all found by name, then all deleted. */
TEST_F_TIMEOUT(nl, many_streams_by_name, 600)
{
	char name[QKD_STREAM_NAME_MAX];
	struct qkd_stream_stats in;
	int i, n = 2000;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "hd-%u-m%d", self->tag, i);
		ASSERT_EQ(0, qnl_stream_new(self->g, name, 0, 0, i + 1));
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "hd-%u-m%d", self->tag, i);
		ASSERT_EQ(0, qkd_genl_stream_get(self->g, name, &in));
		ASSERT_EQ((uint32_t)i + 1, in.lifetime_ms);
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "hd-%u-m%d", self->tag, i);
		ASSERT_EQ(0, qkd_genl_stream_del(self->g, name));
	}
	EXPECT_EQ(-ENOENT, qkd_genl_stream_get(self->g, name, &in));
}

/*
 * Two unprivileged containers: one filling its pool to the cap leaves the
 * other its own share.
 */
TEST_F_TIMEOUT(nl, userns_containers_isolated, 300)
{
	int ready[2], done[2], status, status2;
	pid_t pid, pid2;
	char c = 0;

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, qkd_param_set("mem_max_userns", "1048576"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(qkd_userns_fill(ready[1], done[0], 7));
	close(ready[1]);
	status2 = 0;
	if (read(ready[0], &c, 1) == 1) {
		pid2 = fork();
		ASSERT_LE(0, pid2);
		if (!pid2)
			_exit(qkd_userns_fill(-1, -1, 8));
		waitpid(pid2, &status2, 0);
	}
	ASSERT_EQ(1, write(done[1], &c, 1));
	waitpid(pid, &status, 0);
	qkd_param_set("mem_max_userns", "16777216");
	if (WEXITSTATUS(status) == 42)
		SKIP(return, "no unprivileged user namespaces");
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, WEXITSTATUS(status2));
}

/* Counts and events tell when keys are used: nobody sees either. */
TEST_F(nl, unprivileged_learns_nothing)
{
	struct qkd_stream_stats in;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct qkd_stream_stats *all;
		struct qkd_genl *q;
		size_t n;

		if (setgid(65534) || setuid(65534) || qkd_genl_open(&q))
			_exit(10);
		if (qkd_genl_subscribe(q) != -EPERM)
			_exit(11);
		if (qkd_genl_stream_get(q, self->name, &in) != -EPERM)
			_exit(12);
		if (qkd_genl_stream_dump(q, &all, &n) != -EPERM)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
