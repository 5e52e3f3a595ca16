/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What qkd-macsecd derives from a QKD key (HMAC-SHA256 as the PRF, as one
 * block of HKDF-Expand, with the key ID in the info so that a key is bound
 * to its ID):
 *
 *   SAK  = HMAC(material, "qkd-macsecd v1 sak"  || key ID)[0..sak_len)
 *   salt = HMAC(material, "qkd-macsecd v1 salt" || key ID)[0..12)  (XPN)
 *   KCV  = HMAC(material, "qkd-macsecd v1 kcv " || role || key ID ||
 *               generation)[0..16)
 *
 * The key check value proves to the peer that both ends hold the same
 * material without revealing it, and is different for each role and
 * generation so that a READY cannot be made from a PREPARE.
 */
#ifndef MACSECD_KDF_H
#define MACSECD_KDF_H

#include <stddef.h>
#include <stdint.h>

#define KDF_KCV_LEN	16
#define KDF_MAC_LEN	32

enum kdf_role { KDF_ROLE_LEADER = 'L', KDF_ROLE_FOLLOWER = 'F' };

/* sak_len 16 or 32; salt may be NULL. Returns 0 or -EINVAL. */
int kdf_sak(const uint8_t *material, size_t len, const uint8_t id[16],
	    uint8_t *sak, size_t sak_len, uint8_t salt[12]);
void kdf_kcv(const uint8_t *material, size_t len, const uint8_t id[16],
	     uint32_t generation, enum kdf_role role, uint8_t kcv[KDF_KCV_LEN]);
/* HMAC-SHA256 of a control message. */
void kdf_mac(const uint8_t *key, size_t key_len, const void *msg, size_t len,
	     uint8_t mac[KDF_MAC_LEN]);
/* Constant-time comparison; true if equal. */
int kdf_equal(const void *a, const void *b, size_t len);

#endif /* MACSECD_KDF_H */
