/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */


#include "qkd_source.h"
#include "qkd_kme.h"
#include "qkd_uuid.h"
#include "qkd_wipe.h"

#include <curl/curl.h>
#include <jansson.h>
#include <linux/qkdpool.h>

#include <utils/debug.h>

typedef struct private_qkd_source_t private_qkd_source_t;
typedef struct private_qkd_key_t private_qkd_key_t;

/**
 * Private data of the ETSI GS QKD 014 key source
 */
struct private_qkd_source_t {

	/**
	 * Public interface
	 */
	qkd_source_t public;

	/**
	 * Client of our KME
	 */
	qkd_kme_t *kme;

	/**
	 * Size of the keys we ask for, in bits
	 */
	u_int key_bits;
};

/**
 * A key delivered by the KME.
 *
 * ETSI GS QKD 014 has no reservation: enc_keys and dec_keys hand a key out
 * once and forget it, so the key is consumed when we hold it. commit() has
 * nothing left to do and destroy() cannot give the key back.
 */
struct private_qkd_key_t {

	/**
	 * Public interface
	 */
	qkd_key_t public;

	/**
	 * Key ID
	 */
	u_char id[QKD_ID_LEN];

	/**
	 * Key material, until taken
	 */
	chunk_t material;
};

METHOD(qkd_key_t, get_id, chunk_t,
	private_qkd_key_t *this)
{
	return chunk_create(this->id, sizeof(this->id));
}

METHOD(qkd_key_t, take_material, chunk_t,
	private_qkd_key_t *this)
{
	chunk_t material = this->material;

	this->material = chunk_empty;
	return material;
}

METHOD(qkd_key_t, commit, bool,
	private_qkd_key_t *this)
{
	return TRUE;
}

METHOD(qkd_key_t, key_destroy, void,
	private_qkd_key_t *this)
{
	chunk_clear(&this->material);
	memwipe(this, sizeof(*this));
	free(this);
}

/**
 * Create a key object, taking over material
 */
static qkd_key_t *key_create(u_char *id, chunk_t material)
{
	private_qkd_key_t *key;

	INIT(key,
		.public = {
			.get_id = _get_id,
			.take_material = _take_material,
			.commit = _commit,
			.destroy = _key_destroy,
		},
		.material = material,
	);
	memcpy(key->id, id, QKD_ID_LEN);
	return &key->public;
}

/**
 * Parse a Key container holding exactly one key, NULL if malformed (logged)
 */
static qkd_key_t *parse_key_container(chunk_t reply)
{
	json_t *root, *keys, *entry, *id_str, *key_str;
	chunk_t material = chunk_empty;
	qkd_key_t *key = NULL;
	u_char id[QKD_ID_LEN];

	root = json_loadb((char*)reply.ptr, reply.len, 0, NULL);
	keys = json_object_get(root, "keys");
	entry = json_array_get(keys, 0);
	id_str = json_object_get(entry, "key_ID");
	key_str = json_object_get(entry, "key");
	if (json_array_size(keys) != 1 || !json_is_string(id_str) ||
		!json_is_string(key_str) ||
		!qkd_uuid_from_string(chunk_from_str((char*)json_string_value(id_str)),
							  id))
	{
		DBG1(DBG_CFG, "qkd: malformed key container from the KME");
		goto out;
	}
	material = chunk_from_base64(
					chunk_from_str((char*)json_string_value(key_str)), NULL);
	if (material.len < QKD_KEY_MIN_LEN || material.len > QKD_KEY_MAX_LEN)
	{
		DBG1(DBG_CFG, "qkd: the KME sent a key of %zu bytes", material.len);
		chunk_clear(&material);
		goto out;
	}
	key = key_create(id, material);
out:
	json_decref(root);
	return key;
}

/**
 * The "message" of an ETSI 014 Error reply, or a placeholder
 */
static void log_refusal(private_qkd_source_t *this, char *what, char *sae,
						u_int status, chunk_t reply)
{
	json_t *root, *message, *details, *reason;

	root = json_loadb((char*)reply.ptr, reply.len, 0, NULL);
	message = json_object_get(root, "message");
	details = json_object_get(root, "details");
	reason = json_object_get(json_array_get(details, 0), "reason");
	DBG1(DBG_CFG, "qkd: KME %s refused %s for SAE '%s': HTTP %u: %s%s%s",
		 this->kme->get_url(this->kme), what, sae, status,
		 json_string_value(message) ?: "(no message)",
		 json_is_string(reason) ? ": " : "",
		 json_string_value(reason) ?: "");
	json_decref(root);
}

/**
 * Build "/api/v1/keys/<SAE ID>/<call><query>", FALSE if unusable (logged)
 */
static bool build_path(char *path, size_t len, char *sae, char *call,
					   char *query)
{
	char *escaped;
	bool ok;

	escaped = curl_easy_escape(NULL, sae, 0);
	ok = escaped && snprintf(path, len, "/api/v1/keys/%s/%s%s", escaped,
							 call, query) < len;
	curl_free(escaped);
	if (!ok)
	{
		DBG1(DBG_CFG, "qkd: SAE ID '%s' unusable", sae);
	}
	return ok;
}

/**
 * Ask the KME for one key with call (enc_keys or dec_keys) for an SAE
 */
static qkd_key_t *fetch_key(private_qkd_source_t *this, char *call,
							char *sae, char *query, char *body)
{
	qkd_key_t *key = NULL;
	char path[256];
	chunk_t reply;
	u_int status;

	if (!build_path(path, sizeof(path), sae, call, query))
	{
		return NULL;
	}
	status = this->kme->request(this->kme, path, body, &reply);
	if (status == 200)
	{
		key = parse_key_container(reply);
	}
	else if (status)
	{
		log_refusal(this, call, sae, status, reply);
	}
	chunk_clear(&reply);
	return key;
}

METHOD(qkd_source_t, reserve_next, qkd_key_t*,
	private_qkd_source_t *this, char *stream)
{
	char query[64];
	qkd_key_t *key;

	/* the stream names the peer, the slave SAE of keys we initiate with */
	snprintf(query, sizeof(query), "?number=1&size=%u", this->key_bits);
	key = fetch_key(this, "enc_keys", stream, query, NULL);
	if (!key)
	{
		DBG1(DBG_CFG, "qkd: no key available for SAE '%s' from KME %s",
			 stream, this->kme->get_url(this->kme));
	}
	return key;
}

METHOD(qkd_source_t, reserve_id, qkd_key_t*,
	private_qkd_source_t *this, char *stream, chunk_t id)
{
	char uuid[QKD_UUID_STR_LEN + 1], body[128];
	qkd_key_t *key;

	if (id.len != QKD_ID_LEN)
	{
		return NULL;
	}
	qkd_uuid_to_string(id, uuid);
	snprintf(body, sizeof(body), "{\"key_IDs\":[{\"key_ID\":\"%s\"}]}", uuid);
	/* the peer is the master SAE of keys it initiated with */
	key = fetch_key(this, "dec_keys", stream, "", body);
	if (key && !chunk_equals_const(key->get_id(key), id))
	{
		DBG1(DBG_CFG, "qkd: KME %s answered key %s with another key",
			 this->kme->get_url(this->kme), uuid);
		key->destroy(key);
		key = NULL;
	}
	if (!key)
	{
		DBG1(DBG_CFG, "qkd: key %s of stream '%s' refused", uuid, stream);
	}
	return key;
}

METHOD(qkd_source_t, destroy, void,
	private_qkd_source_t *this)
{
	this->kme->destroy(this->kme);
	free(this);
	qkd_wipe_uninit();
}

/*
 * Described in header
 */
qkd_source_t *qkd_source_etsi014_create(qkd_kme_t *kme, u_int key_bits)
{
	private_qkd_source_t *this;

	if (!qkd_wipe_init())
	{
		DBG1(DBG_CFG, "qkd: initializing libcurl failed");
		kme->destroy(kme);
		return NULL;
	}
	INIT(this,
		.public = {
			.reserve_next = _reserve_next,
			.reserve_id = _reserve_id,
			.destroy = _destroy,
		},
		.kme = kme,
		.key_bits = key_bits,
	);
	return &this->public;
}
