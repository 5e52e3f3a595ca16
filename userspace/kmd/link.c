// SPDX-License-Identifier: GPL-2.0
/*
 * The delivery of key batches between two neighbour key managers (see
 * link.h and docs/kx-protocol.md for the protocol and why its order makes
 * every crash repairable).
 *
 * The end that will own a batch's keys (add them LOCAL, the only way they
 * can be used on that end's initiative) always adds last; the other end
 * adds them PEER first. So a key is usable only once both pools hold it,
 * and a half-added batch is a set of PEER-owned keys that can be removed
 * by ID. Batches live in memory only while in delivery; the pool is the
 * store of delivered keys.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "keyid.h"
#include "kx.h"
#include "link.h"
#include "log.h"
#include "store.h"

#define MAX_INFLIGHT	4	/* batches in delivery per link */
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000
#define FILL_TICK_MS	200
#define PROBE_TICKS	10	/* KME status probe every 2 s when idle */

enum bstate {
	B_KME,		/* waiting for our KME (enc_keys or dec_keys) */
	B_READY,	/* master, adding first: waiting for READY */
	B_ADDED,	/* owner end: waiting for the other end's ADDED */
	B_DONE,		/* added first: waiting for the owner's DONE */
	B_ABORT,	/* owner end, link went down: ABORT on reconnect */
};

struct batch {
	struct batch *next;
	struct link *l;
	uint64_t id;
	uint8_t owner;			/* enum kx_owner */
	enum bstate state;
	bool kme_busy, dead;		/* dead: freed when the KME answers */
	uint16_t key_bytes, count;
	uint8_t (*ids)[QKD_KEY_ID_LEN];
	struct qkd_key_record *keys;	/* material, while we hold it */
};

static void link_fill(struct link *l);
static void kme_probe(struct link *l);

static bool we_own(const struct link *l, const struct batch *b)
{
	return (b->owner == KX_OWNER_MASTER) == l->cfg->master;
}

static unsigned int backoff(unsigned int ms)
{
	if (!ms)
		return BACKOFF_MIN_MS;
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

static void timer_ms(struct event *ev, unsigned int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void keys_wipe(struct batch *b)
{
	if (!b->keys)
		return;
	etsi014_keys_wipe(b->keys, b->count);
	free(b->keys);
	b->keys = NULL;
}

static void batch_release(struct batch *b)
{
	keys_wipe(b);
	free(b->ids);
	free(b);
}

/* Unlink; a batch with a KME request in flight is freed by its callback. */
static void batch_free(struct batch *b)
{
	struct batch **pp;

	for (pp = &b->l->batches; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	if (b->kme_busy)
		b->dead = true;
	else
		batch_release(b);
}

static struct batch *batch_find(struct link *l, uint64_t id)
{
	struct batch *b;

	for (b = l->batches; b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

static struct batch *batch_new(struct link *l, uint64_t id, uint16_t count)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ids = calloc(count, QKD_KEY_ID_LEN);
	if (!b->ids) {
		free(b);
		return NULL;
	}
	b->l = l;
	b->id = id;
	b->count = count;
	b->next = l->batches;
	l->batches = b;
	return b;
}

/* Keys of batches in delivery that the master (or the slave) will own. */
static uint32_t inflight_owned(const struct link *l, uint8_t owner)
{
	const struct batch *b;
	uint32_t n = 0;

	for (b = l->batches; b; b = b->next)
		if (b->state != B_DONE && b->state != B_ABORT &&
		    b->owner == owner)
			n += b->count;
	return n;
}

unsigned int link_inflight(const struct link *l)
{
	return inflight_owned(l, KX_OWNER_MASTER) +
	       inflight_owned(l, KX_OWNER_SLAVE);
}

unsigned int link_batches(const struct link *l)
{
	const struct batch *b;
	unsigned int n = 0;

	for (b = l->batches; b; b = b->next)
		n++;
	return n;
}

/* Send a frame about b; quietly nothing while the link is down. */
static void send_batch(struct link *l, uint8_t type, const struct batch *b,
		       const char *reason)
{
	struct kx_msg *m;

	if (!l->up || !l->kx.conn)
		return;
	m = calloc(1, sizeof(*m));
	if (!m) {
		log_err("peer %s: out of memory", l->cfg->id);
		return;
	}
	m->type = type;
	m->batch = b->id;
	m->owner = b->owner;
	m->key_bytes = b->key_bytes;
	m->count = b->count;
	memcpy(m->ids, b->ids, (size_t)b->count * QKD_KEY_ID_LEN);
	snprintf(m->text, sizeof(m->text), "%s", reason ? reason : "");
	kx_send(l->kx.conn, m);
	free(m);
}

/*
 * A batch a pool refused (full, a duplicate ID), or that the peer aborted
 * for another reason (its KME refused the IDs), cost the KMEs its keys:
 * the next batch would most likely meet the same refusal, and asking at
 * once wastes QKD keys in a loop. Ask again after a backoff, doubling to
 * BACKOFF_MAX_MS while batches keep failing, one batch at a time; a
 * batch done ends it.
 */
static void fill_back_off(struct link *l)
{
	if (!l->cfg->master)
		return;		/* the master alone asks for batches */
	l->fill_backoff_ms = backoff(l->fill_backoff_ms);
	timer_ms(l->fill_hold, l->fill_backoff_ms);
}

static void fill_resume(struct link *l)
{
	l->fill_backoff_ms = 0;
	evtimer_del(l->fill_hold);
}

static bool fill_held(const struct link *l)
{
	return evtimer_pending(l->fill_hold, NULL);
}

static void abort_batch(struct batch *b, const char *reason)
{
	struct link *l = b->l;

	log_warn("peer %s: batch %016" PRIx64 " (%u keys) aborted: %s",
		 l->cfg->id, b->id, b->count, reason);
	send_batch(l, KX_ABORT, b, reason);
	l->batches_aborted++;
	batch_free(b);
}

/* Add b's keys to our pool: LOCAL-owned if we own the batch. */
static int add_keys(struct batch *b)
{
	struct link *l = b->l;
	uint32_t owner = we_own(l, b) ? QKD_OWNER_LOCAL : QKD_OWNER_PEER;
	char why[160];
	int ret;

	ret = store_add(l->kmd->genl, l->cfg->stream, b->keys, b->count,
			owner, l->cfg->lifetime_ms);
	keys_wipe(b);
	if (!ret) {
		l->keys_added += b->count;
		log_debug("peer %s: batch %016" PRIx64 ": %u keys added %s",
			  l->cfg->id, b->id, b->count,
			  owner == QKD_OWNER_LOCAL ? "local" : "peer");
		return 0;
	}
	snprintf(why, sizeof(why), "pool add failed: %s %s", strerror(-ret),
		 qkd_genl_extack(l->kmd->genl));
	abort_batch(b, why);
	fill_back_off(l);
	return ret;
}

static void kme_failed(struct link *l, const char *error)
{
	l->kme_errors++;
	/* Requests that were in flight together fail together: one step. */
	if (l->kme_waiting) {
		snprintf(l->kme_error, sizeof(l->kme_error), "%s", error);
		return;
	}
	l->kme_backoff_ms = backoff(l->kme_backoff_ms);
	if (l->kme_ok || strcmp(l->kme_error, error))
		log_warn("peer %s: KME %s: %s; retrying in %u ms", l->cfg->id,
			 l->cfg->kme_url, error, l->kme_backoff_ms);
	l->kme_ok = false;
	snprintf(l->kme_error, sizeof(l->kme_error), "%s", error);
	l->kme_waiting = true;
	timer_ms(l->kme_timer, l->kme_backoff_ms);
}

static void kme_succeeded(struct link *l)
{
	if (!l->kme_ok)
		log_notice("peer %s: KME %s is up", l->cfg->id,
			   l->cfg->kme_url);
	l->kme_ok = true;
	l->kme_backoff_ms = 0;
	l->kme_error[0] = '\0';
}

/*
 * Keep the KME's keys for b: they must be the ones asked for, in order and
 * size (else -EBADMSG).
 */
static int keep_kme_keys(struct batch *b, struct etsi014_result *r,
			 bool check_ids)
{
	size_t i;

	if (r->n != b->count)
		return -EBADMSG;
	for (i = 0; i < r->n; i++)
		if (r->keys[i].material_len != b->key_bytes ||
		    (check_ids && memcmp(r->keys[i].id, b->ids[i],
					 QKD_KEY_ID_LEN)))
			return -EBADMSG;
	for (i = 0; i < r->n; i++)
		memcpy(b->ids[i], r->keys[i].id, QKD_KEY_ID_LEN);
	/* Kept, not copied: the client leaves a taken array to us. */
	b->keys = r->keys;
	r->keys = NULL;
	return 0;
}

/* Master: our KME's enc_keys answered. */
static void enc_done(void *arg, struct etsi014_result *r)
{
	struct batch *b = arg;
	struct link *l = b->l;

	b->kme_busy = false;
	l->kme_answered += b->count;
	if (b->dead) {
		batch_release(b);
		return;
	}
	if (!r->ok) {
		batch_free(b);
		/* 503 may only mean "not that many keys yet": ask status. */
		if (r->http == 503)
			kme_probe(l);
		else
			kme_failed(l, r->error);
		return;
	}
	kme_succeeded(l);
	if (keep_kme_keys(b, r, false)) {
		log_err("peer %s: KME returned %zu keys, asked for %u of %u bytes",
			l->cfg->id, r->n, b->count, b->key_bytes);
		batch_free(b);
		return;
	}
	if (!l->up) {
		log_warn("peer %s: Kx down: %u keys from the KME dropped",
			 l->cfg->id, b->count);
		batch_free(b);
		return;
	}
	send_batch(l, KX_OFFER, b, NULL);
	b->state = we_own(l, b) ? B_ADDED : B_READY;
	link_fill(l);
}

static int request_keys(struct link *l, uint16_t n, uint8_t owner)
{
	uint64_t id;
	struct batch *b;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	b = batch_new(l, id, n);
	if (!b)
		return -ENOMEM;
	b->state = B_KME;
	b->key_bytes = l->cfg->key_size / 8;
	b->owner = owner;
	if (etsi014_client_enc_keys(l->kme, l->cfg->peer_sae, n,
				    l->cfg->key_size, enc_done, b)) {
		batch_free(b);
		return -ENOMEM;
	}
	b->kme_busy = true;
	l->kme_asked += n;
	return 0;
}

static unsigned int batches_in_delivery(const struct link *l)
{
	const struct batch *b;
	unsigned int n = 0;

	for (b = l->batches; b; b = b->next)
		n += b->state != B_DONE && b->state != B_ABORT;
	return n;
}

/*
 * The owner of the next batch and how many keys it may bring: the end
 * whose half (its keys, in the pool and on the way) is further below its
 * share of the fill target, the master's share the odd key. Giving each
 * batch to the end that needs it, not to each end in turn, keeps an end
 * whose consumers take all the keys from starving behind a full half at
 * the other end. Returns 0 when both halves are at their share.
 */
static uint32_t next_batch(const struct link *l,
			   const struct qkd_stream_stats *st, uint8_t *owner)
{
	uint32_t target = l->cfg->fill_target, need_master, need_slave;
	/* The master's pool: its local-owned keys are the master's half. */
	uint32_t master = st->avail_local + st->reserved +
			  inflight_owned(l, KX_OWNER_MASTER);
	uint32_t slave = st->avail_peer + inflight_owned(l, KX_OWNER_SLAVE);

	need_master = target - target / 2 > master ?
		      target - target / 2 - master : 0;
	need_slave = target / 2 > slave ? target / 2 - slave : 0;
	*owner = need_master >= need_slave ? KX_OWNER_MASTER : KX_OWNER_SLAVE;
	return need_master >= need_slave ? need_master : need_slave;
}

/* Master: keep each end's half of the stream at its share of the target. */
static void link_fill(struct link *l)
{
	struct qkd_stream_stats st;
	uint8_t owner;
	uint32_t want;
	int have;

	if (!l->cfg->master || !l->up || l->kme_waiting || fill_held(l))
		return;
	/* Backing off, one batch at a time probes the pools. */
	while (batches_in_delivery(l) < (l->fill_backoff_ms ? 1 : MAX_INFLIGHT)) {
		have = store_count(l->kmd->genl, l->cfg->stream, &st);
		if (have < 0) {
			log_err("peer %s: stream %s: %s", l->cfg->id,
				l->cfg->stream, strerror(-have));
			return;
		}
		want = next_batch(l, &st, &owner);
		if (!want)
			return;
		if (want > l->cfg->batch)
			want = l->cfg->batch;
		/*
		 * Ask for no more than the KME surely has (see status_done).
		 * Short of a batch, or with no count yet, ask status again
		 * rather than meet a 503.
		 */
		if (l->kme_probing)
			return;
		if (!l->kme_stored_known || l->kme_stored < want)
			kme_probe(l);
		if (!l->kme_stored_known || !l->kme_stored)
			return;
		if (want > l->kme_stored)
			want = l->kme_stored;
		l->kme_stored -= want;
		if (request_keys(l, want, owner))
			return;
		/* After a failure, one request probes the KME first. */
		if (!l->kme_ok)
			return;
	}
}

static void dec_done(void *arg, struct etsi014_result *r);

/* Slave: ask our KME for the offered keys. */
static void start_dec(struct batch *b)
{
	struct etsi014_dec_req *req = calloc(1, sizeof(*req));

	if (!req) {
		abort_batch(b, "out of memory");
		return;
	}
	req->n = b->count;
	memcpy(req->ids, b->ids, (size_t)b->count * QKD_KEY_ID_LEN);
	if (etsi014_client_dec_keys(b->l->kme, b->l->cfg->peer_sae, req,
				    dec_done, b))
		abort_batch(b, "cannot start dec_keys");
	else
		b->kme_busy = true;
	free(req);
}

static void dec_done(void *arg, struct etsi014_result *r)
{
	struct batch *b = arg;
	struct link *l = b->l;
	char why[600];

	b->kme_busy = false;
	if (b->dead) {
		batch_release(b);
		return;
	}
	if (!r->ok && r->http != 400 && r->http != 401) {
		/* Down or overloaded: the keys wait in the KME; retry. */
		kme_failed(l, r->error);
		return;
	}
	if (!r->ok) {
		snprintf(why, sizeof(why), "KME refused dec_keys: %s",
			 r->error);
		abort_batch(b, why);
		return;
	}
	kme_succeeded(l);
	if (keep_kme_keys(b, r, true)) {
		abort_batch(b, "KME returned other keys than offered");
		return;
	}
	if (we_own(l, b)) {
		send_batch(l, KX_READY, b, NULL);
		b->state = B_ADDED;
		return;
	}
	if (add_keys(b))
		return;
	send_batch(l, KX_ADDED, b, NULL);
	b->state = B_DONE;
}

static int on_offer(struct link *l, const struct kx_msg *m, const char **why)
{
	struct batch *b;

	if (l->cfg->master) {
		*why = "OFFER sent to the master";
		return -EPROTO;
	}
	if (batch_find(l, m->batch)) {
		*why = "OFFER repeats a batch in delivery";
		return -EPROTO;
	}
	b = batch_new(l, m->batch, m->count);
	if (!b)
		return 0;	/* the master times nothing out: it aborts on reconnect */
	memcpy(b->ids, m->ids, (size_t)m->count * QKD_KEY_ID_LEN);
	b->owner = m->owner;
	b->key_bytes = m->key_bytes;
	b->state = B_KME;
	if (!l->kme_waiting)
		start_dec(b);
	return 0;
}

static int on_ready(struct link *l, const struct kx_msg *m, const char **why)
{
	struct batch *b = batch_find(l, m->batch);

	if (!l->cfg->master) {
		*why = "READY sent to the slave";
		return -EPROTO;
	}
	if (!b || b->state != B_READY) {
		log_warn("peer %s: READY for batch %016" PRIx64
			 " not awaiting it: ignored", l->cfg->id, m->batch);
		return 0;
	}
	if (add_keys(b))
		return 0;
	send_batch(l, KX_ADDED, b, NULL);
	b->state = B_DONE;
	return 0;
}

/* ADDED for a batch we have no keys for: did we add it before? */
static void reconcile_added(struct link *l, const struct kx_msg *m)
{
	struct batch tmp = {
		.l = l, .id = m->batch, .count = m->count,
		.ids = (uint8_t (*)[QKD_KEY_ID_LEN])m->ids,
	};
	int present;

	present = store_probe_local(l->kmd->genl, l->cfg->stream,
				    tmp.ids, m->count);
	if (present > 0) {
		log_notice("peer %s: batch %016" PRIx64
			   ": %d of %u keys already in the pool: confirmed",
			   l->cfg->id, m->batch, present, m->count);
		send_batch(l, KX_DONE, &tmp, NULL);
		return;
	}
	log_notice("peer %s: batch %016" PRIx64
		   " not in the pool: asking the peer to drop it",
		   l->cfg->id, m->batch);
	send_batch(l, KX_ABORT, &tmp, "not in the owner's pool");
	l->batches_aborted++;
}

static int on_added(struct link *l, const struct kx_msg *m)
{
	struct batch *b = batch_find(l, m->batch);

	if (b && b->state == B_ADDED && b->keys) {
		if (add_keys(b))
			return 0;
		send_batch(l, KX_DONE, b, NULL);
		l->batches_done++;
		batch_free(b);
		fill_resume(l);
		link_fill(l);
		return 0;
	}
	if (b)
		batch_free(b);
	reconcile_added(l, m);
	return 0;
}

static int on_done(struct link *l, const struct kx_msg *m)
{
	struct batch *b = batch_find(l, m->batch);

	if (!b || b->state != B_DONE) {
		log_debug("peer %s: DONE for batch %016" PRIx64 ": ignored",
			  l->cfg->id, m->batch);
		return 0;
	}
	l->batches_done++;
	batch_free(b);
	fill_resume(l);
	link_fill(l);
	return 0;
}

static int on_abort(struct link *l, const struct kx_msg *m)
{
	struct batch *b = batch_find(l, m->batch);
	int dropped;

	dropped = store_drop(l->kmd->genl, l->cfg->stream,
			     (const uint8_t (*)[QKD_KEY_ID_LEN])m->ids,
			     m->count);
	if (dropped > 0)
		l->keys_dropped += dropped;
	log_notice("peer %s: batch %016" PRIx64 " aborted by the peer: %s"
		   " (%d keys dropped here)", l->cfg->id, m->batch, m->text,
		   dropped);
	if (b) {
		l->batches_aborted++;
		batch_free(b);
		fill_back_off(l);
	}
	link_fill(l);
	return 0;
}

static struct link *link_of(struct kx_peer *p)
{
	return (struct link *)((char *)p - offsetof(struct link, kx));
}

static int kx_recv(struct kx_peer *p, const struct kx_msg *m,
		   const char **why)
{
	struct link *l = link_of(p);

	switch (m->type) {
	case KX_OFFER:
		return on_offer(l, m, why);
	case KX_READY:
		return on_ready(l, m, why);
	case KX_ADDED:
		return on_added(l, m);
	case KX_DONE:
		return on_done(l, m);
	case KX_ABORT:
		return on_abort(l, m);
	case KX_HELLO:
		*why = "HELLO repeated";
		return -EPROTO;
	}
	if (m->type >= KX_RELAY_FIRST && l->kmd->upper)
		return l->kmd->upper->recv(l->kmd, l, m, why);
	*why = "key relay is not enabled on this node";
	return -EPROTO;
}

static void kx_up(struct kx_peer *p)
{
	struct link *l = link_of(p);
	struct batch *b, *next;

	l->up = true;
	l->dial_backoff_ms = 0;
	l->kx_connects++;
	l->kx_error[0] = '\0';
	log_notice("peer %s: Kx up (%s)", l->cfg->id,
		   l->cfg->master ? "we are master" : "we are slave");
	/* Settle what the last connection left open (kx-protocol.md §5). */
	for (b = l->batches; b; b = next) {
		next = b->next;
		if (b->state == B_DONE)
			send_batch(l, KX_ADDED, b, NULL);
		else if (b->state == B_ABORT)
			abort_batch(b, "Kx connection lost before ADDED");
	}
	link_fill(l);
	if (l->kmd->upper)
		l->kmd->upper->link_up(l->kmd, l);
}

static void kx_down(struct kx_peer *p, const char *why)
{
	struct link *l = link_of(p);
	struct batch *b, *next;

	if (l->up)
		log_warn("peer %s: Kx down: %s", l->cfg->id, why);
	snprintf(l->kx_error, sizeof(l->kx_error), "%s", why);
	l->up = false;
	for (b = l->batches; b; b = next) {
		next = b->next;
		if (b->state == B_DONE)
			continue;	/* resend ADDED on reconnect */
		if (b->state == B_ADDED && we_own(l, b)) {
			/* The other end may have added: have it drop them. */
			keys_wipe(b);
			b->state = B_ABORT;
			continue;
		}
		if (b->state != B_ABORT)
			batch_free(b);
	}
	if (l->cfg->master) {
		l->dial_backoff_ms = backoff(l->dial_backoff_ms);
		timer_ms(l->redial, l->dial_backoff_ms);
	}
	if (l->kmd->upper)
		l->kmd->upper->link_down(l->kmd, l);
}

static void redial_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)what;
	if (l->kx.conn)
		return;
	if (kx_dial(l->kmd, &l->kx)) {
		l->dial_backoff_ms = backoff(l->dial_backoff_ms);
		timer_ms(l->redial, l->dial_backoff_ms);
	}
}

static void status_done(void *arg, struct etsi014_result *r)
{
	struct link *l = arg;
	uint64_t unsure;

	l->kme_probing = false;
	if (!r->ok) {
		l->kme_stored_known = false;
		kme_failed(l, r->error);
		return;
	}
	kme_succeeded(l);
	/*
	 * The count may include keys of enc_keys requests that had not come
	 * back when we asked, or were asked since: count them as gone. So
	 * the estimate errs low only (the KME keeps producing, too).
	 */
	unsure = l->kme_asked - l->probe_answered;
	l->kme_stored = r->status.stored_key_count > unsure ?
			r->status.stored_key_count - unsure : 0;
	l->kme_stored_known = true;
	link_fill(l);
}

static void kme_probe(struct link *l)
{
	if (l->kme_probing)
		return;
	if (etsi014_client_status(l->kme, l->cfg->peer_sae, status_done, l))
		return;
	l->kme_probing = true;
	l->probe_answered = l->kme_answered;
}

/* The back-off is over: try again what waited for the KME. */
static void kme_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	struct batch *b;
	bool retried = false;

	(void)fd;
	(void)what;
	l->kme_waiting = false;
	for (b = l->batches; b; b = b->next)
		if (b->state == B_KME && !b->kme_busy) {
			start_dec(b);
			retried = true;
			break;	/* one probe; the rest follow on success */
		}
	if (!retried)
		kme_probe(l);
	link_fill(l);
}

static void fill_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_fill(arg);
}

static void fill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	struct batch *b, *next;

	(void)fd;
	(void)what;
	if (l->kme_waiting)
		return;
	/* After a recovery, the batches that waited for the KME go on. */
	for (b = l->batches; b; b = next) {
		next = b->next;		/* start_dec may abort (free) b */
		if (b->state == B_KME && !b->kme_busy && !l->cfg->master)
			start_dec(b);
	}
	link_fill(l);
	/*
	 * An idle link still watches its KME, so status tells the truth;
	 * a master told "no keys yet" looks again at the next tick.
	 */
	if ((l->kme_stored_known && !l->kme_stored && l->cfg->master) ||
	    (++l->ticks % PROBE_TICKS == 0 && !etsi014_client_busy(l->kme)))
		kme_probe(l);
}

static const struct kx_peer_ops kx_ops = {
	.up = kx_up,
	.down = kx_down,
	.recv = kx_recv,
};

int link_create(struct kmd *k, const struct kmd_peer_cfg *cfg,
		struct link **out)
{
	struct etsi014_client_cfg kc = {
		.url = cfg->kme_url, .cert = cfg->kme_cert,
		.key = cfg->kme_key, .ca = cfg->kme_ca,
	};
	struct timeval tick = { 0, FILL_TICK_MS * 1000 };
	struct link *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->kmd = k;
	l->cfg = cfg;
	l->kx.ops = &kx_ops;
	l->kx.id = cfg->id;
	l->kx.address = cfg->address;
	l->kx.master = cfg->master;
	l->kme = etsi014_client_new(k->base, &kc);
	l->redial = evtimer_new(k->base, redial_cb, l);
	l->kme_timer = evtimer_new(k->base, kme_timer_cb, l);
	l->fill_timer = event_new(k->base, -1, EV_PERSIST, fill_cb, l);
	l->fill_hold = evtimer_new(k->base, fill_hold_cb, l);
	if (!l->kme || !l->redial || !l->kme_timer || !l->fill_timer ||
	    !l->fill_hold || event_add(l->fill_timer, &tick)) {
		link_destroy(l);
		return -ENOMEM;
	}
	snprintf(l->kme_error, sizeof(l->kme_error), "not contacted yet");
	snprintf(l->kx_error, sizeof(l->kx_error), "not connected yet");
	kx_peer_register(k, &l->kx);
	if (cfg->master)
		timer_ms(l->redial, 0);
	*out = l;
	return 0;
}

void link_destroy(struct link *l)
{
	if (!l)
		return;
	kx_peer_unregister(l->kmd, &l->kx);
	while (l->batches) {
		l->batches->kme_busy = false;	/* the client goes below */
		batch_free(l->batches);
	}
	etsi014_client_free(l->kme);
	if (l->redial)
		event_free(l->redial);
	if (l->kme_timer)
		event_free(l->kme_timer);
	if (l->fill_timer)
		event_free(l->fill_timer);
	if (l->fill_hold)
		event_free(l->fill_hold);
	free(l);
}
