// SPDX-License-Identifier: GPL-2.0
/* HTTP/1.1 connections over bufferevent_openssl: see http.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>

#include "addr.h"
#include "http.h"
#include "log.h"

/*
 * A refused body is read and dropped, up to this much, so that the client
 * is not reset mid-upload and gets to read the error; then we close.
 */
#define DRAIN_MAX	(64u << 20)
#define IDLE_TIMEOUT	30
#define LINGER_TIMEOUT	5

struct http_conn {
	struct http_server *s;
	struct bufferevent *bev;
	struct http_conn *prev, *next;	/* the server's connections */
	struct http_req req;
	size_t head_len;
	bool have_head;
	bool continued;		/* "100 Continue" sent for this request */
	bool closing;		/* close once the reply is out */
	size_t drain;		/* refused body bytes still to drop */
};

struct http_server {
	struct evconnlistener *lis;
	SSL_CTX *tls;
	size_t body_max;
	const struct http_server_ops *ops;
	void *arg;
	struct http_conn *conns;
};

static void conn_free(struct http_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* Close when the reply is out and the refused body has been dropped. */
static bool maybe_close(struct http_conn *c)
{
	if (!c->closing || c->drain ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)))
		return false;
	conn_free(c);
	return true;
}

SSL *http_conn_ssl(struct http_conn *c)
{
	return bufferevent_openssl_get_ssl(c->bev);
}

void http_reply(struct http_conn *c, int code, const char *json,
		const char *allow)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = json ? strlen(json) : 0;

	if (!c->req.keep_alive)
		c->closing = true;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %zu\r\n%s%s%s%s\r\n",
			    code, http_reason(code), len,
			    allow ? "Allow: " : "", allow ? allow : "",
			    allow ? "\r\n" : "",
			    c->closing ? "Connection: close\r\n" : "");
	if (len)
		evbuffer_add(out, json, len);
}

/* Answer an error of the server's own and close; drop body bytes first. */
static void refuse(struct http_conn *c, int code, const char *message,
		   const char *why, size_t drain)
{
	char *json = c->s->ops->error_json(c->s->arg, code, message,
					   why ? why : "");

	log_info("http: %d %s%s%s", code, message, why ? ": " : "",
		 why ? why : "");
	c->closing = true;
	c->drain = drain > DRAIN_MAX ? DRAIN_MAX : drain;
	http_reply(c, code, json, NULL);
	free(json);
	if (c->drain) {
		struct timeval t = { LINGER_TIMEOUT, 0 };

		bufferevent_set_timeouts(c->bev, &t, &t);
	}
}

static const char *head_message(int code)
{
	switch (code) {
	case 413: return "request body too large";
	case 431: return "request head too large";
	case 505: return "HTTP version not supported";
	default: return "bad request format";
	}
}

/* The head of the next request: 0, -EAGAIN, or -EPIPE once refused. */
static int read_head(struct http_conn *c, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in);
	const char *why, *buf;
	int ret;

	if (avail > HTTP_HEAD_MAX)
		avail = HTTP_HEAD_MAX;
	buf = (const char *)evbuffer_pullup(in, avail);
	ret = http_parse_head(buf, avail, &c->req, &c->head_len, &why);
	if (ret == -EAGAIN)
		return ret;
	if (ret) {
		c->req.keep_alive = false;
		refuse(c, -ret, head_message(-ret), why, 0);
		return -EPIPE;
	}
	evbuffer_drain(in, c->head_len);
	if (c->req.chunked) {
		/* Its length is unknown: drop what comes until the cap. */
		refuse(c, 411, "length required",
		       "a body needs a Content-Length", DRAIN_MAX);
		return -EPIPE;
	}
	if (c->req.content_length > c->s->body_max) {
		/* With "Expect: 100-continue" the body never comes. */
		refuse(c, 413, "request body too large", NULL,
		       c->req.expect_continue ? 0 : c->req.content_length);
		return -EPIPE;
	}
	c->have_head = true;
	c->continued = false;
	return 0;
}

/* Serve one request if it is all here: 0, -EAGAIN or -EPIPE (closing). */
static int serve_one(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n;
	int ret;

	if (!c->have_head) {
		ret = read_head(c, in);
		if (ret)
			return ret;
	}
	n = c->req.content_length;
	if (evbuffer_get_length(in) < n) {
		if (c->req.expect_continue && !c->continued) {
			evbuffer_add_printf(bufferevent_get_output(c->bev),
					    "HTTP/1.1 100 Continue\r\n\r\n");
			c->continued = true;
		}
		return -EAGAIN;
	}
	c->have_head = false;
	c->s->ops->handle(c->s->arg, c, &c->req,
			  (const char *)evbuffer_pullup(in, n), n);
	evbuffer_drain(in, n);
	return c->closing ? -EPIPE : 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct http_conn *c = arg;
	size_t n;

	if (c->closing) {
		n = evbuffer_get_length(in);
		if (n > c->drain)
			n = c->drain;
		c->drain -= n;
		/* Whatever follows the refused body is not served either. */
		evbuffer_drain(in, evbuffer_get_length(in));
		maybe_close(c);
		return;
	}
	while (!serve_one(c))
		;
	if (c->closing)
		on_read(bev, c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	maybe_close(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct timeval idle = { IDLE_TIMEOUT, 0 };
	struct http_server *s = arg;
	struct http_conn *c;
	int one = 1;
	SSL *ssl;

	(void)sa;
	(void)salen;
	/*
	 * A reply goes out as several TLS records; without this, Nagle and
	 * the client's delayed ACK hold the last one back for ~40 ms.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	ssl = c ? SSL_new(s->tls) : NULL;
	if (!ssl)
		goto err_close;
	c->s = s;
	c->bev = bufferevent_openssl_socket_new(evconnlistener_get_base(lis),
						fd, ssl,
						BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE);
	/* On failure libevent 2.1 leaves ssl to us but may close fd: leak. */
	if (!c->bev) {
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (c->next)
		c->next->prev = c;
	s->conns = c;
	return;

err_close:
	free(c);
	evutil_closesocket(fd);
}

struct http_server *http_server_new(struct event_base *base, SSL_CTX *tls,
				    const char *listen, size_t body_max,
				    const struct http_server_ops *ops, void *arg)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t len;

	if (!s)
		return NULL;
	if (qkd_sockaddr(listen, &ss, &len)) {
		log_err("http: bad listen address '%s' (ADDR:PORT)", listen);
		goto err_free;
	}
	s->lis = evconnlistener_new_bind(base, on_accept, s,
					 LEV_OPT_CLOSE_ON_FREE |
					 LEV_OPT_REUSEABLE, -1,
					 (struct sockaddr *)&ss, len);
	if (!s->lis) {
		log_err("http: cannot listen on %s: %s", listen,
			strerror(errno));
		goto err_free;
	}
	SSL_CTX_up_ref(tls);
	s->tls = tls;
	s->body_max = body_max;
	s->ops = ops;
	s->arg = arg;
	return s;

err_free:
	free(s);
	return NULL;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	evconnlistener_free(s->lis);
	SSL_CTX_free(s->tls);
	free(s);
}
