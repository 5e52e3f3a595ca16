// SPDX-License-Identifier: GPL-2.0
/*
 * "qkdctl pool key take|commit|release|flush": taking keys over netlink.
 * A reservation made here outlives the command, so the kernel's timeout
 * (not a file) releases it if nobody commits or releases it.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "hex.h"
#include "json.h"
#include "keyid.h"
#include "pool.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "report.h"
#include "secmem.h"
#include "units.h"

struct take_args {
	const char *stream;
	uint8_t id[QKD_KEY_ID_LEN];
	bool by_id;
	bool reserve;
	uint32_t timeout_ms;
};

static void parse_take(int argc, char *argv[], struct take_args *a)
{
	bool has_timeout = false;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(*argv, "id")) {
			if (a->by_id)
				duparg(*argv);
			NEXT_ARG();
			get_keyid_arg(*argv, a->id);
			a->by_id = true;
		} else if (!strcmp(*argv, "reserve")) {
			if (a->reserve)
				duparg(*argv);
			a->reserve = true;
		} else if (!strcmp(*argv, "timeout")) {
			if (!a->reserve)
				usage_error("\"timeout\" applies to \"reserve\" and follows it");
			if (has_timeout)
				duparg(*argv);
			NEXT_ARG();
			a->timeout_ms = get_duration_arg("timeout", *argv);
			if (a->timeout_ms == 0 || a->timeout_ms > QKD_RESV_TIMEOUT_MAX)
				invarg("reserve timeout must be 1ms..1h", *argv);
			has_timeout = true;
		} else if (!strcmp(*argv, "--show-material") ||
			   !strcmp(*argv, "show-material")) {
			opts.show_material = true;
		} else {
			usage_error("unknown take option \"%s\"", *argv);
		}
	}
}

static const char *owner_name(uint32_t owner)
{
	switch (owner) {
	case QKD_OWNER_LOCAL:
		return "local";
	case QKD_OWNER_PEER:
		return "peer";
	}
	return "unknown";
}

static void print_material(const struct qkd_key_record *rec)
{
	char hex[2 * QKD_KEY_MAX_LEN + 1];

	qkd_hex_encode(rec->material, rec->material_len, hex);
	if (opts.json)
		json_string("material", hex);
	else
		printf("material %s\n", hex);
	qkd_wipe(hex, sizeof(hex));
}

static void print_key(const struct take_args *a,
		      const struct qkd_key_record *rec, uint32_t timeout)
{
	char id[QKD_KEYID_STR_SIZE], life[32], tmo[32];

	qkd_keyid_format(rec->id, id);
	if (opts.json) {
		json_open_object(NULL);
		json_string("stream", a->stream);
		json_string("id", id);
		json_string("owner", owner_name(rec->owner));
		json_u64("lifetime_ms", rec->lifetime_ms);
		json_u64("length", rec->material_len);
		json_bool("reserved", a->reserve);
		if (a->reserve)
			json_u64("timeout_ms", timeout);
		if (opts.show_material)
			print_material(rec);
		json_close_object();
		json_end();
		return;
	}
	printf("key %s owner %s lifetime %s length %u", id,
	       owner_name(rec->owner),
	       format_duration(rec->lifetime_ms, life, sizeof(life)),
	       rec->material_len);
	if (a->reserve)
		printf(" reserved timeout %s",
		       format_duration(timeout, tmo, sizeof(tmo)));
	putchar('\n');
	if (opts.show_material)
		print_material(rec);
	fflush(stdout);
}

static int take_or_reserve(struct qkd_genl *g, const struct take_args *a)
{
	struct qkd_key_record rec;
	const uint8_t *id = a->by_id ? a->id : NULL;
	uint32_t timeout = 0;
	int ret;

	if (a->reserve)
		ret = qkd_genl_key_reserve(g, a->stream, id, a->timeout_ms, &rec,
					   &timeout);
	else
		ret = qkd_genl_key_take(g, a->stream, id, &rec);
	if (ret)
		return report(g, ret, "cannot %s a key from \"%s\"",
			      a->reserve ? "reserve" : "take", a->stream);
	print_key(a, &rec, timeout);
	qkd_key_record_wipe(&rec);
	return 0;
}

/* commit|release STREAM id KEYID */
static void parse_ref(const char *cmd, int argc, char *argv[],
		      struct take_args *a)
{
	if (argc != 2 || strcmp(argv[0], "id"))
		usage_error("usage: pool key %s STREAM id KEYID", cmd);
	get_keyid_arg(argv[1], a->id);
	a->by_id = true;
}

static int key_ref(struct qkd_genl *g, bool commit, const struct take_args *a)
{
	char id[QKD_KEYID_STR_SIZE];
	int ret;

	ret = commit ? qkd_genl_key_commit(g, a->stream, a->id) :
		       qkd_genl_key_release(g, a->stream, a->id);
	if (ret)
		return report(g, ret, "cannot %s key %s of \"%s\"",
			      commit ? "commit" : "release",
			      qkd_keyid_format(a->id, id), a->stream);
	return 0;
}

static uint32_t parse_flush(int argc, char *argv[])
{
	if (argc > 1)
		usage_error("usage: pool key flush STREAM [ local | peer ]");
	if (argc == 0)
		return 0;
	if (!strcmp(argv[0], "local"))
		return QKD_F_LOCAL;
	if (!strcmp(argv[0], "peer"))
		return QKD_F_PEER;
	invarg("expected \"local\" or \"peer\"", argv[0]);
}

static int flush(struct qkd_genl *g, const char *stream, uint32_t flags)
{
	int ret = qkd_genl_key_flush(g, stream, flags);

	if (ret < 0)
		return report(g, ret, "cannot flush \"%s\"", stream);
	if (opts.json) {
		json_open_object(NULL);
		json_string("stream", stream);
		json_u64("flushed", ret);
		json_close_object();
		json_end();
	} else {
		printf("flushed %d keys from %s\n", ret, stream);
	}
	return 0;
}

/* Commands of "pool key" but add; argv[0] is the command. */
int pool_key(int argc, char *argv[])
{
	const char *cmd = argv[0];
	struct take_args a = { 0 };
	uint32_t flags = 0;
	struct qkd_genl *g;
	int ret;

	if (strcmp(cmd, "take") && strcmp(cmd, "commit") &&
	    strcmp(cmd, "release") && strcmp(cmd, "flush"))
		usage_error("unknown key command \"%s\"", cmd);
	if (argc < 2)
		usage_error("\"pool key %s\" needs a stream name", cmd);
	/* Parse everything first: usage errors never reach the kernel. */
	a.stream = get_stream_arg(argv[1]);
	if (!strcmp(cmd, "take"))
		parse_take(argc - 2, argv + 2, &a);
	else if (!strcmp(cmd, "flush"))
		flags = parse_flush(argc - 2, argv + 2);
	else
		parse_ref(cmd, argc - 2, argv + 2, &a);

	g = genl_open_or_report();
	if (!g)
		return EXIT_FAIL;
	if (!strcmp(cmd, "take"))
		ret = take_or_reserve(g, &a);
	else if (!strcmp(cmd, "flush"))
		ret = flush(g, a.stream, flags);
	else
		ret = key_ref(g, !strcmp(cmd, "commit"), &a);
	qkd_genl_close(g);
	return ret;
}
