// SPDX-License-Identifier: GPL-2.0
/* ETSI GS QKD 014 over http.c: see server.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "json.h"
#include "keyid.h"
#include "log.h"
#include "server.h"
#include "tls.h"

#define PREFIX "/api/v1/keys/"

struct etsi014_server {
	struct http_server *http;
	const struct etsi014_server_ops *ops;
	void *ctx;
	/* One request at a time (single-threaded): buffers live here. */
	struct qkd_key_record keys[ETSI014_KEYS_MAX];
	struct etsi014_dec_req dec;
};

/* Takes json (NULL: out of memory, a 500 without a body). */
static void reply_json(struct http_conn *c, int code, char *json,
		       const char *allow)
{
	http_reply(c, json ? code : 500, json, allow);
	etsi014_str_free(json);
}

static void reply_error(struct http_conn *c, const struct http_req *r,
			const struct etsi014_error *e, const char *allow)
{
	log_info("etsi014: %s %s: %d %s%s%s", r->method, r->path, e->code,
		 e->message, e->details[0] ? ": " : "", e->details);
	reply_json(c, e->code, etsi014_error_json(e), allow);
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

static const char no_size_zero[] =
	"size 0 is outside min_key_size..max_key_size";

static int query_enc(const char *query, struct etsi014_enc_req *r,
		     struct etsi014_error *e)
{
	struct evkeyvalq q = { 0 };
	struct evkeyval *kv;
	int ret = 0;

	if (evhttp_parse_query_str(query, &q)) {
		etsi014_error_set(e, 400, "bad request format",
				  "malformed query string");
		return -EINVAL;
	}
	TAILQ_FOREACH(kv, &q, next) {
		if (!strcmp(kv->key, "number") && !parse_u32(kv->value, &r->number))
			continue;
		if (!strcmp(kv->key, "size") && !parse_u32(kv->value, &r->size)) {
			if (r->size)
				continue;
			etsi014_error_set(e, 400, "bad request format", "%s",
					  no_size_zero);
		} else {
			etsi014_error_set(e, 400, "bad request format",
					  "bad query parameter '%s'", kv->key);
		}
		ret = -EINVAL;
		break;
	}
	evhttp_clear_headers(&q);
	return ret;
}

/* One key_ID=UUID; extensions as enc_keys takes them in its body. */
static int query_dec(const char *query, struct etsi014_dec_req *r,
		     struct etsi014_error *e)
{
	struct evkeyvalq q = { 0 };
	struct evkeyval *kv;
	const char *why;
	int ret = 0;

	r->n = 0;
	r->bad_extension[0] = '\0';
	if (evhttp_parse_query_str(query, &q)) {
		etsi014_error_set(e, 400, "bad request format",
				  "malformed query string");
		return -EINVAL;
	}
	TAILQ_FOREACH(kv, &q, next) {
		if (!strcmp(kv->key, "extension_mandatory")) {
			snprintf(r->bad_extension, sizeof(r->bad_extension),
				 "%s", kv->value);
		} else if (!strcmp(kv->key, "extension_optional")) {
			continue;
		} else if (strcmp(kv->key, "key_ID") || r->n) {
			etsi014_error_set(e, 400, "bad request format",
					  "bad query parameter '%s'", kv->key);
			ret = -EINVAL;
			break;
		} else if (qkd_keyid_parse(kv->value, r->ids[0], &why)) {
			etsi014_error_set(e, 400, "bad request format",
					  "key_ID: %s", why);
			ret = -EINVAL;
			break;
		} else {
			r->n = 1;
		}
	}
	if (!ret && !r->n) {
		etsi014_error_set(e, 400, "bad request format",
				  "key_ID is required");
		ret = -EINVAL;
	}
	evhttp_clear_headers(&q);
	return ret;
}

static int no_extension(const char *bad, struct etsi014_error *e)
{
	if (!bad[0])
		return 0;
	etsi014_error_set(e, 400, "not all extension_mandatory parameters are supported",
			  "unsupported extension '%s'", bad);
	return -EOPNOTSUPP;
}

/* What a request asks for, once routed, and its body. */
struct call {
	struct http_conn *conn;
	const struct http_req *req;
	const char *body;
	size_t len;
	char caller[ETSI014_SAE_ID_MAX];
	char sae[ETSI014_SAE_ID_MAX];
	const char *op;
	bool post;
};

static int do_status(struct etsi014_server *s, const struct call *c,
		     struct etsi014_error *e)
{
	struct etsi014_status st = { 0 };
	int ret;

	ret = s->ops->status(s->ctx, c->caller, c->sae, &st, e);
	if (ret)
		return ret;
	reply_json(c->conn, 200, etsi014_status_json(&st), NULL);
	return 0;
}

static int do_enc(struct etsi014_server *s, const struct call *c,
		  struct etsi014_error *e)
{
	struct etsi014_enc_req r = { .number = 1 };
	size_t n = 0;
	int ret;

	if (c->post)
		ret = etsi014_enc_req_parse(c->body, c->len, &r, e);
	else
		ret = query_enc(c->req->query, &r, e);
	ret = ret ?: no_extension(r.bad_extension, e);
	if (ret)
		return ret;
	ret = s->ops->enc_keys(s->ctx, c->caller, c->sae, &r, s->keys, &n, e);
	if (ret)
		return ret;
	reply_json(c->conn, 200, etsi014_keys_json(s->keys, n), NULL);
	etsi014_keys_wipe(s->keys, n);
	return 0;
}

static int do_dec(struct etsi014_server *s, const struct call *c,
		  struct etsi014_error *e)
{
	size_t n = 0;
	int ret;

	if (c->post)
		ret = etsi014_dec_req_parse(c->body, c->len, &s->dec, e);
	else
		ret = query_dec(c->req->query, &s->dec, e);
	ret = ret ?: no_extension(s->dec.bad_extension, e);
	if (ret)
		return ret;
	ret = s->ops->dec_keys(s->ctx, c->caller, c->sae, &s->dec, s->keys,
			       &n, e);
	if (ret)
		return ret;
	reply_json(c->conn, 200, etsi014_keys_json(s->keys, n), NULL);
	etsi014_keys_wipe(s->keys, n);
	return 0;
}

/* "/api/v1/keys/{SAE_ID}/{op}" -> c->sae (percent-decoded), c->op. */
static int route(struct call *c, struct etsi014_error *e)
{
	const char *path = c->req->path, *slash;
	char raw[3 * ETSI014_SAE_ID_MAX], *sae;
	size_t len;

	if (strncmp(path, PREFIX, strlen(PREFIX)))
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
		etsi014_error_set(e, 405, "method not allowed",
				  "status takes GET only");
		return -EINVAL;
	}
	return 0;
bad:
	c->op = NULL;
	etsi014_error_set(e, 404, "not found",
			  "expected /api/v1/keys/{SAE_ID}/{status|enc_keys|dec_keys}");
	return -ENOENT;
}

/* The Allow header of a 405: status is GET only. */
static const char *allowed(const struct call *c)
{
	return c->op && !strcmp(c->op, "status") ? "GET" : "GET, POST";
}

static void handle(void *arg, struct http_conn *conn,
		   const struct http_req *req, const char *body, size_t len)
{
	struct call c = { .conn = conn, .req = req, .body = body, .len = len };
	struct etsi014_server *s = arg;
	struct etsi014_error e = { 0 };
	int ret;

	c.post = !strcmp(req->method, "POST");
	if (!c.post && strcmp(req->method, "GET")) {
		etsi014_error_set(&e, 405, "method not allowed",
				  "%s: only GET and POST are served",
				  req->method);
		goto err;
	}
	if (etsi014_tls_peer_cn(http_conn_ssl(conn), c.caller,
				sizeof(c.caller))) {
		/* Unreachable with the verifying context; kept as a guard. */
		etsi014_error_set(&e, 401, "unauthorized",
				  "no verified client certificate");
		goto err;
	}
	if (route(&c, &e))
		goto err;
	if (!strcmp(c.op, "status"))
		ret = do_status(s, &c, &e);
	else if (!strcmp(c.op, "enc_keys"))
		ret = do_enc(s, &c, &e);
	else
		ret = do_dec(s, &c, &e);
	if (!ret)
		return;
err:
	reply_error(conn, req, &e, e.code == 405 ? allowed(&c) : NULL);
}

static const struct http_server_ops http_ops = {
	.handle = handle,
	.error_json = etsi014_error_body,
};

struct etsi014_server *etsi014_server_new(struct event_base *base,
					  SSL_CTX *tls, const char *listen,
					  const struct etsi014_server_ops *ops,
					  void *ctx)
{
	struct etsi014_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->ctx = ctx;
	s->http = http_server_new(base, tls, listen, ETSI014_BODY_MAX,
				  &http_ops, s);
	if (!s->http) {
		free(s);
		return NULL;
	}
	return s;
}

void etsi014_server_free(struct etsi014_server *s)
{
	if (!s)
		return;
	http_server_free(s->http);
	etsi014_keys_wipe(s->keys, ETSI014_KEYS_MAX);
	free(s);
}
