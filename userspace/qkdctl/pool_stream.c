// SPDX-License-Identifier: GPL-2.0
/* "qkdctl pool stream add|set|del NAME ...": stream lifecycle and limits. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "report.h"

static void parse_limits(int argc, char *argv[], struct qkd_stream_limits *lim)
{
	for (; argc > 0; argc--, argv++) {
		if (!strcmp(*argv, "max-keys")) {
			if (lim->has & QKD_LIMIT_MAX_KEYS)
				duparg(*argv);
			NEXT_ARG();
			lim->max_keys = get_u32_arg("max-keys", *argv);
			lim->has |= QKD_LIMIT_MAX_KEYS;
		} else if (!strcmp(*argv, "low-watermark")) {
			if (lim->has & QKD_LIMIT_LOW_WATERMARK)
				duparg(*argv);
			NEXT_ARG();
			lim->low_watermark = get_u32_arg("low-watermark", *argv);
			lim->has |= QKD_LIMIT_LOW_WATERMARK;
		} else if (!strcmp(*argv, "lifetime")) {
			if (lim->has & QKD_LIMIT_LIFETIME)
				duparg(*argv);
			NEXT_ARG();
			lim->lifetime_ms = get_duration_arg("lifetime", *argv);
			lim->has |= QKD_LIMIT_LIFETIME;
		} else {
			usage_error("unknown stream option \"%s\"", *argv);
		}
	}
}

int pool_stream(int argc, char *argv[])
{
	struct qkd_stream_limits lim = { 0 };
	const char *cmd, *name;
	struct qkd_genl *g;
	int ret;

	if (argc < 1)
		usage_error("\"pool stream\" needs a command: add, set or del");
	cmd = argv[0];
	if (strcmp(cmd, "add") && strcmp(cmd, "set") && strcmp(cmd, "del"))
		usage_error("unknown stream command \"%s\"", cmd);
	if (argc < 2)
		usage_error("\"pool stream %s\" needs a stream name", cmd);
	name = get_stream_arg(argv[1]);
	if (!strcmp(cmd, "del") && argc > 2)
		usage_error("\"pool stream del\" takes only a stream name");
	parse_limits(argc - 2, argv + 2, &lim);
	if (!strcmp(cmd, "set") && !lim.has)
		usage_error("\"pool stream set\" needs max-keys, low-watermark or lifetime");

	g = genl_open_or_report();
	if (!g)
		return EXIT_FAIL;
	if (!strcmp(cmd, "add"))
		ret = qkd_genl_stream_new(g, name, &lim);
	else if (!strcmp(cmd, "set"))
		ret = qkd_genl_stream_set(g, name, &lim);
	else
		ret = qkd_genl_stream_del(g, name);
	if (ret)
		ret = report(g, ret, "cannot %s stream \"%s\"",
			     !strcmp(cmd, "add") ? "add" :
			     !strcmp(cmd, "set") ? "change" : "delete", name);
	qkd_genl_close(g);
	return ret;
}
