// SPDX-License-Identifier: GPL-2.0
/* Kx frame encoding and strict decoding: see frame.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "frame.h"

static const char *const type_names[__KX_TYPE_MAX] = {
	[KX_HELLO] = "HELLO", [KX_OFFER] = "OFFER", [KX_READY] = "READY",
	[KX_ADDED] = "ADDED", [KX_DONE] = "DONE", [KX_ABORT] = "ABORT",
	[KX_ERROR] = "ERROR",
};

const char *kx_type_name(uint8_t type)
{
	return type && type < __KX_TYPE_MAX ? type_names[type] : "unknown";
}

static uint32_t get_be(const uint8_t *p, int bytes)
{
	uint32_t v = 0;

	while (bytes--)
		v = (v << 8) | *p++;
	return v;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--)
		*p++ = v >> (8 * i);
	return p;
}

int kx_hdr_decode(const uint8_t *buf, struct kx_hdr *h, const char **why)
{
	h->version = buf[0];
	h->type = buf[1];
	h->flags = get_be(buf + 2, 2);
	h->seq = get_be(buf + 4, 4);
	h->len = get_be(buf + 8, 4);
	if (h->version != KX_VERSION)
		*why = "unsupported version";
	else if (!h->type || h->type >= __KX_TYPE_MAX)
		*why = "unknown message type";
	else if (h->flags)
		*why = "reserved flags set";
	else if (h->len > KX_PAYLOAD_MAX)
		*why = "payload too long";
	else
		return 0;
	return -EINVAL;
}

/* A cursor over a payload: every read checks what is left. */
struct cur {
	const uint8_t *p;
	size_t left;
	const char *why;
};

static int read_bytes(struct cur *c, void *out, size_t n)
{
	if (c->left < n) {
		c->why = "payload truncated";
		return -EINVAL;
	}
	memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

static int read_be(struct cur *c, uint64_t *v, int bytes)
{
	uint8_t b[8];
	int i;

	if (read_bytes(c, b, bytes))
		return -EINVAL;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v = (*v << 8) | b[i];
	return 0;
}

static int read_text(struct cur *c, char *out)
{
	uint64_t len;
	size_t i;

	if (read_be(c, &len, 1))
		return -EINVAL;
	if (len > KX_TEXT_MAX) {
		c->why = "text too long";
		return -EINVAL;
	}
	if (read_bytes(c, out, len))
		return -EINVAL;
	out[len] = '\0';
	for (i = 0; i < len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e) {
			c->why = "text is not printable ASCII";
			return -EINVAL;
		}
	return 0;
}

static int read_ids(struct cur *c, struct kx_msg *m)
{
	uint64_t n;

	if (read_be(c, &n, 2))
		return -EINVAL;
	if (!n || n > KX_IDS_MAX) {
		c->why = "key ID count out of range";
		return -EINVAL;
	}
	m->count = n;
	return read_bytes(c, m->ids, n * QKD_KEY_ID_LEN);
}

static int decode_body(struct cur *c, struct kx_msg *m)
{
	uint64_t v;

	switch (m->type) {
	case KX_HELLO:
		if (read_be(c, &v, 1) || read_text(c, m->text))
			return -EINVAL;
		m->role = v;
		if (v != KX_ROLE_MASTER && v != KX_ROLE_SLAVE)
			c->why = "bad role";
		else if (!m->text[0])
			c->why = "empty node ID";
		return c->why ? -EINVAL : 0;
	case KX_OFFER:
		if (read_be(c, &m->batch, 8) || read_be(c, &v, 1))
			return -EINVAL;
		m->owner = v;
		if (read_be(c, &v, 1))
			return -EINVAL;
		if (v) {
			/* Reserved: a later version may give it a meaning. */
			c->why = "reserved byte set";
			return -EINVAL;
		}
		if (read_be(c, &v, 2))
			return -EINVAL;
		m->key_bytes = v;
		if (m->owner != KX_OWNER_MASTER && m->owner != KX_OWNER_SLAVE)
			c->why = "bad owner";
		else if (v < QKD_KEY_MIN_LEN || v > QKD_KEY_MAX_LEN)
			c->why = "key size out of range";
		return c->why ? -EINVAL : read_ids(c, m);
	case KX_READY:
	case KX_DONE:
		return read_be(c, &m->batch, 8);
	case KX_ADDED:
		return read_be(c, &m->batch, 8) ?: read_ids(c, m);
	case KX_ABORT:
		return read_be(c, &m->batch, 8) ?: read_ids(c, m) ?:
		       read_text(c, m->text);
	case KX_ERROR:
		return read_text(c, m->text);
	}
	c->why = "unknown message type";
	return -EINVAL;
}

int kx_msg_decode(const struct kx_hdr *h, const uint8_t *p,
		  struct kx_msg *m, const char **why)
{
	struct cur c = { p, h->len, NULL };

	memset(m, 0, offsetof(struct kx_msg, ids));
	m->text[0] = '\0';
	m->type = h->type;
	if (decode_body(&c, m) == 0 && !c.left)
		return 0;
	*why = c.why ? c.why : "trailing bytes after the payload";
	return -EINVAL;
}

static uint8_t *put_text(uint8_t *p, const char *s)
{
	size_t len = strnlen(s, KX_TEXT_MAX);

	*p++ = len;
	memcpy(p, s, len);
	return p + len;
}

static uint8_t *put_ids(uint8_t *p, const struct kx_msg *m)
{
	p = put_be(p, m->count, 2);
	memcpy(p, m->ids, (size_t)m->count * QKD_KEY_ID_LEN);
	return p + (size_t)m->count * QKD_KEY_ID_LEN;
}

size_t kx_msg_encode(const struct kx_msg *m, uint32_t seq, uint8_t *out,
		     size_t size)
{
	uint8_t *p = out + KX_HDR_LEN;

	if (size < KX_HDR_LEN + KX_PAYLOAD_MAX || m->count > KX_IDS_MAX)
		return 0;
	switch (m->type) {
	case KX_HELLO:
		*p++ = m->role;
		p = put_text(p, m->text);
		break;
	case KX_OFFER:
		p = put_be(p, m->batch, 8);
		*p++ = m->owner;
		*p++ = 0;
		p = put_be(p, m->key_bytes, 2);
		p = put_ids(p, m);
		break;
	case KX_READY:
	case KX_DONE:
		p = put_be(p, m->batch, 8);
		break;
	case KX_ADDED:
		p = put_ids(put_be(p, m->batch, 8), m);
		break;
	case KX_ABORT:
		p = put_text(put_ids(put_be(p, m->batch, 8), m), m->text);
		break;
	case KX_ERROR:
		p = put_text(p, m->text);
		break;
	default:
		return 0;
	}
	out[0] = KX_VERSION;
	out[1] = m->type;
	put_be(out + 2, 0, 2);
	put_be(out + 4, seq, 4);
	put_be(out + 8, p - out - KX_HDR_LEN, 4);
	return p - out;
}
