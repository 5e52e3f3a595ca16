// SPDX-License-Identifier: GPL-2.0
/*
 * The leader's side of the rekey handshake (see rekey.c): take a key (its
 * own, else one of the follower's), install, check, commit and switch.
 */
#include <errno.h>
#include <string.h>

#include "iface.h"
#include "keyid.h"
#include "log.h"
#include "rekey.h"
#include "secmem.h"

/*
 * The next AN neither end transmits on, and whose previous SA has been out
 * of use for a grace period: a late frame of that SA must not meet the new
 * key. -1 if none is free yet (rekeys faster than the grace period allows).
 */
static int choose_an(const struct iface *ifc, uint64_t now)
{
	int i, an;

	for (i = 1; i <= MSEC_NUM_AN; i++) {
		an = (ifc->tx_an + i + MSEC_NUM_AN) % MSEC_NUM_AN;
		if (an != ifc->tx_an && an != ifc->peer_tx_an &&
		    now >= ifc->an_free_ms[an])
			return an;
	}
	return -1;
}

static void out_of_keys(struct iface *ifc)
{
	if (!ifc->want_key)
		log_err("%s: OUT OF KEYS in stream %s at both ends: keeping AN %d until a key arrives or the SA must end",
			ifc->cfg.name, ifc->cfg.stream, ifc->tx_an);
	ifc->want_key = true;
}

static void keys_again(struct iface *ifc)
{
	if (ifc->want_key)
		log_notice("%s: keys available again in stream %s",
			   ifc->cfg.name, ifc->cfg.stream);
	ifc->want_key = false;
}

enum { KEY_OK, KEY_NONE, KEY_ERR };

static int reserve_next(struct iface *ifc, uint64_t now)
{
	int ret = qkd_pool_reserve_next(ifc->pool, ifc->p_key);

	if (ret == -EAGAIN)
		return KEY_NONE;
	if (ret) {
		log_err("%s: cannot take a key from stream %s: %s",
			ifc->cfg.name, ifc->cfg.stream, strerror(-ret));
		ifc->next_rekey_ms = now + RETRY_MS;
		return KEY_ERR;
	}
	ifc->p_reserved = true;
	if (ifc->p_key->material_len < ifc->cfg.sak_len) {
		log_err("%s: key of %u bytes is too short for the cipher: discarded",
			ifc->cfg.name, ifc->p_key->material_len);
		rekey_drop_key(ifc, true);
		return KEY_ERR;
	}
	return KEY_OK;
}

/* Leader: start generation gen + 1. The follower asks with REKEY. */
void rekey_start(struct iface *ifc, uint64_t now)
{
	struct ctrl_msg m = { .type = CTRL_PREPARE };
	int an;

	if (ifc->st != ST_IDLE || !ifc->peer_synced || !ifc->peer_sci)
		return;
	if (!ifc->leader) {
		if (now - ifc->last_req_ms >= RETRY_MS) {
			m.type = CTRL_REKEY;
			/* Names the SA to replace: the leader drops stale asks. */
			m.generation = ifc->done_gen;
			rekey_send(ifc, &m);
			ifc->last_req_ms = now;
		}
		return;
	}
	an = choose_an(ifc, now);
	if (an < 0)
		return;		/* retried at the next tick */
	/*
	 * Our own (local-owned) keys first; without one, ask the follower
	 * for one of its own, so that a stream whose ownership the key
	 * manager splits between the ends is used up at both.
	 */
	switch (reserve_next(ifc, now)) {
	case KEY_ERR:
		return;
	case KEY_NONE:
		ifc->p_peer_key = true;
		break;
	default:
		ifc->p_peer_key = false;
	}
	ifc->p_gen = ++ifc->gen;
	ifc->p_an = an;
	log_debug("%s: generation %u: %s, SA age %lld ms", ifc->cfg.name,
		  ifc->p_gen, ifc->rekey_now ? "requested" : "due",
		  ifc->tx_an < 0 ? -1LL : (long long)(now - ifc->tx_since_ms));
	ifc->p_started_ms = now;
	ifc->p_started_us = now_us_mono();
	m.generation = ifc->p_gen;
	m.an = ifc->p_an;
	if (ifc->p_peer_key) {
		m.status = CTRL_F_PEER_KEY;
	} else if (sa_install(ifc, ifc->p_an, ifc->p_key)) {
		rekey_drop_key(ifc, false);
		ifc->failures++;
		ifc->next_rekey_ms = now + RETRY_MS;
		return;
	} else {
		keys_again(ifc);
		memcpy(m.keyid, ifc->p_key->id, 16);
		kdf_kcv(ifc->p_key->material, ifc->p_key->material_len,
			m.keyid, m.generation, KDF_ROLE_LEADER, m.kcv);
	}
	if (ifc->demand && !pace_has_surplus(&ifc->pace))
		log_notice("%s: rekey on demand draws on the key reserve (%u keys left, reserve %u)",
			   ifc->cfg.name, ifc->pace.avail, ifc->pace.reserve);
	ifc->p_msg = m;
	ifc->st = ST_PREPARE;
	ifc->rekey_now = false;
	ifc->p_deadline_ms = now + ifc->cfg.handshake_timeout_ms;
	ifc->p_resend_ms = now + ifc->cfg.retransmit_ms;
	rekey_send(ifc, &ifc->p_msg);
}

/* Leader: both ends hold the key and the follower can receive: switch. */
static void leader_switch(struct iface *ifc, uint64_t now)
{
	struct ctrl_msg c = { .type = CTRL_COMMIT };
	int ret;

	ret = qkd_pool_commit(ifc->pool, ifc->p_key->id);
	if (ret)
		log_err("%s: cannot commit key: %s", ifc->cfg.name, strerror(-ret));
	ifc->p_reserved = false;
	qkd_wipe(ifc->p_key->material, sizeof(ifc->p_key->material));
	ifc->p_old_an = ifc->tx_an;
	if (sa_switch_tx(ifc, ifc->p_an, ifc->p_key->id)) {
		rekey_abort(ifc, true, "cannot switch the encoding SA");
		ifc->failures++;
		ifc->next_rekey_ms = now + RETRY_MS;
		return;
	}
	c.generation = ifc->p_gen;
	c.an = ifc->p_an;
	memcpy(c.keyid, ifc->p_key->id, 16);
	ifc->p_msg = c;
	ifc->st = ST_COMMIT;
	ifc->p_resend_ms = now + ifc->cfg.retransmit_ms;
	rekey_send(ifc, &ifc->p_msg);
}

/* Leader: refuse the follower's key (it then drops its SAs and the key). */
static void leader_refuse(struct iface *ifc, const struct ctrl_msg *m,
			  uint8_t status, uint64_t now)
{
	bool discard = status != CTRL_E_KERNEL && status != CTRL_E_BUSY;

	rekey_reply(ifc, CTRL_NAK, status, m);
	if (status == CTRL_E_KCV) {
		ifc->key_mismatches++;
		log_err("%s: KEY MISMATCH: the peer's check value differs (pools hold different material)",
			ifc->cfg.name);
	}
	rekey_abort(ifc, discard, ctrl_status_name(status));
	ifc->failures++;
	ifc->next_rekey_ms = now + RETRY_MS;
}

/* Leader, follower's key: take it by ID, check it, install our SAs. */
static uint8_t leader_take_peer_key(struct iface *ifc, const struct ctrl_msg *m)
{
	int ret = qkd_pool_reserve_id(ifc->pool, m->keyid, ifc->p_key);

	if (ret)
		return ret == -EBUSY ? CTRL_E_BUSY : CTRL_E_KEY_UNKNOWN;
	ifc->p_reserved = true;
	if (ifc->p_key->material_len < ifc->cfg.sak_len)
		return CTRL_E_KEY_SIZE;
	return CTRL_OK;
}

void leader_ready(struct iface *ifc, const struct ctrl_msg *m,
			 uint64_t now)
{
	uint8_t kcv[KDF_KCV_LEN], status;

	if (ifc->st != ST_PREPARE || m->generation != ifc->p_gen)
		return;
	if (ifc->p_peer_key) {
		status = leader_take_peer_key(ifc, m);
		if (status != CTRL_OK) {
			leader_refuse(ifc, m, status, now);
			return;
		}
	} else if (memcmp(m->keyid, ifc->p_key->id, 16)) {
		return;
	}
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, m->keyid,
		m->generation, KDF_ROLE_FOLLOWER, kcv);
	if (!kdf_equal(kcv, m->kcv, sizeof(kcv))) {
		leader_refuse(ifc, m, CTRL_E_KCV, now);
		return;
	}
	if (ifc->p_peer_key && sa_install(ifc, ifc->p_an, ifc->p_key)) {
		leader_refuse(ifc, m, CTRL_E_KERNEL, now);
		return;
	}
	keys_again(ifc);
	leader_switch(ifc, now);
}

/* Leader: the follower transmits on the new AN (DONE, or frames seen). */
void rekey_leader_done(struct iface *ifc, uint64_t now)
{
	char id[QKD_KEYID_STR_SIZE];

	ifc->peer_tx_an = ifc->p_an;
	ifc->st = ST_IDLE;
	ifc->done_gen = ifc->p_gen;
	/* Both ends have left the old AN: its last frames drain meanwhile. */
	if (ifc->p_old_an >= 0 && ifc->p_old_an != ifc->p_an)
		ifc->an_free_ms[ifc->p_old_an] = now + ifc->cfg.grace_ms;
	ifc->rekeys++;
	ifc->last_latency_us = (now_us_mono() - ifc->p_started_us);
	sa_schedule_retire(ifc, now);
	log_info("%s: rekeyed: generation %u, AN %u, key %s, latency_us=%llu",
		 ifc->cfg.name, ifc->p_gen, ifc->p_an,
		 qkd_keyid_format(ifc->p_key->id, id),
		 (unsigned long long)ifc->last_latency_us);
}

void leader_nak(struct iface *ifc, const struct ctrl_msg *m,
		       uint64_t now)
{
	bool discard;

	if (ifc->st != ST_PREPARE || m->generation != ifc->p_gen)
		return;
	if (m->status == CTRL_E_NO_KEY) {
		out_of_keys(ifc);
		ifc->st = ST_IDLE;
		ifc->next_rekey_ms = now + RETRY_MS;
		return;
	}
	log_err("%s: peer refused generation %u: %s", ifc->cfg.name,
		m->generation, ctrl_status_name(m->status));
	if (m->status == CTRL_E_KCV) {
		ifc->key_mismatches++;
		log_err("%s: KEY MISMATCH reported by the peer", ifc->cfg.name);
	}
	/* A key the peer cannot use is useless here too. */
	discard = m->status == CTRL_E_KEY_UNKNOWN || m->status == CTRL_E_KCV ||
		  m->status == CTRL_E_KEY_SIZE;
	rekey_abort(ifc, discard, ctrl_status_name(m->status));
	ifc->failures++;
	ifc->next_rekey_ms = now + RETRY_MS;
}

