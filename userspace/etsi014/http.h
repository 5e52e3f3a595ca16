/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small HTTP/1.1 server over TLS for the JSON APIs qkd-kmd and
 * qkd-simkme serve (ETSI GS QKD 014, Cisco SKIP). libevent's evhttp (2.1)
 * answers an oversized body, an unknown method or a malformed request with
 * an HTML page and may close before the client has sent its body; here
 * every reply, the server's own errors included, is JSON in the caller's
 * error format, and a refused body is drained so that the client reads
 * the reply.
 *
 * http_parse_head() is pure (no I/O): the fuzzable entry point. Requests
 * carry a Content-Length body (no chunked uploads) of at most body_max
 * bytes; the head is at most HTTP_HEAD_MAX bytes.
 */
#ifndef ETSI014_HTTP_H
#define ETSI014_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#define HTTP_HEAD_MAX	8192
#define HTTP_TARGET_MAX	2048

struct http_req {
	char method[16];
	char path[HTTP_TARGET_MAX];	/* as sent, still percent-encoded */
	char query[HTTP_TARGET_MAX];	/* after '?', "" if none */
	size_t content_length;
	bool keep_alive;
	bool expect_continue;
	bool chunked;			/* Transfer-Encoding: refused (411) */
};

/*
 * Parse the head (request line and headers) at the start of buf. Returns
 * 0 with *head_len set to its length including the blank line, -EAGAIN if
 * buf holds no complete head yet, or the HTTP error code to answer with
 * as a negative number: -400 (malformed), -431 (head too large), -505
 * (not HTTP/1.x); then *why says what was wrong.
 */
int http_parse_head(const char *buf, size_t len, struct http_req *r,
		    size_t *head_len, const char **why);

/* The reason phrase of a status code ("Bad Request"). */
const char *http_reason(int code);

struct http_conn;
struct http_server;

struct http_server_ops {
	/*
	 * A complete request with its body; must answer with http_reply()
	 * before it returns (the server is single-threaded).
	 */
	void (*handle)(void *arg, struct http_conn *c, const struct http_req *r,
		       const char *body, size_t len);
	/* The JSON body of an error the server answers itself; malloc'ed. */
	char *(*error_json)(void *arg, int code, const char *message,
			    const char *details);
};

/*
 * Listen on "ADDR:PORT" or "[ADDR6]:PORT" (numeric); each connection is
 * TLS with a fresh SSL of tls, of which the server takes a reference. NULL
 * on failure (the reason is logged).
 */
struct http_server *http_server_new(struct event_base *base, SSL_CTX *tls,
				    const char *listen, size_t body_max,
				    const struct http_server_ops *ops, void *arg);
void http_server_free(struct http_server *s);

/* The connection's TLS session (peer certificate, PSK identity). */
SSL *http_conn_ssl(struct http_conn *c);

/*
 * Answer with code and a JSON body (NULL: an empty body); allow, if not
 * NULL, is sent as the Allow header (405). A reply of 400 or more to a
 * request that asked to close, or any reply after which the connection
 * cannot go on, closes the connection once sent.
 */
void http_reply(struct http_conn *c, int code, const char *json,
		const char *allow);

#endif /* ETSI014_HTTP_H */
