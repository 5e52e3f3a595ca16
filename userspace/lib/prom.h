/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metrics for Prometheus: the text exposition format (version 0.0.4) and
 * the smallest HTTP server that serves it, for the daemons' "metrics"
 * configuration line. GET /metrics is the only resource; anything else is
 * 404 (405 for another method). A scrape is a connection the daemon's own
 * event loop drives, never blocking on it, so a slow or stalled client
 * costs the daemon one of its PROM_MAX_CONNS slots and nothing else. Every
 * step is bounded: the request must come within PROM_IO_MS and fit in
 * 2 KiB, the answer must be taken within PROM_IO_MS and fit in
 * PROM_MAX_TEXT, or the connection is dropped; past PROM_MAX_CONNS open
 * scrapes, a new one is closed unanswered.
 *
 * A daemon's fill callback writes the families: for each one, its header
 * (qkd_prom_family), then its samples. Label values are escaped here. No
 * key material or key ID ever goes into a metric.
 */
#ifndef QKD_PROM_H
#define QKD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROM_IO_MS	1000
#define PROM_MAX_TEXT	(4 << 20)
#define PROM_MAX_CONNS	8

/* The text being built; a write that would pass PROM_MAX_TEXT sets full. */
struct qkd_prom {
	char *buf;
	size_t len, size;
	bool full;
};

/*
 * A histogram of durations in seconds over the fixed bounds qkd_prom_le[]
 * (1 ms .. 10 s); bucket[i] counts the observations <= qkd_prom_le[i] and
 * > qkd_prom_le[i - 1] (made cumulative when written).
 */
#define PROM_BUCKETS	13
extern const double qkd_prom_le[PROM_BUCKETS];

struct qkd_prom_hist {
	uint64_t bucket[PROM_BUCKETS];
	uint64_t count;
	double sum;
};

void qkd_prom_observe(struct qkd_prom_hist *h, double seconds);

/* "# HELP" and "# TYPE" (counter, gauge or histogram) lines of a family. */
void qkd_prom_family(struct qkd_prom *m, const char *name, const char *type,
		     const char *help);
/*
 * One sample: name, value, then label name and value pairs ending in NULL,
 * e.g. qkd_prom_u64(m, "qkd_pool_keys_added_total", n, "stream", s,
 * PROM_END): a typed null pointer, as NULL may be a plain 0.
 */
#define PROM_END	((const char *)NULL)
void qkd_prom_u64(struct qkd_prom *m, const char *name, uint64_t v, ...)
	__attribute__((sentinel));
void qkd_prom_f64(struct qkd_prom *m, const char *name, double v, ...)
	__attribute__((sentinel));
/* A histogram's _bucket, _sum and _count lines under one label pair. */
void qkd_prom_hist(struct qkd_prom *m, const char *name,
		   const struct qkd_prom_hist *h, const char *label,
		   const char *value);
void qkd_prom_free(struct qkd_prom *m);

/*
 * Listen on addr: "ADDR:PORT" (numeric, IPv4 or [IPv6]) for TCP, or an
 * absolute path for a UNIX stream socket (mode 0660, replaced if present).
 * Returns a non-blocking listening fd or -errno.
 */
int qkd_prom_listen(const char *addr);
void qkd_prom_close(int fd, const char *addr);

typedef void (*qkd_prom_fill_t)(struct qkd_prom *m, void *arg);

struct qkd_prom_conn;
/* A connection waiting on the listening fd, or NULL (none, no memory). */
struct qkd_prom_conn *qkd_prom_accept(int lfd);
int qkd_prom_conn_fd(const struct qkd_prom_conn *c);
/* Milliseconds before the connection is due to be dropped (0: now). */
int qkd_prom_conn_timeout(const struct qkd_prom_conn *c);
/*
 * Read the request, or send the answer (fill writes its text once the
 * request is in), as far as the socket allows without waiting. Returns
 * POLLIN or POLLOUT, what to wait for before calling again, or 0 when the
 * connection is done with (answered, dropped or past its time): then
 * qkd_prom_conn_free it. Called when it is past its time, it returns 0.
 */
short qkd_prom_conn_io(struct qkd_prom_conn *c, qkd_prom_fill_t fill,
		       void *arg);
void qkd_prom_conn_free(struct qkd_prom_conn *c);

#endif /* QKD_PROM_H */
