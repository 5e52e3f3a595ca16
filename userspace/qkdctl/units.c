// SPDX-License-Identifier: GPL-2.0
/* Numbers and durations: see units.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* Digits only: strtoul would accept signs, spaces and hex prefixes. */
static int parse_digits(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*s = p;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int ret;

	ret = parse_digits(&s, &v);
	if (ret)
		return ret;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static const struct unit {
	const char *name;
	uint32_t ms;
} units[] = {
	{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
};

int parse_duration_ms(const char *s, uint32_t *out)
{
	uint64_t v;
	size_t i;
	int ret;

	ret = parse_digits(&s, &v);
	if (ret)
		return ret;
	if (!*s) {
		*out = v;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].name))
			continue;
		if (v * units[i].ms > UINT32_MAX)
			return -ERANGE;
		*out = v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

char *format_duration(uint32_t ms, char *buf, size_t len)
{
	size_t i;

	if (ms == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	/* The last unit, ms, always divides. */
	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++)
		if (ms % units[i].ms == 0)
			break;
	snprintf(buf, len, "%u%s", ms / units[i].ms, units[i].name);
	return buf;
}
