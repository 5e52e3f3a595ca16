/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One synchronous netlink request on libmnl, for any family: send a
 * message, then read until its ACK (or NLMSG_DONE for a dump), passing each
 * data message to a callback. The qkdpool client (genl.c) and qkd-macsecd
 * (the kernel's macsec family and rtnetlink) share it.
 */
#ifndef QKD_NLREQ_H
#define QKD_NLREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <libmnl/libmnl.h>

struct qkd_nlreq {
	/* Each data message; return MNL_CB_*, setting errno on ERROR. */
	mnl_cb_t cb;
	void *data;
	void *buf;		/* receive buffer (32 KiB fits any dump skb) */
	size_t size;
	bool wipe;		/* wipe buf after each read: replies hold keys */
	char *extack;		/* the kernel's explanation of an error, or "" */
	size_t extack_size;
	bool intr;		/* out: a dump message had NLM_F_DUMP_INTR */
};

/*
 * Send nlh (the caller sets its sequence number and flags; nlh may live in
 * r->buf) on nl and read its replies. Returns 0, or -errno: the error ACK's,
 * the callback's, or the socket's. Reads interrupted by a signal resume.
 */
int qkd_nl_request(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		   struct qkd_nlreq *r);

#endif /* QKD_NLREQ_H */
