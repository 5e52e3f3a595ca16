// SPDX-License-Identifier: GPL-2.0
/* Client of /dev/qkdpool: see pool.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pool.h"

struct qkd_pool {
	int fd;
};

int qkd_pool_open(const char *stream, bool nonblock, struct qkd_pool **out)
{
	return qkd_pool_open_at(QKD_POOL_DEVICE, stream, nonblock, out);
}

int qkd_pool_open_at(const char *device, const char *stream, bool nonblock,
		     struct qkd_pool **out)
{
	struct qkd_bind bind = { 0 };
	struct qkd_pool *p;
	size_t len;
	int ret;

	len = stream ? strlen(stream) : 0;
	if (len == 0 || len >= sizeof(bind.name))
		return -EINVAL;
	memcpy(bind.name, stream, len);

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = open(device, O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (p->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (ioctl(p->fd, QKD_IOC_BIND, &bind) < 0) {
		ret = -errno;
		goto err_close;
	}
	*out = p;
	return 0;

err_close:
	close(p->fd);
err_free:
	free(p);
	return ret;
}

void qkd_pool_close(struct qkd_pool *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p);
}

int qkd_pool_fd(const struct qkd_pool *p)
{
	return p->fd;
}

int qkd_pool_take_next(struct qkd_pool *p, struct qkd_key_record *rec)
{
	ssize_t n = read(p->fd, rec, sizeof(*rec));

	if (n < 0)
		return -errno;
	return n == sizeof(*rec) ? 0 : -EIO;
}

/* The key ioctls take the ID in the record they fill. */
static int key_ioctl(struct qkd_pool *p, unsigned long req,
		     const uint8_t *id, struct qkd_key_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (id)
		memcpy(rec->id, id, QKD_KEY_ID_LEN);
	if (ioctl(p->fd, req, rec) < 0) {
		int ret = -errno;

		qkd_key_record_wipe(rec);
		return ret;
	}
	return 0;
}

int qkd_pool_take_id(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN],
		     struct qkd_key_record *rec)
{
	return key_ioctl(p, QKD_IOC_TAKE_ID, id, rec);
}

int qkd_pool_reserve_next(struct qkd_pool *p, struct qkd_key_record *rec)
{
	return key_ioctl(p, QKD_IOC_RESERVE_NEXT, NULL, rec);
}

int qkd_pool_reserve_id(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN],
			struct qkd_key_record *rec)
{
	return key_ioctl(p, QKD_IOC_RESERVE_ID, id, rec);
}

static int ref_ioctl(struct qkd_pool *p, unsigned long req,
		     const uint8_t id[QKD_KEY_ID_LEN])
{
	struct qkd_key_ref ref;

	memcpy(ref.id, id, sizeof(ref.id));
	return ioctl(p->fd, req, &ref) < 0 ? -errno : 0;
}

int qkd_pool_commit(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN])
{
	return ref_ioctl(p, QKD_IOC_COMMIT, id);
}

int qkd_pool_release(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN])
{
	return ref_ioctl(p, QKD_IOC_RELEASE, id);
}

int qkd_pool_info(struct qkd_pool *p, struct qkd_stream_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(p->fd, QKD_IOC_STREAM_INFO, info) < 0 ? -errno : 0;
}

int qkd_pool_add(struct qkd_pool *p, const struct qkd_key_record *recs,
		 size_t n)
{
	ssize_t done;

	if (n == 0)
		return 0;
	if (n > INT_MAX / sizeof(*recs))
		return -EINVAL;
	done = write(p->fd, recs, n * sizeof(*recs));
	if (done < 0)
		return -errno;
	return done / sizeof(*recs);
}

void qkd_key_record_wipe(struct qkd_key_record *rec)
{
	explicit_bzero(rec, sizeof(*rec));
}
