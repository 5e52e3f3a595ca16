/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A netlink socket (libmnl) for synchronous requests: send one message,
 * read until its ACK or the end of its dump. Functions return 0 or -errno;
 * after a failure nlsock_extack() holds the kernel's explanation, if any.
 */
#ifndef MACSECD_NLSOCK_H
#define MACSECD_NLSOCK_H

#include <stdint.h>
#include <libmnl/libmnl.h>

struct nlsock {
	struct mnl_socket *nl;
	uint32_t seq;
	char extack[256];
};

/* One reply message (a dump part or a GET answer); return MNL_CB_*. */
typedef int (*nlsock_cb)(const struct nlmsghdr *nlh, void *data);

int nlsock_open(struct nlsock *s, int bus);
void nlsock_close(struct nlsock *s);
/* Stamp nlh (seq, NLM_F_REQUEST | NLM_F_ACK) and run it; cb may be NULL. */
int nlsock_request(struct nlsock *s, struct nlmsghdr *nlh, nlsock_cb cb,
		   void *data);
const char *nlsock_extack(const struct nlsock *s);

#endif /* MACSECD_NLSOCK_H */
