// SPDX-License-Identifier: GPL-2.0
/* "qkdctl pool": dispatch to the show, stream, key and watch commands. */
#include <stdio.h>
#include <string.h>
#include <uapi/linux/qkdpool.h>

#include "args.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "subcommands.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: qkdctl [-j] pool show [STREAM]\n"
"       qkdctl pool stream add NAME [max-keys N] [low-watermark N] [lifetime DURATION]\n"
"       qkdctl pool stream set NAME [max-keys N] [low-watermark N] [lifetime DURATION]\n"
"       qkdctl pool stream del NAME\n"
"       qkdctl [-j] pool key add STREAM random COUNT [size BYTES]\n"
"                [owner { local | peer | alternate }] [mirror FILE] [lifetime DURATION]\n"
"       qkdctl [-j] pool key add STREAM file FILE [lifetime DURATION]\n"
"       qkdctl [-j] [--show-material] pool key take STREAM [id KEYID]\n"
"                [reserve [timeout DURATION]]\n"
"       qkdctl pool key commit STREAM id KEYID\n"
"       qkdctl pool key release STREAM id KEYID\n"
"       qkdctl [-j] pool key flush STREAM [ local | peer ]\n"
"       qkdctl [-j] pool watch [stream NAME] [count N] [timeout SECONDS]\n"
"       qkdctl pool help\n"
"where  DURATION := NUMBER[ms|s|m|h]  (no unit: milliseconds; 0: none)\n"
"       KEYID    := UUID (8-4-4-4-12 hex digits) | 32 hex digits\n"
"       BYTES    := %d..%d (default 32)\n"
"The mirror FILE gets the same keys with owners swapped (mode 0600, created\n"
"anew), for 'key add STREAM file FILE' on the peer; wipe and delete it after.\n"
"Key material is printed only with --show-material (tests, bring-up).\n"
"See qkdctl(8).\n", QKD_KEY_MIN_LEN, QKD_KEY_MAX_LEN);
}

static int key_main(int argc, char *argv[])
{
	if (argc < 1)
		usage_error("\"pool key\" needs a command: add, take, commit, release or flush");
	if (!strcmp(argv[0], "add"))
		return pool_key_add(argc - 1, argv + 1);
	return pool_key(argc, argv);
}

int pool_main(int argc, char *argv[])
{
	usage_group = "pool";
	argc--;
	argv++;
	if (argc == 0)
		return pool_show(0, argv);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return pool_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "stream"))
		return pool_stream(argc - 1, argv + 1);
	if (!strcmp(argv[0], "key"))
		return key_main(argc - 1, argv + 1);
	if (!strcmp(argv[0], "watch"))
		return pool_watch(argc - 1, argv + 1);
	usage_error("unknown pool command \"%s\"", argv[0]);
}
