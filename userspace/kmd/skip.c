// SPDX-License-Identifier: GPL-2.0
/* SKIP, keys for routers from the kernel pool: see skip.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "etsi014.h"
#include "hex.h"
#include "http.h"
#include "json.h"
#include "keyid.h"
#include "link.h"
#include "log.h"
#include "skip.h"
#include "skip_psk.h"

#define SKIP_KEY_PATH	"/key/"

struct skip {
	struct skip_psks *psks;
	struct http_server *srv;
};

/* The parameters of /key and /key/{keyId}. */
struct skip_query {
	char remote[KMD_ID_MAX];
	uint32_t size;			/* bits; 0: absent */
};

static void fail(struct http_conn *c, int code, const char *message,
		 const char *details, const char *allow)
{
	char *json = etsi014_error_body(NULL, code, message, details);

	log_info("skip: %d %s: %s", code, message, details);
	http_reply(c, json ? code : 500, json, allow);
	free(json);
}

static int parse_size(const char *v, uint32_t *out)
{
	char *end;
	unsigned long n;

	if (*v < '1' || *v > '9')
		return -EINVAL;
	n = strtoul(v, &end, 10);
	if (*end || n > 4096)
		return -EINVAL;
	*out = n;
	return 0;
}

/* remoteSystemID (required) and size; anything else is refused. */
static int parse_query(const char *query, bool size_ok, struct skip_query *q,
		       const char **why)
{
	struct evkeyvalq kv = { 0 };
	struct evkeyval *p;
	int ret = 0;

	memset(q, 0, sizeof(*q));
	*why = "malformed query string";
	if (evhttp_parse_query_str(query, &kv))
		return -EINVAL;
	TAILQ_FOREACH(p, &kv, next) {
		if (!strcmp(p->key, "remoteSystemID") && !q->remote[0] &&
		    p->value[0] && strlen(p->value) < sizeof(q->remote)) {
			strcpy(q->remote, p->value);
			continue;
		}
		if (size_ok && !strcmp(p->key, "size") && !q->size &&
		    !parse_size(p->value, &q->size))
			continue;
		*why = "bad or repeated query parameter";
		ret = -EINVAL;
		break;
	}
	evhttp_clear_headers(&kv);
	if (!ret && !q->remote[0]) {
		*why = "remoteSystemID is required";
		ret = -EINVAL;
	}
	return ret;
}

static struct link *find_link(struct kmd *k, const char *remote)
{
	struct link *l;

	for (l = k->links; l; l = l->next)
		if (l->skip_pool && !strcmp(l->cfg->skip_system, remote))
			return l;
	return NULL;
}

/* The link a query names, or NULL after answering 400. */
static struct link *query_link(struct kmd *k, struct http_conn *c,
			       const char *query, bool size_ok,
			       struct skip_query *q)
{
	const char *why;
	struct link *l;

	if (parse_query(query, size_ok, q, &why)) {
		fail(c, 400, "bad request", why, NULL);
		return NULL;
	}
	l = find_link(k, q->remote);
	if (!l)
		fail(c, 400, "unknown remoteSystemID", q->remote, NULL);
	return l;
}

/*
 * Hand out the reserved key rec (this is the one path that puts key bytes
 * on the wire) and wipe every copy we made.
 */
static void reply_key(struct http_conn *c, struct qkd_key_record *rec)
{
	char id[QKD_KEYID_HEX_LEN + 1], key[2 * QKD_KEY_MAX_LEN + 1];
	char json[sizeof(id) + sizeof(key) + 32];

	qkd_hex_encode(rec->id, QKD_KEY_ID_LEN, id);
	qkd_hex_encode(rec->material, rec->material_len, key);
	snprintf(json, sizeof(json), "{\"keyId\":\"%s\",\"key\":\"%s\"}", id,
		 key);
	http_reply(c, 200, json, NULL);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(json, sizeof(json));
	qkd_key_record_wipe(rec);
}

/* The key is on its way: gone from the pool. */
static void commit(struct link *l, const uint8_t id[QKD_KEY_ID_LEN])
{
	char text[QKD_KEYID_STR_SIZE];
	int ret = qkd_pool_commit(l->skip_pool, id);

	if (ret)
		log_err("skip: key %s: commit failed: %s",
			qkd_keyid_format(id, text), strerror(-ret));
}

static void get_key(struct kmd *k, struct http_conn *c, const char *query)
{
	uint8_t id[QKD_KEY_ID_LEN];
	struct qkd_key_record rec;
	struct skip_query q;
	struct link *l;
	char why[64];
	int ret;

	l = query_link(k, c, query, true, &q);
	if (!l)
		return;
	if (q.size && q.size != l->cfg->key_size) {
		snprintf(why, sizeof(why), "size must be %u (bits)",
			 l->cfg->key_size);
		fail(c, 400, "bad request", why, NULL);
		return;
	}
	ret = qkd_pool_reserve_next(l->skip_pool, &rec);
	if (ret) {
		fail(c, 500, "no key available",
		     ret == -EAGAIN ? "the stream is empty" :
		     "the key pool refused", NULL);
		return;
	}
	memcpy(id, rec.id, sizeof(id));
	reply_key(c, &rec);
	commit(l, id);
}

static const char *by_id_refusal(int err)
{
	switch (err) {
	case -ENOENT:
		return "keyId not found (unknown, expired or already used)";
	case -EACCES:
		return "keyId was issued here: fetch it at the peer";
	case -EBUSY:
		return "keyId is being fetched already";
	default:
		return "keyId unavailable";
	}
}

static void get_key_by_id(struct kmd *k, struct http_conn *c,
			  const char *hex, const char *query)
{
	uint8_t id[QKD_KEY_ID_LEN];
	struct qkd_key_record rec;
	struct skip_query q;
	const char *why;
	struct link *l;
	int ret;

	if (qkd_keyid_parse(hex, id, &why)) {
		fail(c, 400, "malformed keyId", why, NULL);
		return;
	}
	l = query_link(k, c, query, false, &q);
	if (!l)
		return;
	ret = qkd_pool_reserve_id(l->skip_pool, id, &rec);
	if (ret) {
		fail(c, 400, "keyId refused", by_id_refusal(ret), NULL);
		return;
	}
	reply_key(c, &rec);
	commit(l, id);
}

static void capabilities(struct kmd *k, struct http_conn *c)
{
	json_t *remotes = json_array();
	struct link *l;
	char *json;

	for (l = k->links; l && remotes; l = l->next)
		if (l->skip_pool)
			json_array_append_new(remotes,
					      json_string(l->cfg->skip_system));
	/* No /entropy: we have no honest source of it besides the keys. */
	json = remotes ? json_dumps(json_pack("{s:b,s:b,s:s,s:s,s:o}",
					      "entropy", 0, "key", 1,
					      "algorithm", "QKD",
					      "localSystemID",
					      k->cfg.skip_system,
					      "remoteSystemID", remotes),
				    JSON_COMPACT) : NULL;
	if (json)
		http_reply(c, 200, json, NULL);
	else
		fail(c, 500, "server error", "out of memory", NULL);
	free(json);
}

static void handle(void *arg, struct http_conn *c, const struct http_req *r,
		   const char *body, size_t len)
{
	struct kmd *k = arg;

	(void)body;
	(void)len;
	if (strcmp(r->method, "GET"))
		fail(c, 405, "method not allowed", "SKIP is GET only", "GET");
	else if (!strcmp(r->path, "/capabilities"))
		capabilities(k, c);
	else if (!strcmp(r->path, "/key"))
		get_key(k, c, r->query);
	else if (!strncmp(r->path, SKIP_KEY_PATH, strlen(SKIP_KEY_PATH)))
		get_key_by_id(k, c, r->path + strlen(SKIP_KEY_PATH), r->query);
	else
		fail(c, 404, "not found",
		     "expected /capabilities, /key or /key/{keyId}", NULL);
}

static const struct http_server_ops skip_ops = {
	.handle = handle,
	.error_json = etsi014_error_body,
};

static int open_pools(struct kmd *k)
{
	struct link *l;
	int ret;

	for (l = k->links; l; l = l->next) {
		if (!l->cfg->skip_system[0])
			continue;
		ret = qkd_pool_open(l->cfg->stream, true, &l->skip_pool);
		if (ret) {
			log_err("skip: stream %s: %s", l->cfg->stream,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int skip_start(struct kmd *k)
{
	struct skip *s;
	int ret;

	if (!k->cfg.skip_listen[0])
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	k->skip = s;
	ret = open_pools(k);
	if (ret)
		return ret;
	s->psks = skip_psks_load(k->cfg.skip_psk_file);
	if (!s->psks)
		return -EINVAL;
	/* Requests are GETs: a body has no business here. */
	s->srv = http_server_new(k->base, skip_psks_ctx(s->psks),
				 k->cfg.skip_listen, 0, &skip_ops, k);
	if (!s->srv)
		return -EADDRNOTAVAIL;
	log_notice("skip: serving SKIP on %s", k->cfg.skip_listen);
	return 0;
}

void skip_stop(struct kmd *k)
{
	struct link *l;

	for (l = k->links; l; l = l->next) {
		if (l->skip_pool)
			qkd_pool_close(l->skip_pool);
		l->skip_pool = NULL;
	}
	if (!k->skip)
		return;
	http_server_free(k->skip->srv);
	skip_psks_free(k->skip->psks);
	free(k->skip);
	k->skip = NULL;
}
