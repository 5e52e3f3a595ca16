// SPDX-License-Identifier: GPL-2.0
/* The simulated QKD link's key derivation and bookkeeping: see keys.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "keyid.h"
#include "keys.h"

struct sim_link {
	EVP_MAC_CTX *mac;		/* HMAC-SHA256 keyed with the seed */
	char label[2 * ETSI014_SAE_ID_MAX + 1];
	uint8_t mask[32];		/* hides counter and size in IDs */
	double epoch, rate;
	uint32_t max_keys;
	uint64_t next;			/* enc_keys: next counter */
	uint8_t *used;			/* dec_keys: bitmap of counters */
	uint64_t used_bits;
};

/*
 * HMAC(seed, label || 0 || purpose || n (big endian) || extra). The one
 * keyed context is re-armed after each use (EVP_MAC_init without a key
 * keeps the key, and drops the digest state that held the result) rather
 * than duplicated for each: a duplicate costs a handful of allocations,
 * which made up most of a key's CPU. Single-threaded, so sharing is safe.
 */
static int prf(const struct sim_link *l, const char *purpose, uint64_t n,
	       uint8_t extra, uint8_t out[32])
{
	uint8_t num[9];
	size_t len;
	int i, ok;

	for (i = 0; i < 8; i++)
		num[i] = n >> (56 - 8 * i);
	num[8] = extra;
	ok = EVP_MAC_update(l->mac, (const uint8_t *)l->label,
			    strlen(l->label) + 1) &&
	     EVP_MAC_update(l->mac, (const uint8_t *)purpose,
			    strlen(purpose)) &&
	     EVP_MAC_update(l->mac, num, sizeof(num)) &&
	     EVP_MAC_final(l->mac, out, &len, 32);
	ok = EVP_MAC_init(l->mac, NULL, 0, NULL) && ok;
	return ok ? 0 : -EIO;
}

static int make_id(const struct sim_link *l, uint64_t n, uint8_t bytes,
		   uint8_t id[QKD_KEY_ID_LEN])
{
	uint8_t tag[32];
	int i;

	if (prf(l, "id", n, bytes, tag))
		return -EIO;
	memcpy(id, tag, QKD_KEY_ID_LEN);
	id[6] = 0x40 | (tag[6] & 0x0f);		/* version 4 */
	id[7] = bytes ^ l->mask[0];
	id[8] = 0x80 | (tag[8] & 0x3f);		/* RFC 4122 variant */
	for (i = 0; i < 6; i++)
		id[10 + i] = (uint8_t)(n >> (40 - 8 * i)) ^ l->mask[1 + i];
	return 0;
}

/* Recover counter and size from an ID; -EINVAL if we did not make it. */
static int parse_id(const struct sim_link *l,
		    const uint8_t id[QKD_KEY_ID_LEN], uint64_t *n,
		    uint8_t *bytes)
{
	uint8_t check[QKD_KEY_ID_LEN];
	int i;

	*bytes = id[7] ^ l->mask[0];
	*n = 0;
	for (i = 0; i < 6; i++)
		*n = (*n << 8) | (uint8_t)(id[10 + i] ^ l->mask[1 + i]);
	if (make_id(l, *n, *bytes, check))
		return -EIO;
	return memcmp(check, id, sizeof(check)) ? -EINVAL : 0;
}

/* The key material of counter n (its ID is in k->id already). */
static int make_material(const struct sim_link *l, uint64_t n, uint8_t bytes,
			 struct qkd_key_record *k)
{
	uint8_t block[32];
	uint32_t off;
	int ret = 0;

	for (off = 0; !ret && off < bytes; off += sizeof(block)) {
		ret = prf(l, "key", n, off / sizeof(block), block);
		memcpy(k->material + off, block,
		       bytes - off < sizeof(block) ? bytes - off
						    : sizeof(block));
	}
	k->material_len = bytes;
	explicit_bzero(block, sizeof(block));
	return ret;
}

static int make_key(const struct sim_link *l, uint64_t n, uint8_t bytes,
		    struct qkd_key_record *k)
{
	return make_id(l, n, bytes, k->id) ?: make_material(l, n, bytes, k);
}

static uint64_t produced(const struct sim_link *l, double now)
{
	return now <= l->epoch ? 0 : (uint64_t)((now - l->epoch) * l->rate);
}

/* The oldest counter the device still holds. */
static uint64_t window_start(const struct sim_link *l, double now)
{
	uint64_t p = produced(l, now);

	return p > l->max_keys ? p - l->max_keys : 0;
}

/*
 * The slave side keeps a key as long again: a key handed out by enc_keys at
 * the very end of the master's buffer must still be there when the slave's
 * dec_keys asks for it a moment later.
 */
static uint64_t dec_window_start(const struct sim_link *l, double now)
{
	uint64_t p = produced(l, now);

	return p > 2ULL * l->max_keys ? p - 2ULL * l->max_keys : 0;
}

uint32_t sim_link_stored(const struct sim_link *l, double now)
{
	uint64_t start = window_start(l, now), p = produced(l, now);

	if (l->next > start)
		start = l->next;
	return p > start ? p - start : 0;
}

int sim_link_enc(struct sim_link *l, double now, uint32_t number,
		 uint32_t bytes, struct qkd_key_record *keys,
		 struct etsi014_error *e)
{
	uint32_t i, avail = sim_link_stored(l, now);

	if (avail < number) {
		etsi014_error_set(e, 503, "insufficient keys available",
				  "%u keys requested, %u stored", number,
				  avail);
		return -EAGAIN;
	}
	if (l->next < window_start(l, now))
		l->next = window_start(l, now);
	for (i = 0; i < number; i++) {
		if (make_key(l, l->next + i, bytes, &keys[i])) {
			etsi014_keys_wipe(keys, number);
			etsi014_error_set(e, 503, "server error", "HMAC failed");
			return -EIO;
		}
	}
	l->next += number;
	return 0;
}

static bool used(const struct sim_link *l, uint64_t n)
{
	return n < l->used_bits && (l->used[n / 8] & (1u << (n % 8)));
}

static int mark_used(struct sim_link *l, uint64_t n)
{
	uint64_t bits = l->used_bits;
	uint8_t *p;

	while (n >= bits)
		bits = bits ? 2 * bits : 65536;
	if (bits != l->used_bits) {
		p = realloc(l->used, bits / 8);
		if (!p)
			return -ENOMEM;
		memset(p + l->used_bits / 8, 0, (bits - l->used_bits) / 8);
		l->used = p;
		l->used_bits = bits;
	}
	l->used[n / 8] |= 1u << (n % 8);
	return 0;
}

static void unmark_used(struct sim_link *l, uint64_t n)
{
	l->used[n / 8] &= ~(1u << (n % 8));
}

/* Whether ids[i] already appears in ids[0..i) (only asked on a refusal). */
static bool repeated(const struct etsi014_dec_req *req, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!memcmp(req->ids[i], req->ids[j], QKD_KEY_ID_LEN))
			return true;
	return false;
}

/* Is the ID one of ours, produced, not yet gone and not yet delivered? */
static int check_id(struct sim_link *l, double now, const uint8_t *id,
		    uint64_t *n, uint8_t *bytes, struct etsi014_error *e)
{
	char text[QKD_KEYID_STR_SIZE];
	const char *why = NULL;

	if (parse_id(l, id, n, bytes) || !*bytes ||
	    *bytes > ETSI014_KEY_MAX_BYTES)
		why = "unknown key_ID";
	else if (*n >= produced(l, now))
		why = "key_ID not (yet) available";
	else if (*n < dec_window_start(l, now))
		why = "key_ID expired (key buffer overflow)";
	else if (used(l, *n))
		why = "key_ID already delivered";
	if (!why)
		return 0;
	etsi014_error_set(e, 400, "key not found", "%s: %s", why,
			  qkd_keyid_format(id, text));
	return -ENOENT;
}

/*
 * Each key is marked used as soon as it is checked, so that a key_ID given
 * twice is refused without comparing every pair of IDs; a refused request
 * unmarks what it marked and so uses none.
 */
int sim_link_dec(struct sim_link *l, double now,
		 const struct etsi014_dec_req *req, struct qkd_key_record *keys,
		 struct etsi014_error *e)
{
	uint64_t n;
	uint8_t bytes;
	size_t i;
	int ret;

	for (i = 0; i < req->n; i++) {
		ret = check_id(l, now, req->ids[i], &n, &bytes, e);
		if (ret) {
			if (repeated(req, i)) {
				etsi014_error_set(e, 400, "bad request format",
						  "key_ID repeated");
				ret = -EINVAL;
			}
			goto err_unmark;
		}
		ret = mark_used(l, n);
		if (ret) {
			etsi014_error_set(e, 503, "server error",
					  "out of memory");
			goto err_unmark;
		}
		/* The ID was just verified: only the material is made. */
		memcpy(keys[i].id, req->ids[i], QKD_KEY_ID_LEN);
		ret = make_material(l, n, bytes, &keys[i]);
		if (ret) {
			i++;
			goto err_unmark;
		}
	}
	return 0;

err_unmark:
	while (i--) {
		parse_id(l, req->ids[i], &n, &bytes);
		unmark_used(l, n);
	}
	etsi014_keys_wipe(keys, req->n);
	if (!e->code)
		etsi014_error_set(e, 503, "server error", "HMAC failed");
	return ret;
}

struct sim_link *sim_link_new(const struct sim_link_cfg *cfg)
{
	struct sim_link *l = calloc(1, sizeof(*l));
	OSSL_PARAM params[2];
	EVP_MAC *hmac;

	if (!l)
		return NULL;
	snprintf(l->label, sizeof(l->label), "%s>%s", cfg->master_sae,
		 cfg->slave_sae);
	l->epoch = cfg->epoch;
	l->rate = cfg->rate;
	l->max_keys = cfg->max_keys;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac)
		l->mac = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!l->mac || !EVP_MAC_init(l->mac, cfg->seed, cfg->seed_len, params) ||
	    prf(l, "mask", 0, 0, l->mask)) {
		sim_link_free(l);
		return NULL;
	}
	return l;
}

void sim_link_free(struct sim_link *l)
{
	if (!l)
		return;
	EVP_MAC_CTX_free(l->mac);
	free(l->used);
	explicit_bzero(l, sizeof(*l));
	free(l);
}
