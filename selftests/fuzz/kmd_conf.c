// SPDX-License-Identifier: GPL-2.0
/* qkd-kmd.conf as kmd_config_parse() reads it (config.c). */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmd_config cfg;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!kmd_config_parse("fuzz.conf", text, &cfg))
		kmd_config_free(&cfg);
	free(text);
	return 0;
}
