/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounded readers and writers of big-endian wire fields, for the payloads
 * of the relay frames (relay_msg.c) and the link-state adverts (route.c).
 * A reader remembers the first reason it failed for, so a decoder can chain
 * reads and report one reason at the end; a writer remembers an overflow.
 */
#ifndef KMD_WIRE_H
#define KMD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_rd {
	const uint8_t *p;
	size_t left;
	const char *why;	/* first failure, NULL while all is well */
};

struct wire_wr {
	uint8_t *p;
	size_t left;
	bool overflow;
};

static inline void wire_rd_init(struct wire_rd *r, const uint8_t *p,
				size_t len)
{
	*r = (struct wire_rd){ .p = p, .left = len };
}

static inline void wire_wr_init(struct wire_wr *w, uint8_t *p, size_t len)
{
	*w = (struct wire_wr){ .p = p, .left = len };
}

/* Record why a read failed (keeps the first reason). Returns -EINVAL. */
int wire_fail(struct wire_rd *r, const char *why);

/*
 * Each returns 0, or -EINVAL with r->why set; nothing is read on error.
 * wire_get() with out NULL skips n bytes.
 */
int wire_get(struct wire_rd *r, void *out, size_t n);
int wire_get_be(struct wire_rd *r, uint64_t *v, int bytes);
/*
 * A node ID: u8 length (1..max), then that many bytes of [A-Za-z0-9._-]
 * (a certificate CN as qkd-kmd.conf names nodes); out gets max + 1 bytes.
 */
int wire_get_id(struct wire_rd *r, char *out, size_t max);
/* A text: u8 length (0..max), printable ASCII. */
int wire_get_text(struct wire_rd *r, char *out, size_t max);
/* 0 if everything was consumed, else -EINVAL ("trailing bytes ..."). */
int wire_end(struct wire_rd *r);

void wire_put(struct wire_wr *w, const void *in, size_t n);
void wire_put_be(struct wire_wr *w, uint64_t v, int bytes);
/* u8 length + the string (callers validate length and characters). */
void wire_put_str(struct wire_wr *w, const char *s);

#endif /* KMD_WIRE_H */
