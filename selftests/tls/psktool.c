// SPDX-License-Identifier: GPL-2.0
/*
 * psktool: test helper of the tls suite. Prints the TLS 1.3 PSK that
 * libqkd's tlspsk derives from a QKD key, so that a stock openssl
 * s_client/s_server can be given the same PSK. Test-only: it prints a
 * secret. The proxy itself never exports a PSK.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hex.h"
#include "tlspsk.h"

static int usage(void)
{
	fputs("usage: psktool IDENTITY 0xKEYHEX sha256|sha384 [SESSION.pem]\n"
	      "Prints the RFC 9258 imported PSK of the key for IDENTITY\n"
	      "(\"qkd:<uuid>\") and the suite hash, as hex (tests only).\n"
	      "With SESSION.pem, writes it as a TLS 1.3 PSK session of\n"
	      "TLS_AES_128_GCM_SHA256 or TLS_AES_256_GCM_SHA384 instead, for\n"
	      "openssl s_client/s_server -psk_session.\n", stderr);
	return 2;
}

/* The PSK as an SSL_SESSION bound to the suite of its hash, in PEM. */
static int write_session(const char *file, const uint8_t *psk, size_t len)
{
	static const unsigned char s256[] = { 0x13, 0x01 }, s384[] = { 0x13, 0x02 };
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	SSL_SESSION *sess;
	const SSL_CIPHER *cipher;
	int ok = 0;
	FILE *f;

	cipher = ssl ? SSL_CIPHER_find(ssl, len == 48 ? s384 : s256) : NULL;
	f = fopen(file, "w");
	sess = cipher ? qkd_tlspsk_session(cipher, psk, len) : NULL;
	if (f && sess)
		ok = PEM_write_SSL_SESSION(f, sess);
	if (f && fclose(f))
		ok = 0;
	SSL_SESSION_free(sess);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return ok ? 0 : 1;
}

int main(int argc, char *argv[])
{
	uint8_t key[QKD_KEY_MAX_LEN], psk[QKD_TLSPSK_MAX_PSK];
	char hex[2 * QKD_TLSPSK_MAX_PSK + 1];
	const EVP_MD *md;
	size_t klen, len;
	const char *k;
	int ret;

	if (argc != 4 && argc != 5)
		return usage();
	md = EVP_get_digestbyname(argv[3]);
	k = argv[2];
	if (!strncmp(k, "0x", 2))
		k += 2;
	klen = strlen(k);
	if (!md || klen % 2 || klen / 2 > sizeof(key) ||
	    qkd_hex_decode(k, klen, key) < 0)
		return usage();
	ret = qkd_tlspsk_import(argv[1], key, klen / 2, md, psk, &len);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret < 0) {
		fprintf(stderr, "psktool: import: %s\n", strerror(-ret));
		return 1;
	}
	if (argc == 5) {
		ret = write_session(argv[4], psk, len);
		OPENSSL_cleanse(psk, sizeof(psk));
		return ret;
	}
	qkd_hex_encode(psk, len, hex);
	puts(hex);
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}
