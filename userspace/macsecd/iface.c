// SPDX-License-Identifier: GPL-2.0
/*
 * One keyed MACsec interface: bring-up (create or adopt the device),
 * adoption of the SAs a previous run left in the kernel, and the kernel's
 * state as last read. The lowest layer of the daemon's own: it calls only
 * the kernel, the pool and the control channel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>

#include "iface.h"
#include "keyid.h"
#include "log.h"
#include "secmem.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t now_us_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int iface_refresh(struct iface *ifc)
{
	int ret = msec_get(&ifc->k->msec, ifc->ifindex, &ifc->dev);

	if (ret)
		log_err("%s: cannot read the MACsec state: %s", ifc->cfg.name,
			strerror(-ret));
	return ret;
}

static int create_device(struct iface *ifc)
{
	struct link_params p = {
		.name = ifc->cfg.name, .port = 1, .cipher = ifc->cfg.cipher,
		.encrypt = ifc->cfg.encrypt,
	};
	int ret;

	p.parent = if_nametoindex(ifc->cfg.device);
	if (!p.parent) {
		log_err("%s: no device %s to create it on", ifc->cfg.name,
			ifc->cfg.device);
		return -ENODEV;
	}
	ret = link_create(&ifc->k->rtnl, &p);
	if (ret) {
		log_err("%s: cannot create the MACsec device: %s %s",
			ifc->cfg.name, strerror(-ret),
			nlsock_extack(&ifc->k->rtnl));
		return ret;
	}
	ifc->ifindex = if_nametoindex(ifc->cfg.name);
	if (!ifc->ifindex)
		return -ENODEV;
	log_notice("%s: created on %s", ifc->cfg.name, ifc->cfg.device);
	return link_set_up(&ifc->k->rtnl, ifc->ifindex);
}

static int find_device(struct iface *ifc)
{
	int ret;

	ifc->ifindex = if_nametoindex(ifc->cfg.name);
	if (!ifc->ifindex) {
		if (!*ifc->cfg.device) {
			log_err("%s: no such device (set \"device\" to create it)",
				ifc->cfg.name);
			return -ENODEV;
		}
		ret = create_device(ifc);
		if (ret)
			return ret;
	}
	if (!ifc->k->msec.family) {
		ret = msec_open(&ifc->k->msec);
		if (ret) {
			log_err("macsec generic netlink family: %s", strerror(-ret));
			return ret;
		}
	}
	return iface_refresh(ifc);
}

/* The device's cipher wins over the configuration: it is what the kernel
 * will check our keys against. */
static void adopt_cipher(struct iface *ifc)
{
	static const uint64_t big[] = { MACSEC_CIPHER_ID_GCM_AES_256,
					MACSEC_CIPHER_ID_GCM_AES_XPN_256 };
	uint64_t c = ifc->dev.cipher;

	if (c == MACSEC_DEFAULT_CIPHER_ID)
		c = MACSEC_CIPHER_ID_GCM_AES_128;
	if (c == ifc->cfg.cipher)
		return;
	log_warn("%s: the device's cipher suite differs from the configuration's: using the device's",
		 ifc->cfg.name);
	ifc->cfg.cipher = c;
	ifc->cfg.sak_len = (c == big[0] || c == big[1]) ? 32 : 16;
	ifc->cfg.xpn = ifc->dev.xpn;
}

/*
 * Restart safety: keep the encoding SA and every RX SA, so the link keeps
 * running; drop inactive TX SAs that are not encoding (a half-done
 * generation never transmitted with them), and seal an active one (the
 * one replaced last, which the peer waits for). The leader then starts a
 * fresh generation at once, which supersedes anything half done.
 */
static void adopt(struct iface *ifc)
{
	struct msec_dev *d = &ifc->dev;
	char id[QKD_KEYID_STR_SIZE];
	unsigned int an;

	ifc->tx_an = -1;
	ifc->tx_old_an = -1;
	ifc->peer_tx_an = -1;
	if (d->tx[d->encoding_sa].present && d->tx[d->encoding_sa].active) {
		ifc->tx_an = d->encoding_sa;
		memcpy(ifc->tx_keyid, d->tx[d->encoding_sa].keyid, 16);
		ifc->tx_since_ms = now_ms();
		log_notice("%s: adopted encoding SA %u (key %s, next PN %llu)",
			   ifc->cfg.name, ifc->tx_an,
			   qkd_keyid_format(ifc->tx_keyid, id),
			   (unsigned long long)d->tx[ifc->tx_an].pn);
	}
	for (an = 0; an < MSEC_NUM_AN; an++) {
		if (!d->tx[an].present || (int)an == ifc->tx_an)
			continue;
		/* Replaced, not sealed yet: the peer waits for its seal. */
		if (d->tx[an].active && ifc->tx_old_an < 0) {
			ifc->tx_old_an = an;
			ifc->tx_old_retire_ms = now_ms();
			continue;
		}
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
	}
	if (d->n_rxsc == 1) {
		ifc->peer_sci = d->rxsc[0].sci;
		ifc->bad_frames = d->rxsc[0].not_valid + d->rxsc[0].invalid;
	}
	ifc->my_sci = d->sci;
	ifc->rekey_now = true;
}

int iface_open(struct iface *ifc, const struct iface_cfg *cfg, struct kernel *k)
{
	int ret;

	memset(ifc, 0, sizeof(*ifc));
	ifc->cfg = *cfg;
	ifc->k = k;
	ifc->ctrl.fd = -1;
	pace_init(&ifc->pace, cfg->key_reserve);
	ifc->p_key = calloc(1, sizeof(*ifc->p_key));
	if (!ifc->p_key)
		return -ENOMEM;
	ret = find_device(ifc);
	if (ret)
		return ret;
	adopt_cipher(ifc);
	ret = qkd_pool_open(cfg->stream, true, &ifc->pool);
	if (ret) {
		log_err("%s: cannot open stream %s of %s: %s", cfg->name,
			cfg->stream, QKD_POOL_DEVICE, strerror(-ret));
		return ret;
	}
	ret = ctrl_open(&ifc->ctrl, cfg->local, cfg->peer, cfg->key_file);
	if (ret) {
		log_err("%s: control channel %s -> %s: %s", cfg->name,
			cfg->local, cfg->peer, strerror(-ret));
		return ret;
	}
	ifc->leader = cfg->role == ROLE_LEADER ||
		      (cfg->role == ROLE_AUTO &&
		       !ctrl_addr_cmp(cfg->local, cfg->peer));
	adopt(ifc);
	log_notice("%s: keyed from stream %s as %s, control %s -> %s",
		   cfg->name, cfg->stream, ifc->leader ? "leader" : "follower",
		   cfg->local, cfg->peer);
	return 0;
}

void iface_close(struct iface *ifc)
{
	/* The SAs stay: the link keeps running across a restart. */
	ctrl_close(&ifc->ctrl);
	qkd_pool_close(ifc->pool);	/* releases what is still reserved */
	if (ifc->p_key) {
		qkd_key_record_wipe(ifc->p_key);
		free(ifc->p_key);
	}
	ifc->p_key = NULL;
	ifc->pool = NULL;
}
