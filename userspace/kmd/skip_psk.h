/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SKIP's transport (draft-cisco-skip-02 §4): TLS 1.3 with
 * TLS_AES_256_GCM_SHA384, or TLS 1.2 with the DHE-PSK AES-256 suites, each
 * client system authenticated by its own external PSK. The PSKs come from
 * a file only root may read, one client a line:
 *
 *   IDENTITY  HEX-KEY        # 16..64 bytes; '#' starts a comment
 *
 * A client that offers no PSK, or one we do not know, fails the handshake
 * (the context has no certificate to fall back on).
 */
#ifndef KMD_SKIP_PSK_H
#define KMD_SKIP_PSK_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#define SKIP_PSK_ID_MAX		128	/* identity, with its NUL */
#define SKIP_PSK_MIN		16
#define SKIP_PSK_MAX		64
#define SKIP_PSKS_MAX		256

struct skip_psk {
	char identity[SKIP_PSK_ID_MAX];
	uint8_t key[SKIP_PSK_MAX];
	size_t len;
};

/*
 * One line of the PSK file into *p: 1 for a PSK, 0 for a blank or comment
 * line, or -EINVAL with *why set. Pure (fuzzable); wipe *p when done.
 */
int skip_psk_parse_line(const char *line, struct skip_psk *p,
			const char **why);

struct skip_psks;

/*
 * Load path (refused unless a regular file of ours that group and others
 * cannot read) and make the server context. NULL on failure, logged.
 */
struct skip_psks *skip_psks_load(const char *path);
SSL_CTX *skip_psks_ctx(struct skip_psks *t);
void skip_psks_free(struct skip_psks *t);

#endif /* KMD_SKIP_PSK_H */
