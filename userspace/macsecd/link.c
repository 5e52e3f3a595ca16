// SPDX-License-Identifier: GPL-2.0
/* rtnetlink for MACsec devices: see link.h. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "link.h"

#define MSG_SIZE 512

static struct nlmsghdr *link_msg(void *buf, uint16_t flags, uint32_t ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int link_create(struct nlsock *rtnl, const struct link_params *p)
{
	struct nlattr *info, *data;
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;

	nlh = link_msg(buf, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, p->name);
	mnl_attr_put_u32(nlh, IFLA_LINK, p->parent);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macsec");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u16(nlh, IFLA_MACSEC_PORT, htons(p->port));
	mnl_attr_put_u64(nlh, IFLA_MACSEC_CIPHER_SUITE, p->cipher);
	mnl_attr_put_u8(nlh, IFLA_MACSEC_ENCRYPT, p->encrypt);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlsock_request(rtnl, nlh, NULL, NULL);
}

int link_set_encoding_sa(struct nlsock *rtnl, uint32_t ifindex, uint8_t an)
{
	struct nlattr *info, *data;
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;

	nlh = link_msg(buf, 0, ifindex);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macsec");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_MACSEC_ENCODING_SA, an);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlsock_request(rtnl, nlh, NULL, NULL);
}

int link_set_up(struct nlsock *rtnl, uint32_t ifindex)
{
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = link_msg(buf, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nlsock_request(rtnl, nlh, NULL, NULL);
}
