// SPDX-License-Identifier: GPL-2.0
/* The JSON mapping of ETSI GS QKD 014: see json.h. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bulk.h"
#include "json.h"
#include "keyid.h"

void etsi014_str_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Dump and drop the tree; the tree's strings are wiped by secalloc.c. */
static char *dump(json_t *root)
{
	char *s;

	if (!root)
		return NULL;
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

static int bad(struct etsi014_error *e, const char *what)
{
	etsi014_error_set(e, 400, "bad request format", "%s", what);
	return -EINVAL;
}

static json_t *load(const char *buf, size_t len, struct etsi014_error *e)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		etsi014_error_set(e, 400, "bad request format",
				  "JSON: %s at line %d", jerr.text, jerr.line);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		bad(e, "JSON: expected an object");
		return NULL;
	}
	return root;
}

char *etsi014_keys_json(const struct qkd_key_record *keys, size_t n)
{
	return etsi014_bulk_keys_write(keys, n);
}

static int key_parse(json_t *obj, struct qkd_key_record *k,
		     struct etsi014_error *e)
{
	const char *id, *mat, *why;

	if (!json_is_object(obj))
		return bad(e, "keys[]: expected an object");
	id = json_string_value(json_object_get(obj, "key_ID"));
	mat = json_string_value(json_object_get(obj, "key"));
	if (!id || !mat)
		return bad(e, "keys[]: key_ID and key must be strings");
	if (qkd_keyid_parse(id, k->id, &why) < 0) {
		etsi014_error_set(e, 400, "bad request format",
				  "key_ID: %s", why);
		return -EINVAL;
	}
	if (etsi014_b64_decode(mat, strlen(mat), k) < 0)
		return bad(e, "key: not base64 of 1..64 bytes");
	return 0;
}

int etsi014_keys_parse(const char *buf, size_t len, struct qkd_key_record *keys,
		       size_t max, size_t *n, struct etsi014_error *e)
{
	if (!etsi014_bulk_keys_read(buf, len, keys, max, n))
		return 0;
	return etsi014_keys_parse_tree(buf, len, keys, max, n, e);
}

int etsi014_keys_parse_tree(const char *buf, size_t len,
			    struct qkd_key_record *keys, size_t max, size_t *n,
			    struct etsi014_error *e)
{
	json_t *root, *arr;
	size_t i;
	int ret;

	root = load(buf, len, e);
	if (!root)
		return -EINVAL;
	arr = json_object_get(root, "keys");
	ret = -EINVAL;
	if (!json_is_array(arr)) {
		bad(e, "keys: expected an array");
		goto out;
	}
	if (json_array_size(arr) > max) {
		bad(e, "keys: too many keys");
		goto out;
	}
	for (i = 0; i < json_array_size(arr); i++)
		if (key_parse(json_array_get(arr, i), &keys[i], e) < 0)
			goto out;
	*n = i;
	ret = 0;
out:
	if (ret)
		etsi014_keys_wipe(keys, max);
	json_decref(root);
	return ret;
}

char *etsi014_status_json(const struct etsi014_status *st)
{
	return dump(json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"source_KME_ID", st->source_kme,
		"target_KME_ID", st->target_kme,
		"master_SAE_ID", st->master_sae,
		"slave_SAE_ID", st->slave_sae,
		"key_size", (json_int_t)st->key_size,
		"stored_key_count", (json_int_t)st->stored_key_count,
		"max_key_count", (json_int_t)st->max_key_count,
		"max_key_per_request", (json_int_t)st->max_key_per_request,
		"max_key_size", (json_int_t)st->max_key_size,
		"min_key_size", (json_int_t)st->min_key_size,
		"max_SAE_ID_count", (json_int_t)st->max_sae_id_count));
}

static int get_str(json_t *root, const char *name, char *out, size_t size,
		   struct etsi014_error *e)
{
	const char *s = json_string_value(json_object_get(root, name));

	if (!s || strlen(s) >= size) {
		etsi014_error_set(e, 400, "bad request format",
				  "%s: expected a string of at most %zu bytes",
				  name, size - 1);
		return -EINVAL;
	}
	strcpy(out, s);
	return 0;
}

/* An optional unsigned 32-bit member; absent leaves *out alone. */
static int get_u32(json_t *root, const char *name, bool required,
		   uint32_t *out, struct etsi014_error *e)
{
	json_t *v = json_object_get(root, name);
	json_int_t i;

	if (!v && !required)
		return 0;
	i = json_integer_value(v);
	if (!json_is_integer(v) || i < 0 || i > UINT32_MAX) {
		etsi014_error_set(e, 400, "bad request format",
				  "%s: expected an integer 0..4294967295",
				  name);
		return -EINVAL;
	}
	*out = i;
	return 0;
}

int etsi014_status_parse(const char *buf, size_t len,
			 struct etsi014_status *st, struct etsi014_error *e)
{
	json_t *root = load(buf, len, e);
	int ret;

	if (!root)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	ret = get_str(root, "source_KME_ID", st->source_kme,
		      sizeof(st->source_kme), e) ?:
	      get_str(root, "target_KME_ID", st->target_kme,
		      sizeof(st->target_kme), e) ?:
	      get_str(root, "master_SAE_ID", st->master_sae,
		      sizeof(st->master_sae), e) ?:
	      get_str(root, "slave_SAE_ID", st->slave_sae,
		      sizeof(st->slave_sae), e) ?:
	      get_u32(root, "key_size", true, &st->key_size, e) ?:
	      get_u32(root, "stored_key_count", true, &st->stored_key_count,
		      e) ?:
	      get_u32(root, "max_key_count", true, &st->max_key_count, e) ?:
	      get_u32(root, "max_key_per_request", true,
		      &st->max_key_per_request, e) ?:
	      get_u32(root, "max_key_size", true, &st->max_key_size, e) ?:
	      get_u32(root, "min_key_size", true, &st->min_key_size, e) ?:
	      get_u32(root, "max_SAE_ID_count", false, &st->max_sae_id_count,
		      e);
	json_decref(root);
	return ret;
}

char *etsi014_error_json(const struct etsi014_error *err)
{
	if (!err->details[0])
		return dump(json_pack("{s:s}", "message", err->message));
	return dump(json_pack("{s:s,s:[{s:s}]}", "message", err->message,
			      "details", "reason", err->details));
}

char *etsi014_error_body(void *arg, int code, const char *message,
			 const char *details)
{
	struct etsi014_error e;

	(void)arg;
	etsi014_error_set(&e, code, message, "%s", details);
	return etsi014_error_json(&e);
}

void etsi014_error_parse(const char *buf, size_t len, struct etsi014_error *e)
{
	json_t *root = json_loadb(buf, len, 0, NULL);
	json_t *d = json_array_get(json_object_get(root, "details"), 0);
	const char *m = json_string_value(json_object_get(root, "message"));
	const char *r = NULL, *k;
	json_t *v;

	/* A detail is an object of unspecified members: show the first. */
	json_object_foreach(d, k, v) {
		r = json_string_value(v);
		break;
	}
	snprintf(e->message, sizeof(e->message), "%s", m ? m : "(no message)");
	snprintf(e->details, sizeof(e->details), "%s", r ? r : "");
	json_decref(root);
}

char *etsi014_enc_req_json(const struct etsi014_enc_req *req)
{
	return dump(json_pack("{s:I,s:I}", "number", (json_int_t)req->number,
			      "size", (json_int_t)req->size));
}

/*
 * We support no extension: a mandatory one is an error (ETSI 014 §6.1);
 * the first one's name goes to bad_ext (ETSI014_EXT_NAME_MAX bytes).
 */
static int check_extensions(json_t *root, char *bad_ext,
			    struct etsi014_error *e)
{
	json_t *ext = json_object_get(root, "extension_mandatory");
	json_t *item, *v;
	const char *name;
	size_t i;

	if (!ext)
		return 0;
	if (!json_is_array(ext))
		return bad(e, "extension_mandatory: expected an array");
	json_array_foreach(ext, i, item) {
		if (!json_is_object(item))
			return bad(e, "extension_mandatory[]: expected objects");
		json_object_foreach(item, name, v) {
			snprintf(bad_ext, ETSI014_EXT_NAME_MAX, "%s", name);
			return 0;
		}
	}
	return 0;
}

/* Absent is the default size; 0 is outside any [min_key_size, max_key_size]. */
static int check_size(json_t *root, const struct etsi014_enc_req *req,
		      struct etsi014_error *e)
{
	if (json_object_get(root, "size") && !req->size)
		return bad(e, "size 0 is outside min_key_size..max_key_size");
	return 0;
}

static int check_sae_list(json_t *root, struct etsi014_enc_req *req,
			  struct etsi014_error *e)
{
	json_t *arr = json_object_get(root, "additional_slave_SAE_IDs");
	json_t *item;
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(e, "additional_slave_SAE_IDs: expected an array");
	json_array_foreach(arr, i, item) {
		if (!json_is_string(item))
			return bad(e, "additional_slave_SAE_IDs[]: expected strings");
	}
	req->n_additional_sae = json_array_size(arr);
	return 0;
}

int etsi014_enc_req_parse(const char *buf, size_t len,
			  struct etsi014_enc_req *req, struct etsi014_error *e)
{
	json_t *root = load(buf, len, e), *opt;
	int ret;

	if (!root)
		return -EINVAL;
	ret = get_u32(root, "number", false, &req->number, e) ?:
	      get_u32(root, "size", false, &req->size, e) ?:
	      check_size(root, req, e) ?:
	      check_sae_list(root, req, e) ?:
	      check_extensions(root, req->bad_extension, e);
	opt = json_object_get(root, "extension_optional");
	if (!ret && opt && !json_is_array(opt))
		ret = bad(e, "extension_optional: expected an array");
	json_decref(root);
	return ret;
}

char *etsi014_dec_req_json(const struct etsi014_dec_req *req)
{
	return etsi014_bulk_ids_write(req);
}

int etsi014_dec_req_parse(const char *buf, size_t len,
			  struct etsi014_dec_req *req, struct etsi014_error *e)
{
	req->bad_extension[0] = '\0';
	if (!etsi014_bulk_ids_read(buf, len, req))
		return 0;
	return etsi014_dec_req_parse_tree(buf, len, req, e);
}

int etsi014_dec_req_parse_tree(const char *buf, size_t len,
			       struct etsi014_dec_req *req,
			       struct etsi014_error *e)
{
	json_t *root, *arr, *item;
	const char *s, *why;
	int ret = -EINVAL;
	size_t i;

	req->bad_extension[0] = '\0';
	root = load(buf, len, e);
	if (!root)
		return -EINVAL;
	if (check_extensions(root, req->bad_extension, e))
		goto out;
	arr = json_object_get(root, "key_IDs");
	if (!json_is_array(arr) || !json_array_size(arr)) {
		bad(e, "key_IDs: expected a non-empty array");
		goto out;
	}
	if (json_array_size(arr) > ETSI014_KEYS_MAX) {
		bad(e, "key_IDs: too many key IDs");
		goto out;
	}
	json_array_foreach(arr, i, item) {
		s = json_string_value(json_object_get(item, "key_ID"));
		if (!s) {
			bad(e, "key_IDs[]: expected {\"key_ID\": string}");
			goto out;
		}
		if (qkd_keyid_parse(s, req->ids[i], &why) < 0) {
			etsi014_error_set(e, 400, "bad request format",
					  "key_ID %zu: %s", i, why);
			goto out;
		}
	}
	req->n = i;
	ret = 0;
out:
	json_decref(root);
	return ret;
}
