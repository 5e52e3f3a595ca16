// SPDX-License-Identifier: GPL-2.0
/* The bulk bodies without a JSON tree: see bulk.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bulk.h"
#include "keyid.h"

#define B64_MAX (4 * ((ETSI014_KEY_MAX_BYTES + 2) / 3))

#define KEYS_HEAD "{\"keys\":["
#define IDS_HEAD "{\"key_IDs\":["
#define ID_OPEN "{\"key_ID\":\""
#define KEY_SEP "\",\"key\":\""
#define ITEM_CLOSE "\"}"
#define TAIL "]}"

static char *put(char *p, const char *s)
{
	size_t len = strlen(s);

	memcpy(p, s, len);
	return p + len;
}

/* UUIDs and base64 need no JSON escaping: they are copied as they are. */
char *etsi014_bulk_keys_write(const struct qkd_key_record *keys, size_t n)
{
	size_t i, item = strlen(ID_OPEN KEY_SEP ITEM_CLOSE ",") +
			 QKD_KEYID_UUID_LEN + B64_MAX;
	char *s = malloc(strlen(KEYS_HEAD TAIL) + n * item + 1), *p;

	if (!s)
		return NULL;
	p = put(s, KEYS_HEAD);
	for (i = 0; i < n; i++) {
		p = put(i ? put(p, ",") : p, ID_OPEN);
		qkd_keyid_format(keys[i].id, p);
		p = put(p + QKD_KEYID_UUID_LEN, KEY_SEP);
		p += EVP_EncodeBlock((unsigned char *)p, keys[i].material,
				     keys[i].material_len);
		p = put(p, ITEM_CLOSE);
	}
	strcpy(p, TAIL);
	return s;
}

char *etsi014_bulk_ids_write(const struct etsi014_dec_req *req)
{
	size_t i, item = strlen(ID_OPEN ITEM_CLOSE ",") + QKD_KEYID_UUID_LEN;
	char *s = malloc(strlen(IDS_HEAD TAIL) + req->n * item + 1), *p;

	if (!s)
		return NULL;
	p = put(s, IDS_HEAD);
	for (i = 0; i < req->n; i++) {
		p = put(i ? put(p, ",") : p, ID_OPEN);
		qkd_keyid_format(req->ids[i], p);
		p = put(p + QKD_KEYID_UUID_LEN, ITEM_CLOSE);
	}
	strcpy(p, TAIL);
	return s;
}

int etsi014_b64_decode(const char *s, size_t len, struct qkd_key_record *k)
{
	size_t pad = 0;
	uint8_t buf[B64_MAX];
	int n;

	while (pad < len && pad < 3 && s[len - 1 - pad] == '=')
		pad++;
	/* Padding only at the end, at most two '=' (EVP is lenient). */
	if (!len || len % 4 || len > B64_MAX || pad > 2 ||
	    memchr(s, '=', len - pad))
		return -EINVAL;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, len);
	/* EVP_DecodeBlock counts the bytes that padding stands for. */
	n -= pad;
	if (n <= 0 || n > ETSI014_KEY_MAX_BYTES) {
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(k->material, buf, n);
	k->material_len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* A reading position in a body; every step checks what is left. */
struct cursor {
	const char *p, *end;
};

static bool skip_literal(struct cursor *c, const char *s)
{
	size_t len = strlen(s);

	if ((size_t)(c->end - c->p) < len || memcmp(c->p, s, len))
		return false;
	c->p += len;
	return true;
}

static bool id_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F') || ch == '-';
}

static bool b64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

/* The characters of a string value up to its closing quote (not taken). */
static size_t span(const struct cursor *c, bool (*allowed)(char))
{
	const char *q = c->p;

	while (q < c->end && allowed(*q))
		q++;
	return q - c->p;
}

static bool read_id(struct cursor *c, uint8_t id[QKD_KEY_ID_LEN])
{
	char text[QKD_KEYID_STR_SIZE];
	size_t len = span(c, id_char);

	if (len >= sizeof(text))
		return false;
	memcpy(text, c->p, len);
	text[len] = '\0';
	c->p += len;
	return !qkd_keyid_parse(text, id, NULL);
}

static bool read_material(struct cursor *c, struct qkd_key_record *k)
{
	size_t len = span(c, b64_char);

	if (etsi014_b64_decode(c->p, len, k))
		return false;
	c->p += len;
	return true;
}

static bool read_key(struct cursor *c, struct qkd_key_record *k)
{
	return skip_literal(c, ID_OPEN) && read_id(c, k->id) &&
	       skip_literal(c, KEY_SEP) && read_material(c, k) &&
	       skip_literal(c, ITEM_CLOSE);
}

int etsi014_bulk_keys_read(const char *buf, size_t len,
			   struct qkd_key_record *keys, size_t max, size_t *n)
{
	struct cursor c = { buf, buf + len };
	size_t i = 0;

	if (!skip_literal(&c, KEYS_HEAD))
		return -EAGAIN;
	if (!skip_literal(&c, TAIL)) {
		do {
			if (i == max || !read_key(&c, &keys[i]))
				goto fail;
			i++;
		} while (skip_literal(&c, ","));
		if (!skip_literal(&c, TAIL))
			goto fail;
	}
	if (c.p != c.end)
		goto fail;
	*n = i;
	return 0;
fail:
	etsi014_keys_wipe(keys, i < max ? i + 1 : max);
	return -EAGAIN;
}

int etsi014_bulk_ids_read(const char *buf, size_t len,
			  struct etsi014_dec_req *req)
{
	struct cursor c = { buf, buf + len };
	size_t i = 0;

	if (!skip_literal(&c, IDS_HEAD))
		return -EAGAIN;
	do {
		if (i == ETSI014_KEYS_MAX || !skip_literal(&c, ID_OPEN) ||
		    !read_id(&c, req->ids[i]) || !skip_literal(&c, ITEM_CLOSE))
			return -EAGAIN;
		i++;
	} while (skip_literal(&c, ","));
	if (!skip_literal(&c, TAIL) || c.p != c.end)
		return -EAGAIN;
	req->n = i;
	return 0;
}
