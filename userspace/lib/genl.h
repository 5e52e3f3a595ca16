/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the "qkdpool" generic netlink family (libmnl). Every function
 * returns 0 (or a count) on success and -errno on failure; after a failure
 * the kernel's extended ACK message, if it sent one, is available from
 * qkd_genl_extack() until the next request.
 *
 * Use one handle for requests and another for events: a handle subscribed
 * to the events group receives multicasts between request replies.
 * Replies that carry key material are wiped from the receive buffer once
 * parsed (the kernel does not wipe its copy of them; see the UAPI header).
 */
#ifndef QKD_GENL_H
#define QKD_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

struct qkd_genl;

/* Limits of a stream; has says which fields a request carries. */
enum {
	QKD_LIMIT_MAX_KEYS = 1 << 0,
	QKD_LIMIT_LOW_WATERMARK = 1 << 1,
	QKD_LIMIT_LIFETIME = 1 << 2,
};

struct qkd_stream_limits {
	unsigned int has;
	uint32_t max_keys;
	uint32_t low_watermark;
	uint32_t lifetime_ms;
};

/* One stream as QKD_CMD_STREAM_GET reports it: metadata only. */
struct qkd_stream_stats {
	char name[QKD_STREAM_NAME_MAX];
	uint32_t max_keys;
	uint32_t low_watermark;
	uint32_t lifetime_ms;
	uint32_t avail_local;
	uint32_t avail_peer;
	uint32_t reserved;
	uint64_t added;
	uint64_t taken;
	uint64_t expired;
	uint64_t rejected;
};

/* An event of the "events" multicast group; has says which fields are set. */
enum {
	QKD_EV_LOW_WATERMARK = 1 << 0,
	QKD_EV_AVAIL_LOCAL = 1 << 1,
	QKD_EV_AVAIL_PEER = 1 << 2,
	QKD_EV_COUNT = 1 << 3,
};

struct qkd_event {
	uint8_t cmd;			/* QKD_CMD_EVENT_* */
	unsigned int has;
	char stream[QKD_STREAM_NAME_MAX];
	uint32_t low_watermark;
	uint32_t avail_local;
	uint32_t avail_peer;
	uint32_t count;
};

/* -ENOENT if the family is not registered (module not loaded). */
int qkd_genl_open(struct qkd_genl **out);
void qkd_genl_close(struct qkd_genl *g);
int qkd_genl_fd(const struct qkd_genl *g);
/* The extack message of the last failed request, or "" if none. */
const char *qkd_genl_extack(const struct qkd_genl *g);
/* Requests of command cmd (QKD_CMD_*) this handle has sent (profiling). */
uint64_t qkd_genl_requests(const struct qkd_genl *g, uint8_t cmd);

int qkd_genl_stream_new(struct qkd_genl *g, const char *name,
			const struct qkd_stream_limits *lim);
int qkd_genl_stream_del(struct qkd_genl *g, const char *name);
int qkd_genl_stream_set(struct qkd_genl *g, const char *name,
			const struct qkd_stream_limits *lim);
int qkd_genl_stream_get(struct qkd_genl *g, const char *name,
			struct qkd_stream_stats *st);
/*
 * All streams of the caller's netns into a malloc'ed array (*out, *n; free
 * it with free()). A dump disturbed by concurrent changes is retried.
 */
int qkd_genl_stream_dump(struct qkd_genl *g, struct qkd_stream_stats **out,
			 size_t *n);

/*
 * Add n keys, in order, in as few requests as fit (at most
 * QKD_ADD_BATCH_MAX keys and 64 KiB of keys each: about 860 keys of 32
 * bytes), each request atomic. Returns the number of keys added (n on
 * success); if a request fails after earlier ones succeeded, returns the
 * count added so far and leaves the error in *err (may be NULL); if the
 * first fails, -errno.
 */
int qkd_genl_key_add(struct qkd_genl *g, const char *name,
		     const struct qkd_key_record *recs, size_t n, int *err);
/* Take next local-owned key (id NULL) or the peer-owned key id. */
int qkd_genl_key_take(struct qkd_genl *g, const char *name,
		      const uint8_t *id, struct qkd_key_record *rec);
/*
 * Reserve like take; timeout_ms 0 means the module's default. The
 * reservation is released by the kernel after the timeout (*timeout_ms
 * reports it if not NULL).
 */
int qkd_genl_key_reserve(struct qkd_genl *g, const char *name,
			 const uint8_t *id, uint32_t timeout_ms,
			 struct qkd_key_record *rec, uint32_t *timeout_out);
int qkd_genl_key_commit(struct qkd_genl *g, const char *name,
			const uint8_t id[QKD_KEY_ID_LEN]);
int qkd_genl_key_release(struct qkd_genl *g, const char *name,
			 const uint8_t id[QKD_KEY_ID_LEN]);
/*
 * Pipelined key operations on n keys of one stream: results as n calls of
 * the functions above would give them, one by one in order, but the
 * requests go out QKD_GENL_PIPE_MAX to a datagram and their replies are
 * read with few syscalls (recvmmsg). errs[i] (errs may be NULL) is 0 or
 * the -errno of key i; a reply the socket dropped (its buffer full) is an
 * error of its key (-ENOBUFS), never a success: a take may then have
 * destroyed a key nobody received, a reservation times out, a commit or
 * release may or may not have happened. Each returns the number of keys
 * done, or -errno if no request could be made (bad arguments, socket);
 * then errs holds that error for every key.
 *
 * ids names the keys; NULL for take and reserve means the next n
 * local-owned keys. recs[i] is key i's record (zeroed on its error).
 */
#define QKD_GENL_PIPE_MAX	64

int qkd_genl_keys_take(struct qkd_genl *g, const char *name,
		       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
		       struct qkd_key_record *recs, int *errs);
int qkd_genl_keys_reserve(struct qkd_genl *g, const char *name,
			  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			  uint32_t timeout_ms, struct qkd_key_record *recs,
			  int *errs);
int qkd_genl_keys_commit(struct qkd_genl *g, const char *name,
			 const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			 int *errs);
int qkd_genl_keys_release(struct qkd_genl *g, const char *name,
			  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			  int *errs);

/* flags: QKD_F_LOCAL and/or QKD_F_PEER, 0 = both. Returns keys flushed. */
int qkd_genl_key_flush(struct qkd_genl *g, const char *name, uint32_t flags);

/* Join the "events" multicast group. */
int qkd_genl_subscribe(struct qkd_genl *g);
/*
 * Receive one datagram (blocking) and call cb for each event in it.
 * Returns the number of events, or -errno (-ENOBUFS: events were lost).
 */
int qkd_genl_events_read(struct qkd_genl *g,
			 void (*cb)(const struct qkd_event *ev, void *data),
			 void *data);
/* "stream-new", "stream-del", "low-watermark", "exhausted", "expired". */
const char *qkd_event_name(uint8_t cmd);

#endif /* QKD_GENL_H */
