// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer: see json.h. Nesting depth is small and fixed. */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"

#define DEPTH_MAX 16

static struct {
	int depth;
	bool first[DEPTH_MAX];	/* no member written yet at this depth */
} js;

static void put_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* Comma and key before a member. */
static void member(const char *key)
{
	if (js.depth > 0) {
		if (!js.first[js.depth])
			putchar(',');
		js.first[js.depth] = false;
	}
	if (key) {
		put_str(key);
		putchar(':');
	}
}

static void open(const char *key, char c)
{
	member(key);
	putchar(c);
	if (js.depth < DEPTH_MAX - 1)
		js.depth++;
	js.first[js.depth] = true;
}

void json_open_array(const char *key)
{
	open(key, '[');
}

void json_close_array(void)
{
	putchar(']');
	if (js.depth > 0)
		js.depth--;
}

void json_open_object(const char *key)
{
	open(key, '{');
}

void json_close_object(void)
{
	putchar('}');
	if (js.depth > 0)
		js.depth--;
}

void json_string(const char *key, const char *val)
{
	member(key);
	put_str(val);
}

void json_u64(const char *key, uint64_t val)
{
	member(key);
	printf("%" PRIu64, val);
}

void json_bool(const char *key, bool val)
{
	member(key);
	fputs(val ? "true" : "false", stdout);
}

void json_end(void)
{
	putchar('\n');
	fflush(stdout);
	js.depth = 0;
}
