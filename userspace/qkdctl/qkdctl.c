// SPDX-License-Identifier: GPL-2.0
/*
 * qkdctl: operator CLI of qkdpool. Global options, then a command group
 * dispatched from the table below to <group>_main() in its own file. This
 * file is the top: nothing calls into it; what the command files share
 * lives below them (global.c, args.c, report.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "qkdctl.h"
#include "secmem.h"
#include "subcommands.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{ "pool", pool_main, "the kernel key pool: streams, keys, events" },
	{ "macsec", macsec_main, "qkd-macsecd: MACsec rekeying status, rekey now" },
	{ "km", km_main, "qkd-kmd: links, KME health, stream fill, rates, key relay" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: %s [-j|--json] [--show-material] GROUP [COMMAND [ARGS...]]\n"
		"       %s -h|--help | -V|--version\n"
		"Groups:\n", prog, prog);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].help);
	fprintf(f,
		"Options:\n"
		"  -j, --json        JSON output (one value per line)\n"
		"      --show-material  print key material (hex) of taken keys:\n"
		"                    for tests and bring-up only\n"
		"  -h, --help        this text; '%s GROUP help' for a group\n"
		"  -V, --version     version\n"
		"See qkdctl(8).\n", prog);
}

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "show-material", no_argument, NULL, 'M' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char *argv[])
{
	size_t i;
	int c;

	/* Key material passes through this process: never into a core. */
	qkd_secure_process(false, NULL);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'M':
			opts.show_material = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("qkdctl %s\n", QKDCTL_VERSION);
			return 0;
		default:
			usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || !strcmp(argv[0], "help")) {
		usage(argc ? stdout : stderr);
		return argc ? 0 : EXIT_USAGE;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].fn(argc, argv);
	usage_error("unknown group \"%s\"", argv[0]);
}
