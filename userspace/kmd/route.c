// SPDX-License-Identifier: GPL-2.0
/*
 * Key relay routing: the link-state database and the path choice (see
 * route.h). The database is small (ROUTE_NODES_MAX origins), so lookups
 * are linear and Dijkstra scans for its next node: no heap to get wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "wire.h"

struct origin {
	struct lsa lsa;
	uint64_t rcvd;		/* when stored: the LSA ages from here */
};

struct pin {
	char dst[KMD_ID_MAX];
	uint8_t count;
	char hops[ROUTE_PATH_MAX - 1][KMD_ID_MAX];
};

struct route_db {
	char self[KMD_ID_MAX];
	uint32_t seq;		/* of our own LSA; 0 before the first */
	unsigned int count, pins;
	struct origin o[ROUTE_NODES_MAX];
	struct pin pin[ROUTE_NODES_MAX];
};

bool route_id_valid(const char *id)
{
	size_t len = strnlen(id, KMD_ID_MAX), i;

	if (!len || len > ROUTE_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", id[i]))
			return false;
	return true;
}

/* The checks every LSA passes, wherever it comes from. */
static int lsa_check(const struct lsa *lsa, const char **why)
{
	unsigned int i, j;

	if (!route_id_valid(lsa->origin))
		*why = "bad origin node ID";
	else if (!lsa->seq)
		*why = "sequence number 0";
	else if (lsa->age > ROUTE_MAX_AGE)
		*why = "age beyond the maximum";
	else if (lsa->count > ROUTE_LINKS_MAX)
		*why = "too many links";
	else
		*why = NULL;
	for (i = 0; !*why && i < lsa->count; i++) {
		const struct route_link *l = &lsa->links[i];

		if (!route_id_valid(l->peer))
			*why = "bad neighbour node ID";
		else if (!strcmp(l->peer, lsa->origin))
			*why = "link to the origin itself";
		else if (l->state != ROUTE_LINK_UP &&
			 l->state != ROUTE_LINK_DOWN)
			*why = "bad link state";
		for (j = 0; !*why && j < i; j++)
			if (!strcmp(lsa->links[j].peer, l->peer))
				*why = "neighbour listed twice";
	}
	return *why ? -EINVAL : 0;
}

int route_db_create(const char *self, struct route_db **out)
{
	struct route_db *db;

	if (!route_id_valid(self))
		return -EINVAL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	strcpy(db->self, self);
	*out = db;
	return 0;
}

void route_db_destroy(struct route_db *db)
{
	free(db);
}

static int find(const struct route_db *db, const char *origin)
{
	unsigned int i;

	for (i = 0; i < db->count; i++)
		if (!strcmp(db->o[i].lsa.origin, origin))
			return i;
	return -1;
}

static void forget(struct route_db *db, int i)
{
	db->o[i] = db->o[--db->count];
}

static int store(struct route_db *db, const struct lsa *lsa, uint64_t now)
{
	int i = find(db, lsa->origin);

	if (i < 0) {
		if (db->count == ROUTE_NODES_MAX)
			return -ENOSPC;
		i = db->count++;
	}
	db->o[i].lsa = *lsa;
	db->o[i].rcvd = now;
	return 0;
}

int route_db_originate(struct route_db *db, const struct route_link *links,
		       unsigned int count, uint32_t first_seq, uint64_t now,
		       struct lsa *out)
{
	struct lsa lsa = { .count = count };
	const char *why;
	int err;

	if (count > ROUTE_LINKS_MAX)
		return -EINVAL;
	if (db->seq == UINT32_MAX)
		return -EOVERFLOW;
	strcpy(lsa.origin, db->self);
	lsa.seq = db->seq ? db->seq + 1 : (first_seq ? first_seq : 1);
	memcpy(lsa.links, links, count * sizeof(*links));
	if (lsa_check(&lsa, &why))
		return -EINVAL;
	err = store(db, &lsa, now);
	if (err)
		return err;
	db->seq = lsa.seq;
	if (out)
		*out = lsa;
	return 0;
}

int route_db_update(struct route_db *db, const struct lsa *lsa,
		    uint64_t now)
{
	bool withdraw = lsa->age >= ROUTE_MAX_AGE;
	const char *why;
	int i;

	if (lsa_check(lsa, &why))
		return -EINVAL;
	if (!strcmp(lsa->origin, db->self)) {
		if (lsa->seq <= db->seq)
			return lsa->seq == db->seq ? ROUTE_LSA_SAME :
			       ROUTE_LSA_OLD;
		db->seq = lsa->seq;
		return ROUTE_LSA_SELF_STALE;
	}
	i = find(db, lsa->origin);
	if (i >= 0 && lsa->seq < db->o[i].lsa.seq)
		return ROUTE_LSA_OLD;
	/* A withdrawal wins over the same sequence number still alive. */
	if (i >= 0 && lsa->seq == db->o[i].lsa.seq && !withdraw)
		return ROUTE_LSA_SAME;
	if (withdraw) {
		if (i < 0)
			return ROUTE_LSA_OLD;
		forget(db, i);
		return ROUTE_LSA_NEW;
	}
	return store(db, lsa, now) ?: ROUTE_LSA_NEW;
}

static uint16_t age_now(const struct origin *o, uint64_t now)
{
	uint64_t age = o->lsa.age + (now > o->rcvd ? now - o->rcvd : 0);

	return age > ROUTE_MAX_AGE ? ROUTE_MAX_AGE : age;
}

int route_db_expire(struct route_db *db, uint64_t now)
{
	unsigned int i = 0;
	int n = 0;

	while (i < db->count) {
		if (strcmp(db->o[i].lsa.origin, db->self) &&
		    age_now(&db->o[i], now) >= ROUTE_MAX_AGE) {
			forget(db, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

int route_db_get(const struct route_db *db, const char *origin,
		 uint64_t now, struct lsa *out)
{
	int i = find(db, origin);

	if (i < 0)
		return -ENOENT;
	*out = db->o[i].lsa;
	out->age = age_now(&db->o[i], now);
	return 0;
}

int route_db_at(const struct route_db *db, unsigned int i, uint64_t now,
		struct lsa *out)
{
	if (i >= db->count)
		return -ENOENT;
	return route_db_get(db, db->o[i].lsa.origin, now, out);
}

unsigned int route_db_count(const struct route_db *db)
{
	return db->count;
}

static int find_pin(const struct route_db *db, const char *dst)
{
	unsigned int i;

	for (i = 0; i < db->pins; i++)
		if (!strcmp(db->pin[i].dst, dst))
			return i;
	return -1;
}

static int check_hops(const struct route_db *db, const char *dst,
		      const char (*hops)[KMD_ID_MAX], unsigned int count)
{
	unsigned int i, j;

	if (!route_id_valid(dst) || !strcmp(dst, db->self) ||
	    count >= ROUTE_PATH_MAX || strcmp(hops[count - 1], dst))
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (!route_id_valid(hops[i]) || !strcmp(hops[i], db->self))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(hops[i], hops[j]))
				return -EINVAL;
	}
	return 0;
}

int route_static_set(struct route_db *db, const char *dst,
		     const char (*hops)[KMD_ID_MAX], unsigned int count)
{
	int i = find_pin(db, dst);
	struct pin *p;

	if (!count) {
		if (i < 0)
			return -ENOENT;
		db->pin[i] = db->pin[--db->pins];
		return 0;
	}
	if (check_hops(db, dst, hops, count))
		return -EINVAL;
	if (i < 0) {
		if (db->pins == ROUTE_NODES_MAX)
			return -ENOSPC;
		i = db->pins++;
	}
	p = &db->pin[i];
	strcpy(p->dst, dst);
	p->count = count;
	memcpy(p->hops, hops, count * sizeof(*hops));
	return 0;
}

static const struct route_link *link_to(const struct lsa *lsa,
					const char *peer)
{
	unsigned int i;

	for (i = 0; i < lsa->count; i++)
		if (!strcmp(lsa->links[i].peer, peer))
			return &lsa->links[i];
	return NULL;
}

/*
 * u's link to v if it may carry a relay hop from u: a link counts only
 * when both ends advertise it up, so one end's stale view of a dead link
 * cannot attract relays.
 */
static const struct route_link *edge(const struct route_db *db, int u,
				     int v)
{
	const struct route_link *a, *b;

	a = link_to(&db->o[u].lsa, db->o[v].lsa.origin);
	if (!a || a->state != ROUTE_LINK_UP)
		return NULL;
	b = link_to(&db->o[v].lsa, db->o[u].lsa.origin);
	return b && b->state == ROUTE_LINK_UP ? a : NULL;
}

struct label {
	uint32_t hops;		/* UINT32_MAX: not reached */
	uint32_t width;		/* least stock on the way */
	int prev;
	bool done;
};

/* Fewer hops first, then the wider path (more keys at its bottleneck). */
static bool better(uint32_t hops, uint32_t width, const struct label *l)
{
	return hops < l->hops || (hops == l->hops && width > l->width);
}

static int next_node(const struct route_db *db, const struct label *lab)
{
	unsigned int i;
	int best = -1;

	for (i = 0; i < db->count; i++)
		if (!lab[i].done && lab[i].hops != UINT32_MAX &&
		    (best < 0 || better(lab[i].hops, lab[i].width, &lab[best])))
			best = i;
	return best;
}

static void relax(const struct route_db *db, struct label *lab, int u,
		  uint32_t need)
{
	const struct lsa *lsa = &db->o[u].lsa;
	const struct route_link *l;
	unsigned int i;
	uint32_t w;
	int v;

	if (lab[u].hops + 2 > ROUTE_PATH_MAX)
		return;
	for (i = 0; i < lsa->count; i++) {
		v = find(db, lsa->links[i].peer);
		if (v < 0 || lab[v].done)
			continue;
		l = edge(db, u, v);
		if (!l || l->stock < need)
			continue;
		w = l->stock < lab[u].width ? l->stock : lab[u].width;
		if (better(lab[u].hops + 1, w, &lab[v])) {
			lab[v].hops = lab[u].hops + 1;
			lab[v].width = w;
			lab[v].prev = u;
		}
	}
}

/*
 * Dijkstra over (hops, -width): extending a better label never gives a
 * worse one, so the first time dst is settled its label is the best.
 */
static int shortest(const struct route_db *db, int src, int dst,
		    uint32_t need, struct route_path *path)
{
	struct label lab[ROUTE_NODES_MAX];
	unsigned int i;
	int u, n;

	for (i = 0; i < db->count; i++)
		lab[i] = (struct label){ .hops = UINT32_MAX, .prev = -1 };
	lab[src].hops = 0;
	lab[src].width = UINT32_MAX;
	while ((u = next_node(db, lab)) >= 0 && u != dst) {
		lab[u].done = true;
		relax(db, lab, u, need);
	}
	if (u != dst)
		return -EHOSTUNREACH;
	path->nodes = lab[dst].hops + 1;
	path->bottleneck = lab[dst].width;
	path->fixed = false;
	for (n = path->nodes - 1, u = dst; u >= 0; u = lab[u].prev, n--)
		strcpy(path->node[n], db->o[u].lsa.origin);
	return 0;
}

/* A pinned path is used as is: down anywhere is unreachable. */
static int pinned(const struct route_db *db, const struct pin *p,
		  uint32_t need, struct route_path *path)
{
	const struct route_link *l;
	int u = find(db, db->self), v, err = 0;
	unsigned int i;

	path->nodes = p->count + 1;
	path->bottleneck = UINT32_MAX;
	path->fixed = true;
	strcpy(path->node[0], db->self);
	for (i = 0; i < p->count; i++, u = v) {
		strcpy(path->node[i + 1], p->hops[i]);
		v = find(db, p->hops[i]);
		l = u >= 0 && v >= 0 ? edge(db, u, v) : NULL;
		if (!l)
			return -EHOSTUNREACH;
		if (l->stock < need)
			err = -EAGAIN;
		if (l->stock < path->bottleneck)
			path->bottleneck = l->stock;
	}
	return err;
}

/* Learned paths only: a static route is ours, for our relays. */
static int learned(const struct route_db *db, const char *from,
		   const char *dst, uint32_t need, struct route_path *path)
{
	int src = find(db, from), d = find(db, dst);

	if (src < 0 || d < 0)
		return -EHOSTUNREACH;
	if (!shortest(db, src, d, need, path))
		return 0;
	/* Tell "no keys yet" from "no way at all": only the first heals. */
	return need && !shortest(db, src, d, 0, path) ? -EAGAIN :
	       -EHOSTUNREACH;
}

int route_path(const struct route_db *db, const char *dst, uint32_t need,
	       struct route_path *path)
{
	int d;

	if (!strcmp(dst, db->self) || !route_id_valid(dst))
		return -EINVAL;
	d = find_pin(db, dst);
	if (d >= 0)
		return pinned(db, &db->pin[d], need, path);
	return learned(db, db->self, dst, need, path);
}

int route_path_to_us(const struct route_db *db, const char *src,
		     uint32_t need, struct route_path *path)
{
	if (!strcmp(src, db->self) || !route_id_valid(src))
		return -EINVAL;
	return learned(db, src, db->self, need, path);
}

int route_lsa_encode(const struct lsa *lsa, uint8_t *out, size_t size)
{
	const struct route_link *l;
	struct wire_wr w;
	const char *why;
	unsigned int i;

	if (lsa_check(lsa, &why))
		return -EINVAL;
	wire_wr_init(&w, out, size);
	wire_put_be(&w, RELAY_VERSION, 1);
	wire_put_str(&w, lsa->origin);
	wire_put_be(&w, lsa->seq, 4);
	wire_put_be(&w, lsa->age, 2);
	wire_put_be(&w, lsa->count, 1);
	for (i = 0; i < lsa->count; i++) {
		l = &lsa->links[i];
		wire_put_str(&w, l->peer);
		wire_put_be(&w, l->state, 1);
		wire_put_be(&w, l->stock, 4);
		wire_put_be(&w, l->rate, 4);
	}
	return w.overflow ? -ENOSPC : (int)(size - w.left);
}

static int get_link(struct wire_rd *r, struct route_link *l)
{
	uint64_t v;

	if (wire_get_id(r, l->peer, ROUTE_ID_MAX) || wire_get_be(r, &v, 1))
		return -EINVAL;
	l->state = v;
	if (wire_get_be(r, &v, 4))
		return -EINVAL;
	l->stock = v;
	if (wire_get_be(r, &v, 4))
		return -EINVAL;
	l->rate = v;
	return 0;
}

int route_lsa_decode(const uint8_t *p, size_t len, struct lsa *lsa,
		     const char **why)
{
	struct wire_rd r;
	unsigned int i;
	uint64_t v;

	memset(lsa, 0, sizeof(*lsa));
	wire_rd_init(&r, p, len);
	if (!wire_get_be(&r, &v, 1) && v != RELAY_VERSION)
		wire_fail(&r, "unsupported relay version");
	wire_get_id(&r, lsa->origin, ROUTE_ID_MAX);
	if (!wire_get_be(&r, &v, 4))
		lsa->seq = v;
	if (!wire_get_be(&r, &v, 2))
		lsa->age = v;
	if (!wire_get_be(&r, &v, 1) && v > ROUTE_LINKS_MAX)
		wire_fail(&r, "too many links");
	lsa->count = r.why ? 0 : v;
	for (i = 0; i < lsa->count; i++)
		get_link(&r, &lsa->links[i]);
	if (wire_end(&r) || lsa_check(lsa, &r.why)) {
		*why = r.why;
		return -EINVAL;
	}
	return 0;
}
