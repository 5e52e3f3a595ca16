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

#include <event2/event.h>
#include <client.h>
#include <keyid.h>

#include <utils/debug.h>

typedef struct private_qkd_source_t private_qkd_source_t;

/**
 * Private data of the ETSI GS QKD 014 key source
 */
struct private_qkd_source_t {

	/**
	 * Public interface
	 */
	qkd_source_t public;

	/**
	 * Our KME and our SAE's TLS files; the strings are ours
	 */
	struct etsi014_client_cfg cfg;

	/**
	 * Size of the keys we ask for, in bits
	 */
	u_int key_bits;
};

/**
 * The one key a request yields, filled by the client's callback
 */
typedef struct {

	/** Source, for log lines */
	private_qkd_source_t *this;

	/** Event loop of the request, left when the reply is in */
	struct event_base *base;

	/** enc_keys or dec_keys, for log lines */
	char *call;

	/** SAE ID of the peer, for log lines */
	char *sae;

	/** The key, if ok */
	struct qkd_key_record rec;

	/** Whether rec holds a key */
	bool ok;
} reply_t;

/**
 * Client callback: keep the one key of the reply, or log why there is none
 */
static void on_reply(void *arg, struct etsi014_result *r)
{
	reply_t *reply = arg;
	const char *url = reply->this->cfg.url;

	if (!r->ok && !r->http)
	{
		DBG1(DBG_CFG, "qkd: KME %s unreachable: %s", url, r->error);
	}
	else if (!r->ok && r->http != 200)
	{
		DBG1(DBG_CFG, "qkd: KME %s refused %s for SAE '%s': %s", url,
			 reply->call, reply->sae, r->error);
	}
	else if (!r->ok || r->n != 1 || r->keys[0].material_len < QKD_KEY_MIN_LEN)
	{
		DBG1(DBG_CFG, "qkd: malformed key container from the KME: %s",
			 r->ok ? "not one key of at least 128 bits" : r->error);
	}
	else
	{
		/* the client wipes its copy when we return */
		reply->rec = r->keys[0];
		reply->ok = TRUE;
	}
	event_base_loopbreak(reply->base);
}

/**
 * Ask the KME for one key, by ID (dec_keys) if dec is given, else enc_keys;
 * blocks for at most the timeout
 */
static qkd_key_t *fetch_key(private_qkd_source_t *this, char *sae,
							struct etsi014_dec_req *dec)
{
	reply_t reply = {
		.this = this,
		.call = dec ? "dec_keys" : "enc_keys",
		.sae = sae,
	};
	struct etsi014_client *client = NULL;
	qkd_key_t *key = NULL;
	int err = -ENOMEM;

	/* an event loop of our own: charon's threads run none */
	reply.base = event_base_new();
	if (reply.base)
	{
		client = etsi014_client_new(reply.base, &this->cfg);
	}
	if (client)
	{
		err = dec ? etsi014_client_dec_keys(client, sae, dec, on_reply, &reply)
				  : etsi014_client_enc_keys(client, sae, 1, this->key_bits,
											on_reply, &reply);
	}
	if (err)
	{
		DBG1(DBG_CFG, "qkd: starting a request to KME %s failed: %s",
			 this->cfg.url, strerror(-err));
	}
	else
	{
		event_base_dispatch(reply.base);
	}
	if (reply.ok)
	{
		key = qkd_key_create(&reply.rec, NULL, sae);
	}
	etsi014_client_free(client);
	if (reply.base)
	{
		event_base_free(reply.base);
	}
	return key;
}

METHOD(qkd_source_t, reserve_next, qkd_key_t*,
	private_qkd_source_t *this, char *stream)
{
	qkd_key_t *key;

	/* the stream names the peer, the slave SAE of keys we initiate with */
	key = fetch_key(this, stream, NULL);
	if (!key)
	{
		DBG1(DBG_CFG, "qkd: no key available for SAE '%s' from KME %s",
			 stream, this->cfg.url);
	}
	return key;
}

METHOD(qkd_source_t, reserve_id, qkd_key_t*,
	private_qkd_source_t *this, char *stream, chunk_t id)
{
	char uuid[QKD_KEYID_STR_SIZE];
	struct etsi014_dec_req *dec;
	qkd_key_t *key;

	if (id.len != QKD_KEY_ID_LEN)
	{
		return NULL;
	}
	qkd_keyid_format(id.ptr, uuid);
	/* room for ETSI014_KEYS_MAX IDs: not on a charon thread's stack */
	dec = calloc(1, sizeof(*dec));
	if (!dec)
	{
		return NULL;
	}
	dec->n = 1;
	memcpy(dec->ids[0], id.ptr, QKD_KEY_ID_LEN);
	/* the peer is the master SAE of keys it initiated with */
	key = fetch_key(this, stream, dec);
	free(dec);
	if (key && !chunk_equals_const(key->get_id(key), id))
	{
		DBG1(DBG_CFG, "qkd: KME %s answered key %s with another key",
			 this->cfg.url, uuid);
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
	free((char*)this->cfg.url);
	free((char*)this->cfg.cert);
	free((char*)this->cfg.key);
	free((char*)this->cfg.ca);
	free(this);
	etsi014_client_global_cleanup();
}

/*
 * Described in header
 */
qkd_source_t *qkd_source_etsi014_create(char *url, char *cert, char *key,
										char *ca, u_int timeout,
										u_int key_bits)
{
	private_qkd_source_t *this;
	size_t len;

	/* libcurl's and jansson's buffers hold base64 key material: wiped on
	 * free, process-wide (charon itself uses neither) */
	if (etsi014_client_global_init())
	{
		DBG1(DBG_CFG, "qkd: initializing libcurl failed");
		return NULL;
	}
	INIT(this,
		.public = {
			.reserve_next = _reserve_next,
			.reserve_id = _reserve_id,
			.destroy = _destroy,
		},
		.cfg = {
			.url = strdup(url),
			.cert = strdup(cert),
			.key = strdup(key),
			.ca = strdup(ca),
			.timeout_ms = timeout * 1000L,
		},
		.key_bits = key_bits,
	);
	/* "https://kme:443/" and "https://kme:443" alike */
	len = strlen(url);
	if (len && url[len - 1] == '/')
	{
		((char*)this->cfg.url)[len - 1] = '\0';
	}
	return &this->public;
}
