/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON mapping of ETSI GS QKD 014 (jansson; the bulk bodies of keys and
 * key IDs go through bulk.c, without a tree). Parsers take a buffer and
 * its length (no NUL needed), are strict about types and bounds, and on
 * failure return -EINVAL with the reason in *e (code 400): they are the
 * fuzzable entry points. Formatters return a malloc'ed NUL-terminated
 * string, or NULL on allocation failure; free a string that may hold key
 * material with etsi014_str_free(), which wipes it.
 */
#ifndef ETSI014_JSON_H
#define ETSI014_JSON_H

#include "etsi014.h"

void etsi014_str_free(char *s);

/* Key container: {"keys": [{"key_ID": UUID, "key": base64}, ...]}. */
char *etsi014_keys_json(const struct qkd_key_record *keys, size_t n);
int etsi014_keys_parse(const char *buf, size_t len, struct qkd_key_record *keys,
		       size_t max, size_t *n, struct etsi014_error *e);

char *etsi014_status_json(const struct etsi014_status *st);
int etsi014_status_parse(const char *buf, size_t len,
			 struct etsi014_status *st, struct etsi014_error *e);

/* {"message": ..., "details": [{"reason": ...}]} */
char *etsi014_error_json(const struct etsi014_error *err);
/* The same from its parts, as http.h's error_json (arg unused). */
char *etsi014_error_body(void *arg, int code, const char *message,
			 const char *details);
/* Fills message and details of an error body; never fails (best effort). */
void etsi014_error_parse(const char *buf, size_t len, struct etsi014_error *e);

/* Request bodies of enc_keys and dec_keys (POST). */
char *etsi014_enc_req_json(const struct etsi014_enc_req *req);
int etsi014_enc_req_parse(const char *buf, size_t len,
			  struct etsi014_enc_req *req, struct etsi014_error *e);
char *etsi014_dec_req_json(const struct etsi014_dec_req *req);
int etsi014_dec_req_parse(const char *buf, size_t len,
			  struct etsi014_dec_req *req, struct etsi014_error *e);

/*
 * The same parsers without bulk.c's fast path: the reference that path must
 * agree with on every body (selftests/fuzz checks it, input by input).
 */
int etsi014_keys_parse_tree(const char *buf, size_t len,
			    struct qkd_key_record *keys, size_t max, size_t *n,
			    struct etsi014_error *e);
int etsi014_dec_req_parse_tree(const char *buf, size_t len,
			       struct etsi014_dec_req *req,
			       struct etsi014_error *e);

#endif /* ETSI014_JSON_H */
