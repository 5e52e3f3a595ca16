// SPDX-License-Identifier: GPL-2.0
/*
 * One-time pad and one-time Poly1305 for key relay: see relay_otp.h. The
 * MAC is OpenSSL's (EVP_MAC "POLY1305"); the only arithmetic here is XOR.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "relay_otp.h"

static unsigned int keys_for(unsigned int bytes, unsigned int link_bytes)
{
	return (bytes + link_bytes - 1) / link_bytes;
}

int relay_otp_cost(unsigned int key_bytes, unsigned int link_bytes,
		   unsigned int count, uint8_t *npad, uint8_t *nmac)
{
	if (key_bytes < QKD_KEY_MIN_LEN || key_bytes > QKD_KEY_MAX_LEN ||
	    link_bytes < QKD_KEY_MIN_LEN || link_bytes > QKD_KEY_MAX_LEN ||
	    !count || count > RELAY_BATCH_MAX)
		return -EINVAL;
	*npad = count * keys_for(key_bytes, link_bytes);
	*nmac = keys_for(RELAY_MAC_KEY_LEN, link_bytes);
	return 0;
}

/*
 * Concatenate n records into out, needing exactly want bytes: every record
 * but the last must leave some of want to the next one.
 */
static int gather(uint8_t *out, const struct qkd_key_record *recs,
		  unsigned int n, size_t want)
{
	size_t have = 0, len;
	unsigned int i;

	for (i = 0; i < n; i++) {
		len = recs[i].material_len;
		if (len < QKD_KEY_MIN_LEN || len > QKD_KEY_MAX_LEN ||
		    have >= want)
			return -EINVAL;
		if (len > want - have)
			len = want - have;
		memcpy(out + have, recs[i].material, len);
		have += len;
	}
	return have == want ? 0 : -EINVAL;
}

int relay_hop_keys_load(struct relay_hop_keys *hk,
			const struct qkd_key_record *recs, unsigned int npad,
			unsigned int nmac, unsigned int key_bytes,
			unsigned int count)
{
	unsigned int i, per = count ? npad / count : 0;
	int err = 0;

	if (!count || count > RELAY_BATCH_MAX || !per || per * count != npad ||
	    per > RELAY_KEY_PADS_MAX || !nmac || nmac > RELAY_MAC_KEYS_MAX ||
	    key_bytes < QKD_KEY_MIN_LEN || key_bytes > QKD_KEY_MAX_LEN)
		return -EINVAL;
	hk->pad_len = count * key_bytes;
	/* Each key of the batch on link keys of its own, as in version 1. */
	for (i = 0; !err && i < count; i++)
		err = gather(hk->pad + i * key_bytes, recs + i * per, per,
			     key_bytes);
	if (err || gather(hk->mac, recs + npad, nmac, RELAY_MAC_KEY_LEN)) {
		relay_hop_keys_wipe(hk);
		return -EINVAL;
	}
	return 0;
}

void relay_hop_keys_wipe(struct relay_hop_keys *hk)
{
	OPENSSL_cleanse(hk, sizeof(*hk));
}

static void put_be32(uint8_t b[4], size_t v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static int poly1305(const uint8_t key[RELAY_MAC_KEY_LEN], const uint8_t *aad,
		    size_t aad_len, const uint8_t *k, size_t klen,
		    uint8_t tag[RELAY_TAG_LEN])
{
	uint8_t alen[4], klen_be[4];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t out;
	int err = -EIO;

	/* TODO: fetch once per daemon if make bench shows the lookup. */
	mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	if (!mac)
		return -ENOSYS;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx) {
		err = -ENOMEM;
		goto out_mac;
	}
	put_be32(alen, aad_len);
	put_be32(klen_be, klen);
	if (EVP_MAC_init(ctx, key, RELAY_MAC_KEY_LEN, NULL) &&
	    EVP_MAC_update(ctx, alen, sizeof(alen)) &&
	    EVP_MAC_update(ctx, aad, aad_len) &&
	    EVP_MAC_update(ctx, klen_be, sizeof(klen_be)) &&
	    EVP_MAC_update(ctx, k, klen) &&
	    EVP_MAC_final(ctx, tag, &out, RELAY_TAG_LEN) &&
	    out == RELAY_TAG_LEN)
		err = 0;
	/* The context holds the one-time key: freeing it cleanses it. */
	EVP_MAC_CTX_free(ctx);
out_mac:
	EVP_MAC_free(mac);
	return err;
}

static void xor(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = a[i] ^ b[i];
}

int relay_otp_seal(const struct relay_hop_keys *hk, const uint8_t *aad,
		   size_t aad_len, const uint8_t *k, size_t klen, uint8_t *ct,
		   uint8_t tag[RELAY_TAG_LEN])
{
	if (!klen || klen > hk->pad_len || (ct && !k))
		return -EINVAL;
	if (!ct)
		return poly1305(hk->mac, aad, aad_len, hk->pad, klen, tag);
	xor(ct, k, hk->pad, klen);
	return poly1305(hk->mac, aad, aad_len, k, klen, tag);
}

int relay_otp_open(const struct relay_hop_keys *hk, const uint8_t *aad,
		   size_t aad_len, const uint8_t *ct, size_t klen,
		   const uint8_t tag[RELAY_TAG_LEN], uint8_t *k)
{
	uint8_t want[RELAY_TAG_LEN];
	int err;

	if (!klen || klen > hk->pad_len)
		return -EINVAL;
	if (ct)
		xor(k, ct, hk->pad, klen);
	else
		memcpy(k, hk->pad, klen);
	err = poly1305(hk->mac, aad, aad_len, k, klen, want);
	if (!err && CRYPTO_memcmp(want, tag, RELAY_TAG_LEN))
		err = -EBADMSG;
	OPENSSL_cleanse(want, sizeof(want));
	if (err)
		OPENSSL_cleanse(k, klen);
	return err;
}
