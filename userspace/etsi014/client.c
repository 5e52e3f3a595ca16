// SPDX-License-Identifier: GPL-2.0
/*
 * ETSI 014 client: libcurl multi + libevent (see client.h). curl tells us
 * which sockets to watch (sock_cb) and when to call it back (timer_cb); we
 * map both onto libevent events and collect finished transfers in
 * check_done().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client.h"
#include "json.h"

enum kind { K_STATUS, K_ENC, K_DEC };

struct etsi014_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *url, *cert, *key, *ca;
	long timeout_ms;
	unsigned int busy;
	struct xfer *xfers;		/* in flight, for cancellation */
};

struct xfer {
	struct etsi014_client *c;
	struct xfer *next;
	CURL *easy;
	struct curl_slist *hdrs;
	enum kind kind;
	size_t max_keys;
	char *body;			/* request body (no secrets) */
	char *resp;			/* reply body: holds key material */
	size_t len, cap;
	char errbuf[CURL_ERROR_SIZE];
	etsi014_cb cb;
	void *arg;
};

/* Only resp[0..len] was ever written (see write_cb): wipe that. */
static void resp_free(struct xfer *x)
{
	if (x->resp)
		explicit_bzero(x->resp, x->len + 1);
	free(x->resp);
	x->resp = NULL;
	x->len = x->cap = 0;
}

/*
 * The first chunk sizes the buffer from Content-Length, so that a batch of
 * keys is not copied (and wiped) again each time the buffer grows.
 */
static size_t next_cap(const struct xfer *x, size_t need)
{
	curl_off_t announced = -1;
	size_t cap = need * 2;

	if (!x->resp &&
	    !curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
			       &announced) &&
	    announced >= 0 && (size_t)announced + 1 >= need)
		cap = (size_t)announced + 1;
	return cap > ETSI014_BODY_MAX ? ETSI014_BODY_MAX : cap;
}

/* Grow by hand so that no stale copy of a reply is left in the heap. */
static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (x->len + n + 1 > ETSI014_BODY_MAX)
		return 0;
	if (x->len + n + 1 > x->cap) {
		cap = next_cap(x, x->len + n + 1);
		p = malloc(cap);
		if (!p)
			return 0;
		if (x->resp) {
			memcpy(p, x->resp, x->len);
			explicit_bzero(x->resp, x->len + 1);
			free(x->resp);
		}
		x->resp = p;
		x->cap = cap;
	}
	memcpy(x->resp + x->len, data, n);
	x->len += n;
	x->resp[x->len] = '\0';
	return n;
}

static void xfer_free(struct xfer *x)
{
	struct xfer **pp;

	for (pp = &x->c->xfers; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	curl_multi_remove_handle(x->c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	free(x->body);
	resp_free(x);
	x->c->busy--;
	free(x);
}

static void parse_reply(struct xfer *x, struct etsi014_result *r)
{
	struct etsi014_error e = { 0 };
	int ret;

	if (x->kind == K_STATUS) {
		ret = etsi014_status_parse(x->resp ? x->resp : "", x->len,
					   &r->status, &e);
	} else {
		r->keys = calloc(x->max_keys ? x->max_keys : 1,
				 sizeof(*r->keys));
		if (!r->keys) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			return;
		}
		ret = etsi014_keys_parse(x->resp ? x->resp : "", x->len,
					 r->keys, x->max_keys, &r->n, &e);
	}
	if (ret)
		snprintf(r->error, sizeof(r->error), "bad reply: %s",
			 e.details);
	r->ok = !ret;
}

static void xfer_done(struct xfer *x, CURLcode res)
{
	struct etsi014_result r = { 0 };
	struct etsi014_error e = { 0 };
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	r.http = code;
	if (res != CURLE_OK) {
		snprintf(r.error, sizeof(r.error), "%s%s%s",
			 curl_easy_strerror(res), x->errbuf[0] ? ": " : "",
			 x->errbuf);
	} else if (code != 200) {
		etsi014_error_parse(x->resp ? x->resp : "", x->len, &e);
		snprintf(r.error, sizeof(r.error), "HTTP %ld: %s%s%s", code,
			 e.message, e.details[0] ? ": " : "", e.details);
	} else {
		parse_reply(x, &r);
	}
	resp_free(x);
	x->cb(x->arg, &r);
	if (r.keys) {
		etsi014_keys_wipe(r.keys, x->max_keys ? x->max_keys : 1);
		free(r.keys);
	}
	explicit_bzero(&r, sizeof(r));
	xfer_free(x);
}

static void check_done(struct etsi014_client *c)
{
	struct xfer *x;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&x);
		xfer_done(x, msg->data.result);
	}
}

static void event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etsi014_client *c = arg;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, action, &running);
	check_done(c);
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etsi014_client *c = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct etsi014_client *c = arg;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	(void)multi;
	if (timeout_ms < 0)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
	return 0;
}

/* libcurl's socket callback: 0, or -1 (its convention, not ours). */
static int sock_cb(CURL *easy, curl_socket_t s, int what, void *arg,
		   void *sockp)
{
	struct etsi014_client *c = arg;
	struct event *ev = sockp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ev)
			event_free(ev);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	       ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (ev) {
		event_del(ev);
		event_assign(ev, c->base, s, kind, event_cb, c);
	} else {
		ev = event_new(c->base, s, kind, event_cb, c);
		if (!ev)
			return -1;
		curl_multi_assign(c->multi, s, ev);
	}
	return event_add(ev, NULL);
}

struct etsi014_client *etsi014_client_new(struct event_base *base,
					  const struct etsi014_client_cfg *cfg)
{
	struct etsi014_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base = base;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 10000;
	c->url = strdup(cfg->url);
	c->cert = strdup(cfg->cert);
	c->key = strdup(cfg->key);
	c->ca = strdup(cfg->ca);
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, timer_event_cb, c);
	if (!c->url || !c->cert || !c->key || !c->ca || !c->multi ||
	    !c->timer) {
		etsi014_client_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void etsi014_client_free(struct etsi014_client *c)
{
	if (!c)
		return;
	while (c->xfers)
		xfer_free(c->xfers);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->timer)
		event_free(c->timer);
	free(c->url);
	free(c->cert);
	free(c->key);
	free(c->ca);
	free(c);
}

unsigned int etsi014_client_busy(const struct etsi014_client *c)
{
	return c->busy;
}

static int start(struct etsi014_client *c, enum kind kind, const char *sae,
		 char *body, size_t max_keys, etsi014_cb cb, void *arg)
{
	static const char *const ops[] = {
		[K_STATUS] = "status", [K_ENC] = "enc_keys",
		[K_DEC] = "dec_keys",
	};
	struct xfer *x = calloc(1, sizeof(*x));
	char url[512], *esc = NULL;
	CURL *e;

	if (!x)
		goto err_body;
	x->c = c;
	x->kind = kind;
	x->max_keys = max_keys;
	x->body = body;
	x->cb = cb;
	x->arg = arg;
	e = x->easy = curl_easy_init();
	if (e)
		esc = curl_easy_escape(e, sae, 0);
	if (!e || !esc)
		goto err_xfer;
	snprintf(url, sizeof(url), "%s/api/v1/keys/%s/%s", c->url, esc,
		 ops[kind]);
	curl_free(esc);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
	curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
	curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	if (body) {
		x->hdrs = curl_slist_append(NULL,
					    "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	}
	if (curl_multi_add_handle(c->multi, e))
		goto err_xfer;
	x->next = c->xfers;
	c->xfers = x;
	c->busy++;
	return 0;

err_xfer:
	if (x->easy)
		curl_easy_cleanup(x->easy);
	free(x);
err_body:
	free(body);
	return -ENOMEM;
}

int etsi014_client_status(struct etsi014_client *c, const char *slave_sae,
			  etsi014_cb cb, void *arg)
{
	return start(c, K_STATUS, slave_sae, NULL, 0, cb, arg);
}

int etsi014_client_enc_keys(struct etsi014_client *c, const char *slave_sae,
			    uint32_t number, uint32_t size_bits,
			    etsi014_cb cb, void *arg)
{
	struct etsi014_enc_req req = { .number = number, .size = size_bits };
	char *body;

	if (!number || number > ETSI014_KEYS_MAX)
		return -EINVAL;
	body = etsi014_enc_req_json(&req);
	if (!body)
		return -ENOMEM;
	return start(c, K_ENC, slave_sae, body, number, cb, arg);
}

int etsi014_client_dec_keys(struct etsi014_client *c, const char *master_sae,
			    const struct etsi014_dec_req *req,
			    etsi014_cb cb, void *arg)
{
	char *body;

	if (!req->n || req->n > ETSI014_KEYS_MAX)
		return -EINVAL;
	body = etsi014_dec_req_json(req);
	if (!body)
		return -ENOMEM;
	return start(c, K_DEC, master_sae, body, req->n, cb, arg);
}
