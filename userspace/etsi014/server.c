// SPDX-License-Identifier: GPL-2.0
/* ETSI GS QKD 014 over evhttp + bufferevent_openssl: see server.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "json.h"
#include "keyid.h"
#include "log.h"
#include "server.h"
#include "tls.h"

#define PREFIX "/api/v1/keys/"

struct etsi014_server {
	struct evhttp *http;
	SSL_CTX *tls;
	const struct etsi014_server_ops *ops;
	void *ctx;
	/* One request at a time (single-threaded): buffers live here. */
	struct qkd_key_record keys[ETSI014_KEYS_MAX];
	struct etsi014_dec_req dec;
};

/* What a request asks for, once routed. */
struct call {
	char caller[ETSI014_SAE_ID_MAX];
	char sae[ETSI014_SAE_ID_MAX];
	const char *op;
	bool post;
};

static void reply_json(struct evhttp_request *req, int code, char *json)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json");
	if (out && json)
		evbuffer_add(out, json, strlen(json));
	evhttp_send_reply(req, json ? code : 500,
			  code == 200 ? "OK" : "Error", out);
	if (out)
		evbuffer_free(out);
	etsi014_str_free(json);
}

static void reply_error(struct evhttp_request *req,
			const struct etsi014_error *e)
{
	log_info("etsi014: %s: %d %s%s%s", evhttp_request_get_uri(req),
		 e->code, e->message, e->details[0] ? ": " : "", e->details);
	reply_json(req, e->code, etsi014_error_json(e));
}

/* Strict decimal 0..UINT32_MAX. */
static int parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int query_enc(const char *query, struct etsi014_enc_req *r,
		     struct etsi014_error *e)
{
	struct evkeyvalq q = { 0 };
	struct evkeyval *kv;
	int ret = 0;

	if (query && evhttp_parse_query_str(query, &q)) {
		etsi014_error_set(e, 400, "bad request format",
				  "malformed query string");
		return -EINVAL;
	}
	TAILQ_FOREACH(kv, &q, next) {
		if (!strcmp(kv->key, "number") && !parse_u32(kv->value, &r->number))
			continue;
		if (!strcmp(kv->key, "size") && !parse_u32(kv->value, &r->size))
			continue;
		etsi014_error_set(e, 400, "bad request format",
				  "bad query parameter '%s'", kv->key);
		ret = -EINVAL;
		break;
	}
	evhttp_clear_headers(&q);
	return ret;
}

static int query_dec(const char *query, struct etsi014_dec_req *r,
		     struct etsi014_error *e)
{
	struct evkeyvalq q = { 0 };
	const char *id, *why = "key_ID is required";
	int ret = -EINVAL;

	r->n = 0;
	if (!query || evhttp_parse_query_str(query, &q))
		goto out;
	id = evhttp_find_header(&q, "key_ID");
	if (id && qkd_keyid_parse(id, r->ids[0], &why) == 0) {
		r->n = 1;
		ret = 0;
	}
out:
	if (ret)
		etsi014_error_set(e, 400, "bad request format", "key_ID: %s",
				  why);
	evhttp_clear_headers(&q);
	return ret;
}

/* The POST body as one contiguous buffer (bounded by the evhttp limit). */
static const char *body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return (const char *)evbuffer_pullup(in, -1);
}

static int do_status(struct etsi014_server *s, struct evhttp_request *req,
		     const struct call *c, struct etsi014_error *e)
{
	struct etsi014_status st = { 0 };
	int ret;

	ret = s->ops->status(s->ctx, c->caller, c->sae, &st, e);
	if (ret)
		return ret;
	reply_json(req, 200, etsi014_status_json(&st));
	return 0;
}

static int do_enc(struct etsi014_server *s, struct evhttp_request *req,
		  const struct call *c, struct etsi014_error *e)
{
	struct etsi014_enc_req r = { .number = 1 };
	const char *b;
	size_t n = 0, len;
	int ret;

	if (c->post) {
		b = body(req, &len);
		ret = etsi014_enc_req_parse(b ? b : "", len, &r, e);
	} else {
		ret = query_enc(evhttp_uri_get_query(
			evhttp_request_get_evhttp_uri(req)), &r, e);
	}
	if (ret)
		return ret;
	if (r.bad_extension[0]) {
		etsi014_error_set(e, 400, "not all extension_mandatory parameters are supported",
				  "unsupported extension '%s'", r.bad_extension);
		return -EOPNOTSUPP;
	}
	ret = s->ops->enc_keys(s->ctx, c->caller, c->sae, &r, s->keys, &n, e);
	if (ret)
		return ret;
	reply_json(req, 200, etsi014_keys_json(s->keys, n));
	etsi014_keys_wipe(s->keys, n);
	return 0;
}

static int do_dec(struct etsi014_server *s, struct evhttp_request *req,
		  const struct call *c, struct etsi014_error *e)
{
	const char *b;
	size_t n = 0, len;
	int ret;

	if (c->post) {
		b = body(req, &len);
		ret = etsi014_dec_req_parse(b ? b : "", len, &s->dec, e);
	} else {
		ret = query_dec(evhttp_uri_get_query(
			evhttp_request_get_evhttp_uri(req)), &s->dec, e);
	}
	if (ret)
		return ret;
	ret = s->ops->dec_keys(s->ctx, c->caller, c->sae, &s->dec, s->keys,
			       &n, e);
	if (ret)
		return ret;
	reply_json(req, 200, etsi014_keys_json(s->keys, n));
	etsi014_keys_wipe(s->keys, n);
	return 0;
}

/* "/api/v1/keys/{SAE_ID}/{op}" -> c->sae (percent-decoded), c->op. */
static int route(struct evhttp_request *req, struct call *c,
		 struct etsi014_error *e)
{
	const char *path = evhttp_uri_get_path(
		evhttp_request_get_evhttp_uri(req));
	char raw[3 * ETSI014_SAE_ID_MAX], *sae;
	const char *slash;
	size_t len;

	if (!path || strncmp(path, PREFIX, strlen(PREFIX)))
		goto bad;
	path += strlen(PREFIX);
	slash = strchr(path, '/');
	len = slash ? (size_t)(slash - path) : 0;
	if (!len || len >= sizeof(raw))
		goto bad;
	c->op = slash + 1;
	if (strcmp(c->op, "status") && strcmp(c->op, "enc_keys") &&
	    strcmp(c->op, "dec_keys"))
		goto bad;
	memcpy(raw, path, len);
	raw[len] = '\0';
	sae = evhttp_uridecode(raw, 0, NULL);
	if (!sae || strlen(sae) != strcspn(sae, "/") ||
	    strlen(sae) >= sizeof(c->sae)) {
		free(sae);
		goto bad;
	}
	strcpy(c->sae, sae);
	free(sae);
	if (!c->sae[0])
		goto bad;
	if (!strcmp(c->op, "status") && c->post) {
		etsi014_error_set(e, 400, "bad request format",
				  "status takes GET only");
		return -EINVAL;
	}
	return 0;
bad:
	etsi014_error_set(e, 404, "not found",
			  "expected /api/v1/keys/{SAE_ID}/{status|enc_keys|dec_keys}");
	return -ENOENT;
}

static int caller_of(struct evhttp_request *req, char *out, size_t size)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	int one = 1;

	/*
	 * A reply goes out as several TLS records; without this, Nagle and
	 * the client's delayed ACK hold the last one back for ~40 ms.
	 */
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
		   sizeof(one));
	return etsi014_tls_peer_cn(bufferevent_openssl_get_ssl(bev), out,
				   size);
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct etsi014_server *s = arg;
	struct etsi014_error e = { 0 };
	struct call c = { 0 };
	int ret;

	c.post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	if (caller_of(req, c.caller, sizeof(c.caller))) {
		/* Unreachable with the verifying context; kept as a guard. */
		etsi014_error_set(&e, 401, "unauthorized",
				  "no verified client certificate");
		goto err;
	}
	if (route(req, &c, &e))
		goto err;
	if (!strcmp(c.op, "status"))
		ret = do_status(s, req, &c, &e);
	else if (!strcmp(c.op, "enc_keys"))
		ret = do_enc(s, req, &c, &e);
	else
		ret = do_dec(s, req, &c, &e);
	if (!ret)
		return;
err:
	reply_error(req, &e);
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct etsi014_server *s = arg;
	SSL *ssl = SSL_new(s->tls);

	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
					      BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

struct etsi014_server *etsi014_server_new(struct event_base *base,
					  SSL_CTX *tls, const char *addr,
					  unsigned int port,
					  const struct etsi014_server_ops *ops,
					  void *ctx)
{
	struct etsi014_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->http = evhttp_new(base);
	if (!s->http)
		goto err_free;
	s->tls = tls;
	SSL_CTX_up_ref(tls);
	s->ops = ops;
	s->ctx = ctx;
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(s->http, ETSI014_BODY_MAX);
	evhttp_set_timeout(s->http, 30);
	evhttp_set_bevcb(s->http, make_bev, s);
	evhttp_set_gencb(s->http, handle, s);
	if (evhttp_bind_socket(s->http, addr, port)) {
		log_err("etsi014: cannot listen on %s port %u: %s", addr, port,
			strerror(errno));
		goto err_http;
	}
	return s;

err_http:
	SSL_CTX_free(tls);
	evhttp_free(s->http);
err_free:
	free(s);
	return NULL;
}

void etsi014_server_free(struct etsi014_server *s)
{
	if (!s)
		return;
	evhttp_free(s->http);
	SSL_CTX_free(s->tls);
	etsi014_keys_wipe(s->keys, ETSI014_KEYS_MAX);
	free(s);
}
