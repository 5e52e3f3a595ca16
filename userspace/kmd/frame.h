/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kx framing: the messages between neighbour key managers, carried over
 * TLS 1.3 with mutual certificate authentication (docs/kx-protocol.md).
 *
 * Every frame is a 12-byte header, all integers big endian:
 *
 *   u8 version (KX_VERSION)  u8 type  u16 flags (0)  u32 seq  u32 length
 *
 * followed by length bytes of payload (at most KX_PAYLOAD_MAX). seq counts
 * the frames of one direction of one connection from 1. The payloads are
 * described with each type below. Decoders are strict: a frame that does
 * not parse exactly is rejected with a reason; they are the fuzzable entry
 * points of the key manager.
 */
#ifndef KMD_FRAME_H
#define KMD_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define KX_VERSION	1
#define KX_HDR_LEN	12
#define KX_IDS_MAX	1024
#define KX_TEXT_MAX	200
#define KX_PAYLOAD_MAX	(16 + 2 * 4 + KX_IDS_MAX * QKD_KEY_ID_LEN + \
			 1 + KX_TEXT_MAX)

enum kx_type {
	KX_HELLO = 1,	/* u8 role, u8 len, node ID */
	KX_OFFER,	/* u64 batch, u8 owner, u8 0, u16 key bytes, ids */
	KX_READY,	/* u64 batch */
	KX_ADDED,	/* u64 batch, ids */
	KX_DONE,	/* u64 batch */
	KX_ABORT,	/* u64 batch, ids, u8 len, reason */
	KX_ERROR,	/* u8 len, reason; the sender then closes */
	/*
	 * Key relay (relay_msg.h, route.h): frame.c passes their payloads
	 * on undecoded (kx_msg.raw); relay.c decodes them strictly.
	 */
	KX_LSA,			/* route.h */
	KX_RELAY,		/* source -> destination, hop by hop */
	KX_RELAY_COMPLETE,	/* destination -> source */
	KX_RELAY_ADDED,		/* source -> destination */
	KX_RELAY_DONE,		/* destination -> source */
	KX_RELAY_ABORT,		/* either way */
	KX_RELAY_REQUEST,	/* requester -> the far node that will source */
	__KX_TYPE_MAX
};

/* The first type of key relay: link.c hands these up to relay.c. */
#define KX_RELAY_FIRST	KX_LSA

/* HELLO role: the sender's role on the QKD link. */
enum kx_role { KX_ROLE_MASTER = 1, KX_ROLE_SLAVE = 2 };

/* OFFER owner: which end owns the batch's keys (adds them LOCAL). */
enum kx_owner { KX_OWNER_MASTER = 1, KX_OWNER_SLAVE = 2 };

/* ids are "u16 count, count * 16 bytes". */
struct kx_msg {
	uint8_t type;
	uint8_t role;			/* HELLO */
	uint8_t owner;			/* OFFER */
	uint16_t key_bytes;		/* OFFER: 16..64 */
	uint64_t batch;
	uint16_t count;
	uint8_t ids[KX_IDS_MAX][QKD_KEY_ID_LEN];
	char text[KX_TEXT_MAX + 1];	/* HELLO node ID, ABORT/ERROR reason */
	/* Relay types: the payload as received, valid during the callback. */
	const uint8_t *raw;
	uint32_t raw_len;
};

struct kx_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t len;
};

/* Check a header (12 bytes at buf). 0, or -EINVAL with *why. */
int kx_hdr_decode(const uint8_t *buf, struct kx_hdr *h, const char **why);
/* Parse a payload of a checked header. 0, or -EINVAL with *why. */
int kx_msg_decode(const struct kx_hdr *h, const uint8_t *p,
		  struct kx_msg *m, const char **why);
/* Encode header and payload into out; returns the frame length, or 0 if
 * the message is invalid or does not fit. */
size_t kx_msg_encode(const struct kx_msg *m, uint32_t seq, uint8_t *out,
		     size_t size);

/*
 * Encode a frame around a payload encoded elsewhere (the relay types):
 * returns the frame length, or 0 if the payload does not fit.
 */
size_t kx_frame_encode(uint8_t type, uint32_t seq, const uint8_t *payload,
		       size_t len, uint8_t *out, size_t size);

const char *kx_type_name(uint8_t type);

#endif /* KMD_FRAME_H */
