// SPDX-License-Identifier: GPL-2.0
/* Kx frame encoding and strict decoding: see frame.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "frame.h"
#include "wire.h"

static const char *const type_names[__KX_TYPE_MAX] = {
	[KX_HELLO] = "HELLO", [KX_OFFER] = "OFFER", [KX_READY] = "READY",
	[KX_ADDED] = "ADDED", [KX_DONE] = "DONE", [KX_ABORT] = "ABORT",
	[KX_ERROR] = "ERROR", [KX_LSA] = "LSA", [KX_RELAY] = "RELAY",
	[KX_RELAY_COMPLETE] = "RELAY_COMPLETE",
	[KX_RELAY_ADDED] = "RELAY_ADDED", [KX_RELAY_DONE] = "RELAY_DONE",
	[KX_RELAY_ABORT] = "RELAY_ABORT", [KX_RELAY_REQUEST] = "RELAY_REQUEST",
};

const char *kx_type_name(uint8_t type)
{
	return type && type < __KX_TYPE_MAX ? type_names[type] : "unknown";
}

int kx_hdr_decode(const uint8_t *buf, struct kx_hdr *h, const char **why)
{
	struct wire_rd r;
	uint64_t v[5];

	wire_rd_init(&r, buf, KX_HDR_LEN);
	wire_get_be(&r, &v[0], 1);
	wire_get_be(&r, &v[1], 1);
	wire_get_be(&r, &v[2], 2);
	wire_get_be(&r, &v[3], 4);
	wire_get_be(&r, &v[4], 4);
	h->version = v[0];
	h->type = v[1];
	h->flags = v[2];
	h->seq = v[3];
	h->len = v[4];
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

static void get_ids(struct wire_rd *r, struct kx_msg *m)
{
	uint64_t n;

	if (wire_get_be(r, &n, 2))
		return;
	if (!n || n > KX_IDS_MAX) {
		wire_fail(r, "key ID count out of range");
		return;
	}
	m->count = n;
	wire_get(r, m->ids, n * QKD_KEY_ID_LEN);
}

static void get_hello(struct wire_rd *r, struct kx_msg *m)
{
	uint64_t v;

	if (wire_get_be(r, &v, 1) || wire_get_text(r, m->text, KX_TEXT_MAX))
		return;
	m->role = v;
	if (v != KX_ROLE_MASTER && v != KX_ROLE_SLAVE)
		wire_fail(r, "bad role");
	else if (!m->text[0])
		wire_fail(r, "empty node ID");
}

static void get_offer(struct wire_rd *r, struct kx_msg *m)
{
	uint64_t v;

	if (wire_get_be(r, &m->batch, 8) || wire_get_be(r, &v, 1))
		return;
	m->owner = v;
	if (wire_get_be(r, &v, 1))
		return;
	if (v) {
		/* Reserved: a later version may give it a meaning. */
		wire_fail(r, "reserved byte set");
		return;
	}
	if (wire_get_be(r, &v, 2))
		return;
	m->key_bytes = v;
	if (m->owner != KX_OWNER_MASTER && m->owner != KX_OWNER_SLAVE)
		wire_fail(r, "bad owner");
	else if (v < QKD_KEY_MIN_LEN || v > QKD_KEY_MAX_LEN)
		wire_fail(r, "key size out of range");
	else
		get_ids(r, m);
}

static void get_body(struct wire_rd *r, struct kx_msg *m)
{
	switch (m->type) {
	case KX_HELLO:
		get_hello(r, m);
		return;
	case KX_OFFER:
		get_offer(r, m);
		return;
	case KX_READY:
	case KX_DONE:
		wire_get_be(r, &m->batch, 8);
		return;
	case KX_ADDED:
	case KX_ABORT:
		if (wire_get_be(r, &m->batch, 8))
			return;
		get_ids(r, m);
		if (m->type == KX_ABORT)
			wire_get_text(r, m->text, KX_TEXT_MAX);
		return;
	case KX_ERROR:
		wire_get_text(r, m->text, KX_TEXT_MAX);
		return;
	}
	if (m->type >= KX_RELAY_FIRST && m->type < __KX_TYPE_MAX) {
		/* relay.c decodes it: here it is only passed on. */
		m->raw = r->p;
		m->raw_len = r->left;
		wire_get(r, NULL, r->left);
		return;
	}
	wire_fail(r, "unknown message type");
}

int kx_msg_decode(const struct kx_hdr *h, const uint8_t *p,
		  struct kx_msg *m, const char **why)
{
	struct wire_rd r;

	memset(m, 0, offsetof(struct kx_msg, ids));
	m->text[0] = '\0';
	m->raw = NULL;
	m->raw_len = 0;
	m->type = h->type;
	wire_rd_init(&r, p, h->len);
	get_body(&r, m);
	if (!wire_end(&r))
		return 0;
	*why = r.why;
	return -EINVAL;
}

static void put_ids(struct wire_wr *w, const struct kx_msg *m)
{
	wire_put_be(w, m->count, 2);
	wire_put(w, m->ids, (size_t)m->count * QKD_KEY_ID_LEN);
}

static void put_text(struct wire_wr *w, const char *s)
{
	size_t len = strnlen(s, KX_TEXT_MAX);

	wire_put_be(w, len, 1);
	wire_put(w, s, len);
}

static void put_hdr(uint8_t *out, uint8_t type, uint32_t seq, size_t len)
{
	struct wire_wr w;

	wire_wr_init(&w, out, KX_HDR_LEN);
	wire_put_be(&w, KX_VERSION, 1);
	wire_put_be(&w, type, 1);
	wire_put_be(&w, 0, 2);
	wire_put_be(&w, seq, 4);
	wire_put_be(&w, len, 4);
}

size_t kx_msg_encode(const struct kx_msg *m, uint32_t seq, uint8_t *out,
		     size_t size)
{
	struct wire_wr w;
	size_t len;

	if (size < KX_HDR_LEN + KX_PAYLOAD_MAX || m->count > KX_IDS_MAX)
		return 0;
	if (m->type >= KX_RELAY_FIRST && m->type < __KX_TYPE_MAX)
		return kx_frame_encode(m->type, seq, m->raw, m->raw_len, out,
				       size);
	wire_wr_init(&w, out + KX_HDR_LEN, KX_PAYLOAD_MAX);
	switch (m->type) {
	case KX_HELLO:
		wire_put_be(&w, m->role, 1);
		put_text(&w, m->text);
		break;
	case KX_OFFER:
		wire_put_be(&w, m->batch, 8);
		wire_put_be(&w, m->owner, 1);
		wire_put_be(&w, 0, 1);
		wire_put_be(&w, m->key_bytes, 2);
		put_ids(&w, m);
		break;
	case KX_READY:
	case KX_DONE:
		wire_put_be(&w, m->batch, 8);
		break;
	case KX_ADDED:
	case KX_ABORT:
		wire_put_be(&w, m->batch, 8);
		put_ids(&w, m);
		if (m->type == KX_ABORT)
			put_text(&w, m->text);
		break;
	case KX_ERROR:
		put_text(&w, m->text);
		break;
	default:
		return 0;
	}
	if (w.overflow)
		return 0;
	len = KX_PAYLOAD_MAX - w.left;
	put_hdr(out, m->type, seq, len);
	return KX_HDR_LEN + len;
}

size_t kx_frame_encode(uint8_t type, uint32_t seq, const uint8_t *payload,
		       size_t len, uint8_t *out, size_t size)
{
	if (len > KX_PAYLOAD_MAX || size < KX_HDR_LEN + len ||
	    !type || type >= __KX_TYPE_MAX)
		return 0;
	put_hdr(out, type, seq, len);
	if (len)
		memcpy(out + KX_HDR_LEN, payload, len);
	return KX_HDR_LEN + len;
}
