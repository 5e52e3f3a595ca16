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

#include "qkd_sa_keys.h"
#include <keyid.h>

#include <daemon.h>
#include <collections/hashtable.h>
#include <threading/mutex.h>

typedef struct private_qkd_sa_keys_t private_qkd_sa_keys_t;

/**
 * Private data of a qkd_sa_keys_t object
 */
struct private_qkd_sa_keys_t {

	/**
	 * Public interface
	 */
	qkd_sa_keys_t public;

	/**
	 * IKE_SA unique ID => entry_t
	 */
	hashtable_t *entries;

	/**
	 * Protects entries; held only for table operations, never for I/O
	 */
	mutex_t *mutex;
};

/**
 * A reserved key and what we know about its use
 */
typedef struct {

	/** Reserved key */
	qkd_key_t *key;

	/** Its stream */
	char *stream;

	/** TRUE for a local-owned key we offer as initiator */
	bool initiator;

	/** TRUE once the key ID was put into an outgoing IKE_AUTH */
	bool sent;
} entry_t;

/**
 * Key of an IKE_SA in the table
 */
static void *sa_key(ike_sa_t *ike_sa)
{
	return (void*)(uintptr_t)ike_sa->get_unique_id(ike_sa);
}

/**
 * Destroy an entry; a key not committed is released by its destructor
 */
static void entry_destroy(entry_t *entry)
{
	entry->key->destroy(entry->key);
	free(entry->stream);
	free(entry);
}

/**
 * Log line for a key, e.g. "key 1234…-… of stream 'gw2'"
 */
static void log_key(ike_sa_t *ike_sa, entry_t *entry, char *what)
{
	char uuid[QKD_KEYID_STR_SIZE];

	DBG1(DBG_IKE, "qkd: %s QKD key %s of stream '%s' (IKE_SA %s[%u])", what,
		 qkd_keyid_format(entry->key->get_id(entry->key).ptr, uuid),
		 entry->stream, ike_sa->get_name(ike_sa),
		 ike_sa->get_unique_id(ike_sa));
}

/**
 * Remove the entry of an IKE_SA from the table
 */
static entry_t *remove_entry(private_qkd_sa_keys_t *this, ike_sa_t *ike_sa)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = this->entries->remove(this->entries, sa_key(ike_sa));
	this->mutex->unlock(this->mutex);
	return entry;
}

METHOD(qkd_sa_keys_t, abort_, void,
	private_qkd_sa_keys_t *this, ike_sa_t *ike_sa)
{
	entry_t *entry;

	entry = remove_entry(this, ike_sa);
	if (!entry)
	{
		return;
	}
	if (entry->initiator && entry->sent)
	{
		/* the peer may have consumed its copy: never offer this ID again */
		entry->key->commit(entry->key);
		log_key(ike_sa, entry, "IKE_SA failed, discarding sent");
	}
	else
	{
		log_key(ike_sa, entry, "IKE_SA failed, releasing");
	}
	entry_destroy(entry);
}

METHOD(qkd_sa_keys_t, add, void,
	private_qkd_sa_keys_t *this, ike_sa_t *ike_sa, qkd_key_t *key,
	char *stream, bool initiator)
{
	entry_t *entry, *old;

	INIT(entry,
		.key = key,
		.stream = strdup(stream),
		.initiator = initiator,
	);
	this->mutex->lock(this->mutex);
	old = this->entries->put(this->entries, sa_key(ike_sa), entry);
	this->mutex->unlock(this->mutex);
	if (old)
	{	/* a restarted IKE_AUTH on the same IKE_SA; finish the old key */
		if (old->initiator && old->sent)
		{
			old->key->commit(old->key);
		}
		entry_destroy(old);
	}
}

METHOD(qkd_sa_keys_t, mark_sent, bool,
	private_qkd_sa_keys_t *this, ike_sa_t *ike_sa, u_char *id)
{
	entry_t *entry;
	bool found = FALSE;

	this->mutex->lock(this->mutex);
	entry = this->entries->get(this->entries, sa_key(ike_sa));
	if (entry && entry->initiator)
	{
		memcpy(id, entry->key->get_id(entry->key).ptr, QKD_KEY_ID_LEN);
		entry->sent = found = TRUE;
	}
	this->mutex->unlock(this->mutex);
	return found;
}

METHOD(qkd_sa_keys_t, has_key, bool,
	private_qkd_sa_keys_t *this, ike_sa_t *ike_sa, bool *sent)
{
	entry_t *entry;

	this->mutex->lock(this->mutex);
	entry = this->entries->get(this->entries, sa_key(ike_sa));
	if (entry && sent)
	{
		*sent = entry->sent;
	}
	this->mutex->unlock(this->mutex);
	return entry != NULL;
}

METHOD(qkd_sa_keys_t, commit, void,
	private_qkd_sa_keys_t *this, ike_sa_t *ike_sa)
{
	entry_t *entry;

	entry = remove_entry(this, ike_sa);
	if (!entry)
	{
		return;
	}
	if (entry->key->commit(entry->key))
	{
		log_key(ike_sa, entry, "IKE_SA established, consumed");
	}
	entry_destroy(entry);
}

METHOD(qkd_sa_keys_t, destroy, void,
	private_qkd_sa_keys_t *this)
{
	enumerator_t *enumerator;
	entry_t *entry;
	void *key;

	enumerator = this->entries->create_enumerator(this->entries);
	while (enumerator->enumerate(enumerator, &key, &entry))
	{
		entry_destroy(entry);
	}
	enumerator->destroy(enumerator);
	this->entries->destroy(this->entries);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qkd_sa_keys_t *qkd_sa_keys_create()
{
	private_qkd_sa_keys_t *this;

	INIT(this,
		.public = {
			.add = _add,
			.mark_sent = _mark_sent,
			.has_key = _has_key,
			.commit = _commit,
			.abort = _abort_,
			.destroy = _destroy,
		},
		.entries = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr,
									8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
