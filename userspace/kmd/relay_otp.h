/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-hop cryptography of key relay (docs/kx-protocol.md "Key relay"):
 * one-time pad and one-time Poly1305 MAC, both keyed by fresh link keys of
 * the hop's QKD link, each link key spent on one of the two, once.
 *
 * At the first hop the data keys are K itself (the relayed key is the
 * material of fresh link keys of the first link: the next node already
 * holds it) and nothing is encrypted; at every later hop K travels as
 * K XOR pad. The tag is Poly1305(mac key, be32(aad_len) aad be32(klen) K)
 * where aad is the relay frame's authenticated header (relay_msg.h). It
 * covers K, not the ciphertext: a tampered ciphertext changes K and fails
 * all the same, and so do two ends of a hop whose link keys differ. The
 * one-time s half of the Poly1305 key masks the tag, which therefore says
 * nothing about K.
 *
 * Every function returns 0 or -errno; every buffer that held key material
 * is wiped before it is released.
 */
#ifndef KMD_RELAY_OTP_H
#define KMD_RELAY_OTP_H

#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define RELAY_TAG_LEN		16
#define RELAY_MAC_KEY_LEN	32	/* a Poly1305 one-time key */
/* Keys one relay (relay version 2) carries at most: a *batch*. */
#define RELAY_BATCH_MAX		16
/* K: the batch's keys concatenated. */
#define RELAY_K_MAX		(RELAY_BATCH_MAX * QKD_KEY_MAX_LEN)
/* With the smallest link keys (QKD_KEY_MIN_LEN bytes): */
#define RELAY_KEY_PADS_MAX	(QKD_KEY_MAX_LEN / QKD_KEY_MIN_LEN)
#define RELAY_PAD_KEYS_MAX	(RELAY_BATCH_MAX * RELAY_KEY_PADS_MAX)
#define RELAY_MAC_KEYS_MAX	(RELAY_MAC_KEY_LEN / QKD_KEY_MIN_LEN)
#define RELAY_HOP_KEYS_MAX	(RELAY_PAD_KEYS_MAX + RELAY_MAC_KEYS_MAX)
/* A hop of one key, as relay version 1 carries. */
#define RELAY_V1_HOP_KEYS_MAX	(RELAY_KEY_PADS_MAX + RELAY_MAC_KEYS_MAX)

/* The link key material of one hop; lives on the heap or stack, wipe it. */
struct relay_hop_keys {
	uint8_t pad[RELAY_K_MAX];	/* K at the first hop */
	size_t pad_len;
	uint8_t mac[RELAY_MAC_KEY_LEN];
};

/*
 * The link keys one hop spends on count (1..RELAY_BATCH_MAX) relayed
 * keys of key_bytes each when the link's keys have link_bytes each: *npad
 * for the pad (K at the first hop), count times what one key needs, each
 * key on link keys of its own; *nmac for the one MAC key of the hop,
 * whatever the count. -EINVAL for sizes out of range.
 */
int relay_otp_cost(unsigned int key_bytes, unsigned int link_bytes,
		   unsigned int count, uint8_t *npad, uint8_t *nmac);

/*
 * Load a hop's keys from npad + nmac link key records, pad keys first:
 * count keys of key_bytes, each from npad / count records, so pad_len is
 * count * key_bytes. Refuses (-EINVAL) a list with a key too many or too
 * few: a hop spends exactly what relay_otp_cost() says, so a peer cannot
 * make us waste keys.
 */
int relay_hop_keys_load(struct relay_hop_keys *hk,
			const struct qkd_key_record *recs, unsigned int npad,
			unsigned int nmac, unsigned int key_bytes,
			unsigned int count);
void relay_hop_keys_wipe(struct relay_hop_keys *hk);

/*
 * Sender of a hop: ct = k XOR pad (klen <= pad_len) and the tag. At the
 * first hop pass ct = NULL (k may be NULL): K is the pad, only the tag is
 * made.
 */
int relay_otp_seal(const struct relay_hop_keys *hk, const uint8_t *aad,
		   size_t aad_len, const uint8_t *k, size_t klen, uint8_t *ct,
		   uint8_t tag[RELAY_TAG_LEN]);
/*
 * Receiver of a hop: k = ct XOR pad (first hop, ct = NULL: k = the pad),
 * then the tag is checked in constant time: -EBADMSG leaves k wiped.
 */
int relay_otp_open(const struct relay_hop_keys *hk, const uint8_t *aad,
		   size_t aad_len, const uint8_t *ct, size_t klen,
		   const uint8_t tag[RELAY_TAG_LEN], uint8_t *k);

#endif /* KMD_RELAY_OTP_H */
