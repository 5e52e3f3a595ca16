// SPDX-License-Identifier: GPL-2.0
/* Synchronous netlink requests (libqkd's qkd_nl_request): see nlsock.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>

#include "nlreq.h"
#include "nlsock.h"

#define RECV_SIZE 32768

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

int nlsock_request(struct nlsock *s, struct nlmsghdr *nlh, nlsock_cb cb,
		   void *data)
{
	char buf[RECV_SIZE];
	/* An error ACK may echo the request, which can carry a key. */
	struct qkd_nlreq r = {
		.cb = cb, .data = data, .buf = buf, .size = sizeof(buf),
		.wipe = true, .extack = s->extack,
		.extack_size = sizeof(s->extack),
	};

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	return qkd_nl_request(s->nl, nlh, &r);
}
