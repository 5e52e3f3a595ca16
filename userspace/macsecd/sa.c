// SPDX-License-Identifier: GPL-2.0
/*
 * The SAs of one generation. Both directions of a generation use the same
 * AN and the same SAK: that is safe because the GCM nonce includes the
 * transmitter's SCI (non-XPN) or its SSCI (XPN: leader 1, follower 2), so
 * the two directions never share a nonce.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kdf.h"
#include "keyid.h"
#include "log.h"
#include "sa.h"
#include "secmem.h"

#define SSCI_LEADER	1
#define SSCI_FOLLOWER	2
#define SAFETY_MIN_MS	5000

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

/*
 * Frames below an RX SA's next PN that it did not accept in order: each
 * was accepted out of order (the SC's InPktsDelayed), or is still on its
 * way, or was lost. The most Delayed frames the SA can have had.
 */
static uint64_t out_of_order_max(const struct msec_sa *sa)
{
	return sa->pn > (uint64_t)sa->pkts + 1 ? sa->pn - 1 - sa->pkts : 0;
}

/* Delete an RX SA; its Delayed frames stay in the SC's count (sa_ledger()). */
static void rxsa_del(struct iface *ifc, struct msec_rxsc *sc, uint8_t an)
{
	ifc->rx_gone_delayed += out_of_order_max(&sc->sa[an]);
	msec_rxsa_del(&ifc->k->msec, ifc->ifindex, ifc->peer_sci, an);
	sc->sa[an].present = false;
}

void sa_remove_an(struct iface *ifc, uint8_t an)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);

	if (an != ifc->tx_an && ifc->dev.tx[an].present)
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
	if (sc && sc->sa[an].present)
		rxsa_del(ifc, sc, an);
	ifc->dev.tx[an].present = false;
	ifc->retiring[an].pending = false;
	ifc->seals[an].valid = false;
	ifc->seals[an].pending = false;
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

static int seal_old(struct iface *ifc, uint64_t now);

/*
 * Activate the new TX SA and select it. The old one goes a grace period
 * later (sa_seal_tx): a frame on another CPU may have read the old encoding
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
		/* Rekeyed within a grace: the one before goes now, sealed. */
		if (ifc->tx_old_an >= 0 && ifc->tx_old_an != old &&
		    seal_old(ifc, now_ms()))
			msec_txsa_del(&ifc->k->msec, ifc->ifindex, ifc->tx_old_an);
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
 * Sealing. The old TX SA is kept a grace period after the switch, then
 * sealed: deleted, and its last PN told to the peer (SEALED), which
 * retires its RX SA on that proof (below). Its last PN is final only once
 * no frame can still take one, and the grace alone does not bound that.
 * In drivers/net/macsec.c (Linux 6.1), macsec_encrypt() takes a reference
 * on tx_sc->sa[encoding_sa] and then a PN from it (tx_sa_update_pn), in
 * one ndo_start_xmit call, which the core makes with bottom halves off:
 * an RCU read-side section. Neither deactivating nor deleting the SA stops
 * a frame that holds that reference (macsec_encrypt() does not look at
 * "active"), but an RCU grace period after the switch does: every such
 * section has ended by then. MEMBARRIER_CMD_GLOBAL is synchronize_rcu()
 * (kernel/sched/membarrier.c), which since 4.20 also waits for sections
 * with bottom halves off. Where it fails (nohz_full) the grace period is
 * all there is, and the log says so once.
 */
static void wait_for_senders(struct iface *ifc)
{
	static bool warned;

	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0) == 0 || warned)
		return;
	warned = true;
	log_warn("%s: membarrier: %s: old TX SAs are sealed on the grace period alone",
		 ifc->cfg.name, strerror(errno));
}

/*
 * The safety timeout of a retirement that proof does not end: 10 grace
 * periods, at least SAFETY_MIN_MS, and at least PROOF_WAIT_FACTOR times
 * the longest wait a proof has ended on this link (capped). On a loaded
 * machine the frames behind a proof wait for softirqs that busy tasks
 * delay, for seconds; an SA retired before its last frame came loses that
 * frame once its AN returns with a new key (InPktsNotValid). The waits
 * proofs took say how slow this machine's drain path gets.
 */
#define PROOF_WAIT_FACTOR	4
#define SAFETY_MAX_MS		60000

static uint64_t safety_ms(const struct iface *ifc)
{
	uint64_t t = 10 * (uint64_t)ifc->cfg.grace_ms;
	uint64_t seen = PROOF_WAIT_FACTOR * ifc->proof_wait_max_ms;

	if (t < SAFETY_MIN_MS)
		t = SAFETY_MIN_MS;
	if (t < seen)
		t = seen < SAFETY_MAX_MS ? seen : SAFETY_MAX_MS;
	return t;
}

static void seal(struct iface *ifc, int an, uint64_t now)
{
	const struct msec_sa *sa = &ifc->dev.tx[an];
	struct tx_seal *s = &ifc->seals[an];

	*s = (struct tx_seal){
		.valid = true, .pending = true,
		.last_pn = sa->pn ? sa->pn - 1 : 0,
		.next_ms = now, .until_ms = now + safety_ms(ifc),
	};
	memcpy(s->keyid, sa->keyid, 16);
	log_debug("%s: sealed TX SA %d at PN %llu", ifc->cfg.name, an,
		  (unsigned long long)s->last_pn);
}

static int seal_old(struct iface *ifc, uint64_t now)
{
	int an = ifc->tx_old_an, ret;

	if (an == ifc->tx_an) {
		ifc->tx_old_an = -1;
		return 0;
	}
	wait_for_senders(ifc);
	ret = iface_refresh(ifc);
	if (ret)
		return ret;	/* the PN is unknown: try again */
	if (ifc->dev.tx[an].present) {
		seal(ifc, an, now);
		msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
		ifc->dev.tx[an].present = false;
	}
	ifc->tx_old_an = -1;
	return 0;
}

void sa_seal_tx(struct iface *ifc, uint64_t now)
{
	if (ifc->tx_old_an >= 0 && now >= ifc->tx_old_retire_ms)
		seal_old(ifc, now);
}

void sa_reseal(struct iface *ifc, uint64_t now)
{
	unsigned int an;

	for (an = 0; an < MSEC_NUM_AN; an++) {
		struct tx_seal *s = &ifc->seals[an];

		if (!s->valid)
			continue;
		s->pending = true;
		s->next_ms = now;
		s->until_ms = now + safety_ms(ifc);
	}
}

const struct tx_seal *sa_seal_due(struct iface *ifc, uint8_t an, uint64_t now)
{
	struct tx_seal *s = &ifc->seals[an];

	if (!s->pending || now < s->next_ms)
		return NULL;
	if (now >= s->until_ms) {
		s->pending = false;	/* the peer has timed out by now */
		return NULL;
	}
	s->next_ms = now + ifc->cfg.retransmit_ms;
	return s;
}

/*
 * Retirement. An old RX SA may still receive: frames the peer encrypted
 * before it switched wait in its qdisc, on the wire, or in a backlog queue
 * that only a softirq or ksoftirqd drains. On a loaded machine that wait
 * is unbounded: deleting the SA a fixed grace period after the switch
 * lost such frames (InPktsNotUsingSA at the receiver), so an old SA goes
 * on proof from its packet numbers. The peer's SEALED says the last PN
 * its TX SA used. In macsec_post_decrypt() (drivers/net/macsec.c, Linux
 * 6.1) an RX SA's next PN, which the dump reports, becomes pn + 1 for
 * every frame that passes validation whose pn is not below it (XPN
 * carries into the upper half); frames that fail, or come too late for
 * the replay window, leave it. So next PN > last PN says the peer's last
 * frame has been accepted; InPktsOK of the SA (frames at or above the
 * replay window's low edge) >= last PN says every one was, PNs being
 * 1, 2, ... on a fresh SA; frames reordered behind a higher PN count as
 * InPktsDelayed of the SC instead (the ledger below).
 *
 * If the last frame itself was lost nothing moves next PN past it, so a
 * safety timeout (safety_ms(), counted on the run clock from when the peer
 * left the SA: runclock.h) ends the wait, logged and counted
 * (retire_timeouts). On a wall clock, a VM whose vCPUs the host held back
 * for seconds once timed an SA out while its last frame still waited in
 * a backlog; the frame then failed on the AN reused with a new key.
 * A peer whose HELLO does not offer SEALED (an older daemon) is judged on
 * evidence instead: the peer has left the SA (a message or frames on the
 * new SA say so), the SA received nothing for a grace period counted from
 * its last frame, and frames reached the new SA since (so the receive path
 * ran); a peer that sends nothing gets RETIRE_IDLE_GRACES quiet ones.
 *
 * An AN is reused only once its old RX SA has gone (sa_an_free): the
 * leader picks no other, the follower holds back its READY until then.
 */
#define RETIRE_IDLE_GRACES	3

static void watch(const struct iface *ifc, struct rx_retiring *r,
		  const struct msec_rxsc *sc, unsigned int an, uint8_t cur_an,
		  uint64_t now)
{
	*r = (struct rx_retiring){
		.pending = true, .cur_an = cur_an,
		.pkts = sc->sa[an].pkts, .pn = sc->sa[an].pn,
		.cur_pkts = sc->sa[cur_an].pkts,
		.moved_run_ms = ifc->run.ms, .marked_ms = now,
		.marked_run_ms = ifc->run.ms,
	};
}

void sa_retire_mark(struct iface *ifc, uint8_t cur_an, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	if (!sc)
		return;
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (an != cur_an && sc->sa[an].present &&
		    !ifc->retiring[an].pending)
			watch(ifc, &ifc->retiring[an], sc, an, cur_an, now);
}

void sa_peer_sealed(struct iface *ifc, uint8_t an, const uint8_t keyid[16],
		    uint64_t last_pn, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	struct rx_retiring *r = &ifc->retiring[an];

	ifc->peer_seals = true;
	/* Gone already, replaced by a newer key, or ours to transmit on. */
	if (!sc || !sc->sa[an].present || (int)an == ifc->tx_an ||
	    (int)an == ifc->peer_tx_an ||
	    memcmp(sc->sa[an].keyid, keyid, 16))
		return;
	if (!r->pending)
		watch(ifc, r, sc, an, an, now);
	if (!r->sealed)
		log_debug("%s: peer sealed its SA %u at PN %llu", ifc->cfg.name,
			  an, (unsigned long long)last_pn);
	r->sealed = true;
	r->last_pn = last_pn;
}

/* Evidence (an older peer): whether the SA has drained; restarts on a frame. */
static bool drained(struct iface *ifc, struct rx_retiring *r,
		    const struct msec_rxsc *sc, unsigned int an)
{
	const struct msec_sa *sa = &sc->sa[an], *cur = &sc->sa[r->cur_an];
	uint64_t quiet = ifc->run.ms - r->moved_run_ms;
	uint64_t grace = ifc->cfg.grace_ms;

	if (sa->pkts != r->pkts || sa->pn != r->pn) {
		log_debug("%s: RX SA %u still receiving (%u frames late)",
			  ifc->cfg.name, an, sa->pkts - r->pkts);
		r->pkts = sa->pkts;
		r->pn = sa->pn;
		r->cur_pkts = cur->pkts;
		r->moved_run_ms = ifc->run.ms;
		return false;
	}
	if (cur->pkts != r->cur_pkts)
		return quiet >= grace;
	return quiet >= grace * RETIRE_IDLE_GRACES;
}

/*
 * The frame ledger. Frames reordered behind a higher PN are accepted as
 * InPktsDelayed, which the kernel counts per SC only, so the SC's Delayed
 * count cannot say which SA a frame came on: a Delayed frame of the
 * current SA once covered an old SA's frame still on its way, the old SA
 * was retired, and that frame met its AN reused with a new key
 * (InPktsNotValid, under the debug kernel). What the counters do prove:
 * a dump that finds every RX SA's InPktsOK one below its next PN finds
 * every frame below those PNs accepted in order, none Delayed, none
 * missing (a clean dump, kept in rx_clean_*). From there on, every frame
 * below any SA's next PN that was not accepted in order (out_of_order_max(),
 * of present SAs and of those deleted since) is either Delayed or missing;
 * if the SC's Delayed frames since the clean dump cover all of them, none
 * is missing, on any SA. The kernel reports the SC's counters before the
 * SAs' and an SA's counters before its next PN: a frame between the reads
 * only makes the ledger look shorter.
 */
void sa_ledger(struct iface *ifc)
{
	const struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	if (!sc)
		return;
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (sc->sa[an].present &&
		    sc->sa[an].pn != (uint64_t)sc->sa[an].pkts + 1)
			return;
	ifc->rx_clean_seen = true;
	ifc->rx_clean_sci = sc->sci;
	ifc->rx_clean_delayed = sc->delayed;
	ifc->rx_clean_gone = ifc->rx_gone_delayed;
}

static bool ledger_balances(const struct iface *ifc,
			    const struct msec_rxsc *sc)
{
	uint64_t owed = ifc->rx_gone_delayed - ifc->rx_clean_gone;
	unsigned int an;

	/* An SC made anew (same SCI) counts from 0: no ledger until clean. */
	if (!ifc->rx_clean_seen || ifc->rx_clean_sci != sc->sci ||
	    sc->delayed < ifc->rx_clean_delayed)
		return false;
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (sc->sa[an].present)
			owed += out_of_order_max(&sc->sa[an]);
	return sc->delayed - ifc->rx_clean_delayed >= owed;
}

/*
 * Proof (a sealing peer): whether every frame it sent on the SA is in:
 * the last one is (next PN), and every one came in order, or the ledger
 * says no frame is missing. Otherwise frames are still on their way and
 * only the safety timeout ends the wait.
 */
static bool proven(const struct iface *ifc, const struct rx_retiring *r,
		   const struct msec_sa *sa, const struct msec_rxsc *sc)
{
	if (!r->sealed || sa->pn <= r->last_pn)
		return false;
	return sa->pkts >= r->last_pn || ledger_balances(ifc, sc);
}

static bool may_retire(struct iface *ifc, struct rx_retiring *r,
		       const struct msec_rxsc *sc, unsigned int an,
		       uint64_t now)
{
	if (!ifc->peer_seals && !r->sealed)
		return drained(ifc, r, sc, an);
	if (proven(ifc, r, &sc->sa[an], sc)) {
		if (sc->sa[an].pkts < r->last_pn)
			log_debug("%s: RX SA %u: %llu frames out of order, all in by the ledger",
				  ifc->cfg.name, an,
				  (unsigned long long)(r->last_pn - sc->sa[an].pkts));
		if (now - r->marked_ms > ifc->proof_wait_max_ms)
			ifc->proof_wait_max_ms = now - r->marked_ms;
		return true;
	}
	if (ifc->run.ms - r->marked_run_ms < safety_ms(ifc))
		return false;
	ifc->retire_timeouts++;
	log_warn("%s: RX SA %u RETIRED WITHOUT PROOF after %llu ms (%llu ms running): %s (next PN %llu, %u frames)",
		 ifc->cfg.name, an, (unsigned long long)(now - r->marked_ms),
		 (unsigned long long)(ifc->run.ms - r->marked_run_ms),
		 r->sealed ? "the peer's last frame never came" :
			     "no SEALED from the peer",
		 (unsigned long long)sc->sa[an].pn, sc->sa[an].pkts);
	return true;
}

void sa_retire(struct iface *ifc, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	unsigned int an;

	for (an = 0; an < MSEC_NUM_AN; an++) {
		struct rx_retiring *r = &ifc->retiring[an];

		if (!r->pending)
			continue;
		/* Back in use (adopted, reinstalled), or gone already. */
		if (!sc || (int)an == ifc->tx_an || !sc->sa[an].present) {
			r->pending = false;
			continue;
		}
		if (!may_retire(ifc, r, sc, an, now))
			continue;
		r->pending = false;
		rxsa_del(ifc, sc, an);
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
	return !ifc->retiring[an].pending && ifc->tx_old_an != an;
}
