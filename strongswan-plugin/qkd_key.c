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

#include "qkd_key.h"

#include <keyid.h>

#include <utils/debug.h>

typedef struct private_qkd_key_t private_qkd_key_t;

/**
 * Private data of a qkd_key_t object
 */
struct private_qkd_key_t {

	/**
	 * Public interface
	 */
	qkd_key_t public;

	/**
	 * The key as delivered; material_len is 0 once the material is taken
	 */
	struct qkd_key_record rec;

	/**
	 * File of /dev/qkdpool holding the reservation, NULL if none
	 */
	struct qkd_pool *pool;

	/**
	 * Stream name, for log lines
	 */
	char stream[QKD_STREAM_NAME_MAX];

	/**
	 * Whether the key was committed
	 */
	bool committed;
};

METHOD(qkd_key_t, get_id, chunk_t,
	private_qkd_key_t *this)
{
	return chunk_create(this->rec.id, sizeof(this->rec.id));
}

METHOD(qkd_key_t, take_material, chunk_t,
	private_qkd_key_t *this)
{
	chunk_t material;

	if (!this->rec.material_len)
	{
		return chunk_empty;
	}
	material = chunk_clone(chunk_create(this->rec.material,
										this->rec.material_len));
	memwipe(this->rec.material, sizeof(this->rec.material));
	this->rec.material_len = 0;
	return material;
}

METHOD(qkd_key_t, commit, bool,
	private_qkd_key_t *this)
{
	char uuid[QKD_KEYID_STR_SIZE];
	int err;

	if (this->pool)
	{
		err = qkd_pool_commit(this->pool, this->rec.id);
		if (err)
		{
			DBG1(DBG_CFG, "qkd: committing key %s of stream '%s' failed: %s",
				 qkd_keyid_format(this->rec.id, uuid), this->stream,
				 strerror(-err));
			return FALSE;
		}
	}
	this->committed = TRUE;
	return TRUE;
}

METHOD(qkd_key_t, destroy, void,
	private_qkd_key_t *this)
{
	if (this->pool && !this->committed)
	{
		/* closing the file would release it too; say so explicitly */
		qkd_pool_release(this->pool, this->rec.id);
	}
	qkd_pool_close(this->pool);
	memwipe(this, sizeof(*this));
	free(this);
}

/*
 * Described in header
 */
qkd_key_t *qkd_key_create(struct qkd_key_record *rec, struct qkd_pool *pool,
						  char *stream)
{
	private_qkd_key_t *this;

	INIT(this,
		.public = {
			.get_id = _get_id,
			.take_material = _take_material,
			.commit = _commit,
			.destroy = _destroy,
		},
		.pool = pool,
	);
	/* not in INIT(): its compound literal would leave a copy on the stack */
	memcpy(&this->rec, rec, sizeof(this->rec));
	strncpy(this->stream, stream, sizeof(this->stream) - 1);
	qkd_key_record_wipe(rec);
	return &this->public;
}
