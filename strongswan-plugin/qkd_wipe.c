/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */


#include "qkd_wipe.h"

#include <malloc.h>
#include <curl/curl.h>
#include <jansson.h>

/**
 * free() after wiping the whole block
 */
static void wipe_free(void *ptr)
{
	if (ptr)
	{
		memwipe(ptr, malloc_usable_size(ptr));
		free(ptr);
	}
}

/**
 * realloc() that wipes the old block instead of leaving it behind
 */
static void *wipe_realloc(void *ptr, size_t size)
{
	size_t old;
	void *new;

	if (!ptr)
	{
		return malloc(size);
	}
	if (!size)
	{
		wipe_free(ptr);
		return NULL;
	}
	new = malloc(size);
	if (new)
	{
		old = malloc_usable_size(ptr);
		memcpy(new, ptr, min(old, size));
		wipe_free(ptr);
	}
	return new;
}

/**
 * strdup() on plain malloc(), freed by wipe_free()
 */
static char *wipe_strdup(const char *str)
{
	size_t len = strlen(str) + 1;
	char *copy = malloc(len);

	if (copy)
	{
		memcpy(copy, str, len);
	}
	return copy;
}

/*
 * Described in header
 */
bool qkd_wipe_init()
{
	json_set_alloc_funcs(malloc, wipe_free);
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free,
								wipe_realloc, wipe_strdup,
								calloc) == CURLE_OK;
}

/*
 * Described in header
 */
void qkd_wipe_uninit()
{
	curl_global_cleanup();
}
