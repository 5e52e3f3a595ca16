// SPDX-License-Identifier: GPL-2.0
/* SKIP's per-client PSKs and its TLS context: see skip_psk.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hex.h"
#include "log.h"
#include "skip_psk.h"
#include "tlspsk.h"

/* draft-cisco-skip-02 §4: TLS 1.3 REQUIRED suite, TLS 1.2 RECOMMENDED. */
#define SKIP_TLS13_SUITES	"TLS_AES_256_GCM_SHA384"
#define SKIP_TLS12_SUITES	"DHE-PSK-AES256-GCM-SHA384:" \
				"DHE-PSK-AES256-CBC-SHA384:DHE-PSK-AES256-CBC-SHA"

struct skip_psks {
	SSL_CTX *ctx;
	size_t n;
	struct skip_psk psk[SKIP_PSKS_MAX];
};

int skip_psk_parse_line(const char *line, struct skip_psk *p,
			const char **why)
{
	const char *k, *rest;
	size_t idlen, hexlen;

	line += strspn(line, " \t");
	if (!*line || *line == '#' || *line == '\n')
		return 0;
	idlen = strcspn(line, " \t\n");
	k = line + idlen;
	k += strspn(k, " \t");
	hexlen = strcspn(k, " \t\n#");
	rest = k + hexlen + strspn(k + hexlen, " \t\n");
	*why = "expected 'IDENTITY HEX-KEY'";
	if (!idlen || !hexlen || (*rest && *rest != '#'))
		return -EINVAL;
	*why = "identity too long";
	if (idlen >= sizeof(p->identity))
		return -EINVAL;
	*why = "key: 32..128 hex digits";
	if (hexlen % 2 || hexlen / 2 < SKIP_PSK_MIN ||
	    hexlen / 2 > SKIP_PSK_MAX || qkd_hex_decode(k, hexlen, p->key))
		return -EINVAL;
	memcpy(p->identity, line, idlen);
	p->identity[idlen] = '\0';
	p->len = hexlen / 2;
	return 1;
}

static const struct skip_psk *find(SSL *ssl, const char *id, size_t len)
{
	struct skip_psks *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->psk[i].identity) == len &&
		    !memcmp(t->psk[i].identity, id, len))
			return &t->psk[i];
	return NULL;
}

/* TLS 1.3: the client's PSK as a session of the one suite we allow. */
static int find_session_cb(SSL *ssl, const unsigned char *identity,
			   size_t len, SSL_SESSION **sess)
{
	static const unsigned char aes256[] = { 0x13, 0x02 };
	const struct skip_psk *p = find(ssl, (const char *)identity, len);
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes256);

	*sess = NULL;
	if (!p)
		return 1;	/* no PSK: with no certificate, no handshake */
	if (!cipher)
		return 0;
	*sess = qkd_tlspsk_session(cipher, p->key, p->len);
	return *sess != NULL;
}

/* TLS 1.2 DHE-PSK. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity,
				  unsigned char *psk, unsigned int max)
{
	const struct skip_psk *p = identity ?
		find(ssl, identity, strlen(identity)) : NULL;

	if (!p || p->len > max)
		return 0;
	memcpy(psk, p->key, p->len);
	return p->len;
}

static SSL_CTX *make_ctx(struct skip_psks *t)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, SKIP_TLS13_SUITES) ||
	    !SSL_CTX_set_cipher_list(ctx, SKIP_TLS12_SUITES) ||
	    !SSL_CTX_set_dh_auto(ctx, 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* One handshake per PSK use: no resumption. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_psk_find_session_callback(ctx, find_session_cb);
	SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
	SSL_CTX_set_app_data(ctx, t);
	return ctx;
}

/* The file must be ours and hidden from group and others. */
static FILE *open_private(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_err("skip: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_mode & 077) {
		log_err("skip: %s: must be a regular file of ours, mode 0600 or 0400",
			path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* Reads and closes f; stdio's buffer is ours, to wipe. */
static int read_psks(struct skip_psks *t, FILE *f, const char *path)
{
	char line[512], buf[4096];
	const char *why;
	int n = 0, ret;

	setvbuf(f, buf, _IOFBF, sizeof(buf));
	ret = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (t->n == SKIP_PSKS_MAX) {
			log_err("skip: %s: more than %d clients", path,
				SKIP_PSKS_MAX);
			ret = -E2BIG;
			break;
		}
		ret = skip_psk_parse_line(line, &t->psk[t->n], &why);
		if (ret < 0) {
			log_err("skip: %s:%d: %s", path, n, why);
			break;
		}
		t->n += ret;
		ret = t->n ? 0 : -ENOENT;
	}
	fclose(f);
	explicit_bzero(line, sizeof(line));
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

struct skip_psks *skip_psks_load(const char *path)
{
	struct skip_psks *t = calloc(1, sizeof(*t));
	FILE *f;
	int ret;

	if (!t)
		return NULL;
	f = open_private(path);
	if (!f)
		goto err_free;
	ret = read_psks(t, f, path);
	if (ret) {
		if (ret == -ENOENT)
			log_err("skip: %s: no PSK", path);
		goto err_free;
	}
	t->ctx = make_ctx(t);
	if (!t->ctx) {
		log_err("skip: no TLS context for the SKIP suites");
		goto err_free;
	}
	return t;

err_free:
	skip_psks_free(t);
	return NULL;
}

SSL_CTX *skip_psks_ctx(struct skip_psks *t)
{
	return t->ctx;
}

void skip_psks_free(struct skip_psks *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}
