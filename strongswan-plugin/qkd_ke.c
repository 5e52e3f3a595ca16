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

#include "qkd_ke.h"
#include "qkd_sa_keys.h"
#include "qkd_streams.h"

#include <daemon.h>
#include <keyid.h>
#include <collections/array.h>
#include <collections/linked_list.h>

/** Version of the KE data layout */
#define QKD_KE_VERSION 1

/** Flag of the initiator's KE data: it has no key (its pool is empty) */
#define QKD_KE_NO_KEY 0x01

/** Length of the key confirmation in the responder's KE data */
#define QKD_KE_CONFIRM_LEN 16

/** Length of the initiator's and the responder's KE data */
#define QKD_KE_I_LEN (2 + QKD_KEY_ID_LEN)
#define QKD_KE_R_LEN (QKD_KE_I_LEN + QKD_KE_CONFIRM_LEN)

/** Label of the key confirmation */
#define QKD_KE_CONFIRM_LABEL "qkdpool ke confirm v1"

ENUM_EXT(qkd_ke_names, KE_QKD, KE_QKD,
	"QKD");
ENUM_EXT(qkd_ke_names_short, KE_QKD, KE_QKD,
	"qkd");

/**
 * Where an exchange is
 */
typedef enum {
	/** nothing sent or received */
	KE_NEW,
	/** initiator: key ID offered */
	KE_OFFERED,
	/** initiator: pool empty, QKD_KE_NO_KEY offered */
	KE_NO_KEY,
	/** initiator: the responder confirmed the same key */
	KE_CONFIRMED,
	/** responder: the key the peer named is reserved */
	KE_ACCEPTED,
	/** refused or mismatched */
	KE_FAILED,
} ke_state_t;

typedef struct private_qkd_ke_t private_qkd_ke_t;

/**
 * Private data of a qkd key exchange
 */
struct private_qkd_ke_t {

	/**
	 * Public interface
	 */
	key_exchange_t public;

	/**
	 * Where the exchange is
	 */
	ke_state_t state;

	/**
	 * Whether we offered the key (local-owned), not accepted the peer's
	 */
	bool initiator;

	/**
	 * Reserved key, NULL once committed or handed to the table
	 */
	qkd_key_t *key;

	/**
	 * Its stream
	 */
	char *stream;

	/**
	 * Its material, the shared secret
	 */
	chunk_t material;
};

/**
 * What the method shares between its objects
 */
static struct {

	/** Key source, NULL while the method is not enabled */
	qkd_source_t *source;

	/** Keys of IKE_SAs not yet established, by IKE_SA */
	qkd_sa_keys_t *keys;

	/** Commits and releases keys */
	listener_t listener;

} ke;

/**
 * Log a key with what happens to it
 */
static void log_key(private_qkd_ke_t *this, char *what)
{
	char uuid[QKD_KEYID_STR_SIZE];

	DBG1(DBG_IKE, "qkd: key exchange %s QKD key %s of stream '%s'", what,
		 qkd_keyid_format(this->key->get_id(this->key).ptr, uuid),
		 this->stream);
}

/**
 * First 16 bytes of HMAC-SHA-256(material, label | ID) into out
 */
static bool confirmation(private_qkd_ke_t *this, u_char *out)
{
	u_char mac[HASH_SIZE_SHA256];
	chunk_t seed;
	prf_t *prf;
	bool ok;

	prf = lib->crypto->create_prf(lib->crypto, PRF_HMAC_SHA2_256);
	if (!prf)
	{
		DBG1(DBG_IKE, "qkd: HMAC-SHA-256 unavailable, no key confirmation");
		return FALSE;
	}
	seed = chunk_cat("cc", chunk_from_str(QKD_KE_CONFIRM_LABEL),
					 this->key->get_id(this->key));
	ok = prf->set_key(prf, this->material) &&
		 prf->get_bytes(prf, seed, mac);
	prf->destroy(prf);
	chunk_free(&seed);
	memcpy(out, mac, QKD_KE_CONFIRM_LEN);
	memwipe(mac, sizeof(mac));
	return ok;
}

/**
 * Take over a reservation: its material becomes the shared secret
 */
static void adopt(private_qkd_ke_t *this, qkd_key_t *key, char *stream)
{
	this->key = key;
	this->stream = stream;
	this->material = key->take_material(key);
}

/**
 * Initiator: reserve the next local-owned key of the peer's stream
 */
static void offer(private_qkd_ke_t *this)
{
	ike_sa_t *ike_sa = charon->bus->get_sa(charon->bus);
	qkd_key_t *key = NULL;
	char *stream;

	stream = ike_sa ? qkd_streams_for_sa(ike_sa) : NULL;
	if (stream)
	{
		key = ke.source->reserve_next(ke.source, stream);
	}
	if (!key)
	{
		DBG1(DBG_IKE, "qkd: no QKD key for the key exchange of IKE_SA "
			 "%s[%u], the peer will refuse it",
			 ike_sa ? ike_sa->get_name(ike_sa) : "?",
			 ike_sa ? ike_sa->get_unique_id(ike_sa) : 0);
		free(stream);
		this->state = KE_NO_KEY;
		return;
	}
	adopt(this, key, stream);
	this->initiator = TRUE;
	this->state = KE_OFFERED;
	log_key(this, "offers");
}

METHOD(key_exchange_t, get_public_key, bool,
	private_qkd_ke_t *this, chunk_t *value)
{
	u_char data[QKD_KE_R_LEN] = { QKD_KE_VERSION };

	if (this->state == KE_NEW)
	{
		offer(this);
	}
	switch (this->state)
	{
		case KE_NO_KEY:
			data[1] = QKD_KE_NO_KEY;
			*value = chunk_clone(chunk_create(data, QKD_KE_I_LEN));
			return TRUE;
		case KE_OFFERED:
			memcpy(data + 2, this->key->get_id(this->key).ptr,
				   QKD_KEY_ID_LEN);
			*value = chunk_clone(chunk_create(data, QKD_KE_I_LEN));
			return TRUE;
		case KE_ACCEPTED:
			memcpy(data + 2, this->key->get_id(this->key).ptr,
				   QKD_KEY_ID_LEN);
			if (!confirmation(this, data + QKD_KE_I_LEN))
			{
				return FALSE;
			}
			*value = chunk_clone(chunk_create(data, QKD_KE_R_LEN));
			return TRUE;
		default:
			return FALSE;
	}
}

/**
 * Responder without a peer config (IKE_INTERMEDIATE of a new IKE_SA, the
 * peer is not authenticated yet): the key may be in the stream of any
 * connection between these addresses; its material authenticates it.
 */
static qkd_key_t *reserve_candidates(ike_sa_t *ike_sa, chunk_t id,
									 char **stream)
{
	enumerator_t *enumerator;
	peer_cfg_t *peer_cfg;
	linked_list_t *tried;
	qkd_key_t *key = NULL;
	char *name;

	tried = linked_list_create();
	enumerator = charon->backends->create_peer_cfg_enumerator(
							charon->backends, ike_sa->get_my_host(ike_sa),
							ike_sa->get_other_host(ike_sa), NULL, NULL,
							IKEV2);
	while (!key && enumerator->enumerate(enumerator, &peer_cfg))
	{
		name = qkd_streams_for_peer_cfg(peer_cfg);
		if (!name || tried->find_first(tried, linked_list_match_str, NULL,
									   name))
		{
			free(name);
			continue;
		}
		key = ke.source->reserve_id(ke.source, name, id);
		if (key)
		{
			*stream = name;
			break;
		}
		tried->insert_last(tried, name);
	}
	enumerator->destroy(enumerator);
	tried->destroy_function(tried, free);
	return key;
}

/**
 * Responder: reserve the peer-owned key the initiator named
 */
static bool accept_offer(private_qkd_ke_t *this, chunk_t value)
{
	ike_sa_t *ike_sa = charon->bus->get_sa(charon->bus);
	chunk_t id = chunk_create(value.ptr + 2, QKD_KEY_ID_LEN);
	qkd_key_t *key = NULL;
	char *stream = NULL;

	if (value.len != QKD_KE_I_LEN || value.ptr[0] != QKD_KE_VERSION ||
		!ike_sa)
	{
		DBG1(DBG_IKE, "qkd: malformed QKD key exchange data, refusing");
		return FALSE;
	}
	if (value.ptr[1] & QKD_KE_NO_KEY)
	{
		DBG1(DBG_IKE, "qkd: peer has no QKD key for this key exchange "
			 "(its pool is empty), refusing");
		return FALSE;
	}
	if (ike_sa->get_peer_cfg(ike_sa))
	{
		stream = qkd_streams_for_sa(ike_sa);
		key = stream ? ke.source->reserve_id(ke.source, stream, id) : NULL;
	}
	else
	{
		key = reserve_candidates(ike_sa, id, &stream);
	}
	if (!key)
	{
		DBG1(DBG_IKE, "qkd: no QKD key for the peer's key exchange, "
			 "refusing");
		free(stream);
		return FALSE;
	}
	adopt(this, key, stream);
	this->state = KE_ACCEPTED;
	log_key(this, "accepts");
	return TRUE;
}

/**
 * Initiator: check the responder used the same key and material
 */
static bool check_reply(private_qkd_ke_t *this, chunk_t value)
{
	u_char expected[QKD_KE_CONFIRM_LEN];
	bool same;

	if (value.len != QKD_KE_R_LEN || value.ptr[0] != QKD_KE_VERSION ||
		!chunk_equals(chunk_create(value.ptr + 2, QKD_KEY_ID_LEN),
					  this->key->get_id(this->key)))
	{
		DBG1(DBG_IKE, "qkd: the peer's QKD key exchange reply does not "
			 "name our key, failing");
		return FALSE;
	}
	if (!confirmation(this, expected))
	{
		return FALSE;
	}
	same = memeq_const(expected, value.ptr + QKD_KE_I_LEN,
					   QKD_KE_CONFIRM_LEN);
	memwipe(expected, sizeof(expected));
	if (!same)
	{
		log_key(this, "failed: the peer's material differs for");
		return FALSE;
	}
	return TRUE;
}

METHOD(key_exchange_t, set_public_key, bool,
	private_qkd_ke_t *this, chunk_t value)
{
	bool ok;

	switch (this->state)
	{
		case KE_NEW:
			ok = accept_offer(this, value);
			break;
		case KE_OFFERED:
			ok = check_reply(this, value);
			this->state = ok ? KE_CONFIRMED : KE_FAILED;
			return ok;
		default:
			ok = FALSE;
			break;
	}
	if (!ok)
	{
		this->state = KE_FAILED;
	}
	return ok;
}

METHOD(key_exchange_t, get_shared_secret, bool,
	private_qkd_ke_t *this, chunk_t *secret)
{
	if ((this->state != KE_CONFIRMED && this->state != KE_ACCEPTED) ||
		!this->material.len)
	{
		return FALSE;
	}
	*secret = chunk_clone(this->material);
	return TRUE;
}

METHOD(key_exchange_t, set_seed, bool,
	private_qkd_ke_t *this, chunk_t value, drbg_t *drbg)
{
	/* the secret is the QKD key; nothing to derive it from a seed */
	return FALSE;
}

METHOD(key_exchange_t, get_method, key_exchange_method_t,
	private_qkd_ke_t *this)
{
	return KE_QKD;
}

METHOD(key_exchange_t, destroy, void,
	private_qkd_ke_t *this)
{
	if (this->key)
	{
		if (this->initiator)
		{	/* the peer may have consumed its copy */
			this->key->commit(this->key);
			log_key(this, "failed, discarding sent");
		}
		else
		{
			log_key(this, "failed, releasing");
		}
		this->key->destroy(this->key);
	}
	chunk_clear(&this->material);
	free(this->stream);
	free(this);
}

/*
 * Described in header
 */
key_exchange_t *qkd_ke_create(key_exchange_method_t method)
{
	private_qkd_ke_t *this;

	if (method != KE_QKD || !ke.source)
	{
		return NULL;
	}
	INIT(this,
		.public = {
			.get_shared_secret = _get_shared_secret,
			.set_public_key = _set_public_key,
			.get_public_key = _get_public_key,
			.set_seed = _set_seed,
			.get_method = _get_method,
			.destroy = _destroy,
		},
		.state = KE_NEW,
	);
	return &this->public;
}

/**
 * Next of our key exchanges still holding a key, from an enumerator over
 * an SA's key exchanges
 */
static bool next_ours(enumerator_t *enumerator, private_qkd_ke_t **out)
{
	key_exchange_t *kex;

	while (enumerator->enumerate(enumerator, &kex))
	{
		if (kex->get_method(kex) == KE_QKD &&
			(void*)kex->destroy == (void*)_destroy &&
			((private_qkd_ke_t*)kex)->key)
		{
			*out = (private_qkd_ke_t*)kex;
			return TRUE;
		}
	}
	return FALSE;
}

METHOD(listener_t, ike_keys, bool,
	listener_t *listener, ike_sa_t *ike_sa, array_t *kes, chunk_t dh_other,
	chunk_t nonce_i, chunk_t nonce_r, ike_sa_t *rekey, shared_key_t *shared,
	auth_method_t method)
{
	u_char id[QKD_KEY_ID_LEN];
	enumerator_t *enumerator;
	private_qkd_ke_t *this;

	/* keyed, not up yet: the SA decides, once it is established or gone */
	enumerator = array_create_enumerator(kes);
	while (next_ours(enumerator, &this))
	{
		log_key(this, "keyed IKE_SA with");
		ke.keys->add(ke.keys, ike_sa, this->key, this->stream,
					 this->initiator);
		ke.keys->mark_sent(ke.keys, ike_sa, id);
		this->key = NULL;
	}
	enumerator->destroy(enumerator);
	return TRUE;
}

METHOD(listener_t, child_keys, bool,
	listener_t *listener, ike_sa_t *ike_sa, child_sa_t *child_sa,
	bool initiator, array_t *kes, chunk_t nonce_i, chunk_t nonce_r)
{
	enumerator_t *enumerator;
	private_qkd_ke_t *this;
	char uuid[QKD_KEYID_STR_SIZE];

	/* called once the CHILD_SA's keys are installed */
	enumerator = array_create_enumerator(kes);
	while (next_ours(enumerator, &this))
	{
		if (this->key->commit(this->key))
		{
			DBG1(DBG_IKE, "qkd: CHILD_SA %s{%u} installed, consumed QKD key "
				 "%s of stream '%s'", child_sa->get_name(child_sa),
				 child_sa->get_unique_id(child_sa),
				 qkd_keyid_format(this->key->get_id(this->key).ptr, uuid),
				 this->stream);
		}
		this->key->destroy(this->key);
		this->key = NULL;
	}
	enumerator->destroy(enumerator);
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool,
	listener_t *listener, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	switch (state)
	{
		case IKE_ESTABLISHED:
			ke.keys->commit(ke.keys, ike_sa);
			break;
		case IKE_DESTROYING:
			ke.keys->abort(ke.keys, ike_sa);
			break;
		default:
			break;
	}
	return TRUE;
}

/*
 * Described in header
 */
void qkd_ke_register(qkd_source_t *source)
{
	ke.listener = (listener_t){
		.ike_keys = _ike_keys,
		.child_keys = _child_keys,
		.ike_state_change = _ike_state_change,
	};
	ke.keys = qkd_sa_keys_create();
	ke.source = source;
	/* makes ke1_qkd ... ke7_qkd known too; the token has no unregister
	 * and outlives the plugin harmlessly */
	lib->proposal->register_token(lib->proposal, "qkd", KEY_EXCHANGE_METHOD,
								  KE_QKD, 0);
	enum_add_enum_names(key_exchange_method_names, qkd_ke_names);
	enum_add_enum_names(key_exchange_method_names_short, qkd_ke_names_short);
	charon->bus->add_listener(charon->bus, &ke.listener);
}

/*
 * Described in header
 */
void qkd_ke_unregister()
{
	charon->bus->remove_listener(charon->bus, &ke.listener);
	enum_remove_enum_names(key_exchange_method_names_short,
						   qkd_ke_names_short);
	enum_remove_enum_names(key_exchange_method_names, qkd_ke_names);
	ke.source = NULL;
	ke.keys->destroy(ke.keys);
	ke.keys = NULL;
}
