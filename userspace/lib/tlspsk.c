// SPDX-License-Identifier: GPL-2.0
/* QKD keys as TLS 1.3 external PSKs: see tlspsk.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "keyid.h"
#include "tlspsk.h"

#define IDENTITY_MAX	1024	/* ours are 40 bytes; RFC 9258 allows 2^16-1 */
#define LABEL		"tls13 derived psk"

/* Per SSL_CTX. */
struct tlspsk {
	struct qkd_pool *pool;
	unsigned int flags;
	void (*info_cb)(const SSL *ssl, int where, int ret);
};

/* Per SSL: the key of this handshake and how getting it went. */
struct tlspsk_conn {
	struct qkd_pool *pool;
	SSL_SESSION *sess;
	char identity[QKD_TLSPSK_IDENTITY_SIZE];
	uint8_t id[QKD_KEY_ID_LEN];
	int status;
	bool reserved;		/* server: reserved, not yet committed */
};

static int ctx_idx = -1, ssl_idx = -1;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		     long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	free(ptr);
}

/*
 * A reservation still open when the SSL goes is settled here: committed if
 * the handshake completed with it (an application replaced our info
 * callback), else released, so an unauthenticated peer burns no key.
 */
static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		      long argl, void *argp)
{
	struct tlspsk_conn *c = ptr;
	SSL *ssl = parent;

	(void)ad, (void)idx, (void)argl, (void)argp;
	if (!c)
		return;
	if (c->reserved) {
		if (SSL_is_init_finished(ssl) && SSL_session_reused(ssl))
			qkd_pool_commit(c->pool, c->id);
		else
			qkd_pool_release(c->pool, c->id);
	}
	SSL_SESSION_free(c->sess);
	OPENSSL_clear_free(c, sizeof(*c));
}

static void idx_init(void)
{
	ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_free);
	ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
}

char *qkd_tlspsk_identity(const uint8_t id[QKD_KEY_ID_LEN], char *out)
{
	memcpy(out, QKD_TLSPSK_PREFIX, strlen(QKD_TLSPSK_PREFIX));
	qkd_keyid_format(id, out + strlen(QKD_TLSPSK_PREFIX));
	return out;
}

int qkd_tlspsk_parse_identity(const unsigned char *identity, size_t len,
			      uint8_t id[QKD_KEY_ID_LEN])
{
	char buf[QKD_TLSPSK_IDENTITY_SIZE];
	size_t plen = strlen(QKD_TLSPSK_PREFIX);

	/*
	 * A NUL would end the text early: "qkd:" and 32 hex digits, a NUL
	 * and any 4 bytes would pass for the identity of that key ID.
	 */
	if (len != sizeof(buf) - 1 || memchr(identity, '\0', len) ||
	    memcmp(identity, QKD_TLSPSK_PREFIX, plen))
		return -EINVAL;
	memcpy(buf, identity + plen, len - plen);
	buf[len - plen] = '\0';
	return qkd_keyid_parse(buf, id, NULL);
}

static int target_kdf(const EVP_MD *md, uint16_t *kdf)
{
	switch (md ? EVP_MD_get_type(md) : NID_undef) {
	case NID_sha256:
		*kdf = QKD_TLSPSK_KDF_SHA256;
		return 0;
	case NID_sha384:
		*kdf = QKD_TLSPSK_KDF_SHA384;
		return 0;
	default:
		return -EINVAL;
	}
}

static uint8_t *put16(uint8_t *p, size_t v)
{
	*p++ = v >> 8;
	*p++ = v & 0xff;
	return p;
}

/* HkdfLabel of RFC 8446 section 7.1 for "derived psk" and Hash(ImpId). */
static size_t hkdf_label(uint8_t *out, size_t len, const uint8_t *hash,
			 size_t hlen)
{
	uint8_t *p = put16(out, len);

	*p++ = strlen(LABEL);
	memcpy(p, LABEL, strlen(LABEL));
	p += strlen(LABEL);
	*p++ = hlen;
	memcpy(p, hash, hlen);
	return p + hlen - out;
}

static int hkdf_sha256(const uint8_t *key, size_t klen, const uint8_t *info,
		       size_t ilen, uint8_t *out, size_t olen)
{
	OSSL_PARAM params[4];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ret = -EIO;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx)
		goto out;
	/* No salt: HKDF-Extract(0, ...) is HMAC under HashLen zero bytes. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)key, klen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      (void *)info, ilen);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, olen, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

int qkd_tlspsk_import(const char *identity, const uint8_t *epsk,
		      size_t epsk_len, const EVP_MD *md, uint8_t *out,
		      size_t *outlen)
{
	uint8_t imp[IDENTITY_MAX + 8], hash[32], label[64], *p;
	size_t ilen = identity ? strlen(identity) : 0, len;
	uint16_t kdf;
	int ret;

	if (target_kdf(md, &kdf) < 0 || ilen == 0 || ilen > IDENTITY_MAX ||
	    epsk_len == 0)
		return -EINVAL;
	len = EVP_MD_get_size(md);

	/* ImportedIdentity, RFC 9258 section 5.1, with an empty context */
	p = put16(imp, ilen);
	memcpy(p, identity, ilen);
	p = put16(p + ilen, 0);
	p = put16(p, QKD_TLSPSK_PROTO_TLS13);
	p = put16(p, kdf);
	if (EVP_Digest(imp, p - imp, hash, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;

	ret = hkdf_sha256(epsk, epsk_len, label,
			  hkdf_label(label, len, hash, sizeof(hash)), out, len);
	if (ret < 0)
		OPENSSL_cleanse(out, len);
	else
		*outlen = len;
	return ret;
}

static struct tlspsk_conn *conn_get(SSL *ssl)
{
	struct tlspsk *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	struct tlspsk_conn *c = SSL_get_ex_data(ssl, ssl_idx);

	if (c || !t)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pool = t->pool;
	c->status = -ENODATA;
	if (!SSL_set_ex_data(ssl, ssl_idx, c)) {
		free(c);
		return NULL;
	}
	return c;
}

static unsigned int conn_flags(SSL *ssl)
{
	struct tlspsk *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);

	return t ? t->flags : 0;
}

SSL_SESSION *qkd_tlspsk_session(const SSL_CIPHER *cipher, const uint8_t *psk,
				size_t len)
{
	SSL_SESSION *sess = SSL_SESSION_new();

	if (!sess ||
	    !SSL_SESSION_set1_master_key(sess, psk, len) ||
	    !SSL_SESSION_set_cipher(sess, cipher) ||
	    !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

/* The PSK session of key rec for cipher: c->sess. Wipes nothing. */
static int make_session(struct tlspsk_conn *c, const SSL_CIPHER *cipher,
			const struct qkd_key_record *rec)
{
	uint8_t psk[QKD_TLSPSK_MAX_PSK];
	SSL_SESSION *sess;
	size_t len;
	int ret;

	qkd_tlspsk_identity(rec->id, c->identity);
	ret = qkd_tlspsk_import(c->identity, rec->material, rec->material_len,
				SSL_CIPHER_get_handshake_digest(cipher), psk,
				&len);
	if (ret < 0)
		return ret;
	sess = qkd_tlspsk_session(cipher, psk, len);
	if (!sess) {
		ret = -ENOMEM;
	} else {
		memcpy(c->id, rec->id, sizeof(c->id));
		c->sess = sess;
	}
	OPENSSL_cleanse(psk, sizeof(psk));
	return ret;
}

/* The client's suite: its first TLS 1.3 one, of hash md if md is set. */
static const SSL_CIPHER *client_cipher(SSL *ssl, const EVP_MD *md)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(ssl);
	const SSL_CIPHER *cipher;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
		cipher = sk_SSL_CIPHER_value(ciphers, i);
		if (strcmp(SSL_CIPHER_get_version(cipher), "TLSv1.3"))
			continue;
		if (!md || SSL_CIPHER_get_handshake_digest(cipher) == md)
			return cipher;
	}
	return NULL;
}

static int session_md_is(SSL_SESSION *sess, const EVP_MD *md)
{
	return !md ||
	       SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(sess)) == md;
}

/* Client: called once per ClientHello (twice after a HelloRetryRequest). */
static int use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			  size_t *idlen, SSL_SESSION **sess)
{
	bool fallback = conn_flags(ssl) & QKD_TLSPSK_FALLBACK;
	struct tlspsk_conn *c = conn_get(ssl);
	struct qkd_key_record rec;
	const SSL_CIPHER *cipher;

	*sess = NULL;
	if (!c)
		return 0;
	if (!c->sess && c->status == -ENODATA) {
		cipher = client_cipher(ssl, md);
		if (!cipher) {
			c->status = -EINVAL;
			return fallback;
		}
		c->status = qkd_pool_take_next(c->pool, &rec);
		if (!c->status)
			c->status = make_session(c, cipher, &rec);
		qkd_key_record_wipe(&rec);
	}
	if (!c->sess)
		return fallback;
	/* the key is spent; a retry for another hash cannot be served */
	if (!session_md_is(c->sess, md)) {
		c->status = -EINVAL;
		return 0;
	}
	SSL_SESSION_up_ref(c->sess);
	*sess = c->sess;
	*id = (const unsigned char *)c->identity;
	*idlen = strlen(c->identity);
	return 1;
}

static int server_reserve(SSL *ssl, struct tlspsk_conn *c,
			  const uint8_t id[QKD_KEY_ID_LEN])
{
	const SSL_CIPHER *cipher = SSL_get_pending_cipher(ssl);
	struct qkd_key_record rec;
	uint16_t kdf;
	int ret;

	if (!cipher ||
	    target_kdf(SSL_CIPHER_get_handshake_digest(cipher), &kdf) < 0)
		return -EINVAL;
	ret = qkd_pool_reserve_id(c->pool, id, &rec);
	if (ret < 0)
		return ret;
	c->reserved = true;
	memcpy(c->id, id, sizeof(c->id));
	ret = make_session(c, cipher, &rec);
	qkd_key_record_wipe(&rec);
	if (ret < 0) {
		qkd_pool_release(c->pool, id);
		c->reserved = false;
	}
	return ret;
}

/*
 * Server: called for each offered identity until one returns a session.
 * Returning 1 without a session declines the identity; whether the
 * handshake can go on without it is up to the certificate configuration.
 */
static int find_session_cb(SSL *ssl, const unsigned char *identity,
			   size_t len, SSL_SESSION **sess)
{
	struct tlspsk_conn *c = conn_get(ssl);
	uint8_t id[QKD_KEY_ID_LEN];
	int ret;

	*sess = NULL;
	if (!c)
		return 0;
	ret = qkd_tlspsk_parse_identity(identity, len, id);
	if (ret < 0) {
		c->status = ret;
		return 1;
	}
	if (c->sess) {
		/* the second ClientHello after a HelloRetryRequest */
		if (memcmp(c->id, id, sizeof(id)))
			return 1;
	} else {
		c->status = server_reserve(ssl, c, id);
		if (c->status < 0)
			return 1;
	}
	SSL_SESSION_up_ref(c->sess);
	*sess = c->sess;
	return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tlspsk *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	struct tlspsk_conn *c = SSL_get_ex_data(ssl, ssl_idx);

	if ((where & SSL_CB_HANDSHAKE_DONE) && c && c->reserved) {
		c->reserved = false;
		if (SSL_session_reused(ssl))
			c->status = qkd_pool_commit(c->pool, c->id);
		else
			qkd_pool_release(c->pool, c->id);
	}
	if (t && t->info_cb)
		t->info_cb(ssl, where, ret);
}

int qkd_tlspsk_install(SSL_CTX *ctx, struct qkd_pool *pool, unsigned int flags)
{
	long max = SSL_CTX_get_max_proto_version(ctx);
	struct tlspsk *t;

	if ((flags & ~__QKD_TLSPSK_ALL) || !pool ||
	    (max && max < TLS1_3_VERSION))
		return -EINVAL;
	if (pthread_once(&idx_once, idx_init) || ctx_idx < 0 || ssl_idx < 0)
		return -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pool = pool;
	t->flags = flags;
	t->info_cb = SSL_CTX_get_info_callback(ctx);
	if (t->info_cb == info_cb)
		t->info_cb = NULL;
	free(SSL_CTX_get_ex_data(ctx, ctx_idx));
	if (!SSL_CTX_set_ex_data(ctx, ctx_idx, t)) {
		free(t);
		return -ENOMEM;
	}
	SSL_CTX_set_psk_use_session_callback(ctx, use_session_cb);
	SSL_CTX_set_psk_find_session_callback(ctx, find_session_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	/* a resumed session would reuse a key's secret for a second time */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (flags & QKD_TLSPSK_PSK_KE)
		SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
	else
		SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
	return 0;
}

int qkd_tlspsk_status(const SSL *ssl, uint8_t id[QKD_KEY_ID_LEN])
{
	struct tlspsk_conn *c;

	if (ssl_idx < 0)
		return -ENODATA;
	c = SSL_get_ex_data(ssl, ssl_idx);
	if (!c)
		return -ENODATA;
	if (!c->status && id)
		memcpy(id, c->id, QKD_KEY_ID_LEN);
	return c->status;
}
