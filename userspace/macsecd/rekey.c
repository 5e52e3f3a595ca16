// SPDX-License-Identifier: GPL-2.0
/*
 * The rekey protocol, as one state machine. One end is the leader (it
 * takes the keys), the other the follower; generation g uses one QKD key K
 * on one AN n for both directions:
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
 *   a grace later, each end seals its old TX SA o: deletes it and sends
 *   SEALED{o, its key ID, last PN}; the peer retires its RX SA o once
 *   that PN has arrived (sa.c)
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
 *
 * The two roles are two tables below (state x event -> action, next
 * state on success, next state on failure); an action may also leave the
 * state as it is (a message for another generation, a retry). Events are
 * control messages, timers, and frames seen on the new RX SA. HELLO is
 * the control session's, not the handshake's, and changes no state.
 * SEALED (EV_SEALED) is about an SA both ends have left, so it comes in
 * any state and changes none.
 */
#include <errno.h>
#include <string.h>

#include "iface.h"
#include "keyid.h"
#include "log.h"
#include "policy.h"
#include "rekey.h"
#include "sa.h"
#include "secmem.h"

#define RETRY_MS	1000	/* after a failed handshake */
#define RESEND_MAX_MS	1000
#define HELLO_MS	1000
#define IDLE_REFRESH_MS	250

enum rekey_event {
	EV_DUE,		/* policy: a rekey is due */
	EV_PREPARE,	/* control messages */
	EV_READY,
	EV_NAK,
	EV_COMMIT,
	EV_DONE,
	EV_REKEY,
	EV_SEALED,	/* the peer sealed an old TX SA */
	EV_FRAMES,	/* frames arrived on the handshake's new RX SA */
	EV_RESEND,	/* retransmission timer */
	EV_TIMEOUT,	/* no READY within the handshake timeout */
	EV_RESTART,	/* the peer started a new control session */
	EV_STOP,	/* the daemon stops */
	__EV_MAX
};

/* An action's outcome: the transition's next state, its fail state, or none. */
enum outcome { GO, FAIL, STAY };

/* m is the message of a message event, else NULL. */
typedef enum outcome (*action_fn)(struct iface *ifc, const struct ctrl_msg *m,
				  uint64_t now);

struct transition {
	action_fn act;
	enum rekey_state next, fail;
};

static const char *const state_names[__ST_MAX] = {
	[ST_IDLE] = "idle", [ST_PREPARE] = "prepare",
	[ST_COMMIT] = "commit", [ST_PENDING] = "pending",
};

const char *rekey_state_name(enum rekey_state st)
{
	return st < __ST_MAX ? state_names[st] : "?";
}

/* Helpers of the actions: messages, the key under negotiation. */

static void send_msg(struct iface *ifc, struct ctrl_msg *m)
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

static void send_hello(struct iface *ifc)
{
	struct ctrl_msg m = { .type = CTRL_HELLO, .status = CTRL_F_SEALS };

	send_msg(ifc, &m);
}

/* A reply (NAK, DONE) echoing req's generation, AN and key ID. */
static void reply(struct iface *ifc, uint8_t type, uint8_t status,
		  const struct ctrl_msg *req)
{
	struct ctrl_msg m = { .type = type, .status = status,
			      .generation = req->generation, .an = req->an };

	memcpy(m.keyid, req->keyid, 16);
	send_msg(ifc, &m);
}

/* Send (and keep for retransmission) the handshake's next message. */
static void send_step(struct iface *ifc, const struct ctrl_msg *m, uint64_t now)
{
	ifc->p_msg = *m;
	ifc->p_resend_ms = now + ifc->cfg.retransmit_ms;
	send_msg(ifc, &ifc->p_msg);
}

/* End the reservation: commit (discard) or release; wipe the material. */
static void drop_key(struct iface *ifc, bool discard)
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

/* The key is ours for good: we are about to transmit with it. */
static void commit_key(struct iface *ifc)
{
	int ret = qkd_pool_commit(ifc->pool, ifc->p_key->id);

	if (ret)
		log_err("%s: cannot commit key: %s", ifc->cfg.name, strerror(-ret));
	ifc->p_reserved = false;
	qkd_wipe(ifc->p_key->material, sizeof(ifc->p_key->material));
}

/* Undo a handshake nobody transmits on yet: its SAs and its key. */
static void abandon(struct iface *ifc, bool discard, const char *why)
{
	char id[QKD_KEYID_STR_SIZE];

	log_warn("%s: generation %u (key %s) abandoned: %s; key %s",
		 ifc->cfg.name, ifc->p_gen, qkd_keyid_format(ifc->p_key->id, id),
		 why, discard ? "discarded" : "returned to the pool");
	iface_refresh(ifc);
	sa_remove_an(ifc, ifc->p_an);
	drop_key(ifc, discard);
}

static void failed(struct iface *ifc, uint64_t now)
{
	ifc->failures++;
	ifc->next_rekey_ms = now + RETRY_MS;
}

static bool key_too_short(const struct iface *ifc)
{
	return ifc->p_key->material_len < ifc->cfg.sak_len;
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

static void count_mismatch(struct iface *ifc, const char *who)
{
	ifc->key_mismatches++;
	log_err("%s: KEY MISMATCH %s", ifc->cfg.name, who);
}

/* Either role: the peer's old TX SA on m->an is sealed at m->last_pn. */
static enum outcome peer_sealed(struct iface *ifc, const struct ctrl_msg *m,
				uint64_t now)
{
	sa_peer_sealed(ifc, m->an, m->keyid, m->last_pn, now);
	return STAY;
}

static void send_seals(struct iface *ifc, uint64_t now)
{
	const struct tx_seal *s;
	unsigned int an;

	for (an = 0; an < MSEC_NUM_AN; an++) {
		struct ctrl_msg m = { .type = CTRL_SEALED, .an = an };

		s = sa_seal_due(ifc, an, now);
		/* An older peer would count SEALED as forged. */
		if (!s || !ifc->peer_seals)
			continue;
		memcpy(m.keyid, s->keyid, 16);
		m.last_pn = s->last_pn;
		send_msg(ifc, &m);
	}
}

/* Leader actions. */

/*
 * The next AN neither end transmits on, and whose previous RX SA has
 * drained (sa.c): a late frame of that SA must not meet the new key. -1 if
 * none is free yet (rekeys faster than the link drains).
 */
static int choose_an(const struct iface *ifc)
{
	int i, an;

	for (i = 1; i <= MSEC_NUM_AN; i++) {
		an = (ifc->tx_an + i + MSEC_NUM_AN) % MSEC_NUM_AN;
		if (an != ifc->tx_an && an != ifc->peer_tx_an &&
		    sa_an_free(ifc, an))
			return an;
	}
	return -1;
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
	if (key_too_short(ifc)) {
		log_err("%s: key of %u bytes is too short for the cipher: discarded",
			ifc->cfg.name, ifc->p_key->material_len);
		drop_key(ifc, true);
		return KEY_ERR;
	}
	return KEY_OK;
}

/*
 * Start generation gen + 1: our own (local-owned) keys first; without one,
 * ask the follower for one of its own, so that a stream whose ownership
 * the key manager splits between the ends is used up at both.
 */
static enum outcome start(struct iface *ifc, const struct ctrl_msg *unused,
			  uint64_t now)
{
	struct ctrl_msg m = { .type = CTRL_PREPARE };
	int an = choose_an(ifc);

	(void)unused;
	if (an < 0)
		return STAY;	/* retried at the next tick */
	switch (reserve_next(ifc, now)) {
	case KEY_ERR:
		return STAY;
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
		drop_key(ifc, false);
		failed(ifc, now);
		return FAIL;
	} else {
		keys_again(ifc);
		memcpy(m.keyid, ifc->p_key->id, 16);
		kdf_kcv(ifc->p_key->material, ifc->p_key->material_len,
			m.keyid, m.generation, KDF_ROLE_LEADER, m.kcv);
	}
	if (ifc->demand && !pace_has_surplus(&ifc->pace))
		log_notice("%s: rekey on demand draws on the key reserve (%u keys left, reserve %u)",
			   ifc->cfg.name, ifc->pace.avail, ifc->pace.reserve);
	ifc->rekey_now = false;
	ifc->p_deadline_ms = now + ifc->cfg.handshake_timeout_ms;
	send_step(ifc, &m, now);
	return GO;
}

/* Refuse the follower's key (it then drops its SAs and the key). */
static enum outcome refuse(struct iface *ifc, const struct ctrl_msg *m,
			   uint8_t status, uint64_t now)
{
	bool discard = status != CTRL_E_KERNEL && status != CTRL_E_BUSY;

	reply(ifc, CTRL_NAK, status, m);
	if (status == CTRL_E_KCV)
		count_mismatch(ifc, "(the peer's check value differs: pools hold different material)");
	abandon(ifc, discard, ctrl_status_name(status));
	failed(ifc, now);
	return FAIL;
}

/* The follower's key: take it by ID, as the check value below needs it. */
static uint8_t take_peer_key(struct iface *ifc, const struct ctrl_msg *m)
{
	int ret = qkd_pool_reserve_id(ifc->pool, m->keyid, ifc->p_key);

	if (ret)
		return ret == -EBUSY ? CTRL_E_BUSY : CTRL_E_KEY_UNKNOWN;
	ifc->p_reserved = true;
	return key_too_short(ifc) ? CTRL_E_KEY_SIZE : CTRL_OK;
}

/* READY: both ends hold the key and the follower receives on it: switch. */
static enum outcome leader_switch(struct iface *ifc, const struct ctrl_msg *m,
				  uint64_t now)
{
	struct ctrl_msg c = { .type = CTRL_COMMIT };
	uint8_t kcv[KDF_KCV_LEN], status;

	if (m->generation != ifc->p_gen)
		return STAY;
	if (ifc->p_peer_key) {
		status = take_peer_key(ifc, m);
		if (status != CTRL_OK)
			return refuse(ifc, m, status, now);
	} else if (memcmp(m->keyid, ifc->p_key->id, 16)) {
		return STAY;
	}
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, m->keyid,
		m->generation, KDF_ROLE_FOLLOWER, kcv);
	if (!kdf_equal(kcv, m->kcv, sizeof(kcv)))
		return refuse(ifc, m, CTRL_E_KCV, now);
	if (ifc->p_peer_key && sa_install(ifc, ifc->p_an, ifc->p_key))
		return refuse(ifc, m, CTRL_E_KERNEL, now);
	keys_again(ifc);
	commit_key(ifc);
	if (sa_switch_tx(ifc, ifc->p_an, ifc->p_key->id)) {
		/* Committed already: the key is spent either way. */
		abandon(ifc, true, "cannot switch the encoding SA");
		failed(ifc, now);
		return FAIL;
	}
	c.generation = ifc->p_gen;
	c.an = ifc->p_an;
	memcpy(c.keyid, ifc->p_key->id, 16);
	send_step(ifc, &c, now);
	return GO;
}

/*
 * DONE, or frames on our RX SA n: the follower transmits on n, so every
 * other RX SA only drains from now on.
 */
static enum outcome leader_done(struct iface *ifc, const struct ctrl_msg *m,
				uint64_t now)
{
	char id[QKD_KEYID_STR_SIZE];

	if (m && m->generation != ifc->p_gen)
		return STAY;
	ifc->peer_tx_an = ifc->p_an;
	ifc->done_gen = ifc->p_gen;
	ifc->rekeys++;
	ifc->last_latency_us = now_us_mono() - ifc->p_started_us;
	qkd_prom_observe(&ifc->latency, ifc->last_latency_us / 1e6);
	sa_retire_mark(ifc, ifc->p_an, now);
	log_info("%s: rekeyed: generation %u, AN %u, key %s, latency_us=%llu",
		 ifc->cfg.name, ifc->p_gen, ifc->p_an,
		 qkd_keyid_format(ifc->p_key->id, id),
		 (unsigned long long)ifc->last_latency_us);
	return GO;
}

static enum outcome leader_nak(struct iface *ifc, const struct ctrl_msg *m,
			       uint64_t now)
{
	bool discard;

	if (m->generation != ifc->p_gen)
		return STAY;
	if (m->status == CTRL_E_NO_KEY) {
		/* We asked for one of the follower's: nothing installed. */
		out_of_keys(ifc);
		ifc->next_rekey_ms = now + RETRY_MS;
		return GO;
	}
	log_err("%s: peer refused generation %u: %s", ifc->cfg.name,
		m->generation, ctrl_status_name(m->status));
	if (m->status == CTRL_E_KCV)
		count_mismatch(ifc, "reported by the peer");
	/* A key the peer cannot use is useless here too. */
	discard = m->status == CTRL_E_KEY_UNKNOWN || m->status == CTRL_E_KCV ||
		  m->status == CTRL_E_KEY_SIZE;
	abandon(ifc, discard, ctrl_status_name(m->status));
	failed(ifc, now);
	return GO;
}

static enum outcome unanswered(struct iface *ifc, const struct ctrl_msg *m,
			       uint64_t now)
{
	(void)m;
	abandon(ifc, false, "no answer from the peer (unreachable?)");
	failed(ifc, now);
	return GO;
}

static enum outcome shut_down(struct iface *ifc, const struct ctrl_msg *m,
			      uint64_t now)
{
	(void)m;
	(void)now;
	abandon(ifc, false, "shutting down");
	return GO;
}

/* COMMIT is resent until DONE, backing off: the peer may be gone. */
static enum outcome resend(struct iface *ifc, const struct ctrl_msg *m,
			   uint64_t now)
{
	uint32_t step = ifc->cfg.retransmit_ms;

	(void)m;
	send_msg(ifc, &ifc->p_msg);
	if (ifc->st == ST_COMMIT &&
	    now - ifc->p_started_ms > ifc->cfg.handshake_timeout_ms)
		step = RESEND_MAX_MS;
	ifc->p_resend_ms = now + step;
	return STAY;
}

/*
 * The follower restarted and lost its half of any handshake: roll back
 * what it cannot complete, and start a fresh generation, superseding
 * whatever is left. A switched leader transmits on n: that stays.
 */
static enum outcome leader_resync(struct iface *ifc, const struct ctrl_msg *m,
				  uint64_t now)
{
	(void)m;
	(void)now;
	if (ifc->st == ST_PREPARE)
		abandon(ifc, false, "peer restarted");
	ifc->rekey_now = true;
	return GO;
}

/*
 * A request names the generation the follower transmits on (0: none yet
 * in this session); one about an SA already replaced is answered already.
 * One the follower's clock made waits for a surplus of keys here: only a
 * need (PN threshold, lifetime, operator) draws on the key reserve.
 */
static enum outcome asked(struct iface *ifc, const struct ctrl_msg *m,
			  uint64_t now)
{
	(void)now;
	if (m->generation != ifc->done_gen && m->generation)
		return STAY;
	if ((m->status & CTRL_F_CLOCK) && !pace_has_surplus(&ifc->pace))
		return STAY;
	ifc->rekey_now = true;
	return STAY;
}

static enum outcome two_leaders(struct iface *ifc, const struct ctrl_msg *m,
				uint64_t now)
{
	(void)m;
	(void)now;
	log_err("%s: the peer acts as leader too: check \"role\" at both ends",
		ifc->cfg.name);
	return STAY;
}

/* Follower actions. */

/* The follower keeps no clock of its own: it asks, the leader starts. */
static enum outcome ask(struct iface *ifc, const struct ctrl_msg *unused,
			uint64_t now)
{
	struct ctrl_msg m = { .type = CTRL_REKEY };

	(void)unused;
	if (now - ifc->last_req_ms < RETRY_MS)
		return STAY;
	/* Names the SA to replace: the leader drops stale asks. */
	m.generation = ifc->done_gen;
	if (!ifc->demand)
		m.status = CTRL_F_CLOCK;
	send_msg(ifc, &m);
	ifc->last_req_ms = now;
	return STAY;
}

static uint8_t follower_reserve(struct iface *ifc, const struct ctrl_msg *m)
{
	uint8_t kcv[KDF_KCV_LEN];
	int ret;

	/* Asked for one of ours: the leader checks it against READY's KCV. */
	if (m->status & CTRL_F_PEER_KEY) {
		if (qkd_pool_reserve_next(ifc->pool, ifc->p_key))
			return CTRL_E_NO_KEY;
	} else {
		ret = qkd_pool_reserve_id(ifc->pool, m->keyid, ifc->p_key);
		if (ret)
			return ret == -EBUSY ? CTRL_E_BUSY : CTRL_E_KEY_UNKNOWN;
	}
	ifc->p_reserved = true;
	if (key_too_short(ifc)) {
		drop_key(ifc, true);
		return CTRL_E_KEY_SIZE;
	}
	if (m->status & CTRL_F_PEER_KEY)
		return CTRL_OK;
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, m->keyid,
		m->generation, KDF_ROLE_LEADER, kcv);
	if (!kdf_equal(kcv, m->kcv, sizeof(kcv))) {
		drop_key(ifc, true);
		return CTRL_E_KCV;
	}
	return CTRL_OK;
}

/* PREPARE: take the key, check it, install, answer READY. */
static enum outcome install(struct iface *ifc, const struct ctrl_msg *m,
			    uint64_t now)
{
	struct ctrl_msg r = { .type = CTRL_READY };
	char id[QKD_KEYID_STR_SIZE];
	uint8_t status;

	if (m->an >= MSEC_NUM_AN || m->an == ifc->tx_an || m->an == m->cur_an) {
		reply(ifc, CTRL_NAK, CTRL_E_AN, m);
		return FAIL;
	}
	status = follower_reserve(ifc, m);
	if (status == CTRL_OK && sa_install(ifc, m->an, ifc->p_key)) {
		drop_key(ifc, false);
		status = CTRL_E_KERNEL;
	}
	if (status != CTRL_OK) {
		if (status != CTRL_E_NO_KEY) {
			if (status == CTRL_E_KCV)
				ifc->key_mismatches++;
			ifc->failures++;
			log_err("%s: %srefused generation %u, key %s: %s",
				ifc->cfg.name,
				status == CTRL_E_KCV ? "KEY MISMATCH: " : "",
				m->generation, qkd_keyid_format(m->keyid, id),
				ctrl_status_name(status));
		}
		reply(ifc, CTRL_NAK, status, m);
		return FAIL;
	}
	ifc->p_gen = m->generation;
	ifc->p_an = m->an;
	ifc->p_started_ms = now;
	r.generation = m->generation;
	r.an = m->an;
	memcpy(r.keyid, ifc->p_key->id, 16);
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, r.keyid,
		r.generation, KDF_ROLE_FOLLOWER, r.kcv);
	send_step(ifc, &r, now);
	return GO;
}

/*
 * Our RX SA on the AN still waits for the leader's last frames there (or
 * our old TX SA for its seal): the leader's next PREPARE finds it gone.
 */
static bool an_busy(struct iface *ifc, const struct ctrl_msg *m)
{
	if (m->an >= MSEC_NUM_AN || sa_an_free(ifc, m->an))
		return false;
	log_debug("%s: generation %u waits for AN %u to retire", ifc->cfg.name,
		  m->generation, m->an);
	return true;
}

static enum outcome prepare(struct iface *ifc, const struct ctrl_msg *m,
			    uint64_t now)
{
	if (m->generation <= ifc->done_gen || an_busy(ifc, m))
		return STAY;
	return install(ifc, m, now);
}

/* PREPARE while pending: ours was lost, or the leader moved on. */
static enum outcome reprepare(struct iface *ifc, const struct ctrl_msg *m,
			      uint64_t now)
{
	if (m->generation == ifc->p_gen) {
		send_msg(ifc, &ifc->p_msg);	/* our READY was lost */
		return STAY;
	}
	if (m->generation <= ifc->done_gen || an_busy(ifc, m))
		return STAY;
	abandon(ifc, false, "superseded by a newer generation");
	return install(ifc, m, now);
}

/*
 * The leader transmits on n (COMMIT, frames seen, or its new session says
 * so): so do we, and every other RX SA only drains from now on.
 */
static enum outcome follow(struct iface *ifc, uint64_t now)
{
	commit_key(ifc);
	if (sa_switch_tx(ifc, ifc->p_an, ifc->p_key->id)) {
		ifc->failures++;
		return FAIL;	/* stay pending: the next COMMIT retries */
	}
	ifc->done_gen = ifc->p_gen;
	ifc->rekey_now = false;
	ifc->rekeys++;
	sa_retire_mark(ifc, ifc->p_an, now);
	return GO;
}

static enum outcome commit(struct iface *ifc, const struct ctrl_msg *m,
			   uint64_t now)
{
	enum outcome o;

	if (m->generation != ifc->p_gen)
		return STAY;
	o = follow(ifc, now);
	if (o == GO)
		reply(ifc, CTRL_DONE, CTRL_OK, m);
	return o;
}

static enum outcome frames_seen(struct iface *ifc, const struct ctrl_msg *m,
				uint64_t now)
{
	(void)m;
	return follow(ifc, now);
}

/* COMMIT for what we switched to already: our DONE was lost. */
static enum outcome confirm(struct iface *ifc, const struct ctrl_msg *m,
			    uint64_t now)
{
	(void)now;
	if (m->generation == ifc->done_gen)
		reply(ifc, CTRL_DONE, CTRL_OK, m);
	return STAY;
}

/* The leader refused our key: drop what we installed for it. */
static enum outcome follower_nak(struct iface *ifc, const struct ctrl_msg *m,
				 uint64_t now)
{
	(void)now;
	if (m->generation != ifc->p_gen)
		return STAY;
	if (m->status == CTRL_E_KCV)
		count_mismatch(ifc, "reported by the peer");
	abandon(ifc, m->status != CTRL_E_KERNEL && m->status != CTRL_E_BUSY,
		ctrl_status_name(m->status));
	return GO;
}

/* The leader restarted: complete what it transmits on, roll back the rest. */
static enum outcome follower_resync(struct iface *ifc,
				    const struct ctrl_msg *m, uint64_t now)
{
	if (m->cur_an == ifc->p_an)
		return follow(ifc, now);
	abandon(ifc, false, "leader restarted");
	return GO;
}

/* The roles: state x event -> action, next state, state on failure. */
#define T(act, next, fail) { act, ST_##next, ST_##fail }

static const struct transition leader[__ST_MAX][__EV_MAX] = {
	[ST_IDLE] = {
		[EV_DUE]	= T(start,		PREPARE, IDLE),
		[EV_REKEY]	= T(asked,		IDLE,	 IDLE),
		[EV_PREPARE]	= T(two_leaders,	IDLE,	 IDLE),
		[EV_RESTART]	= T(leader_resync,	IDLE,	 IDLE),
		[EV_SEALED]	= T(peer_sealed,	IDLE,	 IDLE),
	},
	[ST_PREPARE] = {
		[EV_READY]	= T(leader_switch,	COMMIT,	 IDLE),
		[EV_NAK]	= T(leader_nak,		IDLE,	 IDLE),
		[EV_RESEND]	= T(resend,		PREPARE, PREPARE),
		[EV_TIMEOUT]	= T(unanswered,		IDLE,	 IDLE),
		[EV_PREPARE]	= T(two_leaders,	PREPARE, PREPARE),
		[EV_RESTART]	= T(leader_resync,	IDLE,	 IDLE),
		[EV_STOP]	= T(shut_down,		IDLE,	 IDLE),
		[EV_SEALED]	= T(peer_sealed,	PREPARE, PREPARE),
	},
	[ST_COMMIT] = {
		[EV_DONE]	= T(leader_done,	IDLE,	 IDLE),
		[EV_FRAMES]	= T(leader_done,	IDLE,	 IDLE),
		[EV_RESEND]	= T(resend,		COMMIT,	 COMMIT),
		[EV_PREPARE]	= T(two_leaders,	COMMIT,	 COMMIT),
		[EV_RESTART]	= T(leader_resync,	IDLE,	 IDLE),
		[EV_SEALED]	= T(peer_sealed,	COMMIT,	 COMMIT),
	},
};

static const struct transition follower[__ST_MAX][__EV_MAX] = {
	[ST_IDLE] = {
		[EV_DUE]	= T(ask,		IDLE,	 IDLE),
		[EV_PREPARE]	= T(prepare,		PENDING, IDLE),
		[EV_COMMIT]	= T(confirm,		IDLE,	 IDLE),
		[EV_SEALED]	= T(peer_sealed,	IDLE,	 IDLE),
	},
	[ST_PENDING] = {
		[EV_PREPARE]	= T(reprepare,		PENDING, IDLE),
		[EV_COMMIT]	= T(commit,		IDLE,	 PENDING),
		[EV_FRAMES]	= T(frames_seen,	IDLE,	 PENDING),
		[EV_NAK]	= T(follower_nak,	IDLE,	 IDLE),
		[EV_RESTART]	= T(follower_resync,	IDLE,	 PENDING),
		[EV_SEALED]	= T(peer_sealed,	PENDING, PENDING),
	},
};

#undef T

static void fire(struct iface *ifc, enum rekey_event ev,
		 const struct ctrl_msg *m, uint64_t now)
{
	const struct transition *t = ifc->leader ? &leader[ifc->st][ev] :
						   &follower[ifc->st][ev];

	if (!t->act)
		return;		/* not for this role, or not in this state */
	switch (t->act(ifc, m, now)) {
	case GO:
		ifc->st = t->next;
		break;
	case FAIL:
		ifc->st = t->fail;
		break;
	case STAY:
		break;
	}
}

/* Input: control messages. */

static const enum rekey_event msg_event[__CTRL_TYPE_MAX] = {
	[CTRL_PREPARE] = EV_PREPARE, [CTRL_READY] = EV_READY,
	[CTRL_NAK] = EV_NAK, [CTRL_COMMIT] = EV_COMMIT,
	[CTRL_DONE] = EV_DONE, [CTRL_REKEY] = EV_REKEY,
	[CTRL_SEALED] = EV_SEALED,
};

static void learn_peer(struct iface *ifc, const struct ctrl_msg *m)
{
	if (m->sci && m->sci != ifc->peer_sci) {
		ifc->peer_sci = m->sci;
		iface_refresh(ifc);
		sa_ensure_rxsc(ifc, m->sci);
	}
	ifc->peer_tx_an = m->cur_an < MSEC_NUM_AN ? m->cur_an : -1;
	if (m->type == CTRL_HELLO)
		ifc->peer_seals = m->status & CTRL_F_SEALS;
	if (m->receiver_nonce == ifc->ctrl.my_nonce)
		ifc->peer_synced = true;
}

static void dispatch(struct iface *ifc, const struct ctrl_msg *m, uint64_t now,
		     bool fresh)
{
	learn_peer(ifc, m);
	log_debug("%s: got %s gen %u an %u", ifc->cfg.name,
		  ctrl_type_name(m->type), m->generation, m->an);
	if (m->type == CTRL_HELLO) {
		/* A peer that is new, or does not name us, lacks our nonce. */
		if (fresh || m->receiver_nonce != ifc->ctrl.my_nonce)
			send_hello(ifc);
		return;
	}
	if (m->type < __CTRL_TYPE_MAX)
		fire(ifc, msg_event[m->type], m, now);
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
		case CTRL_MALFORMED:
			log_warn("%s: control: REJECTED a malformed %s message",
				 ifc->cfg.name, ctrl_type_name(m.type));
			continue;
		case CTRL_REPLAYED:
			log_warn("%s: control: REJECTED a replayed or stale %s message",
				 ifc->cfg.name, ctrl_type_name(m.type));
			continue;
		case CTRL_STALE_PEER:
			send_hello(ifc);
			continue;
		case CTRL_NEW_SESSION:
			log_notice("%s: peer (re)started a control session",
				   ifc->cfg.name);
			ifc->done_gen = 0;
			sa_reseal(ifc, now);
			fire(ifc, EV_RESTART, &m, now);
			/* fall through */
		case CTRL_ACCEPT:
			dispatch(ifc, &m, now, v == CTRL_NEW_SESSION);
			break;
		}
	}
}

/* Input: the kernel's state, timers, the policy's triggers. */

/*
 * The kernel's state comes from a dump of every MACsec device in the netns,
 * the daemon's main cost when idle: read it every tick only while a
 * handshake waits for frames on the new SA, old RX SAs drain, or a rekey
 * is asked for, else every IDLE_REFRESH_MS, soon enough for validation
 * failures, the PN threshold (a quarter of the PN space before the end)
 * and the lifetime.
 */
static int observe(struct iface *ifc, uint64_t now)
{
	const struct msec_rxsc *sc;
	int ret;

	if (ifc->st == ST_IDLE && !ifc->rekey_now && !sa_retiring(ifc) &&
	    now < ifc->next_refresh_ms)
		return 0;
	ret = iface_refresh(ifc);
	if (ret)
		return ret;
	ifc->next_refresh_ms = now + IDLE_REFRESH_MS;
	sa_ledger(ifc);
	sc = msec_dev_rxsc(&ifc->dev, ifc->peer_sci);
	/* Frames on the new RX SA prove the peer transmits there. */
	if (ifc->st != ST_IDLE && sc && sc->sa[ifc->p_an].present &&
	    sc->sa[ifc->p_an].pkts)
		fire(ifc, EV_FRAMES, NULL, now);
	policy_watch_validation(ifc);
	if (pace_update(&ifc->pace, ifc->pool, ifc->cfg.rekey_interval_ms, now))
		log_debug("%s: cannot read the stream's counters", ifc->cfg.name);
	return 0;
}

static void timers(struct iface *ifc, uint64_t now)
{
	if (ifc->st == ST_PREPARE && now >= ifc->p_deadline_ms)
		fire(ifc, EV_TIMEOUT, NULL, now);
	else if (now >= ifc->p_resend_ms)
		fire(ifc, EV_RESEND, NULL, now);
	send_seals(ifc, now);
	if (!ifc->peer_synced && now >= ifc->next_hello_ms) {
		send_hello(ifc);
		ifc->next_hello_ms = now + HELLO_MS;
	}
}

void rekey_tick(struct iface *ifc, uint64_t now)
{
	run_clock_tick(&ifc->run, now);
	if (observe(ifc, now))
		return;
	sa_seal_tx(ifc, now);
	timers(ifc, now);
	sa_retire(ifc, now);
	if (ifc->st == ST_IDLE && !ifc->draining && ifc->peer_synced &&
	    ifc->peer_sci && policy_due(ifc, now))
		fire(ifc, EV_DUE, NULL, now);
	policy_exhaustion(ifc, now);
}

void rekey_open(struct iface *ifc)
{
	send_hello(ifc);
}

void rekey_close(struct iface *ifc)
{
	fire(ifc, EV_STOP, NULL, now_ms());
}

void rekey_request(struct iface *ifc)
{
	ifc->rekey_now = true;
}

bool rekey_idle(const struct iface *ifc)
{
	return ifc->st == ST_IDLE && !ifc->rekey_now && ifc->peer_synced &&
	       !sa_retiring(ifc);
}

bool rekey_committing(const struct iface *ifc)
{
	return ifc->st == ST_COMMIT;
}
