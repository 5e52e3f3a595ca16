// SPDX-License-Identifier: GPL-2.0
/*
 * The SAs of one generation. Both directions of a generation use the same
 * AN and the same SAK: that is safe because the GCM nonce includes the
 * transmitter's SCI (non-XPN) or its SSCI (XPN: leader 1, follower 2), so
 * the two directions never share a nonce.
 */
#include <errno.h>
#include <string.h>

#include "iface.h"
#include "kdf.h"
#include "keyid.h"
#include "log.h"
#include "secmem.h"

#define SSCI_LEADER	1
#define SSCI_FOLLOWER	2

int sa_ensure_rxsc(struct iface *ifc, uint64_t sci)
{
	int ret;

	if (msec_dev_rxsc(&ifc->dev, sci))
		return 0;
	ret = msec_rxsc_add(&ifc->k->msec, ifc->ifindex, sci);
	if (ret && ret != -EEXIST) {
		log_err("%s: cannot add the peer's RX SC: %s %s", ifc->cfg.name,
			strerror(-ret), nlsock_extack(&ifc->k->msec.sock));
		return ret;
	}
	return iface_refresh(ifc);
}

/* Remove whatever an older, abandoned generation left on an. */
void sa_remove_an(struct iface *ifc, uint8_t an)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);

	if (an != ifc->tx_an && ifc->dev.tx[an].present)
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
	if (sc && sc->sa[an].present)
		msec_rxsa_del(&ifc->k->msec, ifc->ifindex, ifc->peer_sci, an);
	ifc->dev.tx[an].present = false;
	ifc->rx_retire_ms[an] = 0;
	if (sc)
		sc->sa[an].present = false;
}

static int add_pair(struct iface *ifc, uint8_t an, const uint8_t *id,
		    const uint8_t *sak, const uint8_t *salt)
{
	struct msec_sa_cfg c = {
		.an = an, .pn = 1, .active = true, .key = sak,
		.key_len = ifc->cfg.sak_len, .keyid = id, .xpn = ifc->cfg.xpn,
		.salt = salt,
	};
	struct msec *m = &ifc->k->msec;
	int ret;

	/* Receive first: the peer may switch as soon as it hears from us. */
	c.ssci = ifc->leader ? SSCI_FOLLOWER : SSCI_LEADER;
	ret = msec_rxsa_add(m, ifc->ifindex, ifc->peer_sci, &c);
	if (ret) {
		log_err("%s: cannot add RX SA %u: %s %s", ifc->cfg.name, an,
			strerror(-ret), nlsock_extack(&m->sock));
		return ret;
	}
	/*
	 * Inactive until the switch: if the device's encoding SA already
	 * pointed at this AN, an active SA would transmit at once, before the
	 * peer can receive it and before the key is committed.
	 */
	c.ssci = ifc->leader ? SSCI_LEADER : SSCI_FOLLOWER;
	c.active = false;
	ret = msec_txsa_add(m, ifc->ifindex, &c);
	if (ret) {
		log_err("%s: cannot add TX SA %u: %s %s", ifc->cfg.name, an,
			strerror(-ret), nlsock_extack(&m->sock));
		msec_rxsa_del(m, ifc->ifindex, ifc->peer_sci, an);
	}
	return ret;
}

int sa_install(struct iface *ifc, uint8_t an, const struct qkd_key_record *key)
{
	uint8_t sak[32], salt[MACSEC_SALT_LEN];
	int ret;

	ret = kdf_sak(key->material, key->material_len, key->id, sak,
		      ifc->cfg.sak_len, salt);
	if (ret)
		return ret;
	ret = iface_refresh(ifc);
	if (!ret)
		ret = sa_ensure_rxsc(ifc, ifc->peer_sci);
	if (!ret) {
		sa_remove_an(ifc, an);
		ret = add_pair(ifc, an, key->id, sak, salt);
	}
	qkd_wipe(sak, sizeof(sak));
	qkd_wipe(salt, sizeof(salt));
	return ret;
}

/* Activate the new TX SA, select it, then drop the old one. */
int sa_switch_tx(struct iface *ifc, uint8_t an, const uint8_t keyid[16])
{
	int old = ifc->tx_an, ret;
	char id[QKD_KEYID_STR_SIZE];

	ret = msec_txsa_set_active(&ifc->k->msec, ifc->ifindex, an, true);
	if (ret) {
		log_err("%s: cannot activate TX SA %u: %s %s", ifc->cfg.name,
			an, strerror(-ret), nlsock_extack(&ifc->k->msec.sock));
		return ret;
	}
	ret = link_set_encoding_sa(&ifc->k->rtnl, ifc->ifindex, an);
	if (ret) {
		log_err("%s: cannot select encoding SA %u: %s %s", ifc->cfg.name,
			an, strerror(-ret), nlsock_extack(&ifc->k->rtnl));
		return ret;
	}
	ifc->tx_an = an;
	memcpy(ifc->tx_keyid, keyid, 16);
	ifc->tx_since_ms = now_ms();
	if (ifc->blocked)
		log_notice("%s: transmitting again on a fresh SA", ifc->cfg.name);
	ifc->blocked = false;
	ifc->warned_lifetime = false;
	if (old >= 0 && old != an)
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, old);
	log_info("%s: transmitting on AN %u, key %s", ifc->cfg.name, an,
		 qkd_keyid_format(keyid, id));
	return 0;
}

/*
 * Old RX SAs are deleted a grace period after the peer is known to
 * transmit on the current AN, so that frames still in flight on an old AN
 * are received. Each AN has its own deadline: with rekeys faster than the
 * grace period, one deadline per link would never expire.
 */
void sa_schedule_retire(struct iface *ifc, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	for (an = 0; an < MSEC_NUM_AN; an++)
		if (sc && sc->sa[an].present && (int)an != ifc->tx_an &&
		    !ifc->rx_retire_ms[an])
			ifc->rx_retire_ms[an] = now + ifc->cfg.grace_ms;
}

void sa_retire(struct iface *ifc, uint64_t now)
{
	unsigned int an;

	for (an = 0; an < MSEC_NUM_AN; an++) {
		if (!ifc->rx_retire_ms[an] || now < ifc->rx_retire_ms[an])
			continue;
		ifc->rx_retire_ms[an] = 0;
		if ((int)an == ifc->tx_an ||
		    (ifc->st != ST_IDLE && an == ifc->p_an))
			continue;
		msec_rxsa_del(&ifc->k->msec, ifc->ifindex, ifc->peer_sci, an);
		log_debug("%s: retired RX SA %u", ifc->cfg.name, an);
	}
}
