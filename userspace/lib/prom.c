// SPDX-License-Identifier: GPL-2.0
/* Prometheus metrics over HTTP: see prom.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4() */
#endif
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "prom.h"

#define REQ_MAX		2048

const double qkd_prom_le[PROM_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

void qkd_prom_observe(struct qkd_prom_hist *h, double seconds)
{
	unsigned int i;

	for (i = 0; i < PROM_BUCKETS; i++) {
		if (seconds <= qkd_prom_le[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum += seconds;
}

static void put(struct qkd_prom *m, const char *s, size_t n)
{
	size_t size = m->size ? m->size : 65536;
	char *p;

	if (m->full)
		return;
	while (m->len + n + 1 > size)
		size *= 2;
	if (size > PROM_MAX_TEXT) {
		m->full = true;
		return;
	}
	if (size != m->size) {
		p = realloc(m->buf, size);
		if (!p) {
			m->full = true;
			return;
		}
		m->buf = p;
		m->size = size;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void puts_(struct qkd_prom *m, const char *s)
{
	put(m, s, strlen(s));
}

static void printf_(struct qkd_prom *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void printf_(struct qkd_prom *m, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(m, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* HELP text escapes backslash and newline; label values also '"'. */
static void escaped(struct qkd_prom *m, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(m, "\\\\");
		else if (*s == '\n')
			puts_(m, "\\n");
		else if (*s == '"' && quote)
			puts_(m, "\\\"");
		else
			put(m, s, 1);
	}
}

void qkd_prom_family(struct qkd_prom *m, const char *name, const char *type,
		     const char *help)
{
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	escaped(m, help, false);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, " ");
	puts_(m, type);
	puts_(m, "\n");
}

static void labels(struct qkd_prom *m, const char *name, va_list ap)
{
	const char *k, *v, *sep = "{";

	puts_(m, name);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		puts_(m, sep);
		puts_(m, k);
		puts_(m, "=\"");
		escaped(m, v, true);
		puts_(m, "\"");
		sep = ",";
	}
	if (*sep == ',')
		puts_(m, "}");
}

void qkd_prom_u64(struct qkd_prom *m, const char *name, uint64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	labels(m, name, ap);
	va_end(ap);
	printf_(m, " %llu\n", (unsigned long long)v);
}

void qkd_prom_f64(struct qkd_prom *m, const char *name, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	labels(m, name, ap);
	va_end(ap);
	printf_(m, " %.17g\n", v);
}

void qkd_prom_hist(struct qkd_prom *m, const char *name,
		   const struct qkd_prom_hist *h, const char *label,
		   const char *value)
{
	char series[128], le[32];
	uint64_t n = 0;
	unsigned int i;

	snprintf(series, sizeof(series), "%s_bucket", name);
	for (i = 0; i < PROM_BUCKETS; i++) {
		n += h->bucket[i];
		snprintf(le, sizeof(le), "%g", qkd_prom_le[i]);
		qkd_prom_u64(m, series, n, label, value, "le", le, PROM_END);
	}
	qkd_prom_u64(m, series, h->count, label, value, "le", "+Inf", PROM_END);
	snprintf(series, sizeof(series), "%s_sum", name);
	qkd_prom_f64(m, series, h->sum, label, value, PROM_END);
	snprintf(series, sizeof(series), "%s_count", name);
	qkd_prom_u64(m, series, h->count, label, value, PROM_END);
}

void qkd_prom_free(struct qkd_prom *m)
{
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

int qkd_prom_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret, one = 1;

	if (addr[0] == '/')
		return qkd_unix_listen(addr, 0660);
	if (qkd_sockaddr(addr, &ss, &len))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

void qkd_prom_close(int fd, const char *addr)
{
	if (fd < 0)
		return;
	close(fd);
	if (addr[0] == '/')
		unlink(addr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A scrape in progress. Its request comes in, then its whole answer
 * (headers and text) is built at once and goes out as fast as the client
 * takes it; each of the two phases has PROM_IO_MS.
 */
struct qkd_prom_conn {
	int fd;
	int64_t deadline;
	size_t len;
	char req[REQ_MAX];
	char *out;
	size_t out_len, out_sent;
};

struct qkd_prom_conn *qkd_prom_accept(int lfd)
{
	struct qkd_prom_conn *c;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->deadline = now_ms() + PROM_IO_MS;
	return c;
}

int qkd_prom_conn_fd(const struct qkd_prom_conn *c)
{
	return c->fd;
}

int qkd_prom_conn_timeout(const struct qkd_prom_conn *c)
{
	int64_t left = c->deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

void qkd_prom_conn_free(struct qkd_prom_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->out);
	free(c);
}

/* 1: the request is complete; 0: more to come; -1: drop it. */
static int read_request(struct qkd_prom_conn *c)
{
	ssize_t n;

	while (c->len < REQ_MAX - 1) {
		n = recv(c->fd, c->req + c->len, REQ_MAX - 1 - c->len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->len += n;
		c->req[c->len] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
			return 1;
	}
	return -1;
}

/* The status line, headers and body in one buffer, to go out as is. */
static bool set_answer(struct qkd_prom_conn *c, const char *status,
		       const char *body, size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status,
		     strcmp(status, "200 OK") ? "text/plain; charset=utf-8" :
		     "text/plain; version=0.0.4; charset=utf-8", len);
	c->out = malloc(n + len);
	if (!c->out)
		return false;
	memcpy(c->out, head, n);
	if (len)
		memcpy(c->out + n, body, len);
	c->out_len = n + len;
	return true;
}

/* "GET /metrics HTTP/1.x" (a query string is ignored), or why not. */
static const char *route(char *req)
{
	char *method = strtok(req, " "), *target = strtok(NULL, " ?\r\n");

	if (!method || !target)
		return "400 Bad Request";
	if (strcmp(target, "/metrics"))
		return "404 Not Found";
	if (strcmp(method, "GET"))
		return "405 Method Not Allowed";
	return NULL;
}

static bool answer(struct qkd_prom_conn *c, qkd_prom_fill_t fill, void *arg)
{
	struct qkd_prom m = { 0 };
	const char *err = route(c->req);
	bool ok;

	c->deadline = now_ms() + PROM_IO_MS;
	if (err)
		return set_answer(c, err, "", 0);
	fill(&m, arg);
	if (m.full)
		ok = set_answer(c, "500 Internal Server Error",
				"metrics too large\n", 18);
	else
		ok = set_answer(c, "200 OK", m.buf ? m.buf : "", m.len);
	qkd_prom_free(&m);
	return ok;
}

short qkd_prom_conn_io(struct qkd_prom_conn *c, qkd_prom_fill_t fill,
		       void *arg)
{
	ssize_t n;

	if (!qkd_prom_conn_timeout(c))
		return 0;
	if (!c->out) {
		switch (read_request(c)) {
		case 0:
			return POLLIN;
		case -1:
			return 0;
		}
		if (!answer(c, fill, arg))
			return 0;
	}
	while (c->out_sent < c->out_len) {
		n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return POLLOUT;
		if (n <= 0)
			return 0;
		c->out_sent += n;
	}
	return 0;
}
