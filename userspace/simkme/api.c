// SPDX-License-Identifier: GPL-2.0
/* qkd-simkme's answers to ETSI 014 requests. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "api.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Common checks: link up, caller is our SAE, the other SAE is the peer's. */
static int check_request(struct simkme *k, const char *caller,
			 const char *other, const char *role,
			 struct etsi014_error *e)
{
	int ret;

	if (k->down) {
		etsi014_error_set(e, 503, "server error", "QKD link down");
		ret = -ENETDOWN;
		goto refuse;
	}
	if (strcmp(caller, k->sae)) {
		etsi014_error_set(e, 401, "unauthorized",
				  "SAE '%s' is not served by KME '%s'", caller,
				  k->kme_id);
		ret = -EACCES;
		goto refuse;
	}
	if (strcmp(other, k->peer_sae)) {
		etsi014_error_set(e, 400, "bad request format",
				  "unknown %s SAE '%s'", role, other);
		ret = -EINVAL;
		goto refuse;
	}
	return 0;
refuse:
	k->refused++;
	return ret;
}

static int status(void *ctx, const char *caller, const char *slave_sae,
		  struct etsi014_status *st, struct etsi014_error *e)
{
	struct simkme *k = ctx;
	int ret;

	ret = check_request(k, caller, slave_sae, "slave", e);
	if (ret)
		return ret;
	strcpy(st->source_kme, k->kme_id);
	strcpy(st->target_kme, k->peer_kme_id);
	strcpy(st->master_sae, caller);
	strcpy(st->slave_sae, slave_sae);
	st->key_size = k->key_size;
	st->stored_key_count = sim_link_stored(k->enc, now());
	st->max_key_count = k->max_keys;
	st->max_key_per_request = k->max_per_request;
	st->max_key_size = k->max_key_size;
	st->min_key_size = k->min_key_size;
	st->max_sae_id_count = 0;
	return 0;
}

static int check_enc(struct simkme *k, const struct etsi014_enc_req *req,
		     uint32_t size, struct etsi014_error *e)
{
	if (req->n_additional_sae) {
		etsi014_error_set(e, 400, "bad request format",
				  "additional_slave_SAE_IDs: max_SAE_ID_count is 0");
		return -EINVAL;
	}
	if (!req->number || req->number > k->max_per_request) {
		etsi014_error_set(e, 400, "bad request format",
				  "number must be 1..%u (max_key_per_request)",
				  k->max_per_request);
		return -EINVAL;
	}
	if (size % 8 || size < k->min_key_size || size > k->max_key_size) {
		etsi014_error_set(e, 400, "bad request format",
				  "size must be a multiple of 8 in %u..%u",
				  k->min_key_size, k->max_key_size);
		return -EINVAL;
	}
	return 0;
}

static int enc_keys(void *ctx, const char *caller, const char *slave_sae,
		    const struct etsi014_enc_req *req,
		    struct qkd_key_record *keys, size_t *n,
		    struct etsi014_error *e)
{
	struct simkme *k = ctx;
	uint32_t size = req->size ? req->size : k->key_size;
	int ret;

	ret = check_request(k, caller, slave_sae, "slave", e) ?:
	      check_enc(k, req, size, e) ?:
	      sim_link_enc(k->enc, now(), req->number, size / 8, keys, e);
	if (ret)
		return ret;
	*n = req->number;
	k->served += *n;
	return 0;
}

static int dec_keys(void *ctx, const char *caller, const char *master_sae,
		    const struct etsi014_dec_req *req,
		    struct qkd_key_record *keys, size_t *n,
		    struct etsi014_error *e)
{
	struct simkme *k = ctx;
	int ret;

	ret = check_request(k, caller, master_sae, "master", e);
	if (ret)
		return ret;
	if (req->n > k->max_per_request) {
		etsi014_error_set(e, 400, "bad request format",
				  "at most %u key_IDs (max_key_per_request)",
				  k->max_per_request);
		return -EINVAL;
	}
	ret = sim_link_dec(k->dec, now(), req, keys, e);
	if (ret)
		return ret;
	*n = req->n;
	k->served += *n;
	return 0;
}

const struct etsi014_server_ops simkme_ops = {
	.status = status,
	.enc_keys = enc_keys,
	.dec_keys = dec_keys,
};
