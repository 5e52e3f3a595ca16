/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ETSI GS QKD 014 server: http.h over TLS 1.3 with mutual certificate
 * authentication. It routes
 *
 *   GET  /api/v1/keys/{slave_SAE_ID}/status
 *   GET  /api/v1/keys/{slave_SAE_ID}/enc_keys?number=N&size=BITS
 *   POST /api/v1/keys/{slave_SAE_ID}/enc_keys      {number, size, ...}
 *   GET  /api/v1/keys/{master_SAE_ID}/dec_keys?key_ID=UUID
 *   POST /api/v1/keys/{master_SAE_ID}/dec_keys     {key_IDs: [...]}
 *
 * parses the requests into the structures of etsi014.h and hands them to
 * the backend together with the caller's SAE ID (its certificate's CN);
 * the backend's answer or error becomes the JSON reply.
 */
#ifndef ETSI014_SERVER_H
#define ETSI014_SERVER_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "etsi014.h"

/*
 * Each returns 0, or a negative errno with *e filled (code 400, 401 or
 * 503): the reply follows e->code, the errno is for the caller's logs.
 */
struct etsi014_server_ops {
	int (*status)(void *ctx, const char *caller, const char *slave_sae,
		      struct etsi014_status *st, struct etsi014_error *e);
	/* keys has room for ETSI014_KEYS_MAX keys; *n is set to the count. */
	int (*enc_keys)(void *ctx, const char *caller, const char *slave_sae,
			const struct etsi014_enc_req *req,
			struct qkd_key_record *keys, size_t *n,
			struct etsi014_error *e);
	int (*dec_keys)(void *ctx, const char *caller, const char *master_sae,
			const struct etsi014_dec_req *req,
			struct qkd_key_record *keys, size_t *n,
			struct etsi014_error *e);
};

struct etsi014_server;

/*
 * Listen on "ADDR:PORT" or "[ADDR6]:PORT" (numeric). The server takes a
 * reference to tls. NULL on failure (the reason is logged).
 */
struct etsi014_server *etsi014_server_new(struct event_base *base,
					  SSL_CTX *tls, const char *listen,
					  const struct etsi014_server_ops *ops,
					  void *ctx);
void etsi014_server_free(struct etsi014_server *s);

#endif /* ETSI014_SERVER_H */
