/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the /dev/qkdpool character device: one struct qkd_pool is one
 * open file bound to one stream of the caller's network namespace. This is
 * how consumers take keys: the module wipes its own buffers, and a
 * reservation made through a file dies with the file, so a crashed consumer
 * strands no key.
 *
 * Every function returns 0 (or a count) on success and -errno on failure;
 * the errors are those of the device (see include/uapi/linux/qkdpool.h).
 * Wipe every record you are handed with qkd_key_record_wipe().
 */
#ifndef QKD_POOL_H
#define QKD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define QKD_POOL_DEVICE "/dev/qkdpool"

struct qkd_pool;

int qkd_pool_open(const char *stream, bool nonblock, struct qkd_pool **out);
/* The same on another path of the device (a configured one, a test's). */
int qkd_pool_open_at(const char *device, const char *stream, bool nonblock,
		     struct qkd_pool **out);
void qkd_pool_close(struct qkd_pool *p);
int qkd_pool_fd(const struct qkd_pool *p);

/*
 * Take the oldest local-owned key. Blocks until one is available unless
 * opened nonblock (then -EAGAIN); -EINTR if a signal whose handler lacks
 * SA_RESTART interrupts the wait (so a daemon can act on SIGTERM); -ENOENT
 * once the stream is deleted. Wait with poll() on qkd_pool_fd() to multiplex.
 */
int qkd_pool_take_next(struct qkd_pool *p, struct qkd_key_record *rec);
/* Take a peer-owned key by ID (-EACCES if local-owned). */
int qkd_pool_take_id(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN],
		     struct qkd_key_record *rec);
/* Tentative takes, held by this file until commit, release or close. */
int qkd_pool_reserve_next(struct qkd_pool *p, struct qkd_key_record *rec);
int qkd_pool_reserve_id(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN],
			struct qkd_key_record *rec);
int qkd_pool_commit(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN]);
int qkd_pool_release(struct qkd_pool *p, const uint8_t id[QKD_KEY_ID_LEN]);

int qkd_pool_info(struct qkd_pool *p, struct qkd_stream_info *info);

/*
 * Add n records (each added atomically, in order). Returns the number added,
 * which is less than n when a record was refused (the caller looks at
 * recs[returned] to find out why by adding it alone), or -errno if the first
 * record was refused.
 */
int qkd_pool_add(struct qkd_pool *p, const struct qkd_key_record *recs,
		 size_t n);

void qkd_key_record_wipe(struct qkd_key_record *rec);

#endif /* QKD_POOL_H */
