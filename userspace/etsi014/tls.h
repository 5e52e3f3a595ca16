/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS contexts (OpenSSL) for ETSI 014 and the KM link: TLS 1.3 only, and
 * the peer must present a certificate signed by the configured CA, in both
 * directions. A peer is named by its certificate's subject CN (an SAE ID or
 * a KM node ID).
 */
#ifndef ETSI014_TLS_H
#define ETSI014_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

/*
 * A context for a server (server true) or client, with our certificate
 * chain and key, verifying peers against ca. NULL on failure, with the
 * reason in err.
 */
SSL_CTX *etsi014_tls_ctx(bool server, const char *cert, const char *key,
			 const char *ca, char *err, size_t errlen);

/*
 * The verified peer's subject CN into out. 0, -EACCES (no verified
 * certificate) or -EINVAL (no CN, or too long).
 */
int etsi014_tls_peer_cn(SSL *ssl, char *out, size_t size);

#endif /* ETSI014_TLS_H */
