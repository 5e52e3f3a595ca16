// SPDX-License-Identifier: GPL-2.0
/*
 * bench_pool [N | scale]: time qkdpool take paths (best of 3 rounds of N keys) for 32-byte keys and print a
 * table. Runs as root with the module loaded (in the VM); timings are for
 * the table only, nothing is asserted.
 *
 *   read() 1 key/call, read() 64 keys/call, netlink take, ioctl take-by-ID,
 *   and keyctl(KEYCTL_READ) of a user key as the anchor; then take-next and
 *   take-by-ID per-op cost with 10^3 to 10^6 keys in the stream; take
 *   latency during expiry scans with 10^6 keys of mixed lifetimes and
 *   reserve/release cost with 10^4 reservations held; add+take with 10^4
 *   streams; and the kernel memory per stored key.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include "qkdnl.h"

#define REC sizeof(struct qkd_key_record)
#define BIG 1000000
#define SMALL 1000
#define TAKES 20000

static struct qkd_genl *g;
static const char *name = "bench";
static struct qkd_key_record *recs;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_pool: %s: %s\n", what, strerror(-err));
	exit(1);
}

static int reset_stream(void)
{
	int fd, ret;

	qkd_genl_stream_del(g, name);
	ret = qnl_stream_new(g, name, QKD_STREAM_KEYS_LIMIT, 0, 0);
	if (ret)
		die("stream create", ret);
	fd = qdev_open(name, O_NONBLOCK);
	if (fd < 0)
		die("open /dev/qkdpool", fd);
	return fd;
}

/* Adds keys first..first+n-1 in bulk writes of 1024 records. */
static void fill(int fd, uint32_t first, uint32_t n, uint32_t owner)
{
	uint32_t i, chunk;

	for (i = 0; i < n; i += chunk) {
		chunk = n - i < 1024 ? n - i : 1024;
		for (uint32_t j = 0; j < chunk; j++)
			qkd_make_key(&recs[j], 1, first + i + j, owner, 32);
		if (write(fd, recs, chunk * REC) != (ssize_t)(chunk * REC))
			die("write", -errno);
	}
}

static double bench_read(int fd, unsigned int n, unsigned int per_call)
{
	unsigned int done = 0;
	double t0 = now_ns();
	ssize_t r;

	while (done < n) {
		r = read(fd, recs, per_call * REC);
		if (r <= 0)
			die("read", -errno);
		done += r / REC;
	}
	return (now_ns() - t0) / n;
}

static double bench_netlink(unsigned int n)
{
	struct qkd_key_record rec;
	double t0 = now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = qkd_genl_key_take(g, name, NULL, &rec);
		if (ret)
			die("netlink take", ret);
	}
	return (now_ns() - t0) / n;
}

/*
 * Takes @n of the peer keys first..first+total-1 by ID: in the order they
 * were added (as a peer taking its oldest keys asks for them), or
 * scattered (a permutation: 2654435761 is prime).
 */
static double bench_take_id(int fd, uint32_t first, unsigned int n,
			    unsigned int total, int scattered)
{
	struct qkd_key_record rec;
	double t0 = now_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t k = first + (scattered ?
			(uint32_t)((i * 2654435761ULL) % total) : i);

		qkd_make_key(&rec, 1, k, 0, 16);
		if (ioctl(fd, QKD_IOC_TAKE_ID, &rec))
			die("take by ID", -errno);
	}
	return (now_ns() - t0) / n;
}

static double bench_keyctl(unsigned int n)
{
	unsigned char buf[32] = { 1 };
	double t0;
	long id;

	id = syscall(SYS_add_key, "user", "qkdpool-bench", buf, sizeof(buf),
		     KEY_SPEC_PROCESS_KEYRING);
	if (id < 0)
		return -1;
	t0 = now_ns();
	for (unsigned int i = 0; i < n; i++)
		if (syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf)) !=
		    sizeof(buf))
			return -1;
	return (now_ns() - t0) / n;
}

static void row(const char *what, unsigned int n, double ns, double ref)
{
	printf("%-34s %9u %10.0f %12.0f %8.2fx\n", what, n, ns, 1e9 / ns,
	       ref / ns);
}

static long read_meminfo(const char *field)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			sscanf(line + strlen(field), " %ld", &v);
	fclose(f);
	return v;
}

/*
 * Per-op cost of @takes takes with about @level keys in the stream: kind 0
 * take-next by read(), 1 take-by-ID in add order, 2 take-by-ID scattered.
 * Below @takes keys the stream is refilled to @level between rounds (fills
 * are not timed), so each figure averages the same number of takes.
 */
static double scale_one(unsigned int level, unsigned int takes, int kind)
{
	uint32_t owner = kind ? QKD_OWNER_PEER : QKD_OWNER_LOCAL;
	unsigned int per = level < takes ? level : takes;
	double sum = 0;
	unsigned int r;
	int fd;

	fd = reset_stream();
	if (level >= takes)
		fill(fd, 0, level, owner);
	for (r = 0; r < takes / per; r++) {
		if (level < takes)
			fill(fd, r * level, level, owner);
		if (kind == 0)
			sum += bench_read(fd, per, 1) * per;
		else
			sum += bench_take_id(fd, level < takes ? r * level : 0,
					     per, level, kind == 2) * per;
	}
	close(fd);
	return sum / takes;
}

/* Stream sizes of the per-op cost curve: SMALL .. BIG, a point a decade. */
#define SIZES 4
static const unsigned int sizes[SIZES] = { SMALL, 10000, 100000, BIG };

/* Best of three, alternating sizes so that all see the same VM noise. */
static void scale(unsigned int takes, double cost[SIZES][3])
{
	double r;

	for (int rep = 0; rep < 3; rep++) {
		for (int kind = 0; kind < 3; kind++) {
			for (int s = 0; s < SIZES; s++) {
				r = scale_one(sizes[s], takes, kind);
				if (!rep || r < cost[s][kind])
					cost[s][kind] = r;
			}
		}
	}
}

/* MemFree without page cache noise. */
static long mem_free(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	usleep(500000);
	return read_meminfo("MemFree:");
}

static void report_memory(int *fd)
{
	long free0, free1, slab0, slab1, used0, used1;

	*fd = reset_stream();
	used0 = qkd_mem_used();
	free0 = mem_free();
	slab0 = read_meminfo("Slab:");
	fill(*fd, 0, BIG, QKD_OWNER_PEER);
	/* mem_free() also lets the hash table finish its deferred resize. */
	free1 = mem_free();
	used1 = qkd_mem_used();
	slab1 = read_meminfo("Slab:");
	printf("\nkernel memory per stored 32-byte key (%d keys):\n", BIG);
	printf("  key objects (module mem_used)   %6.1f bytes\n",
	       (double)(used1 - used0) / BIG);
	printf("  slab growth (/proc/meminfo)     %6.1f bytes\n",
	       (slab1 - slab0) * 1024.0 / BIG);
	printf("  all memory incl. hash buckets   %6.1f bytes (MemFree drop)\n",
	       (free0 - free1) * 1024.0 / BIG);
}

#define RESVS 10000
#define STREAMS 10000

/* Netlink reserve then release of one peer key by ID, per pair. */
static double bench_resv_cycle(const char *stream, uint32_t k, unsigned int n)
{
	struct qkd_key_record rec, got;
	double t0 = now_ns();
	unsigned int i;
	int ret;

	/* Not into @rec: the reply would overwrite the ID it is sent with. */
	qkd_make_key(&rec, 1, k, 0, 16);
	for (i = 0; i < n; i++) {
		ret = qkd_genl_key_reserve(g, stream, rec.id, 3600000, &got,
					   NULL);
		if (!ret)
			ret = qkd_genl_key_release(g, stream, rec.id);
		if (ret)
			die("reserve/release", ret);
	}
	return (now_ns() - t0) / n;
}

/*
 * With 10^6 keys of mixed lifetimes (so no list is in expiry order) and
 * 10^4 netlink reservations, time take-by-ID for ~6 s while a key with a
 * 1 s lifetime added every 100 ms keeps the once-a-second scan running:
 * the worst take waits for a whole scan under the stream lock.
 */
static void bench_expiry(void)
{
	double t0, t, worst = 0, sum = 0, idle, busy, stalled = 0;
	unsigned int i, takes = 0, stalls = 0;
	struct qkd_key_record rec;
	int fd = reset_stream();

	for (i = 0; i < BIG; i += 1024) {
		for (uint32_t j = 0; j < 1024; j++) {
			qkd_make_key(&recs[j], 1, i + j, QKD_OWNER_PEER, 32);
			recs[j].lifetime_ms = (i + j) % 2 ? 3600000 : 7200000;
		}
		if (write(fd, recs, 1024 * REC) != 1024 * REC)
			die("write", -errno);
	}
	idle = bench_resv_cycle(name, BIG - 1, 2000);
	for (i = 0; i < RESVS; i++) {
		struct qkd_key_record got;

		qkd_make_key(&rec, 1, i, 0, 16);
		if (qkd_genl_key_reserve(g, name, rec.id, 3600000, &got, NULL))
			die("reserve", -EIO);
	}
	busy = bench_resv_cycle(name, BIG - 1, 2000);
	t0 = now_ns();
	for (i = RESVS; now_ns() - t0 < 6e9 && i < BIG - 2; i++) {
		if (i % 256 == 0) {
			qkd_make_key(&rec, 2, i, QKD_OWNER_PEER, 32);
			rec.lifetime_ms = 1000;
			if (write(fd, &rec, REC) != REC)
				die("write", -errno);
		}
		qkd_make_key(&rec, 1, i, 0, 16);
		t = now_ns();
		if (ioctl(fd, QKD_IOC_TAKE_ID, &rec))
			die("take by ID", -errno);
		t = now_ns() - t;
		sum += t;
		takes++;
		if (t > worst)
			worst = t;
		if (t > 1e7) {
			stalls++;
			stalled += t;
		}
	}
	close(fd);
	printf("\nexpiry and reservations, %d keys of mixed lifetimes:\n", BIG);
	printf("  reserve+release by ID, none held   %10.0f ns\n", idle);
	printf("  reserve+release by ID, %d held  %10.0f ns\n", RESVS, busy);
	printf("  take-by-ID during scans, mean      %10.0f ns (%u takes)\n",
	       sum / takes, takes);
	printf("  take-by-ID during scans, worst     %10.0f ns\n", worst);
	printf("  takes over 10 ms: %u, %.0f ms in all (scans hold the lock)\n",
	       stalls, stalled / 1e6);
}

/* Netlink add of one key then take of it, on one stream among @others. */
static double bench_add_take(unsigned int n)
{
	struct qkd_key_record rec;
	double t0 = now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		qkd_make_key(&rec, 3, i, QKD_OWNER_LOCAL, 32);
		ret = qnl_key_add(g, name, &rec, 1);
		if (!ret)
			ret = qkd_genl_key_take(g, name, NULL, &rec);
		if (ret)
			die("add/take", ret);
	}
	return (now_ns() - t0) / n;
}

static void bench_streams(void)
{
	char other[QKD_STREAM_NAME_MAX];
	double one, many;
	unsigned int i;
	int fd = reset_stream();

	close(fd);
	one = bench_add_take(5000);
	for (i = 0; i < STREAMS; i++) {
		snprintf(other, sizeof(other), "bench-%u", i);
		if (qnl_stream_new(g, other, 0, 0, 0)) {
			printf("\n(only %u streams could be created)\n", i);
			break;
		}
	}
	many = bench_add_take(5000);
	printf("\nnetlink add+take of one key, per pair:\n");
	printf("  1 stream                           %10.0f ns\n", one);
	printf("  %5u streams                      %10.0f ns\n", i + 1, many);
	while (i--) {
		snprintf(other, sizeof(other), "bench-%u", i);
		qkd_genl_stream_del(g, other);
	}
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? atoi(argv[1]) : 30000;
	static const char * const what[3] = {
		"take-next read() 1/call", "take-by-ID ioctl, add order",
		"take-by-ID ioctl, scattered",
	};
	double nl = 0, r1 = 0, r64 = 0, id = 0, kr = 0, cost[SIZES][3];
	int fd, ret;

	recs = calloc(1024, REC);
	ret = qkd_genl_open(&g);
	if (ret)
		die("netlink", ret);
	/* "bench_pool scale": only the expiry, reservation and stream rows. */
	if (argc > 1 && !strcmp(argv[1], "scale")) {
		bench_expiry();
		bench_streams();
		qkd_genl_stream_del(g, name);
		qkd_genl_close(g);
		free(recs);
		return 0;
	}

	/* Best of three rounds of @n keys each. */
	for (int round = 0; round < 3; round++) {
		double r[5];

		fd = reset_stream();
		fill(fd, 0, n, QKD_OWNER_LOCAL);
		r[0] = bench_read(fd, n, 1);
		fill(fd, 0, n, QKD_OWNER_LOCAL);
		r[1] = bench_read(fd, n, 64);
		fill(fd, 0, n, QKD_OWNER_LOCAL);
		r[2] = bench_netlink(n);
		fill(fd, 0, n, QKD_OWNER_PEER);
		r[3] = bench_take_id(fd, 0, n, n, 0);
		r[4] = bench_keyctl(n);
		close(fd);
		if (!round || r[0] < r1)
			r1 = r[0];
		if (!round || r[1] < r64)
			r64 = r[1];
		if (!round || r[2] < nl)
			nl = r[2];
		if (!round || r[3] < id)
			id = r[3];
		if (!round || r[4] < kr)
			kr = r[4];
	}

	printf("qkdpool take paths, 32-byte keys (timing only, no asserts)\n");
	printf("%-34s %9s %10s %12s %9s\n", "operation", "keys", "ns/key",
	       "keys/s", "vs netlink");
	row("netlink KEY_TAKE (next)", n, nl, nl);
	row("read() 1 key/call", n, r1, nl);
	row("read() 64 keys/call", n, r64, nl);
	row("ioctl QKD_IOC_TAKE_ID", n, id, nl);
	if (kr > 0)
		row("keyctl READ user key (anchor)", n, kr, nl);

	scale(TAKES, cost);
	printf("\nper-op cost (ns) vs stream size (%d takes each):\n", TAKES);
	printf("%-34s %10s %10s %10s %10s %8s\n", "operation", "10^3 keys",
	       "10^4 keys", "10^5 keys", "10^6 keys", "ratio");
	for (int i = 0; i < 3; i++)
		printf("%-34s %10.0f %10.0f %10.0f %10.0f %8.2f\n", what[i],
		       cost[0][i], cost[1][i], cost[2][i], cost[3][i],
		       cost[3][i] / cost[0][i]);

	bench_expiry();
	bench_streams();
	report_memory(&fd);
	close(fd);
	qkd_genl_stream_del(g, name);
	qkd_genl_close(g);
	memset(recs, 0, 1024 * REC);
	free(recs);
	return 0;
}
