/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink (libmnl) and device helpers for the qkdpool
 * selftests and benchmark, so they depend on nothing but the UAPI header.
 */

#ifndef _QKDNL_H
#define _QKDNL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <libmnl/libmnl.h>
#include <linux/qkdpool.h>

struct qnl {
	struct mnl_socket *sk;
	uint16_t family;
	uint32_t events_group;
	uint32_t portid;
	unsigned int seq;
	char errmsg[256];	/* extack message of the last error */
	unsigned int recvs;	/* recv() calls of the last request */
	unsigned int msgs;	/* messages received in the last request */
};

struct qnl_info {
	char name[QKD_STREAM_NAME_MAX];
	uint32_t max_keys, low_watermark, lifetime_ms;
	uint32_t avail_local, avail_peer, reserved;
	uint64_t added, taken, expired, rejected;
};

struct qnl_event {
	uint8_t cmd;
	char name[QKD_STREAM_NAME_MAX];
	uint32_t count, avail_local, avail_peer, low_watermark;
};

typedef void (*qnl_stream_fn)(const struct qnl_info *info, void *arg);

int qnl_open(struct qnl *q);
void qnl_close(struct qnl *q);
struct nlmsghdr *qnl_msg(struct qnl *q, void *buf, uint8_t cmd,
			 uint16_t flags);
int qnl_talk(struct qnl *q, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg);

int qnl_stream_new(struct qnl *q, const char *name, uint32_t max_keys,
		   uint32_t low_watermark, uint32_t lifetime_ms);
int qnl_stream_del(struct qnl *q, const char *name);
int qnl_stream_get(struct qnl *q, const char *name, struct qnl_info *info);
int qnl_stream_dump(struct qnl *q, qnl_stream_fn fn, void *arg);
int qnl_key_add(struct qnl *q, const char *name,
		const struct qkd_key_record *recs, unsigned int n);
int qnl_take(struct qnl *q, const char *name, const uint8_t *id,
	     struct qkd_key_record *out);
int qnl_reserve(struct qnl *q, const char *name, const uint8_t *id,
		uint32_t timeout_ms, struct qkd_key_record *out);
int qnl_finish(struct qnl *q, const char *name, const uint8_t *id,
	       bool commit);
int qnl_flush(struct qnl *q, const char *name, uint32_t flags,
	      uint32_t *count);
int qnl_subscribe(struct qnl *q);
int qnl_event(struct qnl *q, int timeout_ms, struct qnl_event *ev);

/* Test keys: the ID encodes (tag, n); the material is derived from it. */
void qkd_make_key(struct qkd_key_record *rec, uint32_t tag, uint32_t n,
		  uint32_t owner, uint32_t len);
bool qkd_key_ok(const struct qkd_key_record *rec);
uint32_t qkd_key_n(const struct qkd_key_record *rec);

int qdev_open(const char *name, int flags);
long qkd_mem_used(void);

#endif /* _QKDNL_H */
