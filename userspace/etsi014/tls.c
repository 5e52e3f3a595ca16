// SPDX-License-Identifier: GPL-2.0
/* TLS contexts and peer names: see tls.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "tls.h"

/* The first queued OpenSSL error as text (or "unknown error"). */
static const char *tls_error(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, size, "unknown error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

SSL_CTX *etsi014_tls_ctx(bool server, const char *cert, const char *key,
			 const char *ca, char *err, size_t errlen)
{
	char why[256];
	SSL_CTX *ctx;
	const char *step;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "SSL_CTX_new: %s",
			 tls_error(why, sizeof(why)));
		return NULL;
	}
	step = "TLS 1.3";
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		goto err_free;
	step = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto err_free;
	step = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto err_free;
	step = ca;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		goto err_free;
	/* Mutual authentication: no certificate, no connection. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;

err_free:
	snprintf(err, errlen, "%s: %s", step,
		 tls_error(why, sizeof(why)));
	SSL_CTX_free(ctx);
	return NULL;
}

int etsi014_tls_peer_cn(SSL *ssl, char *out, size_t size)
{
	X509 *peer;
	int n;

	if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK)
		return -EACCES;
	peer = SSL_get1_peer_certificate(ssl);
	if (!peer)
		return -EACCES;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
				      NID_commonName, out, size);
	X509_free(peer);
	/* A CN with an embedded NUL would be cut short: refuse it. */
	if (n <= 0 || (size_t)n >= size || strlen(out) != (size_t)n)
		return -EINVAL;
	return 0;
}
