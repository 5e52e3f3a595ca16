/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An asynchronous ETSI GS QKD 014 client: libcurl's multi interface driven
 * by a libevent base, so that a slow or dead KME never blocks the caller's
 * event loop. Each call starts one HTTPS request (mutual TLS) and returns;
 * the callback runs from the event loop with the result. Keys in a result
 * are wiped as soon as the callback returns, unless the callback keeps the
 * array: it then sets r->keys to NULL and owns it (etsi014_keys_wipe() over
 * r->n keys, then free()).
 */
#ifndef ETSI014_CLIENT_H
#define ETSI014_CLIENT_H

#include <event2/event.h>

#include "etsi014.h"

struct etsi014_client_cfg {
	const char *url;		/* "https://host:port", no trailing / */
	const char *cert;		/* our client certificate (PEM) */
	const char *key;
	const char *ca;			/* CA that signed the KME's certificate */
	long timeout_ms;		/* whole request; 0: 10 s */
};

struct etsi014_result {
	bool ok;
	int http;			/* HTTP status; 0: no reply */
	char error[512];		/* why, when !ok */
	struct qkd_key_record *keys;	/* enc_keys, dec_keys */
	size_t n;
	struct etsi014_status status;	/* status */
};

typedef void (*etsi014_cb)(void *arg, struct etsi014_result *r);

struct etsi014_client;

/* NULL on failure. cfg strings are copied. */
struct etsi014_client *etsi014_client_new(struct event_base *base,
					  const struct etsi014_client_cfg *cfg);
/* Cancels requests in flight without calling their callbacks. */
void etsi014_client_free(struct etsi014_client *c);

/* Each returns 0 once the request is under way, or -errno. */
int etsi014_client_status(struct etsi014_client *c, const char *slave_sae,
			  etsi014_cb cb, void *arg);
int etsi014_client_enc_keys(struct etsi014_client *c, const char *slave_sae,
			    uint32_t number, uint32_t size_bits,
			    etsi014_cb cb, void *arg);
int etsi014_client_dec_keys(struct etsi014_client *c, const char *master_sae,
			    const struct etsi014_dec_req *req,
			    etsi014_cb cb, void *arg);

/* Requests in flight. */
unsigned int etsi014_client_busy(const struct etsi014_client *c);

#endif /* ETSI014_CLIENT_H */
