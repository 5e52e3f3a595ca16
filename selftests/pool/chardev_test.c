// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/qkdpool semantics: binding, read/write records, ioctls, blocking
 * read and poll, reservations owned by files, concurrent takers.
 */

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "qkdnl.h"
#include "kselftest_harness.h"

#define L QKD_OWNER_LOCAL
#define P QKD_OWNER_PEER
#define REC sizeof(struct qkd_key_record)

FIXTURE(dev) {
	struct qkd_genl *g;
	char name[QKD_STREAM_NAME_MAX];
	uint32_t tag;
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = -1;
	if (access("/dev/qkdpool", F_OK))
		SKIP(return, "qkdpool module not loaded");
	ASSERT_EQ(0, qkd_genl_open(&self->g));
	self->tag = getpid();
	snprintf(self->name, sizeof(self->name), "dev-%u", self->tag);
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 0, 0, 0));
	self->fd = qdev_open(self->name, 0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	qnl_teardown(self->g, self->name, self->fd);
}

static ssize_t write_keys(int fd, uint32_t tag, uint32_t first, uint32_t n,
			  uint32_t owner)
{
	struct qkd_key_record *recs = calloc(n, REC);
	ssize_t ret;
	uint32_t i;

	for (i = 0; i < n; i++)
		qkd_make_key(&recs[i], tag, first + i, owner, 32);
	ret = write(fd, recs, n * REC);
	free(recs);
	return ret < 0 ? -errno : ret;
}

static struct qkd_stream_info sinfo(int fd)
{
	struct qkd_stream_info in = {};

	ioctl(fd, QKD_IOC_STREAM_INFO, &in);
	return in;
}

TEST_F(dev, unbound_and_bind_errors)
{
	struct qkd_key_record rec;
	struct qkd_bind b = {};
	int fd = qdev_open(NULL, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, &rec, REC));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, QKD_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	memset(b.name, 'a', sizeof(b.name));
	EXPECT_EQ(-1, ioctl(fd, QKD_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	strcpy((char *)b.name, "no-such-stream");
	EXPECT_EQ(-1, ioctl(fd, QKD_IOC_BIND, &b));
	EXPECT_EQ(ENOENT, errno);
	snprintf((char *)b.name, sizeof(b.name), "%s", self->name);
	EXPECT_EQ(0, ioctl(fd, QKD_IOC_BIND, &b));
	EXPECT_EQ(-1, ioctl(fd, QKD_IOC_BIND, &b));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(QKD_IOC_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/*
 * A file acts in its opener's namespace: bound after the task moved to
 * another one (which has a stream of the same name), it still binds to
 * the opener's stream.
 */
TEST_F(dev, bind_uses_opener_netns)
{
	int fd = qdev_open(NULL, 0);
	int status;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct qkd_bind b = {};
		struct qkd_genl *g;
		int here;

		if (unshare(CLONE_NEWNET) || qkd_genl_open(&g) ||
		    qnl_stream_new(g, self->name, 0, 0, 0))
			_exit(10);
		snprintf((char *)b.name, sizeof(b.name), "%s", self->name);
		if (ioctl(fd, QKD_IOC_BIND, &b))
			_exit(11);
		if (write_keys(fd, self->tag, 0, 1, L) != REC)
			_exit(12);
		here = qdev_open(self->name, 0);
		if (here < 0 || sinfo(here).added != 0)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, sinfo(self->fd).avail_local);
	close(fd);
}

/*
 * Privilege is checked at open() (mode 0600 and CAP_NET_ADMIN), by the
 * opener's credentials: a file is a capability its opener may delegate,
 * e.g. to a daemon that dropped privileges. Such a process can use the
 * files it was given (even bind one, in the opener's namespace) but can
 * not open the device itself.
 */
TEST_F(dev, open_file_is_delegated)
{
	int unbound = qdev_open(NULL, 0);
	struct qkd_key_record rec;
	int status;
	pid_t pid;

	ASSERT_LE(0, unbound);
	ASSERT_EQ(2 * REC, write_keys(self->fd, self->tag, 0, 2, L));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct qkd_bind b = {};

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (open("/dev/qkdpool", O_RDWR) >= 0 || errno != EACCES)
			_exit(11);
		if (read(self->fd, &rec, REC) != REC || qkd_key_n(&rec) != 0)
			_exit(12);
		snprintf((char *)b.name, sizeof(b.name), "%s", self->name);
		if (ioctl(unbound, QKD_IOC_BIND, &b))
			_exit(13);
		if (read(unbound, &rec, REC) != REC || qkd_key_n(&rec) != 1)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(2, sinfo(self->fd).taken);
	close(unbound);
}

TEST_F(dev, write_then_read_local_in_order)
{
	struct qkd_key_record recs[64];
	ssize_t n;
	int i;

	ASSERT_EQ(3 * REC, write_keys(self->fd, self->tag, 0, 3, P));
	ASSERT_EQ(5 * REC, write_keys(self->fd, self->tag, 10, 5, L));
	ASSERT_EQ(2 * REC, write_keys(self->fd, self->tag, 20, 2, P));
	n = read(self->fd, recs, sizeof(recs));
	ASSERT_EQ(5 * REC, n);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(10 + i, qkd_key_n(&recs[i]));
		EXPECT_EQ(L, recs[i].owner);
		EXPECT_EQ(0, recs[i].flags);
		EXPECT_TRUE(qkd_key_ok(&recs[i]));
	}
	EXPECT_EQ(5, sinfo(self->fd).avail_peer);
	EXPECT_EQ(0, sinfo(self->fd).avail_local);
	EXPECT_EQ(5, sinfo(self->fd).taken);
}

TEST_F(dev, read_sizes)
{
	struct qkd_key_record recs[2];

	ASSERT_EQ(3 * REC, write_keys(self->fd, self->tag, 0, 3, L));
	EXPECT_EQ(-1, read(self->fd, recs, REC - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(REC, read(self->fd, recs, REC + REC / 2));
	EXPECT_EQ(0, qkd_key_n(&recs[0]));
	EXPECT_EQ(2 * REC, read(self->fd, recs, sizeof(recs)));
	EXPECT_EQ(2, qkd_key_n(&recs[1]));
}

TEST_F(dev, nonblocking_read_eagain)
{
	struct qkd_key_record rec;
	int fd = qdev_open(self->name, O_NONBLOCK);

	ASSERT_LE(0, fd);
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 0, 1, P));
	EXPECT_EQ(-1, read(fd, &rec, REC));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

TEST_F(dev, short_material_tail_is_zero)
{
	struct qkd_key_record rec;

	qkd_make_key(&rec, self->tag, 0, L, QKD_KEY_MIN_LEN);
	ASSERT_EQ(REC, write(self->fd, &rec, REC));
	memset(&rec, 0xa5, sizeof(rec));
	ASSERT_EQ(REC, read(self->fd, &rec, REC));
	EXPECT_EQ(QKD_KEY_MIN_LEN, rec.material_len);
	EXPECT_TRUE(qkd_key_ok(&rec));
	EXPECT_EQ(0, rec.lifetime_ms);
}

TEST_F(dev, write_stops_at_first_failure)
{
	struct qkd_key_record recs[3];

	qkd_make_key(&recs[0], self->tag, 0, L, 32);
	qkd_make_key(&recs[1], self->tag, 0, L, 32);	/* duplicate */
	qkd_make_key(&recs[2], self->tag, 2, L, 32);
	EXPECT_EQ(REC, write(self->fd, recs, sizeof(recs)));
	EXPECT_EQ(-1, write(self->fd, &recs[1], 2 * REC));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(1, sinfo(self->fd).avail_local);
	EXPECT_EQ(-1, write(self->fd, recs, REC + 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, write_bad_records_rejected)
{
	struct qkd_key_record rec;

	qkd_make_key(&rec, self->tag, 0, L, 32);
	rec.flags = 1;
	EXPECT_EQ(-1, write(self->fd, &rec, REC));
	EXPECT_EQ(EINVAL, errno);
	qkd_make_key(&rec, self->tag, 0, L, QKD_KEY_MIN_LEN - 1);
	EXPECT_EQ(-1, write(self->fd, &rec, REC));
	EXPECT_EQ(EINVAL, errno);
	qkd_make_key(&rec, self->tag, 0, L, 32);
	rec.material_len = QKD_KEY_MAX_LEN + 1;
	EXPECT_EQ(-1, write(self->fd, &rec, REC));
	EXPECT_EQ(EINVAL, errno);
	qkd_make_key(&rec, self->tag, 0, 3, 32);
	EXPECT_EQ(-1, write(self->fd, &rec, REC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, sinfo(self->fd).added);
}

TEST_F(dev, take_id_ioctl_peer_only)
{
	struct qkd_key_record rec;

	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 0, 1, L));
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 1, 1, P));
	qkd_make_key(&rec, self->tag, 0, 0, 16);
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(1, sinfo(self->fd).avail_local);
	qkd_make_key(&rec, self->tag, 1, 0, 16);
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(P, rec.owner);
	EXPECT_EQ(32, rec.material_len);
	EXPECT_TRUE(qkd_key_ok(&rec));
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(dev, reservations_belong_to_file)
{
	struct qkd_key_record a, b;
	struct qkd_key_ref ref;
	int other = qdev_open(self->name, O_NONBLOCK);

	ASSERT_LE(0, other);
	ASSERT_EQ(2 * REC, write_keys(self->fd, self->tag, 0, 2, L));
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_RESERVE_NEXT, &a));
	EXPECT_EQ(0, qkd_key_n(&a));
	EXPECT_TRUE(qkd_key_ok(&a));
	memcpy(ref.id, a.id, sizeof(ref.id));
	/* Another file cannot see, commit or release it. */
	EXPECT_EQ(-1, ioctl(other, QKD_IOC_COMMIT, &ref));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(REC, read(other, &b, REC));
	EXPECT_EQ(1, qkd_key_n(&b));
	EXPECT_EQ(-1, read(other, &b, REC));
	EXPECT_EQ(EAGAIN, errno);
	/* Release puts it back; closing a file releases its reservations. */
	EXPECT_EQ(0, ioctl(self->fd, QKD_IOC_RELEASE, &ref));
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_RELEASE, &ref));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, ioctl(other, QKD_IOC_RESERVE_NEXT, &b));
	EXPECT_EQ(0, qkd_key_n(&b));
	EXPECT_EQ(1, sinfo(self->fd).reserved);
	close(other);
	EXPECT_EQ(0, sinfo(self->fd).reserved);
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_RESERVE_NEXT, &a));
	EXPECT_EQ(0, memcmp(a.material, b.material, 32));
	EXPECT_EQ(0, ioctl(self->fd, QKD_IOC_COMMIT, &ref));
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_RESERVE_NEXT, &a));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(2, sinfo(self->fd).taken);
}

TEST_F(dev, reserve_id_peer_only)
{
	struct qkd_key_record rec;
	struct qkd_key_ref ref;

	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 0, 1, L));
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 1, 1, P));
	qkd_make_key(&rec, self->tag, 0, 0, 16);
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_RESERVE_ID, &rec));
	EXPECT_EQ(EACCES, errno);
	qkd_make_key(&rec, self->tag, 1, 0, 16);
	ASSERT_EQ(0, ioctl(self->fd, QKD_IOC_RESERVE_ID, &rec));
	EXPECT_TRUE(qkd_key_ok(&rec));
	memcpy(ref.id, rec.id, sizeof(ref.id));
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, ioctl(self->fd, QKD_IOC_COMMIT, &ref));
	EXPECT_EQ(0, sinfo(self->fd).avail_peer);
	EXPECT_EQ(0, sinfo(self->fd).reserved);
}

/*
 * A record buffer whose last bytes lie on an unmapped page: the ID and part
 * of the material reach user space before copy_to_user() faults.
 */
static struct qkd_key_record *faulting_record(void **map, size_t *len)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p + pg, pg);
	*map = p;
	*len = pg;
	return (struct qkd_key_record *)(p + pg - REC + 16);
}

/*
 * A reservation whose copy to user space faults was partly handed out: it
 * must be destroyed, not released again when the file closes.
 */
TEST_F(dev, reserve_fault_destroys_key)
{
	struct qkd_key_record *bad, rec;
	int other;
	size_t len;
	void *map;

	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 0, 1, L));
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 1, 1, P));
	bad = faulting_record(&map, &len);
	ASSERT_NE(NULL, bad);
	other = qdev_open(self->name, O_NONBLOCK);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, ioctl(other, QKD_IOC_RESERVE_NEXT, bad));
	EXPECT_EQ(EFAULT, errno);
	qkd_make_key(&rec, self->tag, 1, 0, 16);
	memcpy(bad->id, rec.id, sizeof(rec.id));
	EXPECT_EQ(-1, ioctl(other, QKD_IOC_RESERVE_ID, bad));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, len);
	EXPECT_EQ(0, sinfo(self->fd).reserved);
	close(other);
	/* Neither key comes back once the file is closed. */
	EXPECT_EQ(0, sinfo(self->fd).avail_local);
	EXPECT_EQ(0, sinfo(self->fd).avail_peer);
	EXPECT_EQ(2, sinfo(self->fd).taken);
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_TAKE_ID, &rec));
	EXPECT_EQ(ENOENT, errno);
}

/* Waits until task @tid of @pid sleeps (state S), without fixed sleeps. */
static int wait_sleeping(pid_t pid, pid_t tid)
{
	char path[64], buf[256], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	for (i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");

		if (!f)
			return -1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (p && p[2] == 'S')
			return 0;
		usleep(1000);
	}
	return -1;
}

struct reader {
	int fd;
	pid_t tid;
	ssize_t ret;
	int err;
	struct qkd_key_record rec;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->tid = syscall(SYS_gettid);
	r->ret = read(r->fd, &r->rec, REC);
	r->err = errno;
	return NULL;
}

static void start_reader(struct reader *r, pthread_t *t)
{
	r->tid = 0;
	pthread_create(t, NULL, reader_fn, r);
	while (!__atomic_load_n(&r->tid, __ATOMIC_ACQUIRE))
		sched_yield();
}

TEST_F_TIMEOUT(dev, blocked_read_wakes_on_add, 30)
{
	struct reader r = { .fd = self->fd };
	struct qkd_key_record rec;
	pthread_t t;

	start_reader(&r, &t);
	ASSERT_EQ(0, wait_sleeping(getpid(), r.tid));
	/* A peer key does not satisfy a reader; a local one does. */
	qkd_make_key(&rec, self->tag, 0, P, 32);
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, &rec, 1));
	qkd_make_key(&rec, self->tag, 1, L, 32);
	ASSERT_EQ(0, qnl_key_add(self->g, self->name, &rec, 1));
	pthread_join(t, NULL);
	EXPECT_EQ(REC, r.ret);
	EXPECT_EQ(1, qkd_key_n(&r.rec));
	EXPECT_TRUE(qkd_key_ok(&r.rec));
}

TEST_F_TIMEOUT(dev, blocked_read_wakes_on_delete, 30)
{
	struct reader r = { .fd = self->fd };
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct qkd_stream_info in;
	pthread_t t;

	start_reader(&r, &t);
	ASSERT_EQ(0, wait_sleeping(getpid(), r.tid));
	ASSERT_EQ(0, qkd_genl_stream_del(self->g, self->name));
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ENOENT, r.err);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(-1, ioctl(self->fd, QKD_IOC_STREAM_INFO, &in));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, write_keys(self->fd, self->tag, 0, 1, L));
	/* The name can be reused; the old file stays on the dead stream. */
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 0, 0, 0));
	EXPECT_EQ(-1, read(self->fd, &r.rec, REC));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F_TIMEOUT(dev, blocked_read_wakes_on_netns_exit, 60)
{
	struct reader r = {};
	struct qkd_genl *g2;
	pthread_t t;
	int orig;

	/* A file outliving its namespace: the reader must not hang. */
	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, orig);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, qkd_genl_open(&g2));
	ASSERT_EQ(0, qnl_stream_new(g2, "nsx", 0, 0, 0));
	r.fd = qdev_open("nsx", 0);
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, setns(orig, CLONE_NEWNET));
	close(orig);
	start_reader(&r, &t);
	ASSERT_EQ(0, wait_sleeping(getpid(), r.tid));
	/* The socket holds the last reference to the namespace. */
	qkd_genl_close(g2);
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ENOENT, r.err);
	close(r.fd);
}

TEST_F(dev, poll_readiness)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct qkd_key_record rec;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 0, 1, P));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(REC, write_keys(self->fd, self->tag, 1, 1, L));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(REC, read(self->fd, &rec, REC));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
}

TEST_F_TIMEOUT(dev, poll_wakes_on_add, 30)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct qkd_key_record rec;
	int ret, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct qkd_genl *g;

		/* Once the parent sleeps in poll(), the add must wake it. */
		if (wait_sleeping(getppid(), getppid()))
			_exit(2);
		if (qkd_genl_open(&g))
			_exit(3);
		qkd_make_key(&rec, self->tag, 0, L, 32);
		_exit(qnl_key_add(g, self->name, &rec, 1) ? 1 : 0);
	}
	/* No timeout: poll rechecks readiness when one expires. */
	ret = poll(&pfd, 1, -1);
	EXPECT_EQ(1, ret);
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(dev, memory_accounted_and_returned)
{
	struct qkd_key_record recs[100];
	/*
	 * Earlier tests' streams and keys may still be freed after a grace
	 * period: wait until mem_used stops moving.
	 */
	long base = qkd_mem_settled();

	ASSERT_LE(0, base);
	ASSERT_EQ(100 * REC, write_keys(self->fd, self->tag, 0, 100, L));
	EXPECT_LE(base + 100 * 64, qkd_mem_used());
	EXPECT_GE(base + 100 * 128, qkd_mem_used());
	ASSERT_EQ(50 * REC, read(self->fd, recs, 50 * REC));
	ASSERT_EQ(50, qkd_genl_key_flush(self->g, self->name, 0));
	EXPECT_EQ(base, qkd_mem_settled());
	memset(recs, 0, sizeof(recs));
}

/* Many threads on many streams: no key handed out twice, none lost. */
#define STREAMS 4
#define THREADS 4
#define KEYS_PER_STREAM 20000

struct taker {
	const char *name;
	int id;
	uint8_t *seen;
	uint32_t tag;
	unsigned int got;
	unsigned int dup;
};

static void mark(struct taker *t, const struct qkd_key_record *rec)
{
	uint32_t n = qkd_key_n(rec);

	if (n >= KEYS_PER_STREAM || !qkd_key_ok(rec) ||
	    __atomic_fetch_add(&t->seen[n], 1, __ATOMIC_RELAXED))
		t->dup++;
	t->got++;
}

static void *taker_fn(void *arg)
{
	struct qkd_key_record recs[8];
	struct taker *t = arg;
	struct qkd_genl *g;
	ssize_t n;
	int fd, i;

	/* Half the takers use the device, the others netlink. */
	if (t->id % 2 == 0) {
		fd = qdev_open(t->name, O_NONBLOCK);
		while ((n = read(fd, recs, (1 + t->id % 8) * REC)) > 0)
			for (i = 0; i < n / (ssize_t)REC; i++)
				mark(t, &recs[i]);
		close(fd);
		return NULL;
	}
	if (qkd_genl_open(&g))
		return NULL;
	while (!qkd_genl_key_take(g, t->name, NULL, &recs[0]))
		mark(t, &recs[0]);
	qkd_genl_close(g);
	return NULL;
}

TEST_F_TIMEOUT(dev, concurrent_takers_never_share_a_key, 300)
{
	static struct taker takers[STREAMS][THREADS];
	static uint8_t seen[STREAMS][KEYS_PER_STREAM];
	pthread_t th[STREAMS][THREADS];
	char names[STREAMS][QKD_STREAM_NAME_MAX];
	int s, i, fd;

	for (s = 0; s < STREAMS; s++) {
		snprintf(names[s], sizeof(names[s]), "cc%d-%u", s, self->tag);
		ASSERT_EQ(0, qnl_stream_new(self->g, names[s], 0, 0, 0));
		fd = qdev_open(names[s], 0);
		ASSERT_LE(0, fd);
		for (i = 0; i < KEYS_PER_STREAM; i += 1000)
			ASSERT_EQ(1000 * REC, write_keys(fd, s, i, 1000, L));
		close(fd);
	}
	for (s = 0; s < STREAMS; s++)
		for (i = 0; i < THREADS; i++) {
			takers[s][i] = (struct taker){ .name = names[s],
				.id = i, .seen = seen[s], .tag = s };
			pthread_create(&th[s][i], NULL, taker_fn,
				       &takers[s][i]);
		}
	for (s = 0; s < STREAMS; s++) {
		unsigned int got = 0, dup = 0, missing = 0;

		for (i = 0; i < THREADS; i++) {
			pthread_join(th[s][i], NULL);
			got += takers[s][i].got;
			dup += takers[s][i].dup;
		}
		for (i = 0; i < KEYS_PER_STREAM; i++)
			missing += seen[s][i] != 1;
		EXPECT_EQ(KEYS_PER_STREAM, got);
		EXPECT_EQ(0, dup);
		EXPECT_EQ(0, missing);
		EXPECT_EQ(0, qkd_genl_stream_del(self->g, names[s]));
	}
}

TEST_HARNESS_MAIN
