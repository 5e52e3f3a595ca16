/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink for MACsec devices: create one, and choose its encoding
 * (transmitting) SA, which the macsec genl family cannot do. Functions
 * return 0 or -errno.
 */
#ifndef MACSECD_LINK_H
#define MACSECD_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "nlsock.h"

struct link_params {
	const char *name;
	uint32_t parent;	/* ifindex of the underlying link */
	uint16_t port;		/* SCI port, 1 usually */
	uint64_t cipher;	/* MACSEC_CIPHER_ID_* */
	bool encrypt;
};

int link_create(struct nlsock *rtnl, const struct link_params *p);
/* Send only IFLA_MACSEC_ENCODING_SA: the kernel refuses it mixed with SCI,
 * port, cipher or ICV length. */
int link_set_encoding_sa(struct nlsock *rtnl, uint32_t ifindex, uint8_t an);
int link_set_up(struct nlsock *rtnl, uint32_t ifindex);

#endif /* MACSECD_LINK_H */
