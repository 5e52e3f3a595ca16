// SPDX-License-Identifier: GPL-2.0
/* One synchronous netlink request on libmnl: see nlreq.h. */
#define _GNU_SOURCE	/* recvmmsg() */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "nlreq.h"

/* What the callbacks of one request share. */
struct run {
	struct qkd_nlreq *r;
	int err;
};

static int extack_cb(const struct nlattr *attr, void *data)
{
	struct qkd_nlreq *r = data;

	/* A pipeline keeps its first error's explanation. */
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && !r->extack[0] &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(r->extack, r->extack_size, "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct run *run = data;
	unsigned int off = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		run->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	run->err = err->error < 0 ? err->error : -err->error;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && run->r->extack_size) {
		/* The TLVs follow the echoed request, unless it was capped. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_cb, run->r);
	}
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);
	struct run *run = data;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		run->err = *err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run *run = data;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		run->r->intr = true;
	if (!run->r->cb)
		return MNL_CB_OK;
	errno = 0;
	ret = run->r->cb(nlh, run->r->data);
	if (ret == MNL_CB_ERROR)
		run->err = errno ? -errno : -EPROTO;
	return ret;
}

/* Not const: mnl_cb_run2() takes a non-const array. */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
};

int qkd_nl_request(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		   struct qkd_nlreq *r)
{
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	struct run run = { .r = r };
	int ret = MNL_CB_ERROR;
	ssize_t n;

	if (r->extack_size)
		r->extack[0] = '\0';
	r->intr = false;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, r->buf, r->size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run2(r->buf, n, seq, portid, data_cb, &run,
				  ctl_cbs, NLMSG_MIN_TYPE);
		if (r->wipe)
			explicit_bzero(r->buf, n);
	} while (n < 0 || ret > MNL_CB_STOP);
	if (ret == MNL_CB_STOP)
		return 0;
	if (run.err)
		return run.err;
	return errno ? -errno : -EPROTO;
}

/* A pipeline's state; errs[i] is PENDING until request i's reply is read. */
#define PENDING		1

struct pipe {
	struct qkd_nlreq *r;
	uint32_t seq, portid;
	size_t n, left;
	int *errs;
};

/*
 * One datagram: the one reply of the request its sequence number names.
 * Datagrams of no pending request of ours (a late reply of an earlier
 * request) are skipped.
 */
static void pipe_reply(struct pipe *p, const struct nlmsghdr *nlh,
		       size_t len, bool trunc)
{
	struct run run = { .r = p->r };
	uint32_t i;
	int ret;

	if (len < sizeof(*nlh) || nlh->nlmsg_seq - p->seq >= p->n)
		return;
	i = nlh->nlmsg_seq - p->seq;
	if (p->errs[i] != PENDING)
		return;
	p->left--;
	if (trunc) {
		p->errs[i] = -EMSGSIZE;
		return;
	}
	p->r->index = i;
	ret = mnl_cb_run2(nlh, len, nlh->nlmsg_seq, p->portid, data_cb, &run,
			  ctl_cbs, NLMSG_MIN_TYPE);
	p->errs[i] = ret >= MNL_CB_STOP ? 0 : run.err ? run.err : -EPROTO;
}

/*
 * Read up to p->left datagrams into the slots of r->buf, blocking for the
 * first only (or for none: nowait). Returns the count read, or -errno.
 */
static int pipe_read(struct pipe *p, int fd, bool nowait)
{
	struct mmsghdr mm[QKD_NL_PIPE_MAX];
	struct iovec iov[QKD_NL_PIPE_MAX];
	struct sockaddr_nl sa[QKD_NL_PIPE_MAX];
	uint8_t *slot;
	size_t k;
	int got;

	memset(mm, 0, sizeof(mm[0]) * p->left);
	for (k = 0; k < p->left; k++) {
		iov[k].iov_base = (uint8_t *)p->r->buf + k * QKD_NL_PIPE_SLOT;
		iov[k].iov_len = QKD_NL_PIPE_SLOT;
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
		mm[k].msg_hdr.msg_name = &sa[k];
		mm[k].msg_hdr.msg_namelen = sizeof(sa[k]);
	}
	got = recvmmsg(fd, mm, p->left, nowait ? MSG_DONTWAIT : MSG_WAITFORONE,
		       NULL);
	if (got < 0)
		return -errno;
	for (k = 0; k < (size_t)got; k++) {
		slot = iov[k].iov_base;
		/* Only the kernel answers requests (as libmnl checks). */
		if (mm[k].msg_hdr.msg_namelen == sizeof(sa[k]) &&
		    sa[k].nl_pid == 0)
			pipe_reply(p, (const struct nlmsghdr *)slot,
				   mm[k].msg_len,
				   mm[k].msg_hdr.msg_flags & MSG_TRUNC);
		if (p->r->wipe)
			explicit_bzero(slot, QKD_NL_PIPE_SLOT);
	}
	return got;
}

int qkd_nl_pipeline(struct mnl_socket *nl, const void *msgs, size_t len,
		    uint32_t seq, size_t n, struct qkd_nlreq *r, int *errs)
{
	struct pipe p = {
		.r = r, .seq = seq, .portid = mnl_socket_get_portid(nl),
		.n = n, .left = n, .errs = errs,
	};
	bool overrun = false;
	size_t i, done = 0;
	int ret = 0;

	if (!n || n > QKD_NL_PIPE_MAX || n * QKD_NL_PIPE_SLOT > r->size)
		return -EINVAL;
	if (r->extack_size)
		r->extack[0] = '\0';
	for (i = 0; i < n; i++)
		errs[i] = PENDING;
	if (mnl_socket_sendto(nl, msgs, len) < 0)
		return -errno;
	while (p.left) {
		ret = pipe_read(&p, mnl_socket_get_fd(nl), overrun);
		if (ret == -EINTR)
			continue;
		/*
		 * Replies were dropped: read what was queued, without
		 * waiting for what will never come.
		 */
		if (ret == -ENOBUFS && !overrun) {
			overrun = true;
			continue;
		}
		if (ret < 0)
			break;
	}
	for (i = 0; i < n; i++) {
		if (errs[i] == PENDING)
			errs[i] = overrun ? -ENOBUFS : ret < 0 ? ret : -EIO;
		done += !errs[i];
	}
	return done;
}
