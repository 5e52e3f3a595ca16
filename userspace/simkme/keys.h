/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated QKD link: one direction of key delivery (master SAE ->
 * slave SAE) whose keys both KMEs of the pair derive alike from a shared
 * seed, so that the key handed to the master by enc_keys is the one its
 * peer KME hands to the slave by dec_keys.
 *
 * Key n (n = 0, 1, ...) exists from epoch + n / rate on (both KMEs are
 * given the same epoch) until max_keys newer keys exist (the device's
 * buffer overflows, oldest first). Its material is HMAC-SHA256(seed,
 * label || "key" || n || block) expanded to the requested size; its ID is a
 * version 4 UUID that carries the counter and the size, masked, and an
 * HMAC tag over both, so the peer KME recovers n from the ID and refuses
 * forged IDs.
 */
#ifndef SIMKME_KEYS_H
#define SIMKME_KEYS_H

#include <stdint.h>

#include "etsi014.h"

struct sim_link;

struct sim_link_cfg {
	const uint8_t *seed;
	size_t seed_len;
	const char *master_sae, *slave_sae;
	double epoch;			/* s, CLOCK_REALTIME */
	double rate;			/* keys/s */
	uint32_t max_keys;
};

struct sim_link *sim_link_new(const struct sim_link_cfg *cfg);
void sim_link_free(struct sim_link *l);

/* Keys the master can still get now (status: stored_key_count). */
uint32_t sim_link_stored(const struct sim_link *l, double now);

/*
 * enc_keys: the next number keys of bytes each. 0, or with *e set
 * -EAGAIN (not that many keys yet) or -EIO.
 */
int sim_link_enc(struct sim_link *l, double now, uint32_t number,
		 uint32_t bytes, struct qkd_key_record *keys,
		 struct etsi014_error *e);
/*
 * dec_keys: the keys with these IDs, each once; all or none. 0, or with
 * *e set -ENOENT (an ID unknown, gone or delivered), -EINVAL (an ID
 * repeated), -ENOMEM or -EIO.
 */
int sim_link_dec(struct sim_link *l, double now,
		 const struct etsi014_dec_req *req, struct qkd_key_record *keys,
		 struct etsi014_error *e);

#endif /* SIMKME_KEYS_H */
