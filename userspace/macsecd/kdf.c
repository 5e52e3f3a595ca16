// SPDX-License-Identifier: GPL-2.0
/* Key derivation and check values: see kdf.h. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kdf.h"

static void prf(const uint8_t *key, size_t key_len, const void *info,
		size_t info_len, uint8_t out[KDF_MAC_LEN])
{
	unsigned int n = KDF_MAC_LEN;

	HMAC(EVP_sha256(), key, key_len, info, info_len, out, &n);
}

static size_t label_info(uint8_t *info, const char *label,
			 const uint8_t id[16])
{
	size_t n = strlen(label);

	memcpy(info, label, n);
	memcpy(info + n, id, 16);
	return n + 16;
}

int kdf_sak(const uint8_t *material, size_t len, const uint8_t id[16],
	    uint8_t *sak, size_t sak_len, uint8_t salt[12])
{
	uint8_t info[64], out[KDF_MAC_LEN];

	/* Never stretch: a SAK gets no more entropy than the QKD key has. */
	if ((sak_len != 16 && sak_len != 32) || len < sak_len)
		return -EINVAL;
	prf(material, len, info, label_info(info, "qkd-macsecd v1 sak", id), out);
	memcpy(sak, out, sak_len);
	if (salt) {
		prf(material, len, info,
		    label_info(info, "qkd-macsecd v1 salt", id), out);
		memcpy(salt, out, 12);
	}
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

void kdf_kcv(const uint8_t *material, size_t len, const uint8_t id[16],
	     uint32_t generation, enum kdf_role role, uint8_t kcv[KDF_KCV_LEN])
{
	uint8_t info[64], out[KDF_MAC_LEN];
	size_t n;

	n = strlen("qkd-macsecd v1 kcv ");
	memcpy(info, "qkd-macsecd v1 kcv ", n);
	info[n++] = role;
	memcpy(info + n, id, 16);
	n += 16;
	info[n++] = generation >> 24;
	info[n++] = generation >> 16;
	info[n++] = generation >> 8;
	info[n++] = generation;
	prf(material, len, info, n, out);
	memcpy(kcv, out, KDF_KCV_LEN);
	OPENSSL_cleanse(out, sizeof(out));
}

void kdf_mac(const uint8_t *key, size_t key_len, const void *msg, size_t len,
	     uint8_t mac[KDF_MAC_LEN])
{
	prf(key, key_len, msg, len, mac);
}

int kdf_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
