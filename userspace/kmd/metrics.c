// SPDX-License-Identifier: GPL-2.0
/* qkd-kmd's metrics: see metrics.h. Names as in qkd-kmd.conf(5). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "genl.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"

struct family {
	const char *name, *type, *help;
	const char *label, *value;	/* an extra label pair, or NULL */
};

/* Families of the same name follow each other: one header for them. */
static void header(struct qkd_prom *m, const struct family *f, size_t i)
{
	if (!i || strcmp(f[i].name, f[i - 1].name))
		qkd_prom_family(m, f[i].name, f[i].type, f[i].help);
}

enum { S_LOCAL, S_PEER, S_RESERVED, S_MAX, S_ADDED, S_TAKEN, S_EXPIRED,
       S_REJECTED, S_N };

static const struct family stream_families[S_N] = {
	[S_LOCAL] = { "qkd_pool_keys_available", "gauge",
		"Keys ready in the stream, by owner (local: ours to take)",
		"owner", "local" },
	[S_PEER] = { "qkd_pool_keys_available", "gauge", NULL,
		"owner", "peer" },
	[S_RESERVED] = { "qkd_pool_keys_reserved", "gauge",
		"Keys reserved and not yet committed or released" },
	[S_MAX] = { "qkd_pool_keys_max", "gauge",
		"Keys the stream may hold" },
	[S_ADDED] = { "qkd_pool_keys_added_total", "counter",
		"Keys added to the stream" },
	[S_TAKEN] = { "qkd_pool_keys_taken_total", "counter",
		"Keys taken from the stream" },
	[S_EXPIRED] = { "qkd_pool_keys_expired_total", "counter",
		"Keys removed at the end of their lifetime" },
	[S_REJECTED] = { "qkd_pool_keys_rejected_total", "counter",
		"Keys refused by the stream (full, duplicate ID)" },
};

static void stream_values(const struct qkd_stream_stats *st, uint64_t *v)
{
	v[S_LOCAL] = st->avail_local;
	v[S_PEER] = st->avail_peer;
	v[S_RESERVED] = st->reserved;
	v[S_MAX] = st->max_keys;
	v[S_ADDED] = st->added;
	v[S_TAKEN] = st->taken;
	v[S_EXPIRED] = st->expired;
	v[S_REJECTED] = st->rejected;
}

static void fill_streams(struct qkd_prom *m, struct kmd *k)
{
	struct qkd_stream_stats *st = NULL;
	uint64_t (*v)[S_N];
	size_t n = 0, i, j;

	if (qkd_genl_stream_dump(k->genl, &st, &n))
		return;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto free_dump;
	for (j = 0; j < n; j++)
		stream_values(&st[j], v[j]);
	for (i = 0; i < S_N; i++) {
		header(m, stream_families, i);
		for (j = 0; j < n; j++)
			qkd_prom_u64(m, stream_families[i].name, v[j][i],
				     "stream", st[j].name,
				     stream_families[i].label,
				     stream_families[i].value, PROM_END);
	}
	free(v);
free_dump:
	free(st);
}

enum { L_KX_UP, L_KX_CONNECTS, L_KX_REJECTED, L_KME_UP, L_KME_ERRORS,
       L_FILL_TARGET, L_INFLIGHT, L_INGESTED, L_DROPPED, L_BATCHES,
       L_ABORTED, L_N };

static const struct family link_families[L_N] = {
	[L_KX_UP] = { "qkd_kmd_kx_up", "gauge",
		"1 if the Kx connection to the neighbour is up" },
	[L_KX_CONNECTS] = { "qkd_kmd_kx_connects_total", "counter",
		"Kx connections established" },
	[L_KX_REJECTED] = { "qkd_kmd_kx_rejected_frames_total", "counter",
		"Kx frames refused as breaking the protocol" },
	[L_KME_UP] = { "qkd_kmd_kme_up", "gauge",
		"1 if the KME answered the last request" },
	[L_KME_ERRORS] = { "qkd_kmd_kme_errors_total", "counter",
		"Failed requests to the KME" },
	[L_FILL_TARGET] = { "qkd_kmd_fill_target_keys", "gauge",
		"Keys the link keeps in its stream" },
	[L_INFLIGHT] = { "qkd_kmd_inflight_keys", "gauge",
		"Keys in delivery, not yet in both pools" },
	[L_INGESTED] = { "qkd_kmd_keys_ingested_total", "counter",
		"Keys from the KME added to the pool" },
	[L_DROPPED] = { "qkd_kmd_keys_dropped_total", "counter",
		"Keys dropped from the pool when settling a batch" },
	[L_BATCHES] = { "qkd_kmd_batches_total", "counter",
		"Key batches delivered to both pools" },
	[L_ABORTED] = { "qkd_kmd_batches_aborted_total", "counter",
		"Key batches given up" },
};

static uint64_t link_value(const struct link *l, unsigned int i)
{
	switch (i) {
	case L_KX_UP: return l->up;
	case L_KX_CONNECTS: return l->kx_connects;
	case L_KX_REJECTED: return l->kx.rejects;
	case L_KME_UP: return l->kme_ok;
	case L_KME_ERRORS: return l->kme_errors;
	case L_FILL_TARGET: return l->cfg->fill_target;
	case L_INFLIGHT: return link_inflight(l);
	case L_INGESTED: return l->keys_added;
	case L_DROPPED: return l->keys_dropped;
	case L_BATCHES: return l->batches_done;
	default: return l->batches_aborted;
	}
}

static void fill_links(struct qkd_prom *m, struct kmd *k)
{
	struct link *l;
	unsigned int i;

	qkd_prom_family(m, "qkd_kmd_link_info", "gauge",
			"The links to neighbour key managers: role, stream");
	for (l = k->links; l; l = l->next)
		qkd_prom_u64(m, "qkd_kmd_link_info", 1, "peer", l->cfg->id,
			     "role", l->cfg->master ? "master" : "slave",
			     "stream", l->cfg->stream, PROM_END);
	for (i = 0; i < L_N; i++) {
		header(m, link_families, i);
		for (l = k->links; l; l = l->next)
			qkd_prom_u64(m, link_families[i].name,
				     link_value(l, i), "peer", l->cfg->id,
				     PROM_END);
	}
}

static void fill(struct qkd_prom *m, void *arg)
{
	fill_streams(m, arg);
	fill_links(m, arg);
}

/*
 * Scrapes in progress, each an event of the loop on its connection, so a
 * slow client never holds the daemon up (prom.h).
 */
struct scrape {
	struct kmd *k;
	struct qkd_prom_conn *c;
	struct event *ev;
};

struct kmd_metrics {
	struct event *listener;
	struct scrape *scrape[PROM_MAX_CONNS];
};

static void scrape_end(struct kmd_metrics *km, struct scrape *s)
{
	unsigned int i;

	for (i = 0; i < PROM_MAX_CONNS; i++)
		if (km->scrape[i] == s)
			km->scrape[i] = NULL;
	if (s->ev)
		event_free(s->ev);
	qkd_prom_conn_free(s->c);
	free(s);
}

static void on_conn(evutil_socket_t fd, short what, void *arg);

/* Wait for what the connection asks, until its time is up. */
static int scrape_wait(struct scrape *s, short want)
{
	int ms = qkd_prom_conn_timeout(s->c);
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	short what = want == POLLIN ? EV_READ : EV_WRITE;
	int fd = qkd_prom_conn_fd(s->c);

	if (s->ev) {
		event_del(s->ev);
		event_assign(s->ev, s->k->base, fd, what, on_conn, s);
	} else {
		s->ev = event_new(s->k->base, fd, what, on_conn, s);
	}
	return s->ev && !event_add(s->ev, &tv) ? 0 : -ENOMEM;
}

static void on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct scrape *s = arg;
	short want = 0;

	(void)fd;
	if (!(what & EV_TIMEOUT))
		want = qkd_prom_conn_io(s->c, fill, s->k);
	if (!want || scrape_wait(s, want))
		scrape_end(s->k->metrics, s);
}

static void on_scrape(evutil_socket_t fd, short what, void *arg)
{
	struct kmd *k = arg;
	struct kmd_metrics *km = k->metrics;
	struct scrape *s;
	unsigned int i;

	(void)what;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->k = k;
	s->c = qkd_prom_accept(fd);
	for (i = 0; i < PROM_MAX_CONNS && km->scrape[i]; i++)
		;
	if (!s->c || i == PROM_MAX_CONNS) {
		scrape_end(km, s);
		return;
	}
	km->scrape[i] = s;
	if (scrape_wait(s, POLLIN))
		scrape_end(km, s);
}

int kmd_metrics_start(struct kmd *k)
{
	struct kmd_metrics *km;
	int fd;

	if (!k->cfg.metrics[0])
		return 0;
	km = calloc(1, sizeof(*km));
	if (!km)
		return -ENOMEM;
	fd = qkd_prom_listen(k->cfg.metrics);
	if (fd < 0) {
		log_err("metrics on %s: %s", k->cfg.metrics, strerror(-fd));
		free(km);
		return fd;
	}
	km->listener = event_new(k->base, fd, EV_READ | EV_PERSIST, on_scrape,
				 k);
	if (km->listener && !event_add(km->listener, NULL)) {
		k->metrics = km;
		log_info("metrics on %s", k->cfg.metrics);
		return 0;
	}
	if (km->listener)
		event_free(km->listener);
	free(km);
	qkd_prom_close(fd, k->cfg.metrics);
	return -ENOMEM;
}

void kmd_metrics_stop(struct kmd *k)
{
	struct kmd_metrics *km = k->metrics;
	unsigned int i;
	int fd;

	if (!km)
		return;
	for (i = 0; i < PROM_MAX_CONNS; i++)
		if (km->scrape[i])
			scrape_end(km, km->scrape[i]);
	fd = event_get_fd(km->listener);
	event_free(km->listener);
	qkd_prom_close(fd, k->cfg.metrics);
	free(km);
	k->metrics = NULL;
}
