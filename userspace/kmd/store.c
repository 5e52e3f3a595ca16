// SPDX-License-Identifier: GPL-2.0
/* qkd-kmd's use of the kernel pool: see store.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "keyid.h"
#include "log.h"
#include "store.h"

/* Streams whose counts are cached: every link's and far stream's fits. */
#define CACHE_MAX	64

struct cached {
	char name[QKD_STREAM_NAME_MAX];
	struct qkd_stream_stats st;
	uint64_t read_ms;
	bool valid;
};

static struct event_base *clock_base;
static struct cached cache[CACHE_MAX];

void store_clock(struct event_base *base)
{
	clock_base = base;
}

/* The event loop's time of this pass, or 0: then nothing is cached. */
static uint64_t pass_ms(void)
{
	struct timeval tv;

	if (!clock_base || event_base_gettimeofday_cached(clock_base, &tv))
		return 0;
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct cached *cached_of(const char *stream, bool add)
{
	struct cached *free_slot = NULL;
	size_t i;

	for (i = 0; i < CACHE_MAX; i++) {
		if (cache[i].name[0] && !strcmp(cache[i].name, stream))
			return &cache[i];
		if (!cache[i].name[0] && !free_slot)
			free_slot = &cache[i];
	}
	if (!add || !free_slot || strlen(stream) >= sizeof(free_slot->name))
		return NULL;
	strcpy(free_slot->name, stream);
	return free_slot;
}

static void invalidate(const char *stream)
{
	struct cached *c = cached_of(stream, false);

	if (c)
		c->valid = false;
}

static bool add_to(uint32_t *v, long d)
{
	if (d < 0 && (unsigned long)-d > *v)
		return false;
	*v += d;
	return true;
}

/* Our own requests' effect on the cached counts; a doubt drops them. */
static void counted(const char *stream, long local, long peer, long resv)
{
	struct cached *c = cached_of(stream, false);

	if (c && c->valid &&
	    !(add_to(&c->st.avail_local, local) &&
	      add_to(&c->st.avail_peer, peer) &&
	      add_to(&c->st.reserved, resv)))
		c->valid = false;
}

/*
 * Errors that say a request changed nothing; any other (a reply lost to a
 * full socket buffer: done or not) leaves the counts in doubt.
 */
static void settle(const char *stream, const int *errs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (errs[i] && errs[i] != -ENOENT && errs[i] != -EAGAIN &&
		    errs[i] != -EACCES && errs[i] != -EBUSY) {
			invalidate(stream);
			return;
		}
}

int store_stream_ensure(struct qkd_genl *g, const struct kmd_peer_cfg *p)
{
	struct qkd_stream_limits lim = {
		.has = QKD_LIMIT_MAX_KEYS | QKD_LIMIT_LIFETIME,
		.max_keys = p->max_keys,
		.lifetime_ms = p->lifetime_ms,
	};
	int ret = qkd_genl_stream_new(g, p->stream, &lim);

	invalidate(p->stream);
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
	struct cached *c = cached_of(stream, true);
	uint64_t now = pass_ms();
	int ret;

	if (c && c->valid && now >= c->read_ms &&
	    now - c->read_ms < STORE_FRESH_MS) {
		*st = c->st;
	} else {
		ret = qkd_genl_stream_get(g, stream, st);
		if (c)
			c->valid = !ret && now;
		if (ret)
			return ret;
		if (c) {
			c->st = *st;
			c->read_ms = now;
		}
	}
	return st->avail_local + st->avail_peer + st->reserved;
}

int store_reserve(struct qkd_genl *g, const char *stream, size_t n,
		  uint32_t timeout_ms, struct qkd_key_record *recs, int *errs)
{
	int got = qkd_genl_keys_reserve(g, stream, NULL, n, timeout_ms, recs,
					errs);

	if (got > 0)
		counted(stream, -got, 0, got);
	settle(stream, errs, n);
	return got;
}

int store_commit(struct qkd_genl *g, const char *stream,
		 const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n, int *errs)
{
	int done = qkd_genl_keys_commit(g, stream, ids, n, errs);

	if (done > 0)
		counted(stream, 0, 0, -done);
	settle(stream, errs, n);
	return done;
}

int store_release(struct qkd_genl *g, const char *stream,
		  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n)
{
	int done = qkd_genl_keys_release(g, stream, ids, n, NULL);

	/* Which went back, an error would not say: read them again. */
	if (done == (int)n)
		counted(stream, done, 0, -done);
	else
		invalidate(stream);
	return done;
}

int store_take(struct qkd_genl *g, const char *stream,
	       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
	       struct qkd_key_record *recs, int *errs)
{
	int got = qkd_genl_keys_take(g, stream, ids, n, recs, errs);
	long local = 0, peer = 0;
	size_t i;

	/* Relayed link keys are peer-owned; a drop may take either owner's. */
	for (i = 0; got > 0 && i < n; i++)
		if (!errs[i]) {
			local += recs[i].owner == QKD_OWNER_LOCAL;
			peer += recs[i].owner != QKD_OWNER_LOCAL;
		}
	if (got > 0)
		counted(stream, -local, -peer, 0);
	settle(stream, errs, n);
	return got;
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
	if (ret < 0)
		invalidate(stream);
	else
		counted(stream, owner == QKD_OWNER_LOCAL ? (long)n : 0,
			owner == QKD_OWNER_PEER ? (long)n : 0, 0);
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
		  store_take(g, stream, ids, n, recs, errs) : -ENOMEM;
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
	    qkd_genl_keys_reserve(g, stream, ids, n, 1000, recs, errs) >= 0) {
		settle(stream, errs, n);
		for (i = 0; i < n; i++) {
			if (errs[i] == -EACCES || errs[i] == -EBUSY)
				present++;
			/* peer-owned: not ours to count; put back */
			else if (!errs[i])
				memcpy(back[nback++], ids[i], QKD_KEY_ID_LEN);
		}
	}
	if (nback &&
	    qkd_genl_keys_release(g, stream,
				  (const uint8_t (*)[QKD_KEY_ID_LEN])back,
				  nback, NULL) != (int)nback)
		invalidate(stream);
	if (recs)
		explicit_bzero(recs, n * sizeof(*recs));
	free(recs);
	free(errs);
	free(back);
	return present;
}
