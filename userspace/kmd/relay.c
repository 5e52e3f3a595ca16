// SPDX-License-Identifier: GPL-2.0
/*
 * Key relay: see relay.h and docs/kx-protocol.md §7 for the protocol, the
 * order of its steps and why each failure leaves no key at one end only.
 *
 * State lives in three places. A *far* is a [far] section: its stream and
 * the relays of which we are an end (struct rl: the source while waiting
 * for COMPLETE or DONE, the destination while holding K before ADDED). A
 * *hop record* (struct hop) remembers, at a node that sent a RELAY hop,
 * the link keys the hop spent, so that a connection lost under the frame
 * can be settled forward on reconnect. Everything else (COMPLETE, ADDED,
 * DONE, ABORT) is source-routed and needs no state in between, but for a
 * *parked* relay (struct park): one that reached us while its next link
 * was dry, held (K included) until that link's fill catches up.
 *
 * K (the relayed key) lives in struct rl and on the stack only, and is
 * wiped (OPENSSL_cleanse) as soon as it is in the pool or given up on.
 *
 * A relay carries a *batch* (§7.2): in relay version 2 up to [relay]
 * batch keys of one far stream under one relay ID, one state machine and
 * one MAC per hop; K is then the batch's keys concatenated. A batch of one
 * is sent as relay version 1, byte for byte what a node without batches
 * sends, and a node answered "unsupported relay version" falls back to it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>

#include "keyid.h"
#include "kx.h"
#include "link.h"
#include "log.h"
#include "relay.h"
#include "relay_msg.h"
#include "relay_otp.h"
#include "route.h"
#include "store.h"

#define TICK_MS		200
#define PARK_MAX	4096	/* relays waiting here for link keys */
#define RESEND_MIN_MS	2000	/* RELAY_ADDED again until DONE or ABORT */
#define RESEND_MAX_MS	30000
#define RESERVE_MS	5000	/* a reservation outliving us is released */
#define LSA_MIN_MS	1000	/* between two originations */
#define REQUEST_MS	1000	/* between two RELAY_REQUESTs to a far node */

_Static_assert(RELAY_BATCH_CFG_MAX == RELAY_BATCH_MAX,
	       "[relay] batch is bounded by what a frame carries");

/* Which relay version a relay speaks, and how many keys it carries. */
struct batch {
	uint8_t version;	/* 1 or 2 */
	uint8_t nkeys;		/* 1 in version 1 */
};

static const struct batch BATCH_V1 = { 1, 1 };

enum rl_state {
	RL_SENT,	/* source: RELAY sent, K in memory, awaiting COMPLETE */
	RL_ADDED,	/* source: K added peer-owned, awaiting DONE */
	RL_COMPLETED,	/* destination: K in memory, awaiting ADDED */
};

struct far;

struct rl {
	struct rl *next;
	struct far *far;
	uint64_t id;
	enum rl_state state;
	struct route_path path;		/* [0] the source */
	uint8_t key_id[QKD_KEY_ID_LEN];	/* of the batch's first key */
	struct batch b;
	uint16_t key_bytes;		/* of each key */
	uint8_t k[RELAY_K_MAX];		/* K, in RL_SENT and RL_COMPLETED */
	uint8_t nhop0;			/* source: the first hop's link keys */
	uint8_t hop0[RELAY_HOP_KEYS_MAX][QKD_KEY_ID_LEN];
	uint64_t deadline_ms;
	uint64_t start_ms;		/* source: when RELAY went out */
	unsigned int resend_ms;
};

struct far {
	struct far *next;
	struct relay *r;
	const struct kmd_peer_cfg *cfg;
	struct rl *rls;
	int route_err;			/* of the last path choice */
	struct route_path path;		/* the last path chosen */
	unsigned int window;		/* relays sourced at once, now */
	unsigned int batch;		/* keys per relay at most, now */
	uint8_t version;		/* 2, or 1 once a peer refused 2 */
	/*
	 * Relays we sourced and saw delivered (DONE): batches and keys,
	 * counted together (delivered()); keys the far node relayed to us.
	 */
	uint64_t relays, relayed, received;
	uint64_t aborted;
	/* RELAY_REQUEST: keys the far node asked for, not yet added... */
	uint32_t owed;
	/* ...and what we last asked of it, and when. */
	uint32_t asked;
	uint64_t asked_ms;
};

struct hop {
	struct hop *next;
	uint64_t id;
	struct route_path path;
	uint8_t key_id[QKD_KEY_ID_LEN];
	struct batch b;
	uint8_t pos;			/* we sent hop pos -> pos + 1 */
	uint8_t n;
	uint8_t ids[RELAY_HOP_KEYS_MAX][QKD_KEY_ID_LEN];
	bool lost;			/* its link went down under it */
	uint64_t expires_ms;
};

/*
 * A relay waiting here for keys of its next link (§7.3). Its earlier hops
 * are spent, so waiting for the link's fill wastes nothing, where an abort
 * would waste them; it waits a quarter of the relay timeout at most, well
 * within the source's patience.
 */
struct park {
	struct park *next;
	struct relay_msg m;		/* the next hop's frame */
	uint8_t k[RELAY_K_MAX];
	uint64_t deadline_ms;
};

struct relay {
	struct kmd *kmd;
	struct route_db *db;
	struct far *fars;
	struct hop *hops;
	struct park *parked, **parked_tail;	/* oldest first */
	unsigned int nparked;
	struct event *tick;
	uint64_t lsa_ms;		/* our last origination */
	bool stopping;			/* withdrawn: start nothing */
	struct route_link adv[ROUTE_LINKS_MAX];	/* what it said */
	unsigned int adv_count;
	/* Counters, for status. */
	/* RELAY hops passed on as a trusted node: batches, keys (relays_on()). */
	uint64_t relays, relayed;
	uint64_t delivered;		/* keys added to far streams here */
	uint64_t aborted;		/* aborts this node started */
	uint64_t mac_failures, missing_keys;
	uint64_t no_route;		/* relays not started: no path */
	uint64_t waited;		/* relays parked for link keys */
	uint64_t link_keys_sent, link_keys_rcvd;	/* spent as sender, receiver */
	uint64_t lsa_rcvd, lsa_sent;
};

#ifdef KMD_FAULTS
/*
 * Test builds only (selftests/kmd/Makefile): QKD_KMD_FAULT=KIND:N makes
 * the next N RELAY frames this node sends faulty, one kind per run.
 * tamper-relay flips a bit of the tag, as a man in the middle would, so
 * that the suite can see the MAC catch it; relay-version sends them as
 * relay version 3, as a newer node would, to see them aborted. And
 * refuse-v2 makes the node refuse the next N relay frames of version 2 it
 * receives, as a node of a release without batches does (§7.10).
 */
static bool fault(const char *kind)
{
	static int left = -1;
	static char what[32];
	const char *v = getenv("QKD_KMD_FAULT");
	const char *colon = v ? strchr(v, ':') : NULL;

	if (left < 0) {
		left = colon && colon - v < (int)sizeof(what) ?
		       atoi(colon + 1) : 0;
		if (left)
			memcpy(what, v, colon - v);
	}
	if (!left || strcmp(what, kind))
		return false;
	left--;
	return true;
}
#endif

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *self(const struct relay *r)
{
	return r->kmd->cfg.node_id;
}

static struct link *link_to(const struct relay *r, const char *id)
{
	struct link *l;

	for (l = r->kmd->links; l; l = l->next)
		if (!strcmp(l->cfg->id, id))
			return l;
	return NULL;
}

static bool link_usable(const struct link *l)
{
	return l && l->up && l->kx.conn && !l->cfg->no_relay;
}

static struct far *far_of(const struct relay *r, const char *id)
{
	struct far *f;

	for (f = r->fars; f; f = f->next)
		if (!strcmp(f->cfg->id, id))
			return f;
	return NULL;
}

static struct rl *rl_find(const struct far *f, uint64_t id)
{
	struct rl *rl;

	for (rl = f ? f->rls : NULL; rl; rl = rl->next)
		if (rl->id == id)
			return rl;
	return NULL;
}

static struct rl *rl_new(struct far *f, uint64_t id, enum rl_state state)
{
	struct rl *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->far = f;
	rl->id = id;
	rl->state = state;
	rl->next = f->rls;
	f->rls = rl;
	return rl;
}

static void rl_free(struct rl *rl)
{
	struct rl **pp;

	for (pp = &rl->far->rls; *pp; pp = &(*pp)->next)
		if (*pp == rl) {
			*pp = rl->next;
			break;
		}
	OPENSSL_cleanse(rl, sizeof(*rl));
	free(rl);
}

static void path_of(const struct relay_msg *m, struct route_path *p)
{
	p->nodes = m->nodes;
	memcpy(p->node, m->route, sizeof(p->node));
}

static struct batch batch_of(const struct relay_msg *m)
{
	struct batch b = { relay_msg_version(m), relay_msg_keys(m) };

	return b;
}

/* The IDs of a batch's keys (relay_key_id()). */
static void batch_ids(const uint8_t key_id[QKD_KEY_ID_LEN], struct batch b,
		      uint8_t (*ids)[QKD_KEY_ID_LEN])
{
	unsigned int i;

	for (i = 0; i < b.nkeys; i++)
		relay_key_id(key_id, i, ids[i]);
}

/*
 * An end-to-end frame of relay id (batch b, first key key_id) on path p,
 * sent from position from.
 */
static void envelope(struct relay_msg *m, uint8_t type, uint64_t id,
		     const struct route_path *p, int from, int dir,
		     const uint8_t key_id[QKD_KEY_ID_LEN], struct batch b)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->version = b.version;
	m->nkeys = b.nkeys;
	m->relay = id;
	m->nodes = p->nodes;
	memcpy(m->route, p->node, sizeof(m->route));
	m->from = from;
	m->to = from + dir;
	memcpy(m->key_id, key_id, QKD_KEY_ID_LEN);
}

/* Encode m and write it to route[to]. 0, or -ENOTCONN / -errno. */
static int send_msg(struct relay *r, const struct relay_msg *m)
{
	struct link *l = link_to(r, m->route[m->to]);
	uint8_t buf[RELAY_MSG_MAX];
	int len, ret;

	if (!l || !l->up || !l->kx.conn)
		return -ENOTCONN;
	len = relay_msg_encode(m, buf, sizeof(buf));
#ifdef KMD_FAULTS
	if (len > 0 && m->type == KX_RELAY && fault("relay-version"))
		buf[0] = RELAY_VERSION_MAX + 1;
#endif
	ret = len < 0 ? len : kx_send_raw(l->kx.conn, m->type, buf, len);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ret)
		log_debug("relay %016" PRIx64 ": cannot send %s to %s: %s",
			  m->relay, relay_type_name(m->type), m->route[m->to],
			  strerror(-ret));
	return ret;
}

/*
 * Send ABORT m, listing nids link keys for its receiver to drop. With
 * keys to drop it goes in relay version 1, in as many frames as its
 * 6 IDs a frame take (§7.5): a node that refused version 2 reads them,
 * the first goes on, the others stop at the next node, which has nothing
 * left to forward. 0, or the first error.
 */
static int send_abort_ids(struct relay *r, struct relay_msg *m,
			  const uint8_t (*ids)[QKD_KEY_ID_LEN],
			  unsigned int nids)
{
	unsigned int done = 0;
	int err = 0, ret;

	m->nids = 0;
	if (!nids)
		return send_msg(r, m);
	m->version = 1;
	m->nkeys = 1;
	while (done < nids) {
		m->nids = nids - done < RELAY_V1_HOP_KEYS_MAX ? nids - done :
			  RELAY_V1_HOP_KEYS_MAX;
		memcpy(m->ids, ids + done, (size_t)m->nids * QKD_KEY_ID_LEN);
		done += m->nids;
		ret = send_msg(r, m);
		err = err ?: ret;
	}
	return err;
}

/* ABORT from position pos along path p, toward dir (keys: for the next). */
static void send_abort(struct relay *r, uint64_t id,
		       const struct route_path *p, int pos, int dir,
		       const uint8_t key_id[QKD_KEY_ID_LEN], struct batch b,
		       uint8_t reason, const uint8_t (*ids)[QKD_KEY_ID_LEN],
		       unsigned int nids)
{
	struct relay_msg m;

	if ((dir < 0 && pos == 0) || (dir > 0 && pos == p->nodes - 1))
		return;
	envelope(&m, KX_RELAY_ABORT, id, p, pos, dir, key_id, b);
	m.reason = reason;
	snprintf(m.text, sizeof(m.text), "%s at %s", relay_abort_name(reason),
		 self(r));
	send_abort_ids(r, &m, ids, nids);
}

static void hop_free(struct relay *r, struct hop *h)
{
	struct hop **pp;

	for (pp = &r->hops; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	free(h);
}

static struct hop *hop_find(const struct relay *r, uint64_t id)
{
	struct hop *h;

	for (h = r->hops; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

static void hop_record(struct relay *r, const struct relay_msg *m, bool lost)
{
	struct hop *h = calloc(1, sizeof(*h));

	if (!h) {
		log_err("relay %016" PRIx64 ": out of memory for its hop record",
			m->relay);
		return;
	}
	h->id = m->relay;
	path_of(m, &h->path);
	memcpy(h->key_id, m->key_id, QKD_KEY_ID_LEN);
	h->b = batch_of(m);
	h->pos = m->from;
	h->n = m->npad + m->nmac;
	memcpy(h->ids, m->ids, sizeof(h->ids));
	h->lost = lost;
	h->expires_ms = now_ms() + 2 * r->kmd->cfg.relay_timeout_ms;
	h->next = r->hops;
	r->hops = h;
}

static unsigned int link_bytes(const struct link *l)
{
	return l->cfg->key_size / 8;
}

/* Local-owned keys of l's stream that relays may spend. */
static uint32_t link_stock(const struct relay *r, const struct link *l)
{
	struct qkd_stream_stats st = { 0 };

	if (store_count(r->kmd->genl, l->cfg->stream, &st) < 0 ||
	    st.avail_local <= l->cfg->relay_reserve)
		return 0;
	return st.avail_local - l->cfg->relay_reserve;
}

/* Release the keys of recs[0..n) that a pipelined reservation got. */
static void release_reserved(struct qkd_genl *g, const char *stream,
			     const struct qkd_key_record *recs,
			     const int *errs, unsigned int n)
{
	uint8_t ids[RELAY_HOP_KEYS_MAX][QKD_KEY_ID_LEN];
	unsigned int i, k = 0;

	for (i = 0; i < n && i < RELAY_HOP_KEYS_MAX; i++)
		if (!errs[i])
			memcpy(ids[k++], recs[i].id, QKD_KEY_ID_LEN);
	if (k)
		store_release(g, stream,
			      (const uint8_t (*)[QKD_KEY_ID_LEN])ids, k);
}

/*
 * Send the hop m->from -> m->to of a RELAY whose envelope, key ID and key
 * size m holds (§7.3): reserve the hop's link keys, seal, commit them,
 * write. k is K; at the source (from 0) it receives K, the first link's
 * material. Returns 0, or the abort reason (then nothing was spent, but
 * for a frame lost with its connection: the hop record settles that).
 */
static int hop_send(struct relay *r, struct relay_msg *m, uint8_t *k)
{
	struct link *l = link_to(r, m->route[m->to]);
	struct qkd_key_record recs[RELAY_HOP_KEYS_MAX];
	struct qkd_genl *g = r->kmd->genl;
	unsigned int nkeys = relay_msg_keys(m), klen = nkeys * m->key_bytes;
	int errs[RELAY_HOP_KEYS_MAX];
	uint8_t aad[RELAY_AAD_MAX];
	struct relay_hop_keys hk;
	unsigned int i, n, need;
	int len, reason = RELAY_ABORT_PROTOCOL, err;

	if (!link_usable(l))
		return RELAY_ABORT_LINK_DOWN;
	if (relay_otp_cost(m->key_bytes, link_bytes(l), nkeys, &m->npad,
			   &m->nmac))
		return RELAY_ABORT_PROTOCOL;
	need = m->npad + m->nmac;
	if (link_stock(r, l) < need)
		return RELAY_ABORT_DRY;
	err = store_reserve(g, l->cfg->stream, need, RESERVE_MS, recs, errs);
	/* What was reserved, in order: all of it, or it goes back. */
	for (n = 0; err > 0 && n < need && !errs[n]; n++)
		memcpy(m->ids[n], recs[n].id, QKD_KEY_ID_LEN);
	if ((unsigned int)err != need) {
		reason = RELAY_ABORT_DRY;
		goto err_release;
	}
	if (relay_hop_keys_load(&hk, recs, m->npad, m->nmac, m->key_bytes,
				nkeys))
		goto err_release;
	len = relay_msg_aad(m, aad, sizeof(aad));
	err = len < 0 ? len : m->from ?
	      relay_otp_seal(&hk, aad, len, k, klen, m->ct, m->tag) :
	      relay_otp_seal(&hk, aad, len, NULL, klen, NULL, m->tag);
	if (!err && !m->from)
		memcpy(k, hk.pad, klen);
	relay_hop_keys_wipe(&hk);
	if (err)
		goto err_release;
#ifdef KMD_FAULTS
	if (fault("tamper-relay"))
		m->tag[0] ^= 1;
#endif
	/*
	 * Commit before the frame is out: a crash after sending must not
	 * bring a used pad back into the pool (§7.3).
	 */
	OPENSSL_cleanse(recs, sizeof(recs));
	store_commit(g, l->cfg->stream,
		     (const uint8_t (*)[QKD_KEY_ID_LEN])m->ids, n, errs);
	for (i = 0; i < n; i++)
		if (errs[i])
			log_err("relay %016" PRIx64 ": stream %s: cannot commit a link key",
				m->relay, l->cfg->stream);
	r->link_keys_sent += n;
	err = send_msg(r, m);
	hop_record(r, m, err != 0);
	return err ? RELAY_ABORT_LINK_DOWN : 0;

err_release:
	release_reserved(g, l->cfg->stream, recs, errs, need);
	OPENSSL_cleanse(recs, sizeof(recs));
	if (!m->from)
		OPENSSL_cleanse(k, RELAY_K_MAX);
	return reason;
}

/* The whole batch in one QKD_CMD_KEY_ADD: the pool adds all or none. */
static int add_key(struct rl *rl, uint32_t owner)
{
	struct far *f = rl->far;
	struct qkd_key_record recs[RELAY_BATCH_MAX];
	uint8_t ids[RELAY_BATCH_MAX][QKD_KEY_ID_LEN];
	unsigned int i;
	int ret;

	memset(recs, 0, sizeof(recs));
	batch_ids(rl->key_id, rl->b, ids);
	for (i = 0; i < rl->b.nkeys; i++) {
		memcpy(recs[i].id, ids[i], QKD_KEY_ID_LEN);
		recs[i].material_len = rl->key_bytes;
		memcpy(recs[i].material, rl->k + i * rl->key_bytes,
		       rl->key_bytes);
	}
	ret = store_add(f->r->kmd->genl, f->cfg->stream, recs, rl->b.nkeys,
			owner, f->cfg->lifetime_ms);
	OPENSSL_cleanse(recs, sizeof(recs));
	OPENSSL_cleanse(rl->k, sizeof(rl->k));
	return ret;
}

/* Drop every key of a batch we may hold peer-owned (idempotent). */
static void drop_batch(struct far *f, const uint8_t key_id[QKD_KEY_ID_LEN],
		       struct batch b)
{
	uint8_t ids[RELAY_BATCH_MAX][QKD_KEY_ID_LEN];

	batch_ids(key_id, b, ids);
	store_drop(f->r->kmd->genl, f->cfg->stream,
		   (const uint8_t (*)[QKD_KEY_ID_LEN])ids, b.nkeys);
}

/*
 * A batch in the far stream at this end, its source (DONE) or its
 * destination (added): the source's batch and key counters move together,
 * here only, so that a status never shows one without the other.
 */
static void delivered(struct far *f, const struct rl *rl, bool source)
{
	if (source) {
		f->relays++;
		f->relayed += rl->b.nkeys;
	} else {
		f->received += rl->b.nkeys;
	}
	f->r->delivered += rl->b.nkeys;
}

static uint32_t dry_need(const struct relay *r)
{
	return r->kmd->cfg.relay_dry;
}

/* Source: RELAY_ADDED along the current best path (§7.4). */
static void send_added(struct relay *r, struct rl *rl)
{
	struct route_path p;
	struct relay_msg m;

	if (!route_path(r->db, rl->far->cfg->id, 0, &p))
		rl->path = p;
	envelope(&m, KX_RELAY_ADDED, rl->id, &rl->path, 0, 1, rl->key_id,
		 rl->b);
	send_msg(r, &m);
}

/* A random relay ID and a fresh version 4 UUID for K (as ETSI 014's). */
static int random_ids(uint64_t *id, uint8_t key_id[QKD_KEY_ID_LEN])
{
	if (getrandom(id, sizeof(*id), 0) != sizeof(*id) ||
	    getrandom(key_id, QKD_KEY_ID_LEN, 0) != QKD_KEY_ID_LEN)
		return -EIO;
	key_id[6] = (key_id[6] & 0x0f) | 0x40;
	key_id[8] = (key_id[8] & 0x3f) | 0x80;
	return 0;
}

/*
 * The path a relay would take now, for the status of a stream that
 * starts none: an end that restarted with its stream full would show the
 * "unreachable" it started with until it next sources a relay.
 */
static void far_route(struct far *f)
{
	struct route_path p;

	f->route_err = route_path(f->r->db, f->cfg->id, dry_need(f->r), &p);
	if (f->route_err != -EHOSTUNREACH)
		f->path = p;
}

/*
 * How many keys the next relay on path p carries (§7.11): what the far
 * stream still needs, within the batch in use (which an abort for a dry
 * link halved), and what the path's least stocked hop can pay for (the
 * first hop's stock as it is now, the others' as advertised), at the
 * first link's cost: b keys spend b * pads + macs link keys a hop.
 */
static unsigned int far_batch(const struct far *f, const struct route_path *p,
			      unsigned int want)
{
	const struct link *l = link_to(f->r, p->node[1]);
	unsigned int n = f->version > 1 ? f->batch : 1;
	uint32_t stock = p->bottleneck;
	uint8_t pads, macs;

	if (want < n)
		n = want;
	if (n < 2 || !l || relay_otp_cost(f->cfg->key_size / 8, link_bytes(l),
					  1, &pads, &macs))
		return 1;
	if (link_stock(f->r, l) < stock)
		stock = link_stock(f->r, l);
	if (stock < macs + (uint64_t)n * pads)
		n = stock > macs ? (stock - macs) / pads : 1;
	return n ? n : 1;
}

static void far_not_started(struct far *f, uint64_t id, int reason)
{
	log_info("far %s: relay %016" PRIx64 " not started: %s", f->cfg->id,
		 id, relay_abort_name(reason));
	if (reason == RELAY_ABORT_DRY)
		f->route_err = -EAGAIN;
}

/*
 * Source: relay up to want keys to the far node, as one batch. The keys
 * it carries, or 0 if none could start.
 */
static unsigned int far_start(struct far *f, unsigned int want)
{
	struct relay *r = f->r;
	struct route_path p;
	struct relay_msg m;
	struct batch b;
	struct rl *rl;
	uint64_t id;
	int reason;

	f->route_err = route_path(r->db, f->cfg->id, dry_need(r), &p);
	if (f->route_err) {
		r->no_route++;
		return 0;
	}
	f->path = p;
	b.nkeys = far_batch(f, &p, want);
	b.version = b.nkeys > 1 ? 2 : 1;
	memset(&m, 0, sizeof(m));
	if (random_ids(&id, m.key_id))
		return 0;
	rl = rl_new(f, id, RL_SENT);
	if (!rl)
		return 0;
	rl->path = p;
	rl->b = b;
	rl->key_bytes = f->cfg->key_size / 8;
	memcpy(rl->key_id, m.key_id, QKD_KEY_ID_LEN);
	envelope(&m, KX_RELAY, id, &p, 0, 1, rl->key_id, b);
	m.key_bytes = rl->key_bytes;
	reason = hop_send(r, &m, rl->k);
	OPENSSL_cleanse(m.tag, sizeof(m.tag));
	if (reason) {
		far_not_started(f, id, reason);
		rl_free(rl);
		return 0;
	}
	rl->nhop0 = m.npad + m.nmac;
	memcpy(rl->hop0, m.ids, sizeof(rl->hop0));
	rl->start_ms = now_ms();
	rl->deadline_ms = rl->start_ms + r->kmd->cfg.relay_timeout_ms;
	log_debug("far %s: relay %016" PRIx64 " of %u keys sent over %u hops",
		  f->cfg->id, id, b.nkeys, p.nodes - 1);
	return b.nkeys;
}

/*
 * The window follows the relays' round trip (§7.6). A relay that takes a
 * quarter of the timeout means queues on its path (busy key managers, dry
 * links): more in flight would only lengthen them until relays time out
 * and waste the link keys they spent. So one slow relay shrinks the
 * window by one, one fast relay grows it by one, up to [relay] window.
 */
static void far_window(struct far *f, uint64_t rtt_ms)
{
	const struct kmd_config *c = &f->r->kmd->cfg;
	uint64_t slow = c->relay_timeout_ms / 4;

	if (rtt_ms > slow && f->window > 1)
		f->window--;
	else if (rtt_ms < slow / 2 && f->window < c->relay_window)
		f->window++;
}

/*
 * Keep the far node's half of the stream filled (§7.6), or up to what it
 * asked for with RELAY_REQUEST.
 */
static void far_fill(struct far *f)
{
	unsigned int busy = 0, sent = 0, half = f->cfg->fill_target / 2;
	unsigned int want, n;
	struct qkd_stream_stats st;
	struct rl *rl;

	if (f->r->stopping)
		return;
	/* busy counts relays (the window), sent counts keys. */
	for (rl = f->rls; rl; rl = rl->next) {
		busy += rl->state != RL_COMPLETED;
		sent += rl->state == RL_SENT ? rl->b.nkeys : 0;
	}
	if (store_count(f->r->kmd->genl, f->cfg->stream, &st) < 0)
		return;
	if (busy >= f->window ||
	    (st.avail_peer + sent >= half && sent >= f->owed)) {
		far_route(f);
		return;
	}
	while (busy < f->window &&
	       (st.avail_peer + sent < half || sent < f->owed)) {
		want = st.avail_peer + sent < half ?
		       half - st.avail_peer - sent : 0;
		if (sent < f->owed && f->owed - sent > want)
			want = f->owed - sent;
		n = far_start(f, want);
		if (!n)
			return;
		busy++;
		sent += n;
	}
}

/* The destination: K arrived intact; confirm before anyone adds it. */
static void at_destination(struct relay *r, const struct relay_msg *m,
			   const uint8_t *k)
{
	struct far *f = far_of(r, m->route[0]);
	struct route_path p;
	struct relay_msg c;
	struct rl *rl = NULL;

	path_of(m, &p);
	if (f && m->key_bytes == f->cfg->key_size / 8 && !rl_find(f, m->relay))
		rl = rl_new(f, m->relay, RL_COMPLETED);
	if (!rl) {
		log_warn("relay %016" PRIx64 " from %s: %s", m->relay,
			 m->route[0], !f ? "no [far] section for it" :
			 "key size or relay ID does not fit");
		r->aborted++;
		send_abort(r, m->relay, &p, m->to, -1, m->key_id, batch_of(m),
			   f ? RELAY_ABORT_PROTOCOL : RELAY_ABORT_UNKNOWN,
			   NULL, 0);
		return;
	}
	rl->path = p;
	memcpy(rl->key_id, m->key_id, QKD_KEY_ID_LEN);
	rl->b = batch_of(m);
	rl->key_bytes = m->key_bytes;
	memcpy(rl->k, k, rl->b.nkeys * m->key_bytes);
	rl->deadline_ms = now_ms() + r->kmd->cfg.relay_timeout_ms;
	envelope(&c, KX_RELAY_COMPLETE, m->relay, &rl->path, m->to, -1,
		 m->key_id, rl->b);
	send_msg(r, &c);
}

/* A trusted node gives up on relay m, which reached position pos. */
static void abort_back(struct relay *r, const struct relay_msg *m, int pos,
		       uint8_t reason)
{
	struct route_path p;

	log_warn("relay %016" PRIx64 " %s -> %s: aborted at %s: %s", m->relay,
		 m->route[0], m->route[m->nodes - 1], self(r),
		 relay_abort_name(reason));
	r->aborted++;
	path_of(m, &p);
	send_abort(r, m->relay, &p, pos, -1, m->key_id, batch_of(m), reason,
		   NULL, 0);
}

/* A RELAY hop passed on: batches and keys, counted together. */
static void relayed_on(struct relay *r, const struct relay_msg *m)
{
	r->relays++;
	r->relayed += relay_msg_keys(m);
}

static int park(struct relay *r, const struct relay_msg *m, const uint8_t *k)
{
	struct park *pk;

	if (r->nparked >= PARK_MAX || !(pk = calloc(1, sizeof(*pk))))
		return -ENOSPC;
	pk->m = *m;
	memcpy(pk->k, k, relay_msg_keys(m) * m->key_bytes);
	pk->deadline_ms = now_ms() + r->kmd->cfg.relay_timeout_ms / 4;
	*r->parked_tail = pk;
	r->parked_tail = &pk->next;
	r->nparked++;
	r->waited++;
	return 0;
}

static void park_free(struct relay *r, struct park **pp)
{
	struct park *pk = *pp;

	*pp = pk->next;
	if (r->parked_tail == &pk->next)
		r->parked_tail = pp;
	r->nparked--;
	OPENSSL_cleanse(pk, sizeof(*pk));
	free(pk);
}

/* Drop a parked relay its source has aborted. true if there was one. */
static bool park_drop(struct relay *r, uint64_t id)
{
	struct park **pp;

	for (pp = &r->parked; *pp; pp = &(*pp)->next)
		if ((*pp)->m.relay == id) {
			park_free(r, pp);
			return true;
		}
	return false;
}

static bool in_list(const struct link *const *ls, unsigned int n,
		    const struct link *l)
{
	while (n--)
		if (ls[n] == l)
			return true;
	return false;
}

/*
 * Send on what the next links' fill allows; abort what waited too long.
 * Once a link is found dry, the younger relays waiting for it wait on
 * without asking: each ask is a netlink round trip, thousands may be
 * parked, and the oldest keeps its turn.
 */
static void park_retry(struct relay *r, uint64_t now)
{
	const struct link *dry[ROUTE_LINKS_MAX];
	struct park **pp = &r->parked, *pk;
	unsigned int ndry = 0;
	struct link *l;
	int reason;

	while ((pk = *pp)) {
		l = link_to(r, pk->m.route[pk->m.to]);
		if (in_list(dry, ndry, l))
			reason = RELAY_ABORT_DRY;
		else
			reason = hop_send(r, &pk->m, pk->k);
		if (reason == RELAY_ABORT_DRY && ndry < ROUTE_LINKS_MAX &&
		    !in_list(dry, ndry, l))
			dry[ndry++] = l;
		if (reason == RELAY_ABORT_DRY && now < pk->deadline_ms) {
			pp = &pk->next;
			continue;
		}
		if (!reason)
			relayed_on(r, &pk->m);
		else
			abort_back(r, &pk->m, pk->m.from, reason);
		park_free(r, pp);
	}
}

/* A RELAY hop for us (§7.3): spend its link keys, open, pass K on. */
static void on_relay(struct relay *r, struct link *l, const struct relay_msg *m)
{
	struct qkd_key_record recs[RELAY_HOP_KEYS_MAX];
	unsigned int n = m->npad + m->nmac, got;
	int errs[RELAY_HOP_KEYS_MAX], ret;
	unsigned int klen = relay_msg_keys(m) * m->key_bytes;
	uint8_t k[RELAY_K_MAX], aad[RELAY_AAD_MAX];
	struct relay_hop_keys hk;
	struct relay_msg fwd;
	int len, err, reason;

	/*
	 * Taken (wiped) before anything is checked, whatever follows: a
	 * link key named in a RELAY is destroyed at both ends.
	 */
	ret = store_take(r->kmd->genl, l->cfg->stream,
			 (const uint8_t (*)[QKD_KEY_ID_LEN])m->ids, n, recs,
			 errs);
	got = ret > 0 ? ret : 0;
	r->link_keys_rcvd += got;
	if (got < n) {
		r->missing_keys++;
		reason = RELAY_ABORT_NO_LINK_KEY;
		goto abort;
	}
	err = relay_hop_keys_load(&hk, recs, m->npad, m->nmac, m->key_bytes,
				  relay_msg_keys(m));
	OPENSSL_cleanse(recs, sizeof(recs));
	reason = RELAY_ABORT_PROTOCOL;
	if (err)
		goto abort;
	len = relay_msg_aad(m, aad, sizeof(aad));
	err = len < 0 ? len :
	      relay_otp_open(&hk, aad, len, m->from ? m->ct : NULL, klen,
			     m->tag, k);
	relay_hop_keys_wipe(&hk);
	if (err == -EBADMSG) {
		r->mac_failures++;
		reason = RELAY_ABORT_BAD_MAC;
	}
	if (err)
		goto abort;
	if (m->to == m->nodes - 1) {
		at_destination(r, m, k);
		OPENSSL_cleanse(k, sizeof(k));
		return;
	}
	fwd = *m;
	fwd.from = m->to;
	fwd.to = m->to + 1;
	reason = hop_send(r, &fwd, k);
	if (reason == RELAY_ABORT_DRY && !park(r, &fwd, k))
		reason = 0;
	else if (!reason)
		relayed_on(r, &fwd);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(&fwd, sizeof(fwd));
	if (!reason)
		return;
abort:
	OPENSSL_cleanse(recs, sizeof(recs));
	OPENSSL_cleanse(k, sizeof(k));
	abort_back(r, m, m->to, reason);
}

/*
 * A relay we sourced came back aborted: a dry link halves the batch
 * (grown back by one a delivered batch), and a node that does not speak
 * relay version 2 makes this stream relay in version 1 from now on (§7.10).
 */
static void far_aborted(struct far *f, const struct rl *rl, uint8_t reason)
{
	if (reason == RELAY_ABORT_DRY)
		f->batch = f->batch > 1 ? f->batch / 2 : 1;
	if (reason != RELAY_ABORT_VERSION || rl->b.version < 2 ||
	    f->version < 2)
		return;
	f->version = 1;
	log_notice("far %s: a node on the route does not speak relay version 2: relaying one key at a time (version 1)",
		   f->cfg->id);
}

/* End of a relay at its source (§7.4). */
static void at_source(struct relay *r, const struct relay_msg *m)
{
	struct far *f = far_of(r, m->route[m->nodes - 1]);
	struct rl *rl = rl_find(f, m->relay);
	struct route_path p;

	path_of(m, &p);
	if (m->type == KX_RELAY_COMPLETE) {
		if (rl && rl->state == RL_ADDED) {
			send_added(r, rl);
			return;
		}
		if (!rl || rl->state != RL_SENT) {
			send_abort(r, m->relay, &p, 0, 1, m->key_id,
				   batch_of(m), RELAY_ABORT_UNKNOWN, NULL, 0);
			return;
		}
		if (add_key(rl, QKD_OWNER_PEER)) {
			log_warn("far %s: relay %016" PRIx64 ": pool add failed",
				 f->cfg->id, rl->id);
			r->aborted++;
			f->aborted++;
			send_abort(r, m->relay, &p, 0, 1, m->key_id, rl->b,
				   RELAY_ABORT_POOL, NULL, 0);
			rl_free(rl);
			return;
		}
		/* Any key added serves a request as well as the fill. */
		f->owed = f->owed > rl->b.nkeys ? f->owed - rl->b.nkeys : 0;
		rl->state = RL_ADDED;
		rl->resend_ms = RESEND_MIN_MS;
		rl->deadline_ms = now_ms() + rl->resend_ms;
		send_added(r, rl);
		return;
	}
	if (m->type == KX_RELAY_DONE) {
		if (rl && rl->state == RL_ADDED) {
			far_window(f, now_ms() - rl->start_ms);
			delivered(f, rl, true);
			if (f->batch < f->r->kmd->cfg.relay_batch)
				f->batch++;
			rl_free(rl);
			far_fill(f);
		}
		return;
	}
	/* ABORT: K goes, wherever it is here (idempotent). */
	if (f && m->reason == RELAY_ABORT_POOL)
		f->owed = 0;	/* its pool is full: asking more wastes keys */
	if (f && (!rl || rl->state == RL_ADDED))
		drop_batch(f, m->key_id, rl ? rl->b : batch_of(m));
	if (rl) {
		log_info("far %s: relay %016" PRIx64 " aborted: %s", f->cfg->id,
			 rl->id, m->text);
		f->aborted++;
		far_aborted(f, rl, m->reason);
		rl_free(rl);
	}
}

static bool in_pool_local(struct far *f, const uint8_t *key_id)
{
	return f && store_probe_local(f->r->kmd->genl, f->cfg->stream,
			(const uint8_t (*)[QKD_KEY_ID_LEN])key_id, 1) > 0;
}

/* End of a relay at its destination (§7.4): the owner adds last. */
static void at_dest_end(struct relay *r, const struct relay_msg *m)
{
	struct far *f = far_of(r, m->route[0]);
	struct rl *rl = rl_find(f, m->relay);
	struct route_path p;
	struct relay_msg d;
	int pos = m->nodes - 1;

	path_of(m, &p);
	if (rl && rl->state == RL_COMPLETED && m->type == KX_RELAY_ADDED) {
		if (add_key(rl, QKD_OWNER_LOCAL)) {
			log_warn("far %s: relay %016" PRIx64 ": pool add failed",
				 f->cfg->id, rl->id);
			r->aborted++;
			f->aborted++;
			send_abort(r, m->relay, &p, pos, -1, m->key_id, rl->b,
				   RELAY_ABORT_POOL, NULL, 0);
			rl_free(rl);
			return;
		}
		delivered(f, rl, false);
		rl_free(rl);
	} else if (rl && m->type == KX_RELAY_ABORT) {
		log_info("far %s: relay %016" PRIx64 " aborted: %s", f->cfg->id,
			 rl->id, m->text);
		f->aborted++;
		rl_free(rl);
		return;
	} else if (!in_pool_local(f, m->key_id)) {
		/*
		 * A restart, or late after our own abort: not here. The
		 * batch was added in one piece: its first key answers for all.
		 */
		if (m->type == KX_RELAY_ADDED)
			send_abort(r, m->relay, &p, pos, -1, m->key_id,
				   batch_of(m), RELAY_ABORT_UNKNOWN, NULL, 0);
		return;
	}
	envelope(&d, KX_RELAY_DONE, m->relay, &p, pos, -1, m->key_id,
		 batch_of(m));
	send_msg(r, &d);
}

/* COMPLETE, ADDED, DONE, ABORT: ours to settle, or to pass on. */
static void on_e2e(struct relay *r, struct link *l, const struct relay_msg *m)
{
	int dir = m->to > m->from ? 1 : -1;
	struct relay_msg fwd;
	struct hop *h;
	int dropped;

	if (m->type == KX_RELAY_ABORT && m->nids) {
		dropped = store_drop(r->kmd->genl, l->cfg->stream,
				     (const uint8_t (*)[QKD_KEY_ID_LEN])m->ids,
				     m->nids);
		if (dropped > 0)
			log_info("relay %016" PRIx64 ": %d link keys to %s dropped",
				 m->relay, dropped, l->cfg->id);
	}
	h = hop_find(r, m->relay);
	if (dir < 0 && h && (m->type == KX_RELAY_COMPLETE ||
			     m->type == KX_RELAY_ABORT)) {
		/* Our RELAY was not read: its link keys are still there. */
		if (m->type == KX_RELAY_ABORT &&
		    m->reason == RELAY_ABORT_VERSION && m->from == h->pos + 1)
			send_abort(r, h->id, &h->path, h->pos, 1, h->key_id,
				   h->b, RELAY_ABORT_VERSION, h->ids, h->n);
		hop_free(r, h);
		h = NULL;
	}
	if (dir > 0 && m->to == m->nodes - 1) {
		at_dest_end(r, m);
		return;
	}
	if (dir < 0 && m->to == 0) {
		at_source(r, m);
		return;
	}
	fwd = *m;
	fwd.from = m->to;
	fwd.to = m->to + dir;
	if (m->type != KX_RELAY_ABORT || dir < 0) {
		fwd.nids = 0;
		send_msg(r, &fwd);
		return;
	}
	/* Forward, an abort stops where the relay never got. */
	if (!h) {
		park_drop(r, m->relay);
		return;
	}
	/* Not out: the record sends it when the link is back. */
	if (send_abort_ids(r, &fwd, (const uint8_t (*)[QKD_KEY_ID_LEN])h->ids,
			   h->n))
		h->lost = true;
	else
		hop_free(r, h);
}

static uint64_t now_s(void)
{
	return now_ms() / 1000;
}

static void lsa_send(struct relay *r, struct link *l, const struct lsa *lsa)
{
	uint8_t buf[ROUTE_LSA_MAX];
	int len = route_lsa_encode(lsa, buf, sizeof(buf));

	if (len < 0 || !l->up || !l->kx.conn)
		return;
	if (!kx_send_raw(l->kx.conn, KX_LSA, buf, len))
		r->lsa_sent++;
}

/* To every neighbour but the one it came from (§7.7). */
static void lsa_flood(struct relay *r, const struct lsa *lsa,
		      const struct link *from)
{
	struct link *l;

	for (l = r->kmd->links; l; l = l->next)
		if (l != from)
			lsa_send(r, l, lsa);
}

/* Our links as an LSA says them. Returns how many. */
static unsigned int own_links(struct relay *r, struct route_link *out)
{
	unsigned int n = 0;
	struct link *l;

	for (l = r->kmd->links; l && n < ROUTE_LINKS_MAX; l = l->next, n++) {
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].peer, sizeof(out[n].peer), "%s", l->cfg->id);
		out[n].state = link_usable(l) ? ROUTE_LINK_UP : ROUTE_LINK_DOWN;
		out[n].stock = link_stock(r, l);
		out[n].rate = l->keys_per_s > UINT32_MAX ? UINT32_MAX :
			      l->keys_per_s;
	}
	return n;
}

/* Worth a new LSA: a state, a side of the dry line, a quarter of stock. */
static bool links_changed(const struct relay *r, const struct route_link *a,
			  unsigned int n)
{
	uint32_t dry = dry_need(r), was, is;
	unsigned int i;

	if (n != r->adv_count)
		return true;
	for (i = 0; i < n; i++) {
		was = r->adv[i].stock;
		is = a[i].stock;
		if (strcmp(a[i].peer, r->adv[i].peer) ||
		    a[i].state != r->adv[i].state || (was < dry) != (is < dry) ||
		    (is > was ? is - was : was - is) > was / 4)
			return true;
	}
	return false;
}

static void lsa_originate(struct relay *r, bool force)
{
	struct route_link links[ROUTE_LINKS_MAX];
	uint64_t now = now_ms();
	unsigned int n = own_links(r, links);
	struct lsa lsa;

	if (r->stopping)
		return;
	if (!force && (now - r->lsa_ms < LSA_MIN_MS ||
		       (!links_changed(r, links, n) &&
			now - r->lsa_ms < ROUTE_REFRESH * 1000ULL)))
		return;
	if (route_db_originate(r->db, links, n, time(NULL), now / 1000, &lsa))
		return;
	memcpy(r->adv, links, sizeof(links));
	r->adv_count = n;
	r->lsa_ms = now;
	lsa_flood(r, &lsa, NULL);
}

static int on_lsa(struct relay *r, struct link *l, const struct kx_msg *km,
		  const char **why)
{
	struct lsa lsa, fwd;
	int ret;

	if (km->raw_len && km->raw[0] != RELAY_VERSION) {
		log_info("peer %s: LSA of relay version %u dropped", l->cfg->id,
			 km->raw[0]);
		return 0;
	}
	if (route_lsa_decode(km->raw, km->raw_len, &lsa, why))
		return -EPROTO;
	r->lsa_rcvd++;
	ret = route_db_update(r->db, &lsa, now_s());
	if (ret == ROUTE_LSA_SELF_STALE) {
		lsa_originate(r, true);
	} else if (ret == ROUTE_LSA_NEW) {
		/* The copy passed on carries the age it reached, plus one. */
		if (route_db_get(r->db, lsa.origin, now_s(), &fwd))
			fwd = lsa;
		else if (fwd.age < ROUTE_MAX_AGE)
			fwd.age++;
		lsa_flood(r, &fwd, l);
	}
	return 0;
}

/* Who a relay frame names as this hop's ends must be who they are. */
static const char *check_hop(const struct relay *r, const struct link *l,
			     const struct relay_msg *m)
{
	if (strcmp(m->route[m->to], self(r)))
		return "relay frame for another node";
	if (strcmp(m->route[m->from], l->cfg->id))
		return "relay frame from another node than its route says";
	return NULL;
}

/* RELAY_REQUEST (§7.6): pass it on, or relay what the requester asks. */
static void on_request(struct relay *r, const struct relay_msg *m)
{
	struct far *f = far_of(r, m->route[0]);
	struct qkd_stream_stats st;
	struct relay_msg fwd;
	uint32_t room;

	if (m->to != m->nodes - 1) {
		fwd = *m;
		fwd.from = m->to;
		fwd.to = m->to + 1;
		send_msg(r, &fwd);
		return;
	}
	if (!f || m->key_bytes != f->cfg->key_size / 8) {
		log_warn("far %s: RELAY_REQUEST ignored: %s", m->route[0],
			 !f ? "no [far] section for it" :
			 "key size does not fit");
		return;
	}
	if (store_count(r->kmd->genl, f->cfg->stream, &st) < 0)
		return;
	/* Not more than the stream takes: the pools would refuse them. */
	room = st.avail_local + st.avail_peer + st.reserved;
	room = room < f->cfg->max_keys ? f->cfg->max_keys - room : 0;
	/*
	 * The largest of the requests not yet served: a requester asking
	 * again for the same keys still under way gets no more.
	 */
	if (m->count > f->owed)
		f->owed = m->count < room ? m->count : room;
	log_info("far %s: %u keys asked for", f->cfg->id, m->count);
	far_fill(f);
}

/*
 * A relay frame of a version we do not speak (§7.10). Its sender is a
 * newer trusted node, not an attacker (Kx is authenticated), so the
 * connection stays and the relay is aborted back to the sender, which
 * knows the link keys its frame named; we cannot read them.
 */
static void on_version(struct relay *r, struct link *l,
		       const struct kx_msg *km)
{
	struct route_path p;
	struct relay_msg m;
	const char *why;

	if (relay_msg_envelope(km->type, km->raw, km->raw_len, &m, &why) ||
	    (why = check_hop(r, l, &m)) || m.type == KX_RELAY_ABORT) {
		log_warn("peer %s: %s of relay version %u dropped: %s",
			 l->cfg->id, relay_type_name(km->type), km->raw[0],
			 why ?: "an abort is not answered");
		return;
	}
	log_warn("relay %016" PRIx64 " %s -> %s: %s of relay version %u aborted",
		 m.relay, m.route[0], m.route[m.nodes - 1],
		 relay_type_name(m.type), km->raw[0]);
	r->aborted++;
	path_of(&m, &p);
	send_abort(r, m.relay, &p, m.to, m.from - m.to, m.key_id, BATCH_V1,
		   RELAY_ABORT_VERSION, NULL, 0);
}

static bool version_spoken(uint8_t version)
{
#ifdef KMD_FAULTS
	if (version == 2 && fault("refuse-v2"))
		return false;
#endif
	return version >= RELAY_VERSION && version <= RELAY_VERSION_MAX;
}

static int relay_recv(struct kmd *k, struct link *l, const struct kx_msg *km,
		      const char **why)
{
	struct relay *r = k->relay;
	struct relay_msg m;
	int ret = -EPROTO;

	if (km->type == KX_LSA)
		return on_lsa(r, l, km, why);
	if (km->raw_len && !version_spoken(km->raw[0])) {
		on_version(r, l, km);
		return 0;
	}
	if (relay_msg_decode(km->type, km->raw, km->raw_len, &m, why))
		goto out;
	*why = check_hop(r, l, &m);
	if (*why)
		goto out;
	ret = 0;
	if (m.type == KX_RELAY)
		on_relay(r, l, &m);
	else if (m.type == KX_RELAY_REQUEST)
		on_request(r, &m);
	else
		on_e2e(r, l, &m);
out:
	OPENSSL_cleanse(&m, sizeof(m));
	return ret;
}

static void relay_link_up(struct kmd *k, struct link *l)
{
	struct relay *r = k->relay;
	struct hop *h, *next;
	struct lsa lsa;
	unsigned int i;

	lsa_originate(r, true);
	/* A new neighbour learns the whole database at once. */
	for (i = 0; !route_db_at(r->db, i, now_s(), &lsa); i++)
		lsa_send(r, l, &lsa);
	/* Hops whose frame may have died with the last connection (§7.3). */
	for (h = r->hops; h; h = next) {
		next = h->next;
		if (!h->lost || strcmp(h->path.node[h->pos + 1], l->cfg->id))
			continue;
		send_abort(r, h->id, &h->path, h->pos, 1, h->key_id, h->b,
			   RELAY_ABORT_LINK_DOWN, h->ids, h->n);
		hop_free(r, h);
	}
}

static void relay_link_down(struct kmd *k, struct link *l)
{
	struct relay *r = k->relay;
	struct hop *h;

	if (!r)
		return;
	for (h = r->hops; h; h = h->next)
		if (!strcmp(h->path.node[h->pos + 1], l->cfg->id))
			h->lost = true;
	lsa_originate(r, true);
}

static void timeouts(struct relay *r, struct far *f, uint64_t now)
{
	struct rl *rl, *next;

	for (rl = f->rls; rl; rl = next) {
		next = rl->next;
		if (now < rl->deadline_ms)
			continue;
		if (rl->state == RL_ADDED) {
			send_added(r, rl);
			rl->resend_ms = rl->resend_ms * 2 > RESEND_MAX_MS ?
					RESEND_MAX_MS : rl->resend_ms * 2;
			rl->deadline_ms = now + rl->resend_ms;
			continue;
		}
		log_info("far %s: relay %016" PRIx64 " timed out", f->cfg->id,
			 rl->id);
		/* The source lists the first hop's keys for node 1 to drop. */
		if (rl->state == RL_SENT) {
			f->window = f->window > 1 ? f->window / 2 : 1;
			send_abort(r, rl->id, &rl->path, 0, 1, rl->key_id,
				   rl->b, RELAY_ABORT_TIMEOUT, rl->hop0,
				   rl->nhop0);
		} else {
			send_abort(r, rl->id, &rl->path, rl->path.nodes - 1, -1,
				   rl->key_id, rl->b, RELAY_ABORT_TIMEOUT, NULL,
				   0);
		}
		r->aborted++;
		f->aborted++;
		rl_free(rl);
	}
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	uint64_t now = now_ms();
	struct hop *h, *next;
	struct far *f;

	(void)fd;
	(void)what;
	if (r->stopping)
		return;
	route_db_expire(r->db, now / 1000);
	lsa_originate(r, false);
	for (h = r->hops; h; h = next) {
		next = h->next;
		if (now >= h->expires_ms)
			hop_free(r, h);
	}
	park_retry(r, now);
	for (f = r->fars; f; f = f->next) {
		timeouts(r, f, now);
		far_fill(f);
	}
}

static const struct kmd_upper_ops relay_ops = {
	.link_up = relay_link_up,
	.link_down = relay_link_down,
	.recv = relay_recv,
};

int relay_start(struct kmd *k)
{
	struct timeval tv = { 0, TICK_MS * 1000 };
	const struct kmd_peer_cfg *c;
	struct relay *r;
	struct far *f;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->kmd = k;
	r->parked_tail = &r->parked;
	k->relay = r;
	ret = route_db_create(k->cfg.node_id, &r->db);
	if (ret) {
		log_err("relay: node ID %s cannot be relayed to (use [A-Za-z0-9._-])",
			k->cfg.node_id);
		return ret;
	}
	for (c = k->cfg.fars; c; c = c->next) {
		ret = store_stream_ensure(k->genl, c);
		if (ret)
			return ret;
		f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		f->r = r;
		f->cfg = c;
		f->route_err = -EHOSTUNREACH;
		/* Grown by the round trips, from a few (far_window()). */
		f->window = k->cfg.relay_window < 8 ? k->cfg.relay_window : 8;
		f->batch = k->cfg.relay_batch;
		f->version = f->batch > 1 ? 2 : 1;
		f->next = r->fars;
		r->fars = f;
		if (c->route_count &&
		    route_static_set(r->db, c->id, c->route, c->route_count))
			return -EINVAL;
	}
	r->tick = event_new(k->base, -1, EV_PERSIST, tick_cb, r);
	if (!r->tick || event_add(r->tick, &tv))
		return -ENOMEM;
	k->upper = &relay_ops;
	lsa_originate(r, true);
	return 0;
}

int relay_request(struct kmd *k, const struct kmd_peer_cfg *c,
		  unsigned int count)
{
	static const uint8_t no_key[QKD_KEY_ID_LEN];
	struct relay *r = k->relay;
	struct far *f = r ? far_of(r, c->id) : NULL;
	struct route_path p, back;
	uint64_t now = now_ms(), id;
	struct relay_msg m;
	int err;

	if (!f || r->stopping)
		return -ENOENT;
	/* The request goes our way; the keys come the far node's way. */
	err = route_path(r->db, c->id, 0, &p) ?:
	      route_path_to_us(r->db, c->id, dry_need(r), &back);
	if (err)
		return err;
	/* An application retrying in a loop asks once a second. */
	if (count <= f->asked && now - f->asked_ms < REQUEST_MS)
		return 0;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	envelope(&m, KX_RELAY_REQUEST, id, &p, 0, 1, no_key, BATCH_V1);
	m.count = count > KX_IDS_MAX ? KX_IDS_MAX : count;
	m.key_bytes = c->key_size / 8;
	err = send_msg(r, &m);
	if (err)
		return err;
	f->asked = count;
	f->asked_ms = now;
	log_info("far %s: %u keys asked for", c->id, m.count);
	return 0;
}

bool relay_withdraw(struct kmd *k)
{
	struct relay *r = k->relay;
	uint64_t sent;
	struct lsa lsa;

	if (!r || r->stopping)
		return false;
	r->stopping = true;
	if (route_db_get(r->db, self(r), now_s(), &lsa))
		return false;
	lsa.age = ROUTE_MAX_AGE;
	sent = r->lsa_sent;
	lsa_flood(r, &lsa, NULL);
	log_notice("relay: routes through %s withdrawn", self(r));
	return r->lsa_sent != sent;
}

void relay_stop(struct kmd *k)
{
	struct relay *r = k->relay;
	struct far *f;

	if (!r)
		return;
	k->upper = NULL;
	if (r->tick)
		event_free(r->tick);
	while ((f = r->fars)) {
		r->fars = f->next;
		while (f->rls)
			rl_free(f->rls);
		free(f);
	}
	while (r->hops)
		hop_free(r, r->hops);
	while (r->parked)
		park_free(r, &r->parked);
	route_db_destroy(r->db);
	free(r);
	k->relay = NULL;
}

static json_t *path_json(const struct route_path *p)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < p->nodes; i++)
		json_array_append_new(a, json_string(p->node[i]));
	return a;
}

static const char *route_state(int err)
{
	return !err ? "ok" : err == -EAGAIN ? "dry" : "unreachable";
}

static json_t *far_json(struct far *f)
{
	struct qkd_stream_stats st = { 0 };
	int have = store_count(f->r->kmd->genl, f->cfg->stream, &st);
	unsigned int sent = 0, added = 0, completed = 0;
	struct rl *rl;

	for (rl = f->rls; rl; rl = rl->next) {
		sent += rl->state == RL_SENT;
		added += rl->state == RL_ADDED;
		completed += rl->state == RL_COMPLETED;
	}
	return json_pack("{s:s,s:s,s:{s:b,s:I,s:I,s:I,s:I},s:s,s:o,"
			 "s:{s:I,s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"node", f->cfg->id, "stream", f->cfg->stream,
		"pool", "present", have >= 0,
			"keys", (json_int_t)(have >= 0 ? have : 0),
			"avail_local", (json_int_t)st.avail_local,
			"avail_peer", (json_int_t)st.avail_peer,
			"fill_target", (json_int_t)f->cfg->fill_target,
		"route_state", route_state(f->route_err),
		"route", f->route_err == -EHOSTUNREACH ? json_array() :
			 path_json(&f->path),
		"inflight", "sent", (json_int_t)sent,
			    "added", (json_int_t)added,
			    "completed", (json_int_t)completed,
		"relays", (json_int_t)f->relays,
		"relayed", (json_int_t)f->relayed,
		"received", (json_int_t)f->received,
		"aborted", (json_int_t)f->aborted,
		"window", (json_int_t)f->window,
		"relay_version", (json_int_t)f->version,
		"batch", (json_int_t)f->batch);
}

json_t *relay_status_json(struct kmd *k)
{
	struct relay *r = k->relay;
	json_t *routes, *fars;
	struct route_path p;
	struct lsa lsa;
	unsigned int i;
	struct far *f;
	int err;

	if (!r)
		return json_null();
	routes = json_array();
	for (i = 0; !route_db_at(r->db, i, now_s(), &lsa); i++) {
		if (!strcmp(lsa.origin, self(r)))
			continue;
		err = route_path(r->db, lsa.origin, dry_need(r), &p);
		json_array_append_new(routes, json_pack("{s:s,s:s,s:o,s:I}",
			"node", lsa.origin, "state", route_state(err),
			"path", err == -EHOSTUNREACH ? json_array() :
				path_json(&p),
			"bottleneck", (json_int_t)(err == -EHOSTUNREACH ? 0 :
						   p.bottleneck)));
	}
	fars = json_array();
	for (f = r->fars; f; f = f->next)
		json_array_append_new(fars, far_json(f));
	return json_pack("{s:I,s:I,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			 "s:I,s:I,s:I,s:I}}",
		"lsdb", (json_int_t)route_db_count(r->db),
		"parked", (json_int_t)r->nparked,
		"routes", routes, "far", fars,
		"counters", "relays", (json_int_t)r->relays,
			    "relayed", (json_int_t)r->relayed,
			    "waited", (json_int_t)r->waited,
			    "delivered", (json_int_t)r->delivered,
			    "aborted", (json_int_t)r->aborted,
			    "mac_failures", (json_int_t)r->mac_failures,
			    "missing_link_keys", (json_int_t)r->missing_keys,
			    "no_route", (json_int_t)r->no_route,
			    "link_keys_sent", (json_int_t)r->link_keys_sent,
			    "link_keys_received", (json_int_t)r->link_keys_rcvd,
			    "lsa_sent", (json_int_t)r->lsa_sent,
			    "lsa_received", (json_int_t)r->lsa_rcvd);
}
