// SPDX-License-Identifier: GPL-2.0
/*
 * Wipe-on-free allocators (lib/secmem.h) for the libraries that see key
 * material: the base64 strings in jansson's trees and dumps, libevent's
 * evbuffers of HTTP bodies, curl's receive buffers and OpenSSL's TLS
 * record buffers all hold key bytes at some point, and none of them wipes
 * before free().
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "etsi014.h"
#include "secmem.h"

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
	return qkd_realloc_wiped(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	qkd_free_wiped(p);
}

int etsi014_client_global_init(void)
{
	json_set_alloc_funcs(malloc, qkd_free_wiped);
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, qkd_free_wiped,
				 qkd_realloc_wiped, qkd_strdup_wiped, calloc))
		return -EIO;
	return 0;
}

void etsi014_client_global_cleanup(void)
{
	curl_global_cleanup();
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
	event_set_mem_functions(malloc, qkd_realloc_wiped, qkd_free_wiped);
	return etsi014_client_global_init();
}
