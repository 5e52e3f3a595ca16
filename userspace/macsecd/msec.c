// SPDX-License-Identifier: GPL-2.0
/* The kernel's "macsec" generic netlink family: see msec.h. */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "msec.h"

/* Room for the largest request: SA config with a 128-byte key. */
#define MSG_SIZE 1024

static struct nlmsghdr *genl_msg(void *buf, uint16_t family, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = MACSEC_GENL_VERSION;
	return nlh;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

int msec_open(struct msec *m)
{
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	ret = nlsock_open(&m->sock, NETLINK_GENERIC);
	if (ret)
		return ret;
	nlh = genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MACSEC_GENL_NAME);
	m->family = 0;
	ret = nlsock_request(&m->sock, nlh, family_cb, &m->family);
	if (!ret && !m->family)
		ret = -ENOENT;
	if (ret)
		nlsock_close(&m->sock);
	return ret;
}

void msec_close(struct msec *m)
{
	nlsock_close(&m->sock);
}

/* The dump gives PNs as u32, or u64 with XPN. */
static uint64_t get_pn(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) == 8 ? mnl_attr_get_u64(a) :
						  mnl_attr_get_u32(a);
}

static void parse_sa_stats(const struct nlattr *nest, struct msec_sa *sa)
{
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_SA_STATS_ATTR_IN_PKTS_OK:
		case MACSEC_SA_STATS_ATTR_OUT_PKTS_PROTECTED:
		case MACSEC_SA_STATS_ATTR_OUT_PKTS_ENCRYPTED:
			sa->pkts += mnl_attr_get_u32(a);
			break;
		}
	}
}

/* One SA of a TXSA_LIST or SA_LIST; filed under its AN. */
static void parse_sa(const struct nlattr *nest, struct msec_sa *sas)
{
	struct msec_sa sa = { .present = true };
	struct nlattr *a;
	int an = -1;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_SA_ATTR_AN:
			an = mnl_attr_get_u8(a);
			break;
		case MACSEC_SA_ATTR_ACTIVE:
			sa.active = mnl_attr_get_u8(a);
			break;
		case MACSEC_SA_ATTR_PN:
			sa.pn = get_pn(a);
			break;
		case MACSEC_SA_ATTR_KEYID:
			if (mnl_attr_get_payload_len(a) == MACSEC_KEYID_LEN)
				memcpy(sa.keyid, mnl_attr_get_payload(a),
				       MACSEC_KEYID_LEN);
			break;
		case MACSEC_SA_ATTR_STATS:
			parse_sa_stats(a, &sa);
			break;
		}
	}
	if (an >= 0 && an < MSEC_NUM_AN)
		sas[an] = sa;
}

static void parse_rxsc_stats(const struct nlattr *nest, struct msec_rxsc *sc)
{
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint64_t v;

		if (mnl_attr_get_payload_len(a) != 8)
			continue;
		v = mnl_attr_get_u64(a);
		switch (mnl_attr_get_type(a)) {
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_OK: sc->in_ok = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_INVALID: sc->invalid = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_LATE: sc->late = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_DELAYED: sc->delayed = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_NOT_VALID: sc->not_valid = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_NOT_USING_SA: sc->not_using_sa = v; break;
		case MACSEC_RXSC_STATS_ATTR_IN_PKTS_UNUSED_SA: sc->unused_sa = v; break;
		}
	}
}

static void parse_rxsc(const struct nlattr *nest, struct msec_dev *dev)
{
	struct msec_rxsc *sc;
	struct nlattr *a, *s;

	if (dev->n_rxsc >= MSEC_RXSC_MAX)
		return;
	sc = &dev->rxsc[dev->n_rxsc++];
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_RXSC_ATTR_SCI:
			sc->sci = mnl_attr_get_u64(a);
			break;
		case MACSEC_RXSC_ATTR_ACTIVE:
			sc->active = mnl_attr_get_u8(a);
			break;
		case MACSEC_RXSC_ATTR_STATS:
			parse_rxsc_stats(a, sc);
			break;
		case MACSEC_RXSC_ATTR_SA_LIST:
			mnl_attr_for_each_nested(s, a) {
				parse_sa(s, sc->sa);
			}
			break;
		}
	}
}

static void parse_secy(const struct nlattr *nest, struct msec_dev *dev)
{
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_SECY_ATTR_SCI:
			dev->sci = mnl_attr_get_u64(a);
			break;
		case MACSEC_SECY_ATTR_ENCODING_SA:
			dev->encoding_sa = mnl_attr_get_u8(a);
			break;
		case MACSEC_SECY_ATTR_CIPHER_SUITE:
			dev->cipher = mnl_attr_get_u64(a);
			break;
		}
	}
	dev->xpn = dev->cipher == MACSEC_CIPHER_ID_GCM_AES_XPN_128 ||
		   dev->cipher == MACSEC_CIPHER_ID_GCM_AES_XPN_256;
}

static void parse_txsc_stats(const struct nlattr *nest, struct msec_dev *dev)
{
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_TXSC_STATS_ATTR_OUT_PKTS_PROTECTED:
		case MACSEC_TXSC_STATS_ATTR_OUT_PKTS_ENCRYPTED:
			dev->out_pkts += mnl_attr_get_u64(a);
			break;
		}
	}
}

struct get_ctx {
	struct msec_dev *dev;
	bool found;
};

/* The dump covers every MACsec device of the netns: keep ours. */
static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *ctx = data;
	struct msec_dev *dev = ctx->dev;
	struct nlattr *a, *s;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == MACSEC_ATTR_IFINDEX &&
		    mnl_attr_get_u32(a) != dev->ifindex)
			return MNL_CB_OK;
	}
	ctx->found = true;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case MACSEC_ATTR_SECY:
			parse_secy(a, dev);
			break;
		case MACSEC_ATTR_TXSA_LIST:
			mnl_attr_for_each_nested(s, a) {
				parse_sa(s, dev->tx);
			}
			break;
		case MACSEC_ATTR_RXSC_LIST:
			mnl_attr_for_each_nested(s, a) {
				parse_rxsc(s, dev);
			}
			break;
		case MACSEC_ATTR_TXSC_STATS:
			parse_txsc_stats(a, dev);
			break;
		}
	}
	return MNL_CB_OK;
}

int msec_get(struct msec *m, uint32_t ifindex, struct msec_dev *dev)
{
	struct get_ctx ctx = { .dev = dev };
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->ifindex = ifindex;
	nlh = genl_msg(buf, m->family, MACSEC_CMD_GET_TXSC);
	nlh->nlmsg_flags = NLM_F_DUMP;
	ret = nlsock_request(&m->sock, nlh, get_cb, &ctx);
	if (!ret && !ctx.found)
		ret = -ENODEV;
	return ret;
}

struct msec_rxsc *msec_dev_rxsc(struct msec_dev *dev, uint64_t sci)
{
	unsigned int i;

	for (i = 0; i < dev->n_rxsc; i++)
		if (dev->rxsc[i].sci == sci)
			return &dev->rxsc[i];
	return NULL;
}

static void put_rxsc(struct nlmsghdr *nlh, uint64_t sci, bool with_active)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, MACSEC_ATTR_RXSC_CONFIG);

	mnl_attr_put_u64(nlh, MACSEC_RXSC_ATTR_SCI, sci);
	if (with_active)
		mnl_attr_put_u8(nlh, MACSEC_RXSC_ATTR_ACTIVE, 1);
	mnl_attr_nest_end(nlh, nest);
}

static void put_sa_cfg(struct nlmsghdr *nlh, const struct msec_sa_cfg *c)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, MACSEC_ATTR_SA_CONFIG);

	mnl_attr_put_u8(nlh, MACSEC_SA_ATTR_AN, c->an);
	mnl_attr_put_u8(nlh, MACSEC_SA_ATTR_ACTIVE, c->active);
	/* Always send a PN on add: kernels before 2022 crashed without. */
	if (c->xpn)
		mnl_attr_put_u64(nlh, MACSEC_SA_ATTR_PN, c->pn);
	else
		mnl_attr_put_u32(nlh, MACSEC_SA_ATTR_PN, (uint32_t)c->pn);
	mnl_attr_put(nlh, MACSEC_SA_ATTR_KEY, c->key_len, c->key);
	mnl_attr_put(nlh, MACSEC_SA_ATTR_KEYID, MACSEC_KEYID_LEN, c->keyid);
	if (c->xpn) {
		mnl_attr_put_u32(nlh, MACSEC_SA_ATTR_SSCI, c->ssci);
		mnl_attr_put(nlh, MACSEC_SA_ATTR_SALT, MACSEC_SALT_LEN, c->salt);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* The request carries the key: wipe it whatever happens. */
static int sa_add(struct msec *m, uint8_t cmd, uint32_t ifindex,
		  const uint64_t *sci, const struct msec_sa_cfg *c)
{
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = genl_msg(buf, m->family, cmd);
	mnl_attr_put_u32(nlh, MACSEC_ATTR_IFINDEX, ifindex);
	if (sci)
		put_rxsc(nlh, *sci, false);
	put_sa_cfg(nlh, c);
	ret = nlsock_request(&m->sock, nlh, NULL, NULL);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int msec_txsa_add(struct msec *m, uint32_t ifindex, const struct msec_sa_cfg *c)
{
	return sa_add(m, MACSEC_CMD_ADD_TXSA, ifindex, NULL, c);
}

int msec_rxsa_add(struct msec *m, uint32_t ifindex, uint64_t sci,
		  const struct msec_sa_cfg *c)
{
	return sa_add(m, MACSEC_CMD_ADD_RXSA, ifindex, &sci, c);
}

/* UPD or DEL of an SA: AN (and ACTIVE for UPD) only. */
static int sa_cmd(struct msec *m, uint8_t cmd, uint32_t ifindex,
		  const uint64_t *sci, uint8_t an, int active)
{
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = genl_msg(buf, m->family, cmd);
	mnl_attr_put_u32(nlh, MACSEC_ATTR_IFINDEX, ifindex);
	if (sci)
		put_rxsc(nlh, *sci, false);
	nest = mnl_attr_nest_start(nlh, MACSEC_ATTR_SA_CONFIG);
	mnl_attr_put_u8(nlh, MACSEC_SA_ATTR_AN, an);
	if (active >= 0)
		mnl_attr_put_u8(nlh, MACSEC_SA_ATTR_ACTIVE, active);
	mnl_attr_nest_end(nlh, nest);
	return nlsock_request(&m->sock, nlh, NULL, NULL);
}

int msec_txsa_set_active(struct msec *m, uint32_t ifindex, uint8_t an,
			 bool active)
{
	return sa_cmd(m, MACSEC_CMD_UPD_TXSA, ifindex, NULL, an, active);
}

int msec_txsa_del(struct msec *m, uint32_t ifindex, uint8_t an)
{
	int ret = sa_cmd(m, MACSEC_CMD_UPD_TXSA, ifindex, NULL, an, 0);

	if (ret)
		return ret;
	return sa_cmd(m, MACSEC_CMD_DEL_TXSA, ifindex, NULL, an, -1);
}

int msec_rxsa_del(struct msec *m, uint32_t ifindex, uint64_t sci, uint8_t an)
{
	int ret = sa_cmd(m, MACSEC_CMD_UPD_RXSA, ifindex, &sci, an, 0);

	if (ret)
		return ret;
	return sa_cmd(m, MACSEC_CMD_DEL_RXSA, ifindex, &sci, an, -1);
}

int msec_rxsc_add(struct msec *m, uint32_t ifindex, uint64_t sci)
{
	char buf[MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;

	nlh = genl_msg(buf, m->family, MACSEC_CMD_ADD_RXSC);
	mnl_attr_put_u32(nlh, MACSEC_ATTR_IFINDEX, ifindex);
	put_rxsc(nlh, sci, true);
	return nlsock_request(&m->sock, nlh, NULL, NULL);
}
