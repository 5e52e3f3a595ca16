/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control channel between the two ends of a MACsec link: UDP
 * datagrams of a fixed layout, authenticated with HMAC-SHA256 under a
 * shared secret and protected against replay:
 *
 *   - each end picks a random 64-bit session nonce when it starts; every
 *     message carries the sender's nonce and the nonce it believes the
 *     receiver has. A message other than HELLO is accepted only if it names
 *     the receiver's current nonce (so it was made during this session);
 *   - every message carries a sequence number that increases strictly
 *     within a session; it is a microsecond clock reading, so that a new
 *     session's numbers are above an old one's and a replayed HELLO of an
 *     old session is refused too;
 *   - HELLO announces a (new) session; it changes no SA. Its status byte
 *     carries capabilities (CTRL_F_SEALS); daemons before SEALED send 0
 *     there, and count a SEALED as forged.
 *
 * Wire layout (network byte order), 112 bytes:
 *   0 magic "QKMS" | 4 version 1 | 5 type | 6 status | 7 an | 8 cur_an |
 *   9..11 zero | 12 generation u32 | 16 sender nonce | 24 receiver nonce |
 *   32 seq | 40 sender SCI (8 bytes, wire order) | 48 key ID (16) |
 *   64 key check value (16) | 80 HMAC-SHA256 of bytes 0..79 (32)
 *
 * SEALED carries no check value: bytes 64..71 hold the last PN (u64) the
 * sender's TX SA on an ever used (0: none), 72..79 are zero; the key ID is
 * the sealed SA's, status is 0. Anything else is refused as malformed.
 */
#ifndef MACSECD_CTRL_H
#define MACSECD_CTRL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kdf.h"

#define CTRL_MSG_LEN	112
#define CTRL_KEY_MIN	32
#define CTRL_KEY_MAX	64
#define CTRL_AN_NONE	0xff
#define CTRL_AN_COUNT	4	/* MACsec's ANs */

enum ctrl_type {
	CTRL_HELLO = 1,
	CTRL_PREPARE,		/* leader: new key ID (or none: "use yours"),
				 * AN, check value */
	CTRL_READY,		/* follower: RX SA installed, key ID, its
				 * check value */
	CTRL_NAK,		/* PREPARE (or a follower's key) refused,
				 * status says why */
	CTRL_COMMIT,		/* leader: I transmit on the new AN */
	CTRL_DONE,		/* follower: so do I */
	CTRL_REKEY,		/* follower: please rekey (PN threshold, operator) */
	CTRL_SEALED,		/* either: my old TX SA on an is gone, its last
				 * PN was last_pn (sa.c) */
	__CTRL_TYPE_MAX
};

enum ctrl_status {
	CTRL_OK,
	CTRL_E_KEY_UNKNOWN,	/* no such peer-owned key in my pool */
	CTRL_E_KCV,		/* my material gives another check value */
	CTRL_E_AN,		/* the AN is in use here */
	CTRL_E_KERNEL,		/* installing the SA failed */
	CTRL_E_BUSY,		/* the key is reserved by someone else */
	CTRL_E_KEY_SIZE,	/* key too short for the cipher */
	CTRL_E_NO_KEY,		/* asked for a key of mine: I have none */
};

/* PREPARE's status byte: flags. */
#define CTRL_F_PEER_KEY	0x01	/* no key ID: the follower supplies one */
/*
 * REKEY's status byte: flags. A follower asks by its own clock when the
 * leader seems late; the two ends measure the key rate apart, so that is
 * no need to spend the leader's key reserve on. Leaders before this flag
 * ignore it (status is not checked on REKEY).
 */
#define CTRL_F_CLOCK	0x01	/* due by the paced clock, not by a need */
/* HELLO's status byte: capabilities. */
#define CTRL_F_SEALS	0x01	/* I send SEALED for each TX SA I retire */

struct ctrl_msg {
	uint8_t type;
	uint8_t status;
	uint8_t an;
	uint8_t cur_an;		/* sender's encoding AN, CTRL_AN_NONE if none */
	uint32_t generation;
	uint64_t sender_nonce;
	uint64_t receiver_nonce;
	uint64_t seq;
	uint64_t sci;
	uint8_t keyid[16];
	uint8_t kcv[KDF_KCV_LEN];
	uint64_t last_pn;	/* SEALED only, on the wire in place of kcv */
};

enum ctrl_verdict {
	CTRL_ACCEPT,		/* authentic, fresh, for this session */
	CTRL_NEW_SESSION,	/* authentic HELLO announcing a new session */
	CTRL_FORGED,		/* bad length, magic or MAC */
	CTRL_MALFORMED,		/* authentic, but fields out of range */
	CTRL_REPLAYED,		/* old sequence number or old session */
	CTRL_STALE_PEER,	/* authentic but from a session we do not know */
};

struct ctrl {
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint8_t key[CTRL_KEY_MAX];
	size_t key_len;
	uint64_t my_nonce;
	uint64_t peer_nonce;	/* 0: none known */
	uint64_t tx_seq;
	uint64_t rx_seq;	/* highest accepted, any session of the peer */
	uint64_t forged;	/* also counts the malformed */
	uint64_t replayed;
};

/* local, peer: "address:port" (IPv4 or [IPv6]). Returns 0 or -errno. */
int ctrl_open(struct ctrl *c, const char *local, const char *peer,
	      const char *key_file);
void ctrl_close(struct ctrl *c);
/* Fill nonces and seq, MAC and send m to the peer. */
int ctrl_send(struct ctrl *c, struct ctrl_msg *m);
/* Read one datagram; -EAGAIN if none. *verdict says what to make of it. */
int ctrl_recv(struct ctrl *c, struct ctrl_msg *m, enum ctrl_verdict *verdict);
const char *ctrl_type_name(uint8_t type);
const char *ctrl_status_name(uint8_t status);
/* 0 if a < b, 1 if b < a: the leader rule of role "auto". */
int ctrl_addr_cmp(const char *a, const char *b);

#endif /* MACSECD_CTRL_H */
