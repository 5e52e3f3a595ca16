/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The payloads of the key relay frames (docs/kx-protocol.md "Key relay").
 * They are Kx frames of new types in the existing framing (frame.h): the
 * 12-byte header is unchanged, and every relay payload starts with its own
 * version byte (RELAY_VERSION) so relay can evolve without a new Kx
 * version. All integers are big endian. Every relay frame but the LSA
 * (route.h) starts with the same envelope:
 *
 *   u8 version  u64 relay  u8 nodes (2..ROUTE_PATH_MAX)  u8 from  u8 to
 *   nodes * (u8 len + node ID)
 *
 * route[0] is the source (REQUEST: the requester), route[nodes-1] the
 * destination; from and to are the positions of this hop's sender and
 * receiver (|from - to| = 1). Then, by type:
 *
 *   RELAY     key ID, u16 key bytes (16..64), u8 npad, u8 nmac,
 *             (npad + nmac) link key IDs, ciphertext (key bytes; none
 *             at the first hop, from = 0), tag (16)
 *   COMPLETE  key ID
 *   ADDED     key ID
 *   DONE      key ID
 *   ABORT     key ID, u8 reason, u8 count (0..RELAY_V1_HOP_KEYS_MAX),
 *             count link key IDs, u8 len + text
 *   REQUEST   u16 count (1..KX_IDS_MAX), u16 key bytes (16..64)
 *
 * Relay version 2 carries a *batch* of keys: a u8 nkeys (1..RELAY_BATCH_MAX)
 * follows the key ID of RELAY, COMPLETE, ADDED, DONE and ABORT (key i's ID
 * is relay_key_id(key ID, i)); a RELAY's ciphertext is nkeys * key bytes
 * and it names up to RELAY_HOP_KEYS_MAX link keys (relay_otp_cost()), as
 * may an ABORT. REQUEST is the same in both versions.
 *
 * Decoders are strict: anything that does not parse exactly, or breaks a
 * rule above, is rejected with a reason.
 *
 * Every version keeps the version byte, the envelope and (but in REQUEST)
 * the key ID where version 1 has them, so that a node can abort a relay
 * of a version it does not speak (relay_msg_envelope()).
 */
#ifndef KMD_RELAY_MSG_H
#define KMD_RELAY_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "relay_otp.h"
#include "route.h"

/* The relay frame types are in enum kx_type (frame.h), KX_LSA up. */
#define __KX_RELAY_TYPE_MAX	__KX_TYPE_MAX

enum relay_abort_reason {
	RELAY_ABORT_NO_ROUTE = 1,	/* no path to the next node */
	RELAY_ABORT_DRY,		/* the next link has too few keys */
	RELAY_ABORT_LINK_DOWN,		/* the next link's Kx is down */
	RELAY_ABORT_BAD_MAC,		/* a hop's tag did not verify */
	RELAY_ABORT_NO_LINK_KEY,	/* a named link key is not in the pool */
	RELAY_ABORT_TIMEOUT,		/* an end waited too long */
	RELAY_ABORT_POOL,		/* adding K to the far stream failed */
	RELAY_ABORT_UNKNOWN,		/* no such relay (restart, late) */
	RELAY_ABORT_PROTOCOL,		/* a frame broke the protocol */
	RELAY_ABORT_VERSION,		/* a relay version we do not speak */
	__RELAY_ABORT_MAX
};

/* Relay versions this node speaks: 1 (one key), 2 (a batch). */
#define RELAY_VERSION_MAX	2

#define RELAY_ENVELOPE_MAX	(1 + 8 + 3 + ROUTE_PATH_MAX * (1 + ROUTE_ID_MAX))
#define RELAY_AAD_MAX		(2 + RELAY_ENVELOPE_MAX + QKD_KEY_ID_LEN + \
				 1 + 4 + RELAY_HOP_KEYS_MAX * QKD_KEY_ID_LEN)
#define RELAY_MSG_MAX		(RELAY_AAD_MAX + RELAY_K_MAX + \
				 RELAY_TAG_LEN + 1 + KX_TEXT_MAX)
/* A batch of 16 keys of 64 bytes on 16-byte link keys fits one frame. */
_Static_assert(RELAY_MSG_MAX <= KX_PAYLOAD_MAX,
	       "a full relay batch does not fit a Kx frame");

struct relay_msg {
	uint8_t type;				/* enum relay_type, not LSA */
	uint8_t version;			/* 0 is 1 */
	uint8_t nkeys;				/* version 2: keys of the batch */
	uint64_t relay;
	uint8_t nodes, from, to;
	char route[ROUTE_PATH_MAX][KMD_ID_MAX];
	uint8_t key_id[QKD_KEY_ID_LEN];		/* K's, end to end */
	uint16_t key_bytes;			/* RELAY, REQUEST */
	uint8_t npad, nmac;			/* RELAY */
	uint8_t nids;				/* ABORT */
	/* RELAY: npad pad then nmac MAC key IDs; ABORT: nids to drop */
	uint8_t ids[RELAY_HOP_KEYS_MAX][QKD_KEY_ID_LEN];
	uint8_t ct[RELAY_K_MAX];		/* RELAY, from > 0 */
	uint8_t tag[RELAY_TAG_LEN];		/* RELAY */
	uint8_t reason;				/* ABORT */
	uint16_t count;				/* REQUEST */
	char text[KX_TEXT_MAX + 1];		/* ABORT */
};

/* Strictly decode the payload of a relay frame: 0, or -EINVAL with *why. */
int relay_msg_decode(uint8_t type, const uint8_t *p, size_t len,
		     struct relay_msg *m, const char **why);
/*
 * Decode only what every relay version keeps (the envelope and, but in
 * REQUEST, the key ID) of a frame of any version; what follows is not
 * looked at. 0, or -EINVAL with *why.
 */
int relay_msg_envelope(uint8_t type, const uint8_t *p, size_t len,
		       struct relay_msg *m, const char **why);
/* Encode a payload: its length, or -EINVAL (invalid) / -ENOSPC. */
int relay_msg_encode(const struct relay_msg *m, uint8_t *out, size_t size);
/*
 * The bytes a RELAY's tag covers besides the ciphertext: u8 Kx version,
 * u8 type, then the payload up to the ciphertext (envelope, key ID, key
 * bytes, npad, nmac, link key IDs). Returns the length or -errno.
 */
int relay_msg_aad(const struct relay_msg *m, uint8_t *out, size_t size);

/* Its relay version (1 or 2), and how many keys it carries (1..16). */
unsigned int relay_msg_version(const struct relay_msg *m);
unsigned int relay_msg_keys(const struct relay_msg *m);
/*
 * The ID of key i of a batch whose first key is id0: id0 with its last two
 * bytes, a big-endian u16, plus i (mod 2^16: the carry stays in them).
 */
void relay_key_id(const uint8_t id0[QKD_KEY_ID_LEN], unsigned int i,
		  uint8_t out[QKD_KEY_ID_LEN]);

const char *relay_type_name(uint8_t type);
const char *relay_abort_name(uint8_t reason);

#endif /* KMD_RELAY_MSG_H */
