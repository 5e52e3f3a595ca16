// SPDX-License-Identifier: GPL-2.0
/* "qkdctl pool show [STREAM]": streams, limits and counters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "json.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "report.h"
#include "units.h"

static void show_json(const struct qkd_stream_stats *st)
{
	json_open_object(NULL);
	json_string("name", st->name);
	json_u64("avail_local", st->avail_local);
	json_u64("avail_peer", st->avail_peer);
	json_u64("reserved", st->reserved);
	json_u64("max_keys", st->max_keys);
	json_u64("low_watermark", st->low_watermark);
	json_u64("lifetime_ms", st->lifetime_ms);
	json_u64("added", st->added);
	json_u64("taken", st->taken);
	json_u64("expired", st->expired);
	json_u64("rejected", st->rejected);
	json_close_object();
}

static int name_width(const struct qkd_stream_stats *v, size_t n)
{
	int w = 6;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(v[i].name) > w)
			w = strlen(v[i].name);
	return w;
}

static void show_table(const struct qkd_stream_stats *v, size_t n)
{
	int w = name_width(v, n);
	char life[32];
	size_t i;

	printf("%-*s %8s %8s %8s %8s %8s %8s %10s %10s %10s %10s\n", w,
	       "STREAM", "LOCAL", "PEER", "RESERVED", "MAX", "LOW-WM",
	       "LIFETIME", "ADDED", "TAKEN", "EXPIRED", "REJECTED");
	for (i = 0; i < n; i++)
		printf("%-*s %8u %8u %8u %8u %8u %8s %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %10" PRIu64 "\n", w, v[i].name,
		       v[i].avail_local, v[i].avail_peer, v[i].reserved,
		       v[i].max_keys, v[i].low_watermark,
		       format_duration(v[i].lifetime_ms, life, sizeof(life)),
		       v[i].added, v[i].taken, v[i].expired, v[i].rejected);
}

static void show(const struct qkd_stream_stats *v, size_t n)
{
	size_t i;

	if (!opts.json) {
		show_table(v, n);
		return;
	}
	json_open_array(NULL);
	for (i = 0; i < n; i++)
		show_json(&v[i]);
	json_close_array();
	json_end();
}

int pool_show(int argc, char *argv[])
{
	struct qkd_stream_stats one, *all = NULL;
	const char *name = NULL;
	struct qkd_genl *g;
	size_t n = 0;
	int ret;

	if (argc > 1)
		usage_error("\"pool show\" takes at most one stream name");
	if (argc == 1)
		name = get_stream_arg(argv[0]);
	g = genl_open_or_report();
	if (!g)
		return EXIT_FAIL;
	if (name)
		ret = qkd_genl_stream_get(g, name, &one);
	else
		ret = qkd_genl_stream_dump(g, &all, &n);
	if (ret) {
		ret = name ? report(g, ret, "cannot show stream \"%s\"", name) :
			     report(g, ret, "cannot list streams");
		goto out;
	}
	if (name)
		show(&one, 1);
	else
		show(all, n);
out:
	free(all);
	qkd_genl_close(g);
	return ret;
}
