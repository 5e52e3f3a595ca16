/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two bulk bodies of ETSI GS QKD 014, written and read without building
 * a JSON tree: a tree costs several allocations per key, which at a few
 * thousand keys per second was most of a key's CPU in qkd-kmd and
 * qkd-simkme (see json.c for the tree-based mapping of everything else).
 *
 * The writers emit the compact form json.c's jansson dumps used to:
 *   {"keys":[{"key_ID":UUID,"key":base64},...]}
 *   {"key_IDs":[{"key_ID":UUID},...]}
 * The readers accept exactly that form (a subset of JSON whose meaning is
 * plain) and say -EAGAIN for anything else, valid or not: the caller then
 * parses with jansson, which accepts every valid body and explains every
 * invalid one. So the readers change speed, never results.
 */
#ifndef ETSI014_BULK_H
#define ETSI014_BULK_H

#include "etsi014.h"

char *etsi014_bulk_keys_write(const struct qkd_key_record *keys, size_t n);
char *etsi014_bulk_ids_write(const struct etsi014_dec_req *req);

/* 0, or -EAGAIN (not the compact form or not valid: parse with jansson). */
int etsi014_bulk_keys_read(const char *buf, size_t len,
			   struct qkd_key_record *keys, size_t max, size_t *n);
int etsi014_bulk_ids_read(const char *buf, size_t len,
			  struct etsi014_dec_req *req);

/* Strict base64 of 1..ETSI014_KEY_MAX_BYTES bytes into k; 0 or -EINVAL. */
int etsi014_b64_decode(const char *s, size_t len, struct qkd_key_record *k);

#endif /* ETSI014_BULK_H */
