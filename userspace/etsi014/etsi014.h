/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ETSI GS QKD 014 v1.1.1 ("REST-based key delivery API"): the data model
 * shared by the HTTPS server (server.c), the client (client.c) and their
 * JSON mapping (json.c). Plain C, no daemon state.
 *
 * A key is the pool's struct qkd_key_record (include/uapi/linux/qkdpool.h),
 * of which ETSI 014 uses id, material_len and material: one record type from
 * the KME to every consumer. Key material passes through these records
 * only; every holder wipes them with etsi014_keys_wipe() when done.
 */
#ifndef ETSI014_H
#define ETSI014_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define ETSI014_SAE_ID_MAX	64	/* including the NUL */
#define ETSI014_KME_ID_MAX	64
#define ETSI014_KEY_MAX_BYTES	QKD_KEY_MAX_LEN	/* 512 bits: what a pool holds */
#define ETSI014_KEYS_MAX	1024	/* keys in one request or reply */
#define ETSI014_BODY_MAX	(256 * 1024)
#define ETSI014_EXT_NAME_MAX	64

struct etsi014_status {
	char source_kme[ETSI014_KME_ID_MAX];
	char target_kme[ETSI014_KME_ID_MAX];
	char master_sae[ETSI014_SAE_ID_MAX];
	char slave_sae[ETSI014_SAE_ID_MAX];
	uint32_t key_size;			/* bits */
	uint32_t stored_key_count;
	uint32_t max_key_count;
	uint32_t max_key_per_request;
	uint32_t max_key_size;			/* bits */
	uint32_t min_key_size;			/* bits */
	uint32_t max_sae_id_count;
};

/* The parameters of an enc_keys request (GET query or POST body). */
struct etsi014_enc_req {
	uint32_t number;			/* default 1 */
	uint32_t size;				/* bits; 0: the KME's default */
	uint32_t n_additional_sae;		/* additional_slave_SAE_IDs */
	/* The first unsupported mandatory extension, or "" if none. */
	char bad_extension[ETSI014_EXT_NAME_MAX];
};

/* The key IDs of a dec_keys request (key_ID query or key_IDs body). */
struct etsi014_dec_req {
	size_t n;
	char bad_extension[ETSI014_EXT_NAME_MAX];	/* as in enc_req */
	uint8_t ids[ETSI014_KEYS_MAX][QKD_KEY_ID_LEN];
};

/* An error reply: HTTP code (400, 401, 503) and the JSON error body. */
struct etsi014_error {
	int code;
	char message[128];
	char details[256];			/* "" for none */
};

void etsi014_error_set(struct etsi014_error *e, int code, const char *msg,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void etsi014_keys_wipe(struct qkd_key_record *keys, size_t n);

/*
 * Make every library that may hold key material in its heap (jansson,
 * libevent, libcurl, OpenSSL) wipe each block before freeing it, and keep
 * freed memory in the heap rather than returning it to the kernel. Call
 * once at start, before any of them allocates. Returns 0, -EBUSY (too
 * late: OpenSSL has allocated) or -EIO (libcurl refused).
 */
int etsi014_secure_allocators(void);

/*
 * The part of etsi014_secure_allocators() that a client living in another
 * program's process may take (the strongSwan plugin in charon, which owns
 * OpenSSL and its heap): wipe-on-free for jansson and libcurl, and
 * curl_global_init(). Returns 0 or -1; pair each success with
 * etsi014_client_global_cleanup().
 */
int etsi014_client_global_init(void);
void etsi014_client_global_cleanup(void);

#endif /* ETSI014_H */
