/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key relay routing (docs/kx-protocol.md "Key relay"): the link-state
 * database a node learns from the LSAs its neighbours flood over Kx, and
 * the choice of a path to a far node by hops, then by key stock, over links
 * that both ends advertise up and whose sender keeps enough keys. A static
 * route for a destination overrides what is learned.
 *
 * An LSA payload (Kx frame type KX_LSA), all integers big endian:
 *
 *   u8 version (RELAY_VERSION)  u8 len + origin node ID  u32 seq (>= 1)
 *   u16 age (s, 0..ROUTE_MAX_AGE)  u8 count (0..ROUTE_LINKS_MAX)
 *   count * { u8 len + neighbour node ID, u8 state, u32 stock, u32 rate }
 *
 * Functions return 0 (or a documented non-negative value) or -errno.
 */
#ifndef KMD_ROUTE_H
#define KMD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define RELAY_VERSION	1
#define ROUTE_NODES_MAX	64	/* origins in the database */
#define ROUTE_LINKS_MAX	32	/* links in one LSA */
#define ROUTE_PATH_MAX	16	/* nodes on a path, both ends included */
#define ROUTE_ID_MAX	(KMD_ID_MAX - 1)	/* node ID length on the wire */
#define ROUTE_MAX_AGE	3600	/* s: an LSA this old is withdrawn */
#define ROUTE_REFRESH	1800	/* s: the origin refloods an unchanged LSA */
#define ROUTE_LSA_MAX	(1 + 1 + ROUTE_ID_MAX + 4 + 2 + 1 + \
			 ROUTE_LINKS_MAX * (1 + ROUTE_ID_MAX + 1 + 4 + 4))

enum route_link_state { ROUTE_LINK_UP = 1, ROUTE_LINK_DOWN = 2 };

struct route_link {
	char peer[KMD_ID_MAX];
	uint8_t state;		/* enum route_link_state */
	uint32_t stock;		/* keys the origin may spend on the link */
	uint32_t rate;		/* keys/s the link delivered lately */
};

struct lsa {
	char origin[KMD_ID_MAX];
	uint32_t seq;
	uint16_t age;
	uint8_t count;
	struct route_link links[ROUTE_LINKS_MAX];
};

struct route_path {
	uint8_t nodes;			/* 2..ROUTE_PATH_MAX */
	char node[ROUTE_PATH_MAX][KMD_ID_MAX];	/* [0] us, [nodes-1] dst */
	uint32_t bottleneck;		/* least stock of its hops */
	bool fixed;			/* a static route */
};

struct route_db;

/* What route_db_update() did with an LSA (or -errno). */
enum route_update {
	ROUTE_LSA_NEW,		/* installed or withdrawn: flood it on */
	ROUTE_LSA_SAME,		/* a copy of what we have: ignore */
	ROUTE_LSA_OLD,		/* older than what we have: ignore */
	ROUTE_LSA_SELF_STALE,	/* ours with a higher seq from a past life:
				 * originate again (our seq is now past it) */
};

/* A node ID as Kx carries it: 1..ROUTE_ID_MAX of [A-Za-z0-9._-]. */
bool route_id_valid(const char *id);

int route_db_create(const char *self, struct route_db **out);
void route_db_destroy(struct route_db *db);

/*
 * Replace our own LSA with these links (seq + 1, age 0); *out (may be
 * NULL) receives it for flooding. now is in seconds (CLOCK_MONOTONIC);
 * first_seq seeds the sequence on the first call (the daemon passes the
 * wall clock in seconds so that a restarted node outnumbers its past).
 */
int route_db_originate(struct route_db *db, const struct route_link *links,
		       unsigned int count, uint32_t first_seq, uint64_t now,
		       struct lsa *out);
/* Take an LSA received from a neighbour: enum route_update, or -errno. */
int route_db_update(struct route_db *db, const struct lsa *lsa,
		    uint64_t now);
/* Withdraw LSAs that reached ROUTE_MAX_AGE. Returns how many. */
int route_db_expire(struct route_db *db, uint64_t now);
/* The LSA of origin as stored, its age brought up to now: 0 or -ENOENT. */
int route_db_get(const struct route_db *db, const char *origin,
		 uint64_t now, struct lsa *out);
/* The i-th stored LSA (0 .. route_db_count() - 1), as route_db_get(). */
int route_db_at(const struct route_db *db, unsigned int i, uint64_t now,
		struct lsa *out);
/* Origins in the database, ours included. */
unsigned int route_db_count(const struct route_db *db);

/*
 * Pin the path to dst: hops lists the nodes after us, dst last (count
 * 1..ROUTE_PATH_MAX-1). count 0 removes the pin.
 */
int route_static_set(struct route_db *db, const char *dst,
		     const char (*hops)[KMD_ID_MAX], unsigned int count);

/*
 * The path to dst over links both ends advertise up on which the sending
 * end has at least need keys. -EHOSTUNREACH if dst cannot be reached at
 * all (or its static route has a link down), -EAGAIN if it could be but
 * every path is dry (try again once keys arrive), -EINVAL for dst = us.
 */
int route_path(const struct route_db *db, const char *dst, uint32_t need,
	       struct route_path *path);

/*
 * The path src would choose to us, as route_path() from src's side (over
 * what we learned; src's static routes are not known here): how the keys
 * we ask src for will come.
 */
int route_path_to_us(const struct route_db *db, const char *src,
		     uint32_t need, struct route_path *path);

/* Encode an LSA payload; returns its length, or -EINVAL / -ENOSPC. */
int route_lsa_encode(const struct lsa *lsa, uint8_t *out, size_t size);
/* Strictly decode an LSA payload: 0, or -EINVAL with *why. */
int route_lsa_decode(const uint8_t *p, size_t len, struct lsa *lsa,
		     const char **why);

#endif /* KMD_ROUTE_H */
