// SPDX-License-Identifier: GPL-2.0
/* qkd-kmd's use of the kernel pool: see store.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyid.h"
#include "log.h"
#include "store.h"

int store_stream_ensure(struct qkd_genl *g, const struct kmd_peer_cfg *p)
{
	struct qkd_stream_limits lim = {
		.has = QKD_LIMIT_MAX_KEYS | QKD_LIMIT_LIFETIME,
		.max_keys = p->max_keys,
		.lifetime_ms = p->lifetime_ms,
	};
	int ret = qkd_genl_stream_new(g, p->stream, &lim);

	if (ret == -EEXIST)
		return 0;
	if (ret)
		log_err("stream %s: cannot create: %s %s", p->stream,
			strerror(-ret), qkd_genl_extack(g));
	else
		log_notice("stream %s: created (max %u keys)", p->stream,
			   p->max_keys);
	return ret;
}

int store_count(struct qkd_genl *g, const char *stream,
		struct qkd_stream_stats *st)
{
	int ret = qkd_genl_stream_get(g, stream, st);

	if (ret)
		return ret;
	return st->avail_local + st->avail_peer + st->reserved;
}

int store_add(struct qkd_genl *g, const char *stream,
	      const struct qkd_key_record *keys, size_t n, uint32_t owner,
	      uint32_t lifetime_ms)
{
	struct qkd_key_record *recs;
	size_t i;
	int ret, err = 0;

	if (!n || n > QKD_ADD_BATCH_MAX)
		return -EINVAL;
	recs = calloc(n, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* The KME's records, with what the pool adds to them. */
		recs[i] = keys[i];
		recs[i].flags = 0;
		recs[i].owner = owner;
		recs[i].lifetime_ms = lifetime_ms;
	}
	ret = qkd_genl_key_add(g, stream, recs, n, &err);
	explicit_bzero(recs, n * sizeof(*recs));
	free(recs);
	/* One request of <= QKD_ADD_BATCH_MAX keys: all or nothing. */
	if (ret >= 0 && (size_t)ret != n)
		ret = err ? err : -EIO;
	return ret < 0 ? ret : 0;
}

int store_drop(struct qkd_genl *g, const char *stream,
	       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n)
{
	char text[QKD_KEYID_STR_SIZE];
	struct qkd_key_record *recs;
	int *errs, dropped;
	size_t i;

	if (!n)
		return 0;
	recs = calloc(n, sizeof(*recs));
	errs = calloc(n, sizeof(*errs));
	dropped = recs && errs ?
		  qkd_genl_keys_take(g, stream, ids, n, recs, errs) : -ENOMEM;
	if (recs)
		explicit_bzero(recs, n * sizeof(*recs));
	free(recs);
	for (i = 0; dropped >= 0 && i < n; i++)
		if (errs[i] && errs[i] != -ENOENT)
			log_warn("stream %s: cannot drop key %s: %s", stream,
				 qkd_keyid_format(ids[i], text),
				 strerror(-errs[i]));
	if (dropped < 0)
		log_warn("stream %s: cannot drop %zu keys: %s", stream, n,
			 strerror(-dropped));
	free(errs);
	return dropped < 0 ? 0 : dropped;
}

int store_probe_local(struct qkd_genl *g, const char *stream,
		      const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n)
{
	struct qkd_key_record *recs;
	uint8_t (*back)[QKD_KEY_ID_LEN];
	int *errs, present = 0;
	size_t i, nback = 0;

	if (!n)
		return 0;
	recs = calloc(n, sizeof(*recs));
	errs = calloc(n, sizeof(*errs));
	back = calloc(n, sizeof(*back));
	if (recs && errs && back &&
	    qkd_genl_keys_reserve(g, stream, ids, n, 1000, recs, errs) >= 0)
		for (i = 0; i < n; i++) {
			if (errs[i] == -EACCES || errs[i] == -EBUSY)
				present++;
			/* peer-owned: not ours to count; put back */
			else if (!errs[i])
				memcpy(back[nback++], ids[i], QKD_KEY_ID_LEN);
		}
	if (nback)
		qkd_genl_keys_release(g, stream,
				      (const uint8_t (*)[QKD_KEY_ID_LEN])back,
				      nback, NULL);
	if (recs)
		explicit_bzero(recs, n * sizeof(*recs));
	free(recs);
	free(errs);
	free(back);
	return present;
}
