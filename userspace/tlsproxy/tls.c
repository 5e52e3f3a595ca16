// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS 1.3 context of qkd-tlsproxy: QKD PSKs through libqkd's tlspsk,
 * certificates only where the configuration asks for them.
 */
#include <errno.h>
#include <string.h>
#include <openssl/err.h>

#include "log.h"
#include "proxy.h"
#include "tlspsk.h"

static int ssl_fail(const char *what, const char *arg)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	log_err("%s%s%s: %s", what, arg ? " " : "", arg ? arg : "",
		e ? buf : "failed");
	ERR_clear_error();
	return -EINVAL;
}

static int load_certs(SSL_CTX *ctx, const struct proxy_conf *c)
{
	int verify = SSL_VERIFY_PEER;

	if (c->cert && SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1)
		return ssl_fail("cannot load certificate", c->cert);
	if (c->key && SSL_CTX_use_PrivateKey_file(ctx, c->key,
						  SSL_FILETYPE_PEM) != 1)
		return ssl_fail("cannot load private key", c->key);
	if (c->cert && SSL_CTX_check_private_key(ctx) != 1)
		return ssl_fail("private key does not match", c->cert);
	if (c->ca && SSL_CTX_load_verify_locations(ctx, c->ca, NULL) != 1)
		return ssl_fail("cannot load CA certificates", c->ca);
	/*
	 * A client always verifies: without --ca no certificate passes, so a
	 * server that declines the QKD PSK cannot get in by certificate. A
	 * server asks for client certificates only when given a CA.
	 */
	if (c->mode == MODE_SERVER)
		verify = c->ca ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
			       : SSL_VERIFY_NONE;
	SSL_CTX_set_verify(ctx, verify, NULL);
	return 0;
}

static int install_psk(struct proxy *px)
{
	const struct proxy_conf *c = &px->conf;
	unsigned int flags = 0;
	int ret;

	ret = qkd_pool_open(c->stream, true, &px->pool);
	if (ret < 0) {
		log_err("stream '%s': cannot open %s: %s", c->stream,
			QKD_POOL_DEVICE, ret == -ENOENT ?
			"no such stream (or qkdpool.ko not loaded)" :
			strerror(-ret));
		return ret;
	}
	if (c->psk_ke)
		flags |= QKD_TLSPSK_PSK_KE;
	if (c->cert_fallback)
		flags |= QKD_TLSPSK_FALLBACK;
	ret = qkd_tlspsk_install(px->ctx, px->pool, flags);
	if (ret < 0)
		log_err("cannot install the QKD PSK callbacks: %s",
			strerror(-ret));
	return ret;
}

int proxy_tls_init(struct proxy *px)
{
	const struct proxy_conf *c = &px->conf;
	int ret;

	px->ctx = SSL_CTX_new(c->mode == MODE_CLIENT ? TLS_client_method()
						     : TLS_server_method());
	if (!px->ctx)
		return ssl_fail("cannot create the TLS context", NULL);
	if (SSL_CTX_set_min_proto_version(px->ctx, TLS1_3_VERSION) != 1)
		return ssl_fail("cannot require TLS 1.3", NULL);
	if (SSL_CTX_set_ciphersuites(px->ctx, c->ciphersuites) != 1)
		return ssl_fail("invalid --ciphersuites", c->ciphersuites);
	if (SSL_CTX_set1_groups_list(px->ctx, c->groups) != 1)
		return ssl_fail("invalid --groups", c->groups);
	ret = load_certs(px->ctx, c);
	if (ret < 0)
		return ret;
	return c->stream ? install_psk(px) : 0;
}

void proxy_tls_uninit(struct proxy *px)
{
	/* SSL_CTX first: its last SSLs settle their keys with the pool */
	SSL_CTX_free(px->ctx);
	px->ctx = NULL;
	qkd_pool_close(px->pool);
	px->pool = NULL;
}
