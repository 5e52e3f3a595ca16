// SPDX-License-Identifier: GPL-2.0
/* Synchronous netlink requests on libmnl: see nlsock.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>

#include "nlsock.h"

#define RECV_SIZE 32768

struct req {
	struct nlsock *s;
	nlsock_cb cb;
	void *data;
	int err;
};

int nlsock_open(struct nlsock *s, int bus)
{
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!s->nl)
		return -errno;
	/* Best effort: older kernels give no extended ACK, nothing breaks. */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int ret = -errno;

		mnl_socket_close(s->nl);
		s->nl = NULL;
		return ret;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	return 0;
}

void nlsock_close(struct nlsock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

const char *nlsock_extack(const struct nlsock *s)
{
	return s->extack;
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	struct nlsock *s = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(s->extack, sizeof(s->extack), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct req *r = data;
	unsigned int off = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		r->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	r->err = err->error < 0 ? err->error : -err->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* With NETLINK_CAP_ACK the request is not echoed. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(err->msg);
		mnl_attr_parse(nlh, off, extack_cb, r->s);
	}
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req *r = data;

	return r->cb ? r->cb(nlh, r->data) : MNL_CB_OK;
}

int nlsock_request(struct nlsock *s, struct nlmsghdr *nlh, nlsock_cb cb,
		   void *data)
{
	static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
	};
	struct req r = { .s = s, .cb = cb, .data = data };
	char buf[RECV_SIZE];
	size_t used = 0;
	uint32_t seq;
	ssize_t n;
	int ret;

	s->extack[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq = ++s->seq;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -errno;
			break;
		}
		used = (size_t)n > used ? (size_t)n : used;
		ret = mnl_cb_run2(buf, n, seq, s->portid, data_cb, &r,
				  ctl_cb, NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			break;
	}
	/* An error ACK may echo the request, which can carry a key. */
	explicit_bzero(buf, used);
	if (n < 0)
		return ret;
	if (ret < 0 && !r.err)
		r.err = errno ? -errno : -EPROTO;
	return r.err;
}
