// SPDX-License-Identifier: GPL-2.0
/* Keyword parsing helpers: see args.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "keyid.h"
#include "qkdctl.h"
#include "units.h"

const char *usage_group;

static void __attribute__((noreturn)) hint(void)
{
	if (usage_group)
		fprintf(stderr, "Try '%s %s help'.\n", prog, usage_group);
	else
		fprintf(stderr, "Try '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	hint();
}

void incomplete_command(const char *after)
{
	usage_error("command line is not complete: \"%s\" needs a value",
		    after);
}

void invarg(const char *what, const char *arg)
{
	usage_error("invalid argument \"%s\": %s", arg, what);
}

void duparg(const char *key)
{
	usage_error("\"%s\" is given twice", key);
}

uint32_t get_u32_arg(const char *key, const char *arg)
{
	uint32_t v;

	if (parse_u32(arg, &v))
		usage_error("invalid %s \"%s\": expected a number 0..%u", key,
			    arg, UINT32_MAX);
	return v;
}

uint32_t get_duration_arg(const char *key, const char *arg)
{
	uint32_t v;
	int ret = parse_duration_ms(arg, &v);

	if (ret == -ERANGE)
		usage_error("invalid %s \"%s\": at most 4294967295 ms (49 days)",
			    key, arg);
	if (ret)
		usage_error("invalid %s \"%s\": expected NUMBER[ms|s|m|h]",
			    key, arg);
	return v;
}

void get_keyid_arg(const char *arg, uint8_t id[])
{
	const char *why;

	if (qkd_keyid_parse(arg, id, &why))
		invarg(why, arg);
}

const char *get_stream_arg(const char *arg)
{
	if (!*arg)
		invarg("empty stream name", arg);
	if (strlen(arg) >= QKD_STREAM_NAME_MAX)
		invarg("stream name longer than 63 characters", arg);
	return arg;
}
