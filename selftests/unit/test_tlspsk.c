// SPDX-License-Identifier: GPL-2.0
/*
 * QKD-TLS PSK helper: RFC 9258 importing against vectors computed apart
 * from libqkd, identity form, and refusals.
 *
 * The vectors (key 00 01 .. 1f, identity "qkd:00112233-4455-6677-8899-
 * aabbccddeeff", empty context) were computed with Python's hmac/hashlib
 * (RFC 5869 by hand) and checked with the OpenSSL CLI:
 *   ii=0028 716b643a...6666 0000 0304 0001     (ImportedIdentity, hex)
 *   h=$(echo $ii | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1)
 *   openssl kdf -keylen 32 -kdfopt digest:SHA256 \
 *       -kdfopt hexkey:000102...1f \
 *       -kdfopt hexinfo:002011746c73313320646572697665642070736b20$h HKDF
 * (for SHA-384: target_kdf 0002, -keylen 48, info prefix 0030...).
 */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "hex.h"
#include "tlspsk.h"

static const char ident[] = "qkd:00112233-4455-6677-8899-aabbccddeeff";

static const char ipsk256[] =
	"08032e02d249a88fa8850b8642fcc1668737cb54e88907f6a9c39299a89f93c3";
static const char ipsk384[] =
	"c94d24943abf83a3274c137d63028e1ef4f3d2bb172efdfa3f32834f55a6a17f"
	"c178ac646da412ff24f50ba1803a2ab2";

static void epsk(uint8_t k[32])
{
	int i;

	for (i = 0; i < 32; i++)
		k[i] = i;
}

static size_t import_hex(const EVP_MD *md, const char *id, char *hex)
{
	uint8_t k[32], out[QKD_TLSPSK_MAX_PSK];
	size_t len = 0;

	epsk(k);
	if (qkd_tlspsk_import(id, k, sizeof(k), md, out, &len) < 0)
		return 0;
	qkd_hex_encode(out, len, hex);
	return len;
}

TEST(tlspsk_import_vectors)
{
	const struct {
		const EVP_MD *md;
		size_t len;
		const char *ipsk;
	} v[] = {
		{ EVP_sha256(), 32, ipsk256 },
		{ EVP_sha384(), 48, ipsk384 },
	};
	char hex[2 * QKD_TLSPSK_MAX_PSK + 1];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ASSERT_EQ(v[i].len, import_hex(v[i].md, ident, hex));
		EXPECT_STREQ(v[i].ipsk, hex);
	}
}

/* The import binds the identity: another ID gives another PSK. */
TEST(tlspsk_import_binds_identity)
{
	char hex[2 * QKD_TLSPSK_MAX_PSK + 1];

	ASSERT_EQ(32, import_hex(EVP_sha256(),
				 "qkd:00112233-4455-6677-8899-aabbccddeef0",
				 hex));
	EXPECT_STRNE(ipsk256, hex);
}

TEST(tlspsk_import_refuses)
{
	uint8_t k[32] = { 0 }, out[QKD_TLSPSK_MAX_PSK];
	size_t len = 0;

	EXPECT_EQ(-EINVAL, qkd_tlspsk_import(ident, k, 32, EVP_sha512(), out,
					     &len));
	EXPECT_EQ(-EINVAL, qkd_tlspsk_import(ident, k, 32, NULL, out, &len));
	EXPECT_EQ(-EINVAL, qkd_tlspsk_import("", k, 32, EVP_sha256(), out,
					     &len));
	EXPECT_EQ(-EINVAL, qkd_tlspsk_import(ident, k, 0, EVP_sha256(), out,
					     &len));
	EXPECT_EQ(0, len);
}

TEST(tlspsk_identity_round_trip)
{
	uint8_t id[QKD_KEY_ID_LEN], back[QKD_KEY_ID_LEN];
	char s[QKD_TLSPSK_IDENTITY_SIZE];
	int i;

	for (i = 0; i < QKD_KEY_ID_LEN; i++)
		id[i] = 0x11 * (i % 16);
	EXPECT_STREQ(ident, qkd_tlspsk_identity(id, s));
	ASSERT_EQ(0, qkd_tlspsk_parse_identity((const unsigned char *)s,
					       strlen(s), back));
	EXPECT_EQ(0, memcmp(id, back, sizeof(id)));
}

TEST(tlspsk_identity_refuses)
{
	static const char *const bad[] = {
		"qkd:00112233-4455-6677-8899-aabbccddeef",	/* short */
		"qkd:00112233-4455-6677-8899-aabbccddeeff0",	/* long */
		"QKD:00112233-4455-6677-8899-aabbccddeeff",	/* prefix */
		"xyz:00112233-4455-6677-8899-aabbccddeeff",
		"qkd:00112233445566778899aabbccddeeff",		/* bare hex */
		"qkd:0011223g-4455-6677-8899-aabbccddeeff",
		"Client_identity",				/* s_client's */
		"",
	};
	uint8_t id[QKD_KEY_ID_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, qkd_tlspsk_parse_identity(
			(const unsigned char *)bad[i], strlen(bad[i]), id))
			TH_LOG("accepted bad[%zu]", i);
}

TEST(tlspsk_install_refuses)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	ASSERT_NE(NULL, ctx);
	/* no pool */
	EXPECT_EQ(-EINVAL, qkd_tlspsk_install(ctx, NULL, 0));
	/* unknown flag, TLS 1.2 only: checked before the pool is used */
	EXPECT_EQ(-EINVAL, qkd_tlspsk_install(ctx, (struct qkd_pool *)ctx,
					      1u << 30));
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	EXPECT_EQ(-EINVAL, qkd_tlspsk_install(ctx, (struct qkd_pool *)ctx, 0));
	SSL_CTX_free(ctx);
}

TEST_HARNESS_MAIN
