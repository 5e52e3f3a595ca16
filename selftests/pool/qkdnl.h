/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the qkdpool selftests and benchmark. Well-formed requests go
 * through libqkd (userspace/lib/genl.h); struct qnl_raw builds and sends
 * the messages libqkd refuses to build (malformed ones) and counts the
 * datagrams of a reply, which the tests of the wire format look at.
 */

#ifndef _QKDNL_H
#define _QKDNL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <libmnl/libmnl.h>
#include <linux/qkdpool.h>

#include "genl.h"

struct qnl_raw {
	struct mnl_socket *sk;
	uint16_t family;
	unsigned int seq;
	char errmsg[256];	/* extack message of the last error */
	unsigned int recvs;	/* recv() calls of the last request */
	unsigned int msgs;	/* messages received in the last request */
};

int qnl_raw_open(struct qnl_raw *q);
void qnl_raw_close(struct qnl_raw *q);
struct nlmsghdr *qnl_msg(struct qnl_raw *q, void *buf, uint8_t cmd,
			 uint16_t flags);
int qnl_talk(struct qnl_raw *q, struct nlmsghdr *nlh, mnl_cb_t cb,
	     void *arg);

/* libqkd with the tests' conventions: a limit of 0 is not sent. */
int qnl_stream_new(struct qkd_genl *g, const char *name, uint32_t max_keys,
		   uint32_t low_watermark, uint32_t lifetime_ms);
/* 0 once all n keys are added, else -errno. */
int qnl_key_add(struct qkd_genl *g, const char *name,
		const struct qkd_key_record *recs, unsigned int n);
/* The next event: 0, -ETIMEDOUT or -errno. */
int qnl_event(struct qkd_genl *g, int timeout_ms, struct qkd_event *ev);

/* Test keys: the ID encodes (tag, n); the material is derived from it. */
void qkd_make_key(struct qkd_key_record *rec, uint32_t tag, uint32_t n,
		  uint32_t owner, uint32_t len);
bool qkd_key_ok(const struct qkd_key_record *rec);
uint32_t qkd_key_n(const struct qkd_key_record *rec);

int qdev_open(const char *name, int flags);
long qkd_mem_used(void);
/*
 * Namespaces of earlier tests are freed asynchronously, their keys and
 * streams with them: polls (up to 10 s) until mem_used stays the same for
 * 100 ms, and returns it.
 */
long qkd_mem_settled(void);
/* Module parameters: set (0 or -1) and read (-1 on error). */
int qkd_param_set(const char *name, const char *val);
long qkd_param_get(const char *name);
/*
 * For a forked child: as nobody, in a new user and network namespace, fill
 * that namespace's pool (keys tagged @tag) until -ENOSPC, then write a byte
 * to @ready and wait for one on @done. With @done < 0, add one key only.
 * Returns the child's exit status: 0, 42 if unprivileged user namespaces
 * are off, else the step that failed.
 */
int qkd_userns_fill(int ready, int done, uint32_t tag);
/* A fixture's teardown: close fd (if >= 0), delete the stream, close g. */
void qnl_teardown(struct qkd_genl *g, const char *name, int fd);

#endif /* _QKDNL_H */
