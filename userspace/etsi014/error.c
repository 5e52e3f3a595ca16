// SPDX-License-Identifier: GPL-2.0
/* ETSI 014 error replies, and wiping keys. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "etsi014.h"

void etsi014_error_set(struct etsi014_error *e, int code, const char *msg,
		       const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->message, sizeof(e->message), "%s", msg);
	e->details[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
}

void etsi014_keys_wipe(struct qkd_key_record *keys, size_t n)
{
	if (keys)
		explicit_bzero(keys, n * sizeof(*keys));
}
