// SPDX-License-Identifier: GPL-2.0
/*
 * The rekey handshake. One end is the leader (it takes the keys), the
 * other the follower; generation g uses one QKD key K on one AN n for both
 * directions:
 *
 *   leader                                   follower
 *   reserve next local key K
 *   install RX SA n, TX SA n (not encoding)
 *   PREPARE{g, K.id, n, KCV_L} ------------>
 *                                            reserve K by ID (peer-owned)
 *                                            check KCV_L (mismatch: NAK)
 *                                            install RX SA n, TX SA n
 *                            <-------------- READY{g, KCV_F}
 *   check KCV_F, commit K
 *   encode on n, drop old TX SA
 *   COMMIT{g} ------------------------------>
 *                                            commit K, encode on n
 *                            <-------------- DONE{g}
 *   old RX SAs deleted after a grace period, at each end
 *
 * Every receiver has its RX SA before its peer transmits on n: that is
 * what makes the switch hitless. The follower also switches when frames
 * arrive on its RX SA n (the leader is there, COMMIT was lost), the leader
 * takes frames on its RX SA n as a DONE. A key is committed (gone from the
 * pool) before an end transmits with it, so it can never be handed out
 * again; a key only reserved was never transmitted with, so releasing it
 * after a failed handshake is safe. A key whose check values differ, or
 * that the peer does not have, is discarded at both ends.
 *
 * Without a local-owned key, the leader sends its PREPARE with no key ID
 * and CTRL_F_PEER_KEY: the follower reserves one of its own local-owned
 * keys, installs, and names it in READY with its check value; the leader
 * takes it by ID, checks it and installs before it switches. A stream
 * whose ownership the key manager splits is so used up at both ends.
 */
#include <errno.h>
#include <string.h>

#include "iface.h"
#include "keyid.h"
#include "log.h"
#include "rekey.h"
#include "secmem.h"

void rekey_send(struct iface *ifc, struct ctrl_msg *m)
{
	int ret;

	m->sci = ifc->my_sci;
	m->cur_an = ifc->tx_an < 0 ? CTRL_AN_NONE : ifc->tx_an;
	ret = ctrl_send(&ifc->ctrl, m);
	if (ret)
		log_debug("%s: cannot send %s: %s", ifc->cfg.name,
			  ctrl_type_name(m->type), strerror(-ret));
	else
		log_debug("%s: sent %s gen %u an %u", ifc->cfg.name,
			  ctrl_type_name(m->type), m->generation, m->an);
}

void rekey_hello(struct iface *ifc)
{
	struct ctrl_msg m = { .type = CTRL_HELLO };

	rekey_send(ifc, &m);
}

void rekey_reply(struct iface *ifc, uint8_t type, uint8_t status,
		 const struct ctrl_msg *req)
{
	struct ctrl_msg m = { .type = type, .status = status,
			      .generation = req->generation, .an = req->an };

	memcpy(m.keyid, req->keyid, 16);
	rekey_send(ifc, &m);
}

void rekey_drop_key(struct iface *ifc, bool discard)
{
	if (ifc->p_reserved) {
		if (discard)
			qkd_pool_commit(ifc->pool, ifc->p_key->id);
		else
			qkd_pool_release(ifc->pool, ifc->p_key->id);
	}
	ifc->p_reserved = false;
	/* Keep the ID for the log, wipe the rest. */
	qkd_wipe(ifc->p_key->material, sizeof(ifc->p_key->material));
}

void rekey_abort(struct iface *ifc, bool discard, const char *why)
{
	char id[QKD_KEYID_STR_SIZE];

	if (ifc->st == ST_IDLE)
		return;
	log_warn("%s: generation %u (key %s) abandoned: %s; key %s",
		 ifc->cfg.name, ifc->p_gen, qkd_keyid_format(ifc->p_key->id, id),
		 why, discard ? "discarded" : "returned to the pool");
	if (ifc->st != ST_COMMIT) {
		iface_refresh(ifc);
		sa_remove_an(ifc, ifc->p_an);
	}
	rekey_drop_key(ifc, discard);
	ifc->st = ST_IDLE;
}

/*
 * A peer that restarted has lost its half of any handshake in progress.
 * Complete what the leader already transmits on, roll back the rest; the
 * leader then starts a fresh generation, superseding whatever is left.
 */
static void new_session(struct iface *ifc, const struct ctrl_msg *m,
			uint64_t now)
{
	log_notice("%s: peer (re)started a control session", ifc->cfg.name);
	ifc->done_gen = 0;
	if (ifc->leader) {
		if (ifc->st == ST_PREPARE)
			rekey_abort(ifc, false, "peer restarted");
		ifc->st = ST_IDLE;
		ifc->rekey_now = true;
		return;
	}
	if (ifc->st == ST_PENDING) {
		if (m->cur_an == ifc->p_an)
			rekey_follower_switch(ifc, now);
		else
			rekey_abort(ifc, false, "leader restarted");
	}
}

static void learn_peer(struct iface *ifc, const struct ctrl_msg *m)
{
	if (m->sci && m->sci != ifc->peer_sci) {
		ifc->peer_sci = m->sci;
		iface_refresh(ifc);
		sa_ensure_rxsc(ifc, m->sci);
	}
	ifc->peer_tx_an = m->cur_an < MSEC_NUM_AN ? m->cur_an : -1;
	if (m->receiver_nonce == ifc->ctrl.my_nonce)
		ifc->peer_synced = true;
}

static void dispatch(struct iface *ifc, const struct ctrl_msg *m, uint64_t now,
		     bool fresh)
{
	learn_peer(ifc, m);
	log_debug("%s: got %s gen %u an %u", ifc->cfg.name,
		  ctrl_type_name(m->type), m->generation, m->an);
	switch (m->type) {
	case CTRL_HELLO:
		/* A peer that is new, or does not name us, lacks our nonce. */
		if (fresh || m->receiver_nonce != ifc->ctrl.my_nonce)
			rekey_hello(ifc);
		break;
	case CTRL_PREPARE:
		if (!ifc->leader)
			follower_prepare(ifc, m, now);
		else
			log_err("%s: the peer acts as leader too: check \"role\" at both ends",
				ifc->cfg.name);
		break;
	case CTRL_READY:
		if (ifc->leader)
			leader_ready(ifc, m, now);
		break;
	case CTRL_NAK:
		if (ifc->leader)
			leader_nak(ifc, m, now);
		else
			follower_nak(ifc, m);
		break;
	case CTRL_COMMIT:
		if (!ifc->leader)
			follower_commit(ifc, m, now);
		break;
	case CTRL_DONE:
		if (ifc->leader && ifc->st == ST_COMMIT &&
		    m->generation == ifc->p_gen)
			rekey_leader_done(ifc, now);
		break;
	case CTRL_REKEY:
		/*
		 * A request names the generation the follower transmits on
		 * (0: none yet in this session); one about an SA already
		 * replaced, or being replaced, is answered already.
		 */
		if (ifc->leader && ifc->st == ST_IDLE &&
		    (m->generation == ifc->done_gen || !m->generation))
			ifc->rekey_now = true;
		break;
	}
}

void rekey_input(struct iface *ifc, uint64_t now)
{
	enum ctrl_verdict v;
	struct ctrl_msg m;

	while (ctrl_recv(&ifc->ctrl, &m, &v) == 0) {
		switch (v) {
		case CTRL_FORGED:
			log_warn("%s: control: REJECTED a message that failed authentication",
				 ifc->cfg.name);
			continue;
		case CTRL_REPLAYED:
			log_warn("%s: control: REJECTED a replayed or stale %s message",
				 ifc->cfg.name, ctrl_type_name(m.type));
			continue;
		case CTRL_STALE_PEER:
			rekey_hello(ifc);
			continue;
		case CTRL_NEW_SESSION:
			new_session(ifc, &m, now);
			/* fall through */
		case CTRL_ACCEPT:
			dispatch(ifc, &m, now, v == CTRL_NEW_SESSION);
			break;
		}
	}
}

void rekey_timers(struct iface *ifc, uint64_t now)
{
	uint32_t step;

	if (ifc->st == ST_IDLE || ifc->st == ST_PENDING)
		return;
	if (ifc->st == ST_PREPARE && now >= ifc->p_deadline_ms) {
		rekey_abort(ifc, false, "no answer from the peer (unreachable?)");
		ifc->failures++;
		ifc->next_rekey_ms = now + RETRY_MS;
		return;
	}
	if (now < ifc->p_resend_ms)
		return;
	rekey_send(ifc, &ifc->p_msg);
	/* COMMIT is resent until DONE, backing off: the peer may be gone. */
	step = ifc->cfg.retransmit_ms;
	if (ifc->st == ST_COMMIT && now - ifc->p_started_ms > ifc->cfg.handshake_timeout_ms)
		step = RESEND_MAX_MS;
	ifc->p_resend_ms = now + step;
}
