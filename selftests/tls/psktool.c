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

#include "hex.h"
#include "tlspsk.h"

static int usage(void)
{
	fputs("usage: psktool IDENTITY 0xKEYHEX sha256|sha384\n"
	      "Prints the RFC 9258 imported PSK of the key for IDENTITY\n"
	      "(\"qkd:<uuid>\") and the suite hash, as hex (tests only).\n",
	      stderr);
	return 2;
}

int main(int argc, char *argv[])
{
	uint8_t key[QKD_KEY_MAX_LEN], psk[QKD_TLSPSK_MAX_PSK];
	char hex[2 * QKD_TLSPSK_MAX_PSK + 1];
	const EVP_MD *md;
	size_t klen, len;
	const char *k;
	int ret;

	if (argc != 4)
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
	qkd_hex_encode(psk, len, hex);
	puts(hex);
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}
