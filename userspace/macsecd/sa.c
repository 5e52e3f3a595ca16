// SPDX-License-Identifier: GPL-2.0
/*
 * The SAs of one generation. Both directions of a generation use the same
 * AN and the same SAK: that is safe because the GCM nonce includes the
 * transmitter's SCI (non-XPN) or its SSCI (XPN: leader 1, follower 2), so
 * the two directions never share a nonce.
 */
#include <errno.h>
#include <string.h>

#include "kdf.h"
#include "keyid.h"
#include "log.h"
#include "sa.h"
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

void sa_remove_an(struct iface *ifc, uint8_t an)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);

	if (an != ifc->tx_an && ifc->dev.tx[an].present)
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
	if (sc && sc->sa[an].present)
		msec_rxsa_del(&ifc->k->msec, ifc->ifindex, ifc->peer_sci, an);
	ifc->dev.tx[an].present = false;
	ifc->retiring[an].pending = false;
	if (ifc->tx_old_an == an)
		ifc->tx_old_an = -1;
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

/*
 * Activate the new TX SA and select it. The old one goes a grace period
 * later (sa_retire): a frame on another CPU may have read the old encoding
 * AN just before the switch and be about to take that SA; deactivated or
 * deleted under it, the frame would be dropped (tx_dropped).
 */
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
	if (old >= 0 && old != an) {
		ifc->tx_old_an = old;
		ifc->tx_old_retire_ms = now_ms() + ifc->cfg.grace_ms;
	}
	log_info("%s: transmitting on AN %u, key %s", ifc->cfg.name, an,
		 qkd_keyid_format(keyid, id));
	return 0;
}

int sa_block_tx(struct iface *ifc)
{
	return msec_txsa_set_active(&ifc->k->msec, ifc->ifindex, ifc->tx_an,
				    false);
}

/*
 * Retirement. An old RX SA may still receive: frames the peer encrypted
 * before it switched wait in its qdisc, on the wire, or in a backlog queue
 * that only a softirq or ksoftirqd drains. On a loaded machine that wait
 * is unbounded: deleting the SA a fixed grace period after the switch
 * (what this daemon did) lost such frames, counted as InPktsNotUsingSA by
 * the receiver (an encrypted frame for an AN with no RX SA). So an old SA
 * goes only on evidence that the peer's frames for it have arrived:
 *
 *   - the peer has left it: marked when a message or frames on the new SA
 *     prove the peer transmits there, never when we switch ourselves;
 *   - it has drained: it received nothing for a grace period, counted from
 *     its last frame (a straggler restarts the count), AND frames arrived
 *     on the peer's new SA after that last frame, so the receive path ran
 *     since: a stalled path stalls the retirement with it.
 *
 * A peer that sends nothing at all gives no such frames; its SA goes after
 * RETIRE_IDLE_GRACES quiet grace periods, with nothing in flight to lose.
 * The leader reuses an AN only once its RX SA there has gone (sa_an_free),
 * so retirement also paces rekeys that come faster than the link drains.
 *
 * TODO: this is evidence, not proof: frames reordered across per-CPU
 * backlogs can still trail a quiet grace period when it is short (one
 * frame in 21000 came back as InPktsNotValid after its AN was reused,
 * grace 50 ms, every vCPU busy). Proof needs the count of frames each
 * TX SA encrypted, sent in the next PREPARE/READY, against the frames
 * the RX SA took; the kernel counts reordered frames only per RX SC
 * (InPktsDelayed), so that needs per-SA Delayed counts first.
 */
#define RETIRE_IDLE_GRACES	3

void sa_retire_mark(struct iface *ifc, uint8_t cur_an, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	if (!sc)
		return;
	for (an = 0; an < MSEC_NUM_AN; an++) {
		struct rx_retiring *r = &ifc->retiring[an];

		if (an == cur_an || !sc->sa[an].present || r->pending)
			continue;
		*r = (struct rx_retiring){
			.pending = true, .cur_an = cur_an,
			.pkts = sc->sa[an].pkts, .pn = sc->sa[an].pn,
			.cur_pkts = sc->sa[cur_an].pkts, .moved_ms = now,
		};
	}
}

/* Whether r's SA has drained, by sc's counters; restarts r on a frame. */
static bool drained(struct iface *ifc, struct rx_retiring *r,
		    const struct msec_rxsc *sc, unsigned int an, uint64_t now)
{
	const struct msec_sa *sa = &sc->sa[an], *cur = &sc->sa[r->cur_an];
	uint64_t quiet = now - r->moved_ms, grace = ifc->cfg.grace_ms;

	if (sa->pkts != r->pkts || sa->pn != r->pn) {
		log_debug("%s: RX SA %u still receiving (%u frames late)",
			  ifc->cfg.name, an, sa->pkts - r->pkts);
		r->pkts = sa->pkts;
		r->pn = sa->pn;
		r->cur_pkts = cur->pkts;
		r->moved_ms = now;
		return false;
	}
	if (cur->pkts != r->cur_pkts)
		return quiet >= grace;
	return quiet >= grace * RETIRE_IDLE_GRACES;
}

void sa_retire(struct iface *ifc, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	if (ifc->tx_old_an >= 0 && now >= ifc->tx_old_retire_ms) {
		if (ifc->tx_old_an != ifc->tx_an)
			msec_txsa_del(&ifc->k->msec, ifc->ifindex, ifc->tx_old_an);
		ifc->tx_old_an = -1;
	}

	for (an = 0; an < MSEC_NUM_AN; an++) {
		struct rx_retiring *r = &ifc->retiring[an];

		if (!r->pending)
			continue;
		/* Back in use (adopted, reinstalled), or gone already. */
		if (!sc || (int)an == ifc->tx_an || !sc->sa[an].present) {
			r->pending = false;
			continue;
		}
		if (!drained(ifc, r, sc, an, now))
			continue;
		r->pending = false;
		msec_rxsa_del(&ifc->k->msec, ifc->ifindex, ifc->peer_sci, an);
		sc->sa[an].present = false;
		log_debug("%s: retired RX SA %u (%u frames)", ifc->cfg.name,
			  an, sc->sa[an].pkts);
	}
}

bool sa_retiring(const struct iface *ifc)
{
	unsigned int an;

	if (ifc->tx_old_an >= 0)
		return true;
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (ifc->retiring[an].pending)
			return true;
	return false;
}

bool sa_an_free(const struct iface *ifc, uint8_t an)
{
	return !ifc->retiring[an].pending;
}
