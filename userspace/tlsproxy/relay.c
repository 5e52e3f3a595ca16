// SPDX-License-Identifier: GPL-2.0
/*
 * Connections of qkd-tlsproxy: each accepted connection gets its partner
 * (client mode: plain in, TLS out; server mode: TLS in, plain out) and the
 * bytes flow both ways once the TLS handshake is done. Reading from one
 * side stops while the other side's output holds more than HIGH_WATER.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "keyid.h"
#include "log.h"
#include "proxy.h"
#include "tlspsk.h"

#define HIGH_WATER	(256 * 1024)

struct conn {
	struct proxy *px;
	struct bufferevent *plain, *tls;
	unsigned long n;
	bool up;		/* relaying */
};

static struct evconnlistener *listener;

static void conn_free(struct conn *c)
{
	if (c->plain)
		bufferevent_free(c->plain);
	if (c->tls)
		bufferevent_free(c->tls);
	free(c);
}

static struct bufferevent *other(struct conn *c, struct bufferevent *bev)
{
	return bev == c->plain ? c->tls : c->plain;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct bufferevent *to = other(c, bev);
	struct evbuffer *out = bufferevent_get_output(to);

	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	if (evbuffer_get_length(out) >= HIGH_WATER) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(to, EV_WRITE, HIGH_WATER / 2, 0);
	}
}

/* The output of bev drained below the mark: read its partner again. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_enable(other(c, bev), EV_READ);
}

/* One side is gone: close once what it sent has reached the other. */
static void drained_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_free(arg);
}

static void drain_failed_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	drained_cb(bev, arg);
}

static void finish(struct conn *c, struct bufferevent *gone)
{
	struct bufferevent *to = other(c, gone);

	if (!c->up || !to ||
	    !evbuffer_get_length(bufferevent_get_output(to))) {
		conn_free(c);
		return;
	}
	bufferevent_disable(gone, EV_READ | EV_WRITE);
	bufferevent_setwatermark(to, EV_WRITE, 0, 0);
	bufferevent_setcb(to, NULL, drained_cb, drain_failed_cb, c);
	bufferevent_disable(to, EV_READ);
}

static const char *psk_reason(int status)
{
	switch (status) {
	case -ENODATA: return "no QKD PSK offered";
	case -EAGAIN: return "no key available (pool empty)";
	case -ENOENT: return "unknown, expired or already used key ID";
	case -EACCES: return "key ID owned by this end";
	case -EBUSY: return "key ID in use by another handshake";
	case -EINVAL: return "malformed PSK identity or suite";
	default: return strerror(-status);
	}
}

static void log_tls_error(struct conn *c, short what)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->tls);
	char buf[256] = "connection closed", idtext[QKD_KEYID_STR_SIZE];
	uint8_t id[QKD_KEY_ID_LEN];
	unsigned long e;
	int st;

	e = bufferevent_get_openssl_error(c->tls);
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else if ((what & BEV_EVENT_ERROR) && EVUTIL_SOCKET_ERROR())
		snprintf(buf, sizeof(buf), "%s", evutil_socket_error_to_string(
			EVUTIL_SOCKET_ERROR()));
	while (bufferevent_get_openssl_error(c->tls))
		;
	if (!c->px->conf.stream) {
		log_notice("conn %lu: handshake failed: %s", c->n, buf);
		return;
	}
	st = qkd_tlspsk_status(ssl, id);
	if (st)
		log_notice("conn %lu: handshake failed: %s (qkd: %s)", c->n,
			   buf, psk_reason(st));
	else
		log_notice("conn %lu: handshake failed with key %s: %s", c->n,
			   qkd_keyid_format(id, idtext), buf);
}

static void event_cb(struct bufferevent *bev, short what, void *arg);

static void relay_start(struct conn *c)
{
	c->up = true;
	bufferevent_setcb(c->plain, read_cb, write_cb, event_cb, c);
	bufferevent_setcb(c->tls, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->plain, EV_READ | EV_WRITE);
	bufferevent_enable(c->tls, EV_READ | EV_WRITE);
	/*
	 * Application data that came with the client's Finished was read
	 * before anyone listened: no callback will announce it again.
	 */
	if (evbuffer_get_length(bufferevent_get_input(c->tls)))
		read_cb(c->tls, c);
}

/*
 * The handshake is done: log how, refuse one that went without the QKD PSK
 * unless certificates were allowed, and start relaying (client) or connect
 * the plain side (server).
 */
static void tls_up(struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->tls);
	const struct proxy_conf *conf = &c->px->conf;
	char idtext[QKD_KEYID_STR_SIZE] = "none";
	uint8_t id[QKD_KEY_ID_LEN];
	bool psk = SSL_session_reused(ssl);
	int group = SSL_get_negotiated_group(ssl);

	if (psk && conf->stream && !qkd_tlspsk_status(ssl, id))
		qkd_keyid_format(id, idtext);
	log_info("conn %lu: TLS up, %s, key %s, kex %s", c->n,
		 SSL_get_cipher_name(ssl), idtext,
		 group ? OBJ_nid2sn(group) : (psk ? "psk_ke" : "none"));
	if (conf->stream && !psk && !conf->cert_fallback) {
		log_err("conn %lu: handshake without the QKD PSK, closed",
			c->n);
		conn_free(c);
		return;
	}
	if (conf->mode == MODE_CLIENT) {
		relay_start(c);
		return;
	}
	c->plain = bufferevent_socket_new(c->px->base, -1,
					  BEV_OPT_CLOSE_ON_FREE);
	if (!c->plain) {
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->plain, NULL, NULL, event_cb, c);
	bufferevent_disable(c->tls, EV_READ);
	if (bufferevent_socket_connect(c->plain,
				       (struct sockaddr *)&conf->connect.ss,
				       conf->connect.len) < 0) {
		log_notice("conn %lu: connect to %s failed", c->n,
			   conf->connect.text);
		conn_free(c);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (bev == c->tls)
			tls_up(c);
		else
			relay_start(c);
		return;
	}
	if (!c->up && bev == c->tls)
		log_tls_error(c, what);
	else if (!c->up && c->px->conf.mode == MODE_SERVER)
		log_notice("conn %lu: connect to %s failed: %s", c->n,
			   c->px->conf.connect.text,
			   evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (!c->up)
		log_debug("conn %lu: closed before TLS was up", c->n);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		finish(c, bev);
}

static struct bufferevent *tls_bev(struct proxy *px, evutil_socket_t fd)
{
	enum bufferevent_ssl_state state = BUFFEREVENT_SSL_ACCEPTING;
	struct bufferevent *bev;
	SSL *ssl;

	ssl = SSL_new(px->ctx);
	if (!ssl)
		return NULL;
	if (px->conf.mode == MODE_CLIENT)
		state = BUFFEREVENT_SSL_CONNECTING;
	if (px->conf.server_name &&
	    (!SSL_set_tlsext_host_name(ssl, px->conf.server_name) ||
	     !SSL_set1_host(ssl, px->conf.server_name))) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(px->base, fd, ssl, state,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	/* peers that just close the TCP connection end the stream cleanly */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Client mode: hold the plain side until the TLS side is up. */
static int accept_client(struct conn *c, evutil_socket_t fd)
{
	struct proxy_addr *to = &c->px->conf.connect;

	c->plain = bufferevent_socket_new(c->px->base, fd,
					  BEV_OPT_CLOSE_ON_FREE);
	if (!c->plain) {
		evutil_closesocket(fd);
		return -ENOMEM;
	}
	bufferevent_setcb(c->plain, NULL, NULL, event_cb, c);
	c->tls = tls_bev(c->px, -1);
	if (!c->tls)
		return -ENOMEM;
	bufferevent_setcb(c->tls, NULL, NULL, event_cb, c);
	if (bufferevent_socket_connect(c->tls, (struct sockaddr *)&to->ss,
				       to->len) < 0) {
		log_notice("conn %lu: connect to %s failed", c->n, to->text);
		return -ECONNREFUSED;
	}
	return 0;
}

static int accept_server(struct conn *c, evutil_socket_t fd)
{
	c->tls = tls_bev(c->px, fd);
	if (!c->tls) {
		evutil_closesocket(fd);
		return -ENOMEM;
	}
	bufferevent_setcb(c->tls, NULL, NULL, event_cb, c);
	bufferevent_enable(c->tls, EV_READ | EV_WRITE);
	return 0;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct proxy *px = arg;
	struct conn *c;
	int ret;

	(void)l, (void)sa, (void)salen;
	c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->px = px;
	c->n = ++px->conns;
	log_debug("conn %lu: accepted", c->n);
	if (px->conf.mode == MODE_CLIENT)
		ret = accept_client(c, fd);
	else
		ret = accept_server(c, fd);
	if (ret < 0)
		conn_free(c);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l, (void)arg;
	/* EMFILE and the like: keep serving the connections we have */
	log_warn("accept: %s",
		 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

int proxy_relay_listen(struct proxy *px)
{
	struct proxy_addr *a = &px->conf.listen;

	listener = evconnlistener_new_bind(px->base, accept_cb, px,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		LEV_OPT_CLOSE_ON_EXEC, 128, (struct sockaddr *)&a->ss, a->len);
	if (!listener) {
		int err = EVUTIL_SOCKET_ERROR();

		log_err("cannot listen on %s: %s", a->text,
			evutil_socket_error_to_string(err));
		return err ? -err : -EIO;
	}
	evconnlistener_set_error_cb(listener, accept_error_cb);
	return 0;
}

void proxy_relay_uninit(void)
{
	if (listener)
		evconnlistener_free(listener);
	listener = NULL;
}
