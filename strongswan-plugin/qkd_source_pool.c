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
#include "qkd_uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/qkdpool.h>

#include <utils/debug.h>

typedef struct private_qkd_source_t private_qkd_source_t;
typedef struct private_qkd_key_t private_qkd_key_t;

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
 * A key reserved through its own file of /dev/qkdpool.
 *
 * The reservation belongs to the file: if charon dies, the kernel releases
 * it when the file is closed, so a crash never strands a key.
 */
struct private_qkd_key_t {

	/**
	 * Public interface
	 */
	qkd_key_t public;

	/**
	 * File bound to the key's stream, holding the reservation
	 */
	int fd;

	/**
	 * Key ID
	 */
	u_char id[QKD_ID_LEN];

	/**
	 * Key material, until taken
	 */
	chunk_t material;

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
	struct qkd_key_ref ref;
	char uuid[QKD_UUID_STR_LEN + 1];

	memcpy(ref.id, this->id, sizeof(ref.id));
	if (ioctl(this->fd, QKD_IOC_COMMIT, &ref) < 0)
	{
		DBG1(DBG_CFG, "qkd: committing key %s of stream '%s' failed: %s",
			 qkd_uuid_to_string(get_id(this), uuid), this->stream,
			 strerror(errno));
		return FALSE;
	}
	this->committed = TRUE;
	return TRUE;
}

METHOD(qkd_key_t, key_destroy, void,
	private_qkd_key_t *this)
{
	struct qkd_key_ref ref;

	if (!this->committed)
	{
		/* closing the file would release it too; say so explicitly */
		memcpy(ref.id, this->id, sizeof(ref.id));
		ioctl(this->fd, QKD_IOC_RELEASE, &ref);
	}
	close(this->fd);
	chunk_clear(&this->material);
	memwipe(this, sizeof(*this));
	free(this);
}

/**
 * Open a file of the pool device bound to a stream, -1 on error (logged)
 */
static int open_stream(private_qkd_source_t *this, char *stream)
{
	struct qkd_bind bind = {};
	int fd;

	if (strlen(stream) >= sizeof(bind.name))
	{
		DBG1(DBG_CFG, "qkd: stream name '%s' too long", stream);
		return -1;
	}
	strncpy((char*)bind.name, stream, sizeof(bind.name) - 1);

	fd = open(this->device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
	{
		DBG1(DBG_CFG, "qkd: opening %s failed: %s", this->device,
			 strerror(errno));
		return -1;
	}
	if (ioctl(fd, QKD_IOC_BIND, &bind) < 0)
	{
		DBG1(DBG_CFG, "qkd: binding to stream '%s' failed: %s", stream,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * Reserve a key with the given ioctl, NULL on error (errno set)
 */
static qkd_key_t *reserve(private_qkd_source_t *this, char *stream,
						  unsigned long request, u_char *id)
{
	private_qkd_key_t *key;
	struct qkd_key_record rec = {};
	int fd, err;

	fd = open_stream(this, stream);
	if (fd < 0)
	{
		errno = ENODEV;
		return NULL;
	}
	if (id)
	{
		memcpy(rec.id, id, sizeof(rec.id));
	}
	if (ioctl(fd, request, &rec) < 0 || rec.material_len < QKD_KEY_MIN_LEN ||
		rec.material_len > QKD_KEY_MAX_LEN)
	{
		err = errno;
		memwipe(&rec, sizeof(rec));
		close(fd);
		errno = err;
		return NULL;
	}
	INIT(key,
		.public = {
			.get_id = _get_id,
			.take_material = _take_material,
			.commit = _commit,
			.destroy = _key_destroy,
		},
		.fd = fd,
		.material = chunk_clone(chunk_create(rec.material, rec.material_len)),
	);
	memcpy(key->id, rec.id, sizeof(key->id));
	strncpy(key->stream, stream, sizeof(key->stream) - 1);
	memwipe(&rec, sizeof(rec));
	return &key->public;
}

METHOD(qkd_source_t, reserve_next, qkd_key_t*,
	private_qkd_source_t *this, char *stream)
{
	qkd_key_t *key;

	key = reserve(this, stream, QKD_IOC_RESERVE_NEXT, NULL);
	if (!key && errno != ENODEV)
	{
		DBG1(DBG_CFG, "qkd: no key available in stream '%s': %s", stream,
			 errno == EAGAIN ? "pool empty" : strerror(errno));
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
		case ENOENT:
			return "unknown, expired or already used";
		case EACCES:
			return "owned by this node, not by the peer";
		case EBUSY:
			return "in use by another exchange";
		default:
			return strerror(err);
	}
}

METHOD(qkd_source_t, reserve_id, qkd_key_t*,
	private_qkd_source_t *this, char *stream, chunk_t id)
{
	char uuid[QKD_UUID_STR_LEN + 1];
	qkd_key_t *key;

	if (id.len != QKD_ID_LEN)
	{
		return NULL;
	}
	key = reserve(this, stream, QKD_IOC_RESERVE_ID, id.ptr);
	if (!key && errno != ENODEV)
	{
		DBG1(DBG_CFG, "qkd: key %s of stream '%s' refused: %s",
			 qkd_uuid_to_string(id, uuid), stream, id_error(errno));
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
