// SPDX-License-Identifier: GPL-2.0
/*
 * lib/prom.c: the Prometheus text format (0.0.4) byte for byte, and its
 * HTTP server over a UNIX socket: GET /metrics only, bounded requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "prom.h"

TEST(prom_family_and_samples)
{
	struct qkd_prom m = { 0 };

	qkd_prom_family(&m, "qkd_x_total", "counter", "Things\\done\nso far");
	qkd_prom_u64(&m, "qkd_x_total", 18446744073709551615ULL, PROM_END);
	qkd_prom_u64(&m, "qkd_x_total", 7, "stream", "a\"b\\c\nd",
		     "owner", "local", PROM_END);
	qkd_prom_f64(&m, "qkd_y_seconds", 0.25, "interface", "m0", PROM_END);
	ASSERT_FALSE(m.full);
	EXPECT_STREQ("# HELP qkd_x_total Things\\\\done\\nso far\n"
		     "# TYPE qkd_x_total counter\n"
		     "qkd_x_total 18446744073709551615\n"
		     "qkd_x_total{stream=\"a\\\"b\\\\c\\nd\",owner=\"local\"} 7\n"
		     "qkd_y_seconds{interface=\"m0\"} 0.25\n", m.buf);
	EXPECT_EQ(strlen(m.buf), m.len);
	qkd_prom_free(&m);
}

/* Buckets are cumulative, +Inf counts everything, sum is exact here. */
TEST(prom_histogram)
{
	struct qkd_prom_hist h = { 0 };
	struct qkd_prom m = { 0 };

	qkd_prom_observe(&h, 0.0009765625);
	qkd_prom_observe(&h, 0.03125);
	qkd_prom_observe(&h, 0.5);	/* on a bound: in it */
	qkd_prom_observe(&h, 64);	/* beyond the last bound */
	qkd_prom_hist(&m, "qkd_d_seconds", &h, "interface", "m0");
	ASSERT_NE(NULL, m.buf);
	EXPECT_NE(NULL, strstr(m.buf,
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"0.001\"} 1\n"
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"0.0025\"} 1\n"));
	EXPECT_NE(NULL, strstr(m.buf,
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"0.025\"} 1\n"
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"0.05\"} 2\n"));
	EXPECT_NE(NULL, strstr(m.buf,
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"0.5\"} 3\n"));
	EXPECT_NE(NULL, strstr(m.buf,
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"10\"} 3\n"
		"qkd_d_seconds_bucket{interface=\"m0\",le=\"+Inf\"} 4\n"
		"qkd_d_seconds_sum{interface=\"m0\"} 64.5322265625\n"
		"qkd_d_seconds_count{interface=\"m0\"} 4\n"));
	qkd_prom_free(&m);
}

/* Past PROM_MAX_TEXT the text is marked full, not truncated silently. */
TEST(prom_bounded)
{
	struct qkd_prom m = { 0 };
	char name[200];
	size_t i;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < PROM_MAX_TEXT / 100 && !m.full; i++)
		qkd_prom_u64(&m, name, i, PROM_END);
	EXPECT_TRUE(m.full);
	EXPECT_LE(m.len, (size_t)PROM_MAX_TEXT);
	qkd_prom_free(&m);
}

TEST(prom_listen_bad_address)
{
	EXPECT_EQ(-EINVAL, qkd_prom_listen("localhost:9641"));
	EXPECT_EQ(-EINVAL, qkd_prom_listen("127.0.0.1"));
	EXPECT_EQ(-EINVAL, qkd_prom_listen("127.0.0.1:0"));
}

static void fill(struct qkd_prom *m, void *arg)
{
	qkd_prom_family(m, "qkd_t", "gauge", "A test");
	qkd_prom_u64(m, "qkd_t", *(int *)arg, PROM_END);
}

FIXTURE(http) {
	char dir[64], path[96];
	int lfd;
	int scrapes;
};

FIXTURE_SETUP(http)
{
	struct stat st;

	strcpy(self->dir, "/tmp/test_prom.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/metrics.sock", self->dir);
	self->lfd = qkd_prom_listen(self->path);
	ASSERT_LE(0, self->lfd);
	/* Made under a umask: its mode from the start, whatever ours is. */
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0660, st.st_mode & 0777);
	self->scrapes = 42;
}

FIXTURE_TEARDOWN(http)
{
	qkd_prom_close(self->lfd, self->path);
	rmdir(self->dir);
}

/* A client connected to the server's socket, or -1. */
static int client(struct _test_data_http *self)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int c;

	strcpy(sun.sun_path, self->path);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c >= 0 && connect(c, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(c);
		c = -1;
	}
	return c;
}

/*
 * Drive a connection as a daemon's loop would, until it is done with:
 * wait for what it asks, then let it go on.
 */
static void drive(struct qkd_prom_conn *sc, int *scrapes)
{
	struct pollfd pfd = { .fd = qkd_prom_conn_fd(sc) };

	pfd.events = qkd_prom_conn_io(sc, fill, scrapes);
	while (pfd.events) {
		poll(&pfd, 1, qkd_prom_conn_timeout(sc));
		pfd.events = qkd_prom_conn_io(sc, fill, scrapes);
	}
	qkd_prom_conn_free(sc);
}

/* All of the answer on c, in buf; its length. */
static ssize_t slurp(int c, char *buf, size_t size)
{
	ssize_t n, len = 0;

	while ((n = read(c, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	return len;
}

/*
 * Send req, let the server answer (the socket buffers both ways: one
 * thread suffices), return the whole answer in buf.
 */
static ssize_t exchange(struct _test_data_http *self, const char *req,
			char *buf, size_t size)
{
	struct qkd_prom_conn *sc;
	ssize_t len;
	int c;

	c = client(self);
	if (c < 0 || write(c, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	sc = qkd_prom_accept(self->lfd);
	if (!sc)
		return -1;
	drive(sc, &self->scrapes);
	len = slurp(c, buf, size);
	close(c);
	return len;
}

TEST_F(http, get_metrics)
{
	char buf[1024];

	ASSERT_LT(0, exchange(self, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
			      "Accept: */*\r\n\r\n", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "HTTP/1.0 200 OK\r\n", 17));
	EXPECT_NE(NULL, strstr(buf, "\r\nContent-Type: text/plain; "
			       "version=0.0.4; charset=utf-8\r\n"));
	EXPECT_NE(NULL, strstr(buf, "\r\nContent-Length: 48\r\n"));
	EXPECT_NE(NULL, strstr(buf, "\r\n\r\n# HELP qkd_t A test\n"
			       "# TYPE qkd_t gauge\nqkd_t 42\n"));
}

/* GET /metrics only (a query string ignored); no metrics in an error. */
TEST_F(http, status_lines)
{
	static const struct {
		const char *req, *status;
	} t[] = {
		{ "GET /metrics?x=1 HTTP/1.0\n\n", "HTTP/1.0 200 OK\r\n" },
		{ "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 404 Not Found\r\n" },
		{ "GET /metricsx HTTP/1.0\r\n\r\n",
		  "HTTP/1.0 404 Not Found\r\n" },
		{ "POST /metrics HTTP/1.0\r\n\r\n",
		  "HTTP/1.0 405 Method Not Allowed\r\n" },
		{ "GARBAGE\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n" },
	};
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ASSERT_LT(0, exchange(self, t[i].req, buf, sizeof(buf)));
		EXPECT_EQ(0, strncmp(buf, t[i].status, strlen(t[i].status)))
			TH_LOG("%s: got %.40s", t[i].req, buf);
		if (i)
			EXPECT_EQ(NULL, strstr(buf, "qkd_t"));
	}
}

/* A request that never ends is dropped unanswered after PROM_IO_MS. */
TEST_F(http, unfinished_request_dropped)
{
	char buf[1024];

	EXPECT_EQ(0, exchange(self, "GET /metrics HTTP/1.0\r\n", buf,
			      sizeof(buf)));
}

/* Past 2 KiB of headers, the connection is dropped unanswered. */
TEST_F(http, long_request_dropped)
{
	char req[4096], buf[1024];

	memset(req, 'a', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	memcpy(req, "GET /metrics HTTP/1.0\r\nX: ", 26);
	EXPECT_EQ(0, exchange(self, req, buf, sizeof(buf)));
}


/*
 * A client that connects and stalls halfway through its request holds
 * nothing up: another is answered in the meantime, and the first, still
 * connected, is answered once its request is complete.
 */
TEST_F(http, stalled_client_holds_nothing_up)
{
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	struct qkd_prom_conn *sa, *sb;
	char buf[1024];
	int a, b;

	a = client(self);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, write(a, "GET /", 5));
	sa = qkd_prom_accept(self->lfd);
	ASSERT_NE(NULL, sa);
	/* It asks for more instead of waiting for it. */
	EXPECT_EQ(POLLIN, qkd_prom_conn_io(sa, fill, &self->scrapes));

	b = client(self);
	ASSERT_LE(0, b);
	ASSERT_EQ((ssize_t)strlen(req), write(b, req, strlen(req)));
	sb = qkd_prom_accept(self->lfd);
	ASSERT_NE(NULL, sb);
	drive(sb, &self->scrapes);
	ASSERT_LT(0, slurp(b, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "HTTP/1.0 200 OK\r\n", 17));
	close(b);

	ASSERT_EQ((ssize_t)strlen(req) - 5, write(a, req + 5, strlen(req) - 5));
	drive(sa, &self->scrapes);
	ASSERT_LT(0, slurp(a, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "HTTP/1.0 200 OK\r\n", 17));
	close(a);
}

TEST_HARNESS_MAIN
