// SPDX-License-Identifier: GPL-2.0
/* One synchronous netlink request on libmnl: see nlreq.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
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

int qkd_nl_request(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		   struct qkd_nlreq *r)
{
	/* Not const: mnl_cb_run2() takes a non-const array. */
	static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb, [NLMSG_DONE] = done_cb,
	};
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
