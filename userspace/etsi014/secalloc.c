// SPDX-License-Identifier: GPL-2.0
/*
 * Wipe-on-free allocators for the libraries that see key material: the
 * base64 strings in jansson's trees and dumps, libevent's evbuffers of HTTP
 * bodies, curl's receive buffers and OpenSSL's TLS record buffers all hold
 * key bytes at some point, and none of them wipes before free().
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "etsi014.h"

static void wipe_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* realloc() may move the block and leave the old copy behind: move it here. */
static void *wipe_realloc(void *p, size_t size)
{
	size_t old;
	void *n;

	if (!p)
		return malloc(size);
	if (!size) {
		wipe_free(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	n = malloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, old < size ? old : size);
	wipe_free(p);
	return n;
}

static char *wipe_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = malloc(len);

	if (d)
		memcpy(d, s, len);
	return d;
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return wipe_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	wipe_free(p);
}

int etsi014_secure_allocators(void)
{
	/*
	 * Keep freed memory in the heap: each batch of keys allocates and frees
	 * a few hundred KB, and handing that back to the kernel (trim, munmap)
	 * had it fault in and clear fresh pages for every batch.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* Refused once OpenSSL has allocated: too late to wipe it all. */
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free))
		return -EBUSY;
	json_set_alloc_funcs(malloc, wipe_free);
	event_set_mem_functions(malloc, wipe_realloc, wipe_free);
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free,
				 wipe_realloc, wipe_strdup, calloc))
		return -EIO;
	return 0;
}
