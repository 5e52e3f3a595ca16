/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QKD keys as TLS 1.3 external PSKs (QKD-TLS), for any OpenSSL 3.0
 * application: qkd_tlspsk_install() sets the PSK callbacks of an SSL_CTX so
 * that every handshake of a client takes the next local-owned key of a pool
 * stream and every handshake of a server takes the offered key by ID.
 *
 * On the wire (plain RFC 8446, nothing else):
 *   PSK identity  "qkd:<uuid>", the key ID as a lowercase canonical UUID
 *                 (the same form as the strongSwan plugin's PPK_ID);
 *   PSK           the RFC 9258 section 5.1 imported PSK of the key, see
 *                 qkd_tlspsk_import(): bound to TLS 1.3 and to the hash of
 *                 the cipher suite (SHA-256 or SHA-384).
 * Deviation from RFC 9258: strict importing also puts the binary
 * ImportedIdentity on the wire as the identity and computes the binder with
 * the label "imp binder" (section 5.2). OpenSSL 3.0 has no importer and
 * always uses "ext binder", so the key is imported on both ends as section
 * 5.1 says and then used as an ordinary external PSK under the plain
 * identity above. A stock TLS 1.3 peer given the imported PSK and that
 * identity interoperates (see qkd-tlsproxy(8)).
 *
 * Key exchange: psk_dhe_ke (PSK plus an (EC)DHE share, X25519 first) unless
 * QKD_TLSPSK_PSK_KE. Each key serves one handshake: session tickets are
 * turned off on the context, since resuming would reuse a key's secret.
 * A client with no key fails the handshake unless QKD_TLSPSK_FALLBACK
 * (then it offers no PSK and the certificate configuration decides); a
 * server never accepts an unknown, expired or used ID as a PSK, and with
 * no certificate configured such a handshake fails.
 *
 * The server reserves the key when the ClientHello names it and commits it
 * (gone from the pool) only when the handshake completes; a failed
 * handshake (wrong binder, aborted) releases it. The client takes its key
 * outright: once an ID has been on the wire it is never offered again.
 *
 * Functions return 0 or -errno.
 */
#ifndef QKD_TLSPSK_H
#define QKD_TLSPSK_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <uapi/linux/qkdpool.h>

#include "pool.h"

#define QKD_TLSPSK_PREFIX	"qkd:"
/* "qkd:" + UUID + NUL */
#define QKD_TLSPSK_IDENTITY_SIZE	(4 + 36 + 1)
#define QKD_TLSPSK_MAX_PSK	48	/* SHA-384 */

/* RFC 9258 section 10 (TLS KDF Identifiers) and the TLS 1.3 version. */
#define QKD_TLSPSK_PROTO_TLS13	0x0304
#define QKD_TLSPSK_KDF_SHA256	0x0001
#define QKD_TLSPSK_KDF_SHA384	0x0002

enum {
	QKD_TLSPSK_PSK_KE	= 1 << 0,	/* also allow psk_ke (no DHE) */
	QKD_TLSPSK_FALLBACK	= 1 << 1,	/* no key: go on without PSK */
	__QKD_TLSPSK_ALL	= (1 << 2) - 1,
};

/*
 * Install the PSK callbacks (client and server; OpenSSL calls the one of
 * the role of each SSL) on ctx. pool must be open nonblocking (the
 * callbacks run in the handshake and must not block) and outlive ctx and
 * every SSL made from it. The client binds its PSK to the first TLS 1.3
 * cipher suite of the SSL (SSL_CTX_set_ciphersuites decides); the server
 * to the suite it selected. This also sets the context's info callback
 * (the one set before is still called) and clears session tickets.
 * Returns 0, -EINVAL (bad flags, no TLS 1.3 allowed), -ENOMEM.
 */
int qkd_tlspsk_install(SSL_CTX *ctx, struct qkd_pool *pool, unsigned int flags);

/*
 * How the QKD PSK went for ssl: 0 with id set when a key was taken (client)
 * or reserved/committed (server) for it, else why not: -ENODATA none tried
 * yet or no PSK offered by the peer, -EAGAIN pool empty, -ENOENT unknown,
 * expired or already used ID, -EACCES an ID the peer may not choose (local-
 * owned here), -EBUSY an ID in use by another handshake, -EINVAL a
 * malformed identity or suite, other -errno from the pool.
 */
int qkd_tlspsk_status(const SSL *ssl, uint8_t id[QKD_KEY_ID_LEN]);

/*
 * A TLS 1.3 external PSK as OpenSSL's PSK callbacks take it: a session of
 * cipher (a TLS 1.3 suite, whose hash the PSK is bound to) with psk as its
 * secret, which the session copies. NULL if out of memory. Also for
 * static PSKs (qkd-kmd's SKIP server and its test client).
 */
SSL_SESSION *qkd_tlspsk_session(const SSL_CIPHER *cipher, const uint8_t *psk,
				size_t len);

/* "qkd:<uuid>" of id; out has QKD_TLSPSK_IDENTITY_SIZE bytes. */
char *qkd_tlspsk_identity(const uint8_t id[QKD_KEY_ID_LEN], char *out);
/* The key ID of a "qkd:<uuid>" identity (len bytes, no NUL), or -EINVAL. */
int qkd_tlspsk_parse_identity(const unsigned char *identity, size_t len,
			      uint8_t id[QKD_KEY_ID_LEN]);

/*
 * RFC 9258 section 5.1 with ImportedIdentity { external_identity =
 * identity, context = "" (empty), target_protocol = 0x0304 (TLS 1.3),
 * target_kdf = HKDF-SHA256 or HKDF-SHA384 after md }:
 *   epskx = HKDF-Extract(0, epsk)
 *   ipskx = HKDF-Expand-Label(epskx, "derived psk",
 *                             Hash(ImportedIdentity), L)
 * with SHA-256 as Hash and HKDF hash (a QKD key has no hash of its own;
 * section 5.1's default) and L the output length of md (32 or 48).
 * out has QKD_TLSPSK_MAX_PSK bytes; *outlen is set to L. Wipe out after
 * use. Returns 0, -EINVAL (md neither SHA-256 nor SHA-384, bad lengths),
 * -EIO (OpenSSL failed).
 */
int qkd_tlspsk_import(const char *identity, const uint8_t *epsk,
		      size_t epsk_len, const EVP_MD *md, uint8_t *out,
		      size_t *outlen);

#endif /* QKD_TLSPSK_H */
