// SPDX-License-Identifier: GPL-2.0
/*
 * skipc: the SKIP client of the skip suite, playing a router that asks its
 * key provider for a key (curl has no TLS-PSK). One GET over TLS 1.3 with
 * an external PSK on TLS_AES_256_GCM_SHA384 (a PSK session, since a plain
 * PSK callback binds to SHA-256), or with -2 over TLS 1.2 DHE-PSK. Prints
 * "HTTP-CODE BODY" on one line; the body may hold a key (test only).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "hex.h"
#include "tlspsk.h"

static const char *identity;
static uint8_t psk[64];
static size_t psk_len;

static int usage(void)
{
	fputs("usage: skipc [-2] [-c TLS1.2-CIPHERS] ADDR:PORT IDENTITY PSKFILE PATH\n"
	      "GET PATH from a SKIP key provider with the hex PSK in PSKFILE;\n"
	      "prints \"HTTP-CODE BODY\". Exit 0 on a reply, 3 if the TLS\n"
	      "handshake fails.\n", stderr);
	return 2;
}

static int use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			  size_t *idlen, SSL_SESSION **sess)
{
	static const unsigned char aes256[] = { 0x13, 0x02 };
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes256);

	*sess = NULL;
	if (!cipher || (md && md != SSL_CIPHER_get_handshake_digest(cipher)))
		return 1;
	*sess = qkd_tlspsk_session(cipher, psk, psk_len);
	*id = (const unsigned char *)identity;
	*idlen = strlen(identity);
	return *sess != NULL;
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *id,
				  unsigned int max_id, unsigned char *out,
				  unsigned int max_psk)
{
	(void)ssl;
	(void)hint;
	if (strlen(identity) >= max_id || psk_len > max_psk)
		return 0;
	strcpy(id, identity);
	memcpy(out, psk, psk_len);
	return psk_len;
}

static int read_psk(const char *file)
{
	char hex[2 * sizeof(psk) + 2];
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f || !fgets(hex, sizeof(hex), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(hex, "\r\n");
	if (!n || n % 2 || n / 2 > sizeof(psk) ||
	    qkd_hex_decode(hex, n, psk))
		n = 0;
	psk_len = n / 2;
	explicit_bzero(hex, sizeof(hex));
	return psk_len ? 0 : -1;
}

static int dial(const char *endpoint)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (qkd_sockaddr(endpoint, &ss, &len))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static SSL_CTX *make_ctx(bool tls12, const char *ciphers)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	if (tls12) {
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_cipher_list(ctx, ciphers);
		SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
	} else {
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384");
		SSL_CTX_set_psk_use_session_callback(ctx, use_session_cb);
	}
	return ctx;
}

/* Send the GET, print the reply's code and body. */
static int get(SSL *ssl, const char *path)
{
	char req[2048], reply[8192];
	size_t len = 0;
	const char *body;
	int n, code;

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: kp\r\nConnection: close\r\n\r\n",
		 path);
	if (SSL_write(ssl, req, strlen(req)) <= 0)
		return -1;
	while (len < sizeof(reply) - 1 &&
	       (n = SSL_read(ssl, reply + len, sizeof(reply) - 1 - len)) > 0)
		len += n;
	reply[len] = '\0';
	body = strstr(reply, "\r\n\r\n");
	if (sscanf(reply, "HTTP/1.1 %d", &code) != 1 || !body)
		return -1;
	printf("%d %s\n", code, body + 4);
	explicit_bzero(reply, sizeof(reply));
	return 0;
}

int main(int argc, char *argv[])
{
	const char *ciphers = "DHE-PSK-AES256-CBC-SHA384";
	bool tls12 = false;
	SSL_CTX *ctx;
	int opt, fd, ret = 1;
	SSL *ssl;

	while ((opt = getopt(argc, argv, "2c:")) != -1) {
		if (opt == '2')
			tls12 = true;
		else if (opt == 'c')
			ciphers = optarg;
		else
			return usage();
	}
	if (argc - optind != 4)
		return usage();
	identity = argv[optind + 1];
	if (read_psk(argv[optind + 2])) {
		fprintf(stderr, "skipc: %s: expected a hex PSK\n",
			argv[optind + 2]);
		return 2;
	}
	fd = dial(argv[optind]);
	ctx = make_ctx(tls12, ciphers);
	ssl = ctx && fd >= 0 ? SSL_new(ctx) : NULL;
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		fprintf(stderr, "skipc: cannot connect to %s\n", argv[optind]);
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		fprintf(stderr, "skipc: TLS handshake failed\n");
		ERR_print_errors_fp(stderr);
		ret = 3;
		goto out;
	}
	ret = get(ssl, argv[optind + 3]) ? 1 : 0;
	if (ret)
		fprintf(stderr, "skipc: no HTTP reply\n");
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(psk, sizeof(psk));
	return ret;
}
