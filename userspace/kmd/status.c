// SPDX-License-Identifier: GPL-2.0
/* The status file: see status.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "link.h"
#include "log.h"
#include "relay.h"
#include "status.h"
#include "store.h"

static const char *kme_state(const struct link *l)
{
	if (l->kme_ok)
		return "up";
	return l->kme_errors ? "down" : "unknown";
}

/* Rates over windows of a few seconds: batches make shorter ones jumpy. */
#define RATE_WINDOW_MS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rate_update(struct link *l)
{
	uint64_t now = now_ms(), dt = now - l->rate_mark_ms;

	if (!l->rate_mark_ms) {
		l->rate_mark_ms = now;
		l->rate_mark_keys = l->keys_added;
		return;
	}
	if (dt < RATE_WINDOW_MS)
		return;
	l->keys_per_s = (l->keys_added - l->rate_mark_keys) * 1000 / dt;
	l->rate_mark_ms = now;
	l->rate_mark_keys = l->keys_added;
}

static json_t *link_json(struct link *l)
{
	struct qkd_stream_stats st = { 0 };
	int have = store_count(l->kmd->genl, l->cfg->stream, &st);

	rate_update(l);
	return json_pack("{s:s,s:s,s:s,"
			 "s:{s:s,s:s,s:I,s:I},"
			 "s:{s:s,s:s,s:s,s:I,s:I},"
			 "s:{s:b,s:I,s:I,s:I,s:I,s:I},"
			 "s:{s:I,s:I},"
			 "s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"peer", l->cfg->id,
		"role", l->cfg->master ? "master" : "slave",
		"stream", l->cfg->stream,
		"kx", "state", l->up ? "up" : "down",
		      "error", l->up ? "" : l->kx_error,
		      "connects", (json_int_t)l->kx_connects,
		      "rejected_frames", (json_int_t)l->kx.rejects,
		"kme", "url", l->cfg->kme_url, "state", kme_state(l),
		       "error", l->kme_error,
		       "errors", (json_int_t)l->kme_errors,
		       "retry_ms", (json_int_t)(l->kme_ok ? 0 :
						l->kme_backoff_ms),
		"pool", "present", have >= 0,
			"keys", (json_int_t)(have >= 0 ? have : 0),
			"avail_local", (json_int_t)st.avail_local,
			"avail_peer", (json_int_t)st.avail_peer,
			"reserved", (json_int_t)st.reserved,
			"fill_target", (json_int_t)l->cfg->fill_target,
		"rate", "keys_per_s", (json_int_t)l->keys_per_s,
			"bits_per_s", (json_int_t)(l->keys_per_s *
						   l->cfg->key_size),
		"inflight_keys", (json_int_t)link_inflight(l),
		"batches", (json_int_t)link_batches(l),
		"keys_added", (json_int_t)l->keys_added,
		"keys_dropped", (json_int_t)l->keys_dropped,
		"batches_done", (json_int_t)l->batches_done,
		"batches_aborted", (json_int_t)l->batches_aborted,
		"fill_backoff_ms", (json_int_t)l->fill_backoff_ms);
}

/*
 * The pool requests made so far, by command: what a relayed key costs in
 * netlink round trips (selftests/kmd/prof-relay.sh reads them).
 */
static json_t *requests_json(const struct qkd_genl *g)
{
	static const struct {
		uint8_t cmd;
		const char *name;
	} cmds[] = {
		{ QKD_CMD_STREAM_GET, "stream_get" },
		{ QKD_CMD_KEY_ADD, "key_add" },
		{ QKD_CMD_KEY_TAKE, "key_take" },
		{ QKD_CMD_KEY_RESERVE, "key_reserve" },
		{ QKD_CMD_KEY_COMMIT, "key_commit" },
		{ QKD_CMD_KEY_RELEASE, "key_release" },
	};
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		json_object_set_new(o, cmds[i].name, json_integer(
			(json_int_t)qkd_genl_requests(g, cmds[i].cmd)));
	return o;
}

static int write_status(struct kmd *k)
{
	const char *path = k->cfg.status_file;
	json_t *root, *peers;
	char tmp[KMD_PATH_MAX + 8];
	struct link *l;
	int ret;

	peers = json_array();
	for (l = k->links; l; l = l->next)
		json_array_append_new(peers, link_json(l));
	root = json_pack("{s:s,s:I,s:I,s:o,s:o,s:o*}", "node", k->cfg.node_id,
			 "pid", (json_int_t)getpid(),
			 "time", (json_int_t)time(NULL), "peers", peers,
			 "relay", relay_status_json(k),
			 "pool_requests", requests_json(k->genl));
	if (!root)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ret = json_dump_file(root, tmp, JSON_INDENT(1));
	json_decref(root);
	if (ret || rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kmd *k = arg;
	static bool warned;

	(void)fd;
	(void)what;
	if (write_status(k) && !warned) {
		log_warn("status: cannot write %s", k->cfg.status_file);
		warned = true;
	}
}

int kmd_status_start(struct kmd *k)
{
	struct timeval tv = { 1, 0 };

	if (!k->cfg.status_file[0])
		return 0;
	k->status_timer = event_new(k->base, -1, EV_PERSIST, status_cb, k);
	if (!k->status_timer || event_add(k->status_timer, &tv))
		return -ENOMEM;
	return 0;
}

void kmd_status_stop(struct kmd *k)
{
	if (!k->status_timer)
		return;
	write_status(k);
	event_free(k->status_timer);
	k->status_timer = NULL;
}
