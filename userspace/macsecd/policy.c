// SPDX-License-Identifier: GPL-2.0
/*
 * When to rekey (demand, PN threshold, lifetime, the paced clock) and what
 * to do at the end of an SA's life with no key to replace it.
 */
#include "log.h"
#include "policy.h"
#include "sa.h"

/* Non-XPN: stop short of the kernel's own wrap, which gives no warning. */
#define PN_HARD_LIMIT	0xffff0000ULL
#define XPN_HARD_LIMIT	0xffffffffffff0000ULL

/* now may be a loop iteration older than tx_since_ms. */
static uint64_t sa_age(const struct iface *ifc, uint64_t now)
{
	return now > ifc->tx_since_ms ? now - ifc->tx_since_ms : 0;
}

/*
 * Due on demand (no SA yet, operator, PN threshold, three quarters of the
 * SA's maximum lifetime: MKA's margin) or by the clock, which follows the
 * adaptive interval and leaves the key reserve alone (pace.h). The leader
 * keeps the time; the follower asks only once the leader is late.
 * next_rekey_ms only holds back retries after a failed handshake.
 */
bool policy_due(struct iface *ifc, uint64_t now)
{
	uint64_t age, interval, life = ifc->cfg.max_sa_lifetime_ms;
	const struct msec_sa *sa;

	if (ifc->leader && now < ifc->next_rekey_ms)
		return false;
	ifc->demand = true;
	if (ifc->tx_an < 0)
		return ifc->leader;
	sa = &ifc->dev.tx[ifc->tx_an];
	age = sa_age(ifc, now);
	if (ifc->rekey_now || (sa->present && sa->pn >= ifc->cfg.pn_threshold) ||
	    (life && age >= life / 4 * 3))
		return true;
	ifc->demand = false;
	interval = ifc->pace.interval_ms;
	if (interval == PACE_NO_KEYS || !pace_has_surplus(&ifc->pace))
		return false;
	if (!ifc->leader)
		interval += ifc->cfg.handshake_timeout_ms;
	return age >= interval;
}

/* PN exhaustion or maximum SA lifetime with no new key: the policy. */
void policy_exhaustion(struct iface *ifc, uint64_t now)
{
	const struct msec_sa *sa;
	uint64_t age, limit;
	bool end;

	if (ifc->tx_an < 0 || ifc->blocked)
		return;
	sa = &ifc->dev.tx[ifc->tx_an];
	age = sa_age(ifc, now);
	limit = ifc->cfg.xpn ? XPN_HARD_LIMIT : PN_HARD_LIMIT;
	end = (sa->present && sa->pn >= limit) ||
	      (ifc->cfg.max_sa_lifetime_ms && age >= ifc->cfg.max_sa_lifetime_ms);
	if (!end)
		return;
	if (ifc->cfg.policy == POLICY_KEEP) {
		if (!ifc->warned_lifetime)
			log_err("%s: SA on AN %d has reached its end (PN %llu, age %llu ms) and no new key: policy keep, STILL TRANSMITTING",
				ifc->cfg.name, ifc->tx_an,
				(unsigned long long)sa->pn,
				(unsigned long long)age);
		ifc->warned_lifetime = true;
		return;
	}
	if (sa_block_tx(ifc))
		return;
	ifc->blocked = true;
	log_err("%s: SA on AN %d has reached its end (PN %llu, age %llu ms) and no new key: policy block, TRANSMISSION STOPPED",
		ifc->cfg.name, ifc->tx_an, (unsigned long long)sa->pn,
		(unsigned long long)age);
}

/*
 * Frames that fail validation mean the two ends disagree on a key (or an
 * attack): say so, and rekey, which installs a checked key on a fresh AN.
 */
void policy_watch_validation(struct iface *ifc)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	uint64_t bad;

	if (!sc)
		return;
	bad = sc->not_valid + sc->invalid;
	if (bad > ifc->bad_frames) {
		log_err("%s: %llu frames from the peer FAILED VALIDATION (wrong key at one end?): rekeying",
			ifc->cfg.name,
			(unsigned long long)(bad - ifc->bad_frames));
		ifc->rekey_now = true;
	}
	ifc->bad_frames = bad;
}
