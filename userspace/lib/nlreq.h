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
	size_t index;		/* qkd_nl_pipeline: the request cb sees */
};

/*
 * Send nlh (the caller sets its sequence number and flags; nlh may live in
 * r->buf) on nl and read its replies. Returns 0, or -errno: the error ACK's,
 * the callback's, or the socket's. Reads interrupted by a signal resume.
 */
int qkd_nl_request(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		   struct qkd_nlreq *r);

/* Bytes of r->buf each reply of a pipeline may take (a reply is < 300). */
#define QKD_NL_PIPE_SLOT	512
/*
 * Requests of one pipeline: their replies (about 1.3 KiB of socket buffer
 * each, truesize) fit the default receive buffer (208 KiB) with room.
 */
#define QKD_NL_PIPE_MAX		64

/*
 * Pipelined requests: the n messages at msgs (len bytes, consecutive
 * sequence numbers from seq) go out in one datagram, which the kernel
 * processes in order; their replies are read with recvmmsg() into slots of
 * QKD_NL_PIPE_SLOT bytes of r->buf (n <= r->size / QKD_NL_PIPE_SLOT,
 * n <= QKD_NL_PIPE_MAX). Each
 * request must draw exactly one reply: data, or an NLMSG_ERROR (ask
 * NLM_F_ACK only of requests that return no data). r->cb sees each data
 * message with r->index set to its request's index. errs[i] gets 0 or
 * -errno for request i: a reply lost to a full socket buffer (ENOBUFS) is
 * an error of its request, never a success. The extack of the first error
 * is kept in r->extack. Returns how many succeeded, or -errno if the
 * datagram could not be sent (then no request was made).
 */
int qkd_nl_pipeline(struct mnl_socket *nl, const void *msgs, size_t len,
		    uint32_t seq, size_t n, struct qkd_nlreq *r, int *errs);

#endif /* QKD_NLREQ_H */
