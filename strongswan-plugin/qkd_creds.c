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

#include "qkd_creds.h"
#include "qkd_streams.h"
#include "qkd_ppk_id.h"

#include <daemon.h>
#include <credentials/keys/shared_key.h>

typedef struct private_qkd_creds_t private_qkd_creds_t;

/**
 * Private data of a qkd_creds_t object
 */
struct private_qkd_creds_t {

	/**
	 * Public interface
	 */
	qkd_creds_t public;

	/**
	 * Key source
	 */
	qkd_source_t *source;

	/**
	 * Reserved keys by IKE_SA
	 */
	qkd_sa_keys_t *keys;

	/**
	 * Placeholder announcing that we accept PPKs
	 */
	shared_key_t *placeholder;
};

/**
 * Enumerator over the one key a lookup yields
 */
typedef struct {

	/** Implements enumerator_t */
	enumerator_t public;

	/** The key */
	shared_key_t *key;

	/** TRUE once the key was enumerated */
	bool done;

	/** TRUE if a match with no identities was asked for */
	bool any;
} key_enumerator_t;

METHOD(enumerator_t, key_enumerate, bool,
	key_enumerator_t *this, va_list args)
{
	id_match_t *me, *other;
	shared_key_t **key;

	VA_ARGS_VGET(args, key, me, other);
	/* wrapping enumerators call venumerate() directly */
	if (this->done)
	{
		return FALSE;
	}
	this->done = TRUE;
	*key = this->key;
	if (me)
	{
		*me = this->any ? ID_MATCH_ANY : ID_MATCH_PERFECT;
	}
	if (other)
	{
		*other = ID_MATCH_ANY;
	}
	/* the caller takes a reference; ours goes when the enumerator does */
	return TRUE;
}

METHOD(enumerator_t, key_enumerator_destroy, void,
	key_enumerator_t *this)
{
	DESTROY_IF(this->key);
	free(this);
}

/**
 * Enumerator yielding a key (its reference is consumed), or none
 */
static enumerator_t *key_enumerator_create(shared_key_t *key, bool any)
{
	key_enumerator_t *this;

	if (!key)
	{
		return enumerator_create_empty();
	}
	INIT(this,
		.public = {
			.enumerate = enumerator_enumerate_default,
			.venumerate = _key_enumerate,
			.destroy = _key_enumerator_destroy,
		},
		.key = key,
		.any = any,
	);
	return &this->public;
}

/**
 * Turn a reservation into a PPK and hand the reservation to the table
 */
static shared_key_t *use_key(private_qkd_creds_t *this, ike_sa_t *ike_sa,
							 qkd_key_t *key, char *stream, bool initiator)
{
	chunk_t material = key->take_material(key);

	this->keys->add(this->keys, ike_sa, key, stream, initiator);
	return shared_key_create(SHARED_PPK, material);
}

/**
 * Reserve a key for an IKE_SA: the next local-owned key of the peer's
 * stream if we initiate (id NULL), else the peer-owned key the peer named,
 * in its stream only
 */
static shared_key_t *reserve(private_qkd_creds_t *this, ike_sa_t *ike_sa,
							 u_char *id)
{
	char *stream, ppk_id[QKD_PPK_ID_LEN + 1], uuid[QKD_KEYID_STR_SIZE];
	shared_key_t *ppk = NULL;
	qkd_key_t *key;

	stream = qkd_streams_for_sa(ike_sa);
	if (!stream)
	{
		return NULL;
	}
	if (id)
	{
		key = this->source->reserve_id(this->source, stream,
									   chunk_create(id, QKD_KEY_ID_LEN));
	}
	else
	{
		key = this->source->reserve_next(this->source, stream);
	}
	if (!key && id)
	{
		DBG1(DBG_CFG, "qkd: refusing PPK_ID '%s' from '%Y'",
			 qkd_ppk_id_format(chunk_create(id, QKD_KEY_ID_LEN), ppk_id),
			 ike_sa->get_other_id(ike_sa));
	}
	else if (!key)
	{
		DBG1(DBG_CFG, "qkd: no QKD key for IKE_SA %s[%u], failing closed",
			 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
	}
	else
	{
		DBG2(DBG_CFG, "qkd: %s QKD key %s of stream '%s' as PPK",
			 id ? "peer uses" : "using",
			 qkd_keyid_format(key->get_id(key).ptr, uuid), stream);
		ppk = use_key(this, ike_sa, key, stream, !id);
	}
	free(stream);
	return ppk;
}

/**
 * Look up the PPK for a PPK_ID on the current IKE_SA
 */
static shared_key_t *lookup(private_qkd_creds_t *this, identification_t *me)
{
	chunk_t enc = me->get_encoding(me);
	u_char id[QKD_KEY_ID_LEN];
	ike_sa_t *ike_sa;
	bool marker;

	marker = chunk_equals(enc, chunk_from_str(QKD_PPK_ID_MARKER));
	if (!marker && !qkd_ppk_id_parse(enc, id))
	{
		return NULL;
	}
	ike_sa = charon->bus->get_sa(charon->bus);
	if (!ike_sa)
	{
		return NULL;
	}
	if (ike_sa->get_id(ike_sa)->is_initiator(ike_sa->get_id(ike_sa)))
	{
		/* we only ever offer keys we picked ourselves; a static "qkd:<id>"
		 * PPK of another credential set is none of our business */
		if (!marker || !qkd_ppk_id_initiator(ike_sa))
		{
			return NULL;
		}
		return reserve(this, ike_sa, NULL);
	}
	if (marker)
	{
		DBG1(DBG_CFG, "qkd: peer sent the PPK_ID marker '%Y' instead of a "
			 "key ID, refusing", me);
		return NULL;
	}
	return reserve(this, ike_sa, id);
}

METHOD(credential_set_t, create_shared_enumerator, enumerator_t*,
	private_qkd_creds_t *this, shared_key_type_t type,
	identification_t *me, identification_t *other)
{
	if (type != SHARED_PPK)
	{
		return enumerator_create_empty();
	}
	if (!me && !other)
	{
		return key_enumerator_create(
					this->placeholder->get_ref(this->placeholder), TRUE);
	}
	if (!me)
	{
		return enumerator_create_empty();
	}
	return key_enumerator_create(lookup(this, me), FALSE);
}

METHOD(qkd_creds_t, destroy, void,
	private_qkd_creds_t *this)
{
	this->placeholder->destroy(this->placeholder);
	free(this);
}

/*
 * Described in header
 */
qkd_creds_t *qkd_creds_create(qkd_source_t *source, qkd_sa_keys_t *keys)
{
	private_qkd_creds_t *this;
	chunk_t random;
	rng_t *rng;

	rng = lib->crypto->create_rng(lib->crypto, RNG_WEAK);
	if (!rng)
	{
		return NULL;
	}
	if (!rng->allocate_bytes(rng, 32, &random))
	{
		rng->destroy(rng);
		return NULL;
	}
	rng->destroy(rng);

	INIT(this,
		.public = {
			.set = {
				.create_shared_enumerator = _create_shared_enumerator,
				.create_private_enumerator = (void*)return_null,
				.create_cert_enumerator = (void*)return_null,
				.create_cdp_enumerator = (void*)return_null,
				.cache_cert = (void*)nop,
			},
			.destroy = _destroy,
		},
		.source = source,
		.keys = keys,
		.placeholder = shared_key_create(SHARED_PPK, random),
	);
	return &this->public;
}
