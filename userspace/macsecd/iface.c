// SPDX-License-Identifier: GPL-2.0
/*
 * One keyed MACsec interface: bring-up (create or adopt the device),
 * adoption of the SAs a previous run left in the kernel, and the periodic
 * work (triggers, retransmissions, retirement, exhaustion policy).
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

#define HELLO_MS	1000
#define IDLE_REFRESH_MS	250
/* Non-XPN: stop short of the kernel's own wrap, which gives no warning. */
#define PN_HARD_LIMIT	0xffff0000ULL
#define XPN_HARD_LIMIT	0xffffffffffff0000ULL

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
 * running; drop TX SAs that are not encoding (a half-done generation
 * never transmitted with them). The leader then starts a fresh generation
 * at once, which supersedes anything half done.
 */
static void adopt(struct iface *ifc)
{
	struct msec_dev *d = &ifc->dev;
	char id[QKD_KEYID_STR_SIZE];
	unsigned int an;

	ifc->tx_an = -1;
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
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (d->tx[an].present && (int)an != ifc->tx_an)
			msec_txsa_del(&ifc->k->msec, ifc->ifindex, an);
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
	rekey_hello(ifc);
	return 0;
}

void iface_close(struct iface *ifc)
{
	/* The SAs stay: the link keeps running across a restart. */
	if (ifc->st == ST_PREPARE)
		rekey_abort(ifc, false, "shutting down");
	ctrl_close(&ifc->ctrl);
	qkd_pool_close(ifc->pool);	/* releases what is still reserved */
	if (ifc->p_key) {
		qkd_key_record_wipe(ifc->p_key);
		free(ifc->p_key);
	}
	ifc->p_key = NULL;
	ifc->pool = NULL;
}

bool iface_idle(const struct iface *ifc)
{
	unsigned int an;

	if (ifc->st != ST_IDLE || ifc->rekey_now || !ifc->peer_synced)
		return false;
	for (an = 0; an < MSEC_NUM_AN; an++)
		if (ifc->rx_retire_ms[an])
			return false;
	return true;
}

void iface_request_rekey(struct iface *ifc)
{
	ifc->rekey_now = true;
}

/* Frames on the new RX SA prove the peer transmits there. */
static void watch_pending(struct iface *ifc, uint64_t now)
{
	struct msec_rxsc *sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);

	if (!sc || !sc->sa[ifc->p_an].present || !sc->sa[ifc->p_an].pkts)
		return;
	if (ifc->st == ST_PENDING)
		rekey_follower_switch(ifc, now);
	else if (ifc->st == ST_COMMIT)
		rekey_leader_done(ifc, now);
}

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
static bool rekey_due(struct iface *ifc, uint64_t now)
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
static void apply_policy(struct iface *ifc, uint64_t now)
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
	if (msec_txsa_set_active(&ifc->k->msec, ifc->ifindex, ifc->tx_an, false))
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
static void watch_validation(struct iface *ifc)
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

/*
 * The kernel's state comes from a dump of every MACsec device in the netns,
 * the daemon's main cost when idle: read it every tick only while a
 * handshake waits for frames on the new SA or a rekey is asked for, else
 * every IDLE_REFRESH_MS, soon enough for validation failures, the PN
 * threshold (a quarter of the PN space before the end) and the lifetime.
 */
static int observe(struct iface *ifc, uint64_t now)
{
	int ret;

	if (ifc->st == ST_IDLE && !ifc->rekey_now && now < ifc->next_refresh_ms)
		return 0;
	ret = iface_refresh(ifc);
	if (ret)
		return ret;
	ifc->next_refresh_ms = now + IDLE_REFRESH_MS;
	if (ifc->st == ST_PENDING || ifc->st == ST_COMMIT)
		watch_pending(ifc, now);
	watch_validation(ifc);
	if (pace_update(&ifc->pace, ifc->pool, ifc->cfg.rekey_interval_ms, now))
		log_debug("%s: cannot read the stream's counters", ifc->cfg.name);
	return 0;
}

void iface_tick(struct iface *ifc, uint64_t now)
{
	if (observe(ifc, now))
		return;
	rekey_timers(ifc, now);
	sa_retire(ifc, now);
	if (!ifc->peer_synced && now >= ifc->next_hello_ms) {
		rekey_hello(ifc);
		ifc->next_hello_ms = now + HELLO_MS;
	}
	if (ifc->st == ST_IDLE && !ifc->draining && rekey_due(ifc, now))
		rekey_start(ifc, now);
	apply_policy(ifc, now);
}
