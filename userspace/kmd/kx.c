// SPDX-License-Identifier: GPL-2.0
/* Kx connections over bufferevent_openssl: see kx.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "addr.h"
#include "kx.h"
#include "log.h"
#include "tls.h"

/* A connection that says nothing valid for this long is dropped. */
#define KX_HELLO_TIMEOUT_S 10
/* A peer that acknowledges nothing for this long is gone. */
#define KX_DEAD_S 6

struct kx_listener {
	struct kmd *kmd;
	struct evconnlistener *lev;
};

struct kx_conn {
	struct kmd *kmd;
	struct kx_peer *peer;		/* NULL until the peer is known */
	struct bufferevent *bev;
	bool outgoing, hello_sent, hello_rcvd, closing;
	bool in_read, dead;		/* freeing deferred while reading */
	uint32_t tx_seq, rx_seq;
	char cn[KMD_ID_MAX];		/* the peer certificate's */
	char where[256];		/* for logs */
	uint8_t frame[KX_HDR_LEN + KX_PAYLOAD_MAX];
	struct kx_msg msg;
};

static void conn_free(struct kx_conn *c)
{
	if (c->in_read) {
		c->dead = true;
		return;
	}
	bufferevent_free(c->bev);
	explicit_bzero(c->frame, sizeof(c->frame));
	free(c);
}

/* Detach from the peer (which reacts) and free. */
static void conn_drop(struct kx_conn *c, const char *why)
{
	struct kx_peer *p = c->peer;

	if (p && p->conn == c) {
		p->conn = NULL;
		conn_free(c);
		p->ops->down(p, why);
		return;
	}
	conn_free(c);
}

static void flushed_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_drop(arg, "closed after error");
}

/* The peer went away before our ERROR frame was out: free all the same. */
static void closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_drop(arg, "closed after error");
}

/* Close now (logs why, sends an ERROR frame first if tell_peer). */
static void conn_close(struct kx_conn *c, const char *why,
		       bool tell_peer)
{
	struct kx_msg *m = &c->msg;

	log_warn("kx %s: closing: %s", c->where, why);
	if (!tell_peer || c->closing) {
		conn_drop(c, why);
		return;
	}
	/* Tell the peer why, then close once the frame is out. */
	memset(m, 0, offsetof(struct kx_msg, ids));
	m->type = KX_ERROR;
	snprintf(m->text, sizeof(m->text), "%s", why);
	kx_send(c, m);
	c->closing = true;
	if (c->peer && c->peer->conn == c) {
		c->peer->conn = NULL;
		c->peer->ops->down(c->peer, why);
		c->peer = NULL;
	}
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, flushed_cb, closing_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_drop(c, why);
}

int kx_send(struct kx_conn *c, const struct kx_msg *m)
{
	size_t len = kx_msg_encode(m, ++c->tx_seq, c->frame,
				   sizeof(c->frame));

	int ret = 0;

	if (!len)
		ret = -EMSGSIZE;
	else if (bufferevent_write(c->bev, c->frame, len))
		ret = -ENOBUFS;
	if (ret) {
		explicit_bzero(c->frame, sizeof(c->frame));
		log_err("kx %s: cannot send %s", c->where,
			kx_type_name(m->type));
		return ret;
	}
	log_debug("kx %s: sent %s seq %u", c->where, kx_type_name(m->type),
		  c->tx_seq);
	return 0;
}

int kx_send_raw(struct kx_conn *c, uint8_t type, const uint8_t *payload,
		size_t len)
{
	size_t n = kx_frame_encode(type, c->tx_seq + 1, payload, len,
				   c->frame, sizeof(c->frame));
	int ret = 0;

	if (!n)
		ret = -EMSGSIZE;
	else if (bufferevent_write(c->bev, c->frame, n))
		ret = -ENOBUFS;
	/* A RELAY frame holds a pad's output: keep no copy of it here. */
	explicit_bzero(c->frame, n);
	if (ret) {
		log_err("kx %s: cannot send %s", c->where, kx_type_name(type));
		return ret;
	}
	c->tx_seq++;
	log_debug("kx %s: sent %s seq %u", c->where, kx_type_name(type),
		  c->tx_seq);
	return 0;
}

static void send_hello(struct kx_conn *c)
{
	struct kx_msg *m = &c->msg;

	memset(m, 0, offsetof(struct kx_msg, ids));
	m->type = KX_HELLO;
	m->role = c->peer->master ? KX_ROLE_MASTER : KX_ROLE_SLAVE;
	snprintf(m->text, sizeof(m->text), "%s", c->kmd->cfg.node_id);
	kx_send(c, m);
	c->hello_sent = true;
}

static const char *check_hello(struct kx_conn *c, const struct kx_msg *m)
{
	uint8_t want = c->peer->master ? KX_ROLE_SLAVE : KX_ROLE_MASTER;

	if (m->type != KX_HELLO)
		return "expected HELLO first";
	if (strcmp(m->text, c->cn))
		return "HELLO node ID differs from the certificate's CN";
	if (m->role != want)
		return "peer claims the same role on the QKD link as we do";
	return NULL;
}

static void on_frame(struct kx_conn *c, const struct kx_hdr *h)
{
	const char *why = NULL;
	char reason[256];

	if (h->seq != c->rx_seq + 1) {
		snprintf(reason, sizeof(reason),
			 "bad frame: sequence number %u, expected %u", h->seq,
			 c->rx_seq + 1);
		goto reject;
	}
	c->rx_seq = h->seq;
	if (kx_msg_decode(h, c->frame + KX_HDR_LEN, &c->msg, &why)) {
		snprintf(reason, sizeof(reason), "bad %s frame: %s",
			 kx_type_name(h->type), why);
		goto reject;
	}
	log_debug("kx %s: received %s seq %u", c->where,
		  kx_type_name(h->type), h->seq);
	if (c->msg.type == KX_ERROR) {
		snprintf(reason, sizeof(reason), "peer reports: %s",
			 c->msg.text);
		conn_close(c, reason, false);
		return;
	}
	if (!c->hello_rcvd) {
		why = check_hello(c, &c->msg);
		if (why)
			goto reject_why;
		c->hello_rcvd = true;
		bufferevent_set_timeouts(c->bev, NULL, NULL);
		c->peer->ops->up(c->peer);
		return;
	}
	if (c->peer->ops->recv(c->peer, &c->msg, &why))
		goto reject_why;
	return;
reject_why:
	snprintf(reason, sizeof(reason), "unexpected %s frame: %s",
		 kx_type_name(h->type), why);
reject:
	if (c->peer)
		c->peer->rejects++;
	conn_close(c, reason, true);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct kx_conn *c = arg;
	const char *why;
	struct kx_hdr h;
	char reason[128];

	c->in_read = true;
	while (!c->dead && !c->closing &&
	       evbuffer_get_length(in) >= KX_HDR_LEN) {
		evbuffer_copyout(in, c->frame, KX_HDR_LEN);
		if (kx_hdr_decode(c->frame, &h, &why)) {
			snprintf(reason, sizeof(reason),
				 "bad frame header: %s", why);
			if (c->peer)
				c->peer->rejects++;
			conn_close(c, reason, true);
			break;
		}
		if (evbuffer_get_length(in) < KX_HDR_LEN + h.len)
			break;
		evbuffer_remove(in, c->frame, KX_HDR_LEN + h.len);
		on_frame(c, &h);
	}
	c->in_read = false;
	if (c->dead)
		conn_free(c);
}

void kx_peer_register(struct kmd *k, struct kx_peer *p)
{
	p->next = k->kx_peers;
	k->kx_peers = p;
}

void kx_peer_unregister(struct kmd *k, struct kx_peer *p)
{
	struct kx_peer **pp;

	for (pp = &k->kx_peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->conn) {
		p->conn->peer = NULL;
		conn_free(p->conn);
		p->conn = NULL;
	}
}

static struct kx_peer *peer_by_cn(struct kmd *k, const char *cn)
{
	struct kx_peer *p;

	for (p = k->kx_peers; p; p = p->next)
		if (!strcmp(p->id, cn))
			return p;
	return NULL;
}

/*
 * Small frames answer each other: no Nagle delay between them. A link
 * whose path died (a cable cut sends no FIN) must go down within seconds,
 * so that relays route around it: keepalives while idle, a bound on
 * unacknowledged data while not.
 */
static void sock_options(evutil_socket_t fd)
{
	static const struct { int level, name, value; } opts[] = {
		{ IPPROTO_TCP, TCP_NODELAY, 1 },
		{ SOL_SOCKET, SO_KEEPALIVE, 1 },
		{ IPPROTO_TCP, TCP_KEEPIDLE, KX_DEAD_S / 2 },
		{ IPPROTO_TCP, TCP_KEEPINTVL, 1 },
		{ IPPROTO_TCP, TCP_KEEPCNT, KX_DEAD_S / 2 },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT, KX_DEAD_S * 1000 },
	};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value,
			   sizeof(opts[i].value));
}

/* TLS is up: name the peer by its certificate and say HELLO. */
static void on_connected(struct kx_conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	struct kx_peer *p;

	if (etsi014_tls_peer_cn(ssl, c->cn, sizeof(c->cn))) {
		conn_close(c, "peer certificate without a usable CN", false);
		return;
	}
	if (c->outgoing) {
		if (strcmp(c->cn, c->peer->id)) {
			conn_close(c, "peer certificate names another node",
				 true);
			return;
		}
	} else {
		p = peer_by_cn(c->kmd, c->cn);
		if (!p || p->master) {
			snprintf(c->where, sizeof(c->where), "from %s",
				 c->cn);
			conn_close(c, "not a configured master peer", true);
			return;
		}
		/* The newest connection wins: the old one is stale. */
		if (p->conn)
			conn_close(p->conn, "replaced by a new connection",
				 false);
		c->peer = p;
		p->conn = c;
		snprintf(c->where, sizeof(c->where), "%s", c->cn);
	}
	log_info("kx %s: TLS up, peer authenticated", c->where);
	sock_options(bufferevent_getfd(c->bev));
	send_hello(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct kx_conn *c = arg;
	char why[256], tls[200];
	unsigned long e;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		on_connected(c);
		return;
	}
	e = bufferevent_get_openssl_error(c->bev);
	if (e) {
		ERR_error_string_n(e, tls, sizeof(tls));
		snprintf(why, sizeof(why), "TLS: %s", tls);
	} else if (what & BEV_EVENT_EOF) {
		snprintf(why, sizeof(why), "connection closed by peer");
	} else if (what & BEV_EVENT_TIMEOUT) {
		snprintf(why, sizeof(why), "timeout");
	} else {
		snprintf(why, sizeof(why), "%s",
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	conn_close(c, why, false);
}

static struct kx_conn *conn_new(struct kmd *k, evutil_socket_t fd,
				bool outgoing)
{
	struct timeval hello = { KX_HELLO_TIMEOUT_S, 0 };
	struct kx_conn *c = calloc(1, sizeof(*c));
	SSL *ssl;

	if (!c)
		return NULL;
	ssl = SSL_new(outgoing ? k->kx_client : k->kx_server);
	if (!ssl)
		goto err_free;
	c->kmd = k;
	c->outgoing = outgoing;
	c->bev = bufferevent_openssl_socket_new(k->base, fd, ssl,
		outgoing ? BUFFEREVENT_SSL_CONNECTING :
			   BUFFEREVENT_SSL_ACCEPTING,
		BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		goto err_free;	/* the failed call frees ssl */
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* Until HELLO, a silent peer is dropped; afterwards none is set. */
	bufferevent_set_timeouts(c->bev, &hello, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;

err_free:
	free(c);
	return NULL;
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int len, void *arg)
{
	struct kx_listener *x = arg;
	struct kx_conn *c;

	(void)lev;
	(void)sa;
	(void)len;
	c = conn_new(x->kmd, fd, false);
	if (!c) {
		evutil_closesocket(fd);
		log_err("kx: out of memory accepting a connection");
		return;
	}
	snprintf(c->where, sizeof(c->where), "incoming");
}

int kx_listen(struct kmd *k)
{
	struct kx_listener *x = calloc(1, sizeof(*x));
	struct sockaddr_storage ss;
	socklen_t len;
	int ret;

	if (!x)
		return -ENOMEM;
	x->kmd = k;
	ret = qkd_sockaddr(k->cfg.kx_listen, &ss, &len);
	if (ret)
		goto err_free;
	x->lev = evconnlistener_new_bind(k->base, accept_cb, x,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&ss, len);
	if (!x->lev) {
		ret = errno ? -errno : -EIO;
		goto err_free;
	}
	k->listener = x;
	log_notice("kx: listening on %s", k->cfg.kx_listen);
	return 0;

err_free:
	log_err("kx: cannot listen on %s: %s", k->cfg.kx_listen,
		strerror(-ret));
	free(x);
	return ret;
}

void kx_listener_free(struct kx_listener *x)
{
	if (!x)
		return;
	evconnlistener_free(x->lev);
	free(x);
}

int kx_dial(struct kmd *k, struct kx_peer *p)
{
	struct sockaddr_storage ss;
	struct kx_conn *c;
	socklen_t len;

	if (qkd_sockaddr(p->address, &ss, &len))
		return -EINVAL;
	c = conn_new(k, -1, true);
	if (!c)
		return -ENOMEM;
	c->peer = p;
	p->conn = c;
	snprintf(c->where, sizeof(c->where), "%s (%s)", p->id, p->address);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, len)) {
		/* The event callback has not run: undo by hand. */
		p->conn = NULL;
		conn_free(c);
		return -ECONNREFUSED;
	}
	return 0;
}
