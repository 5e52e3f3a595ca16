// SPDX-License-Identifier: GPL-2.0
/* Ak, the ETSI 014 server for local applications: see ak.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ak.h"
#include "keyid.h"
#include "log.h"
#include "pool.h"
#include "relay.h"
#include "server.h"
#include "tls.h"

#define AK_MAX_PER_REQUEST 128

/* A stream applications may use: of a link ([peer]) or a far node ([far]). */
struct ak_stream {
	struct ak_stream *next;
	const struct kmd_peer_cfg *cfg;
	struct qkd_pool *pool;
	bool far;			/* filled by key relay */
};

struct ak {
	struct etsi014_server *srv;
	struct ak_stream *streams;
	SSL_CTX *tls;
	/* Reservations of the request being served, to undo on failure. */
	uint8_t held[ETSI014_KEYS_MAX][QKD_KEY_ID_LEN];
};

/* The stream whose applications are caller and other, into *out. */
static int find_stream(struct kmd *k, const char *caller, const char *other,
		     struct ak_stream **out, struct etsi014_error *e)
{
	bool known = false;
	struct ak_stream *s;

	for (s = k->ak->streams; s; s = s->next) {
		if (strcmp(s->cfg->app_sae, caller))
			continue;
		known = true;
		if (!strcmp(s->cfg->peer_app_sae, other) && s->pool) {
			*out = s;
			return 0;
		}
	}
	if (!known) {
		etsi014_error_set(e, 401, "unauthorized",
				  "SAE '%s' is not configured here", caller);
		return -EACCES;
	}
	etsi014_error_set(e, 400, "bad request format",
			  "SAE '%s' shares no keys with SAE '%s'", caller,
			  other);
	return -EINVAL;
}

static int status(void *ctx, const char *caller, const char *slave_sae,
		  struct etsi014_status *st, struct etsi014_error *e)
{
	struct kmd *k = ctx;
	struct qkd_stream_info info;
	struct ak_stream *s;
	int ret;

	ret = find_stream(k, caller, slave_sae, &s, e);
	if (ret)
		return ret;
	ret = qkd_pool_info(s->pool, &info);
	if (ret) {
		etsi014_error_set(e, 503, "server error", "stream unavailable");
		return ret;
	}
	snprintf(st->source_kme, sizeof(st->source_kme), "%s",
		 k->cfg.node_id);
	snprintf(st->target_kme, sizeof(st->target_kme), "%s", s->cfg->id);
	snprintf(st->master_sae, sizeof(st->master_sae), "%s", caller);
	snprintf(st->slave_sae, sizeof(st->slave_sae), "%s", slave_sae);
	st->key_size = s->cfg->key_size;
	st->stored_key_count = info.avail_local;
	st->max_key_count = info.max_keys;
	st->max_key_per_request = AK_MAX_PER_REQUEST;
	st->max_key_size = s->cfg->key_size;
	st->min_key_size = s->cfg->key_size;
	st->max_sae_id_count = 0;
	return 0;
}

static void release_all(struct ak *a, struct qkd_pool *p, size_t n)
{
	while (n--)
		qkd_pool_release(p, a->held[n]);
}

/* Reserved keys become taken only once all of the request are held. */
static void commit_all(struct ak *a, struct qkd_pool *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		qkd_pool_commit(p, a->held[i]);
}

/* Key i of the reply: remember its reservation, copy it, wipe rec. */
static void hold(struct ak *a, size_t i, struct qkd_key_record *rec,
		 struct qkd_key_record *keys)
{
	memcpy(a->held[i], rec->id, QKD_KEY_ID_LEN);
	keys[i] = *rec;
	qkd_key_record_wipe(rec);
}

/* A request fails as a whole: the n keys held so far go back. */
static void unhold(struct ak *a, struct qkd_pool *p,
		   struct qkd_key_record *keys, size_t n)
{
	release_all(a, p, n);
	etsi014_keys_wipe(keys, n);
}

/*
 * enc_keys found have of the number keys asked for. A far stream asks its
 * far node for the rest at once (RELAY_REQUEST, kx-protocol.md §7.6): the
 * application retries. Every answer is a 503; nothing was taken.
 */
static int short_of_keys(struct kmd *k, const struct ak_stream *s,
			 uint32_t number, uint32_t have,
			 struct etsi014_error *e)
{
	const char *far = s->cfg->id;
	int ret = s->far ? relay_request(k, s->cfg, number - have) : -ENOENT;

	switch (ret) {
	case 0:
		etsi014_error_set(e, 503, "insufficient keys available",
				  "%u requested, %u stored; %u more asked of %s by key relay: retry shortly",
				  number, have, number - have, far);
		return -EAGAIN;
	case -EHOSTUNREACH:
		etsi014_error_set(e, 503, "no route to the far KME",
				  "%u requested, %u stored; no route to %s: keys cannot be relayed",
				  number, have, far);
		return ret;
	case -EAGAIN:
		etsi014_error_set(e, 503, "every path from the far KME is dry",
				  "%u requested, %u stored; every path from %s is out of link keys",
				  number, have, far);
		return ret;
	}
	etsi014_error_set(e, 503, "insufficient keys available",
			  "%u requested, %u stored", number, have);
	return -ENOENT;
}

static int enc_keys(void *ctx, const char *caller, const char *slave_sae,
		    const struct etsi014_enc_req *req,
		    struct qkd_key_record *keys, size_t *n,
		    struct etsi014_error *e)
{
	struct kmd *k = ctx;
	struct qkd_key_record rec;
	struct ak_stream *s;
	uint32_t i;
	int ret;

	ret = find_stream(k, caller, slave_sae, &s, e);
	if (ret)
		return ret;
	if (req->n_additional_sae || !req->number ||
	    req->number > AK_MAX_PER_REQUEST ||
	    (req->size && req->size != s->cfg->key_size)) {
		etsi014_error_set(e, 400, "bad request format",
				  "number 1..%u, size %u, no additional SAEs",
				  AK_MAX_PER_REQUEST, s->cfg->key_size);
		return -EINVAL;
	}
	for (i = 0; i < req->number; i++) {
		ret = qkd_pool_reserve_next(s->pool, &rec);
		if (ret) {
			unhold(k->ak, s->pool, keys, i);
			return short_of_keys(k, s, req->number, i, e);
		}
		hold(k->ak, i, &rec, keys);
	}
	commit_all(k->ak, s->pool, i);
	*n = i;
	return 0;
}

/*
 * Why the pool refused a key by ID, in ETSI 014's terms. A delivered key
 * is gone from the pool, so "not found" covers it as well; a reserved one
 * is repeated in this request or being delivered to another consumer.
 */
static const char *dec_refusal(int err)
{
	switch (err) {
	case -EACCES:
		return "key ID not for the calling SAE (its own key)";
	case -EBUSY:
		return "key ID repeated or already being delivered";
	case -ENOENT:
		return "key ID not found (unknown, expired or already delivered)";
	default:
		return "key ID unavailable";
	}
}

static int dec_keys(void *ctx, const char *caller, const char *master_sae,
		    const struct etsi014_dec_req *req,
		    struct qkd_key_record *keys, size_t *n,
		    struct etsi014_error *e)
{
	char text[QKD_KEYID_STR_SIZE];
	struct kmd *k = ctx;
	struct qkd_key_record rec;
	struct ak_stream *s;
	size_t i;
	int ret;

	ret = find_stream(k, caller, master_sae, &s, e);
	if (ret)
		return ret;
	for (i = 0; i < req->n; i++) {
		ret = qkd_pool_reserve_id(s->pool, req->ids[i], &rec);
		if (ret) {
			unhold(k->ak, s->pool, keys, i);
			etsi014_error_set(e, 400, "key not found", "%s: %s",
					  dec_refusal(ret),
					  qkd_keyid_format(req->ids[i], text));
			return ret;
		}
		hold(k->ak, i, &rec, keys);
	}
	commit_all(k->ak, s->pool, i);
	*n = i;
	return 0;
}

static const struct etsi014_server_ops ak_ops = {
	.status = status,
	.enc_keys = enc_keys,
	.dec_keys = dec_keys,
};

static int open_pools(struct kmd *k, const struct kmd_peer_cfg *c, bool far)
{
	struct ak_stream *s;
	int ret;

	for (; c; c = c->next) {
		if (!c->app_sae[0])
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->cfg = c;
		s->far = far;
		s->next = k->ak->streams;
		k->ak->streams = s;
		ret = qkd_pool_open(c->stream, true, &s->pool);
		if (ret) {
			log_err("ak: stream %s: %s", c->stream, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int ak_start(struct kmd *k)
{
	char err[512];
	struct ak *a;
	int ret;

	if (!k->cfg.ak_listen[0])
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	k->ak = a;
	ret = open_pools(k, k->cfg.peers, false) ?:
	      open_pools(k, k->cfg.fars, true);
	if (ret)
		return ret;
	a->tls = etsi014_tls_ctx(true, k->cfg.cert, k->cfg.key, k->cfg.ca,
				 err, sizeof(err));
	if (!a->tls) {
		log_err("ak: TLS: %s", err);
		return -EINVAL;
	}
	a->srv = etsi014_server_new(k->base, a->tls, k->cfg.ak_listen, &ak_ops,
				    k);
	if (!a->srv)
		return -EADDRNOTAVAIL;
	log_notice("ak: serving ETSI 014 on %s", k->cfg.ak_listen);
	return 0;
}

void ak_stop(struct kmd *k)
{
	struct ak_stream *s;

	if (!k->ak)
		return;
	while ((s = k->ak->streams)) {
		k->ak->streams = s->next;
		if (s->pool)
			qkd_pool_close(s->pool);
		free(s);
	}
	etsi014_server_free(k->ak->srv);
	SSL_CTX_free(k->ak->tls);
	explicit_bzero(k->ak, sizeof(*k->ak));
	free(k->ak);
	k->ak = NULL;
}
