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

#include <errno.h>
#include <keyid.h>

#include <utils/debug.h>

typedef struct private_qkd_source_t private_qkd_source_t;

/**
 * Private data of the kernel pool key source
 */
struct private_qkd_source_t {

	/**
	 * Public interface
	 */
	qkd_source_t public;

	/**
	 * Path of the pool device
	 */
	char *device;
};

/**
 * Reserve a key through a file of its own, by ID if id is given; NULL on
 * error, with the reason as -errno in *err (0 if logged here)
 */
static qkd_key_t *reserve(private_qkd_source_t *this, char *stream,
						  u_char *id, int *err)
{
	struct qkd_key_record rec;
	struct qkd_pool *pool;

	*err = qkd_pool_open_at(this->device, stream, FALSE, &pool);
	if (*err)
	{
		DBG1(DBG_CFG, "qkd: opening stream '%s' of %s failed: %s", stream,
			 this->device, strerror(-*err));
		*err = 0;
		return NULL;
	}
	*err = id ? qkd_pool_reserve_id(pool, id, &rec)
			  : qkd_pool_reserve_next(pool, &rec);
	if (!*err && (rec.material_len < QKD_KEY_MIN_LEN ||
				  rec.material_len > QKD_KEY_MAX_LEN))
	{
		qkd_key_record_wipe(&rec);
		*err = -EIO;
	}
	if (*err)
	{
		qkd_pool_close(pool);
		return NULL;
	}
	return qkd_key_create(&rec, pool, stream);
}

METHOD(qkd_source_t, reserve_next, qkd_key_t*,
	private_qkd_source_t *this, char *stream)
{
	qkd_key_t *key;
	int err;

	key = reserve(this, stream, NULL, &err);
	if (err)
	{
		DBG1(DBG_CFG, "qkd: no key available in stream '%s': %s", stream,
			 err == -EAGAIN ? "pool empty" : strerror(-err));
	}
	return key;
}

/**
 * Why a reservation by ID failed, in words
 */
static const char *id_error(int err)
{
	switch (err)
	{
		case -ENOENT:
			return "unknown, expired or already used";
		case -EACCES:
			return "owned by this node, not by the peer";
		case -EBUSY:
			return "in use by another exchange";
		default:
			return strerror(-err);
	}
}

METHOD(qkd_source_t, reserve_id, qkd_key_t*,
	private_qkd_source_t *this, char *stream, chunk_t id)
{
	char uuid[QKD_KEYID_STR_SIZE];
	qkd_key_t *key;
	int err;

	if (id.len != QKD_KEY_ID_LEN)
	{
		return NULL;
	}
	key = reserve(this, stream, id.ptr, &err);
	if (err)
	{
		DBG1(DBG_CFG, "qkd: key %s of stream '%s' refused: %s",
			 qkd_keyid_format(id.ptr, uuid), stream, id_error(err));
	}
	return key;
}

METHOD(qkd_source_t, destroy, void,
	private_qkd_source_t *this)
{
	free(this->device);
	free(this);
}

/*
 * Described in header
 */
qkd_source_t *qkd_source_pool_create(char *device)
{
	private_qkd_source_t *this;

	INIT(this,
		.public = {
			.reserve_next = _reserve_next,
			.reserve_id = _reserve_id,
			.destroy = _destroy,
		},
		.device = strdup(device),
	);
	return &this->public;
}
