// SPDX-License-Identifier: GPL-2.0
/* qkd-macsecd's configuration file as config_parse() reads it (config.c). */
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	/*
	 * stdio's own buffer was a fresh 8 kB allocation a run, the most of
	 * the target's allocations: the parser reads through this one alike.
	 */
	static char buf[BUFSIZ];
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	config_parse("fuzz.conf", f, &cfg);
	fclose(f);
	return 0;
}
