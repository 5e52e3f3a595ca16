// SPDX-License-Identifier: GPL-2.0
/* Key relay frame payloads, encoding and strict decoding: see relay_msg.h. */
#include <errno.h>
#include <string.h>

#include "relay_msg.h"
#include "wire.h"

unsigned int relay_msg_version(const struct relay_msg *m)
{
	return m->version ?: 1;
}

unsigned int relay_msg_keys(const struct relay_msg *m)
{
	return relay_msg_version(m) > 1 ? m->nkeys : 1;
}

void relay_key_id(const uint8_t id0[QKD_KEY_ID_LEN], unsigned int i,
		  uint8_t out[QKD_KEY_ID_LEN])
{
	unsigned int low = (id0[QKD_KEY_ID_LEN - 2] << 8 |
			    id0[QKD_KEY_ID_LEN - 1]) + i;

	memcpy(out, id0, QKD_KEY_ID_LEN - 2);
	out[QKD_KEY_ID_LEN - 2] = low >> 8;
	out[QKD_KEY_ID_LEN - 1] = low;
}

/* Link key IDs a RELAY or ABORT of m's version may name. */
static unsigned int hop_keys_max(const struct relay_msg *m)
{
	return relay_msg_version(m) > 1 ? RELAY_HOP_KEYS_MAX :
	       RELAY_V1_HOP_KEYS_MAX;
}

static const char *const type_names[] = {
	[KX_LSA] = "LSA", [KX_RELAY] = "RELAY",
	[KX_RELAY_COMPLETE] = "RELAY_COMPLETE",
	[KX_RELAY_ADDED] = "RELAY_ADDED", [KX_RELAY_DONE] = "RELAY_DONE",
	[KX_RELAY_ABORT] = "RELAY_ABORT", [KX_RELAY_REQUEST] = "RELAY_REQUEST",
};

static const char *const abort_names[__RELAY_ABORT_MAX] = {
	[RELAY_ABORT_NO_ROUTE] = "no route",
	[RELAY_ABORT_DRY] = "link dry",
	[RELAY_ABORT_LINK_DOWN] = "link down",
	[RELAY_ABORT_BAD_MAC] = "MAC failure",
	[RELAY_ABORT_NO_LINK_KEY] = "link key missing",
	[RELAY_ABORT_TIMEOUT] = "timeout",
	[RELAY_ABORT_POOL] = "pool add failed",
	[RELAY_ABORT_UNKNOWN] = "unknown relay",
	[RELAY_ABORT_PROTOCOL] = "protocol error",
	[RELAY_ABORT_VERSION] = "unsupported relay version",
};

const char *relay_type_name(uint8_t type)
{
	return type >= KX_LSA && type < __KX_RELAY_TYPE_MAX ?
	       type_names[type] : "unknown";
}

const char *relay_abort_name(uint8_t reason)
{
	return reason && reason < __RELAY_ABORT_MAX ? abort_names[reason] :
	       "unknown";
}

/* Which way a type travels: +1 towards the destination, -1 back, 0 both. */
static int direction(uint8_t type)
{
	switch (type) {
	case KX_RELAY:
	case KX_RELAY_ADDED:
	case KX_RELAY_REQUEST:
		return 1;
	case KX_RELAY_COMPLETE:
	case KX_RELAY_DONE:
		return -1;
	default:
		return 0;
	}
}

static const char *check_route(const struct relay_msg *m)
{
	int dir = direction(m->type);
	unsigned int i, j;

	if (m->nodes < 2 || m->nodes > ROUTE_PATH_MAX)
		return "route length out of range";
	if (m->from >= m->nodes || m->to >= m->nodes ||
	    (m->to != m->from + 1 && m->from != m->to + 1))
		return "hop positions are not adjacent on the route";
	if (dir && m->to != m->from + dir)
		return "frame travels the wrong way";
	for (i = 0; i < m->nodes; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(m->route[i], m->route[j]))
				return "node twice on the route";
	return NULL;
}

static bool ids_distinct(const uint8_t (*ids)[QKD_KEY_ID_LEN], unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!memcmp(ids[i], ids[j], QKD_KEY_ID_LEN))
				return false;
	return true;
}

static bool key_size_ok(unsigned int bytes)
{
	return bytes >= QKD_KEY_MIN_LEN && bytes <= QKD_KEY_MAX_LEN;
}

/* The rules a message obeys beyond its layout, for encode and decode. */
static const char *check(const struct relay_msg *m)
{
	const char *why = check_route(m);

	if (why)
		return why;
	if (relay_msg_version(m) > RELAY_VERSION_MAX)
		return "unsupported relay version";
	if (m->type != KX_RELAY_REQUEST &&
	    (!relay_msg_keys(m) || relay_msg_keys(m) > RELAY_BATCH_MAX))
		return "batch size out of range";
	switch (m->type) {
	case KX_RELAY:
		if (!key_size_ok(m->key_bytes))
			return "key size out of range";
		if (!m->npad || m->npad > relay_msg_keys(m) *
			((m->key_bytes + QKD_KEY_MIN_LEN - 1) / QKD_KEY_MIN_LEN) ||
		    !m->nmac || m->nmac > RELAY_MAC_KEYS_MAX)
			return "link key counts out of range";
		if (!ids_distinct(m->ids, m->npad + m->nmac))
			return "link key named twice";
		return NULL;
	case KX_RELAY_ABORT:
		if (!m->reason || m->reason >= __RELAY_ABORT_MAX)
			return "unknown abort reason";
		if (m->nids > hop_keys_max(m))
			return "link key count out of range";
		return NULL;
	case KX_RELAY_REQUEST:
		if (!m->count || m->count > KX_IDS_MAX)
			return "key count out of range";
		return key_size_ok(m->key_bytes) ? NULL :
		       "key size out of range";
	case KX_RELAY_COMPLETE:
	case KX_RELAY_ADDED:
	case KX_RELAY_DONE:
		return NULL;
	}
	return "not a relay message type";
}

/* any_version: read the envelope of a frame of another version too. */
static void get_envelope(struct wire_rd *r, struct relay_msg *m,
			 bool any_version)
{
	uint64_t v;
	unsigned int i;

	if (!wire_get_be(r, &v, 1) && !any_version &&
	    (v < RELAY_VERSION || v > RELAY_VERSION_MAX))
		wire_fail(r, "unsupported relay version");
	m->version = r->why ? 0 : v;
	wire_get_be(r, &m->relay, 8);
	if (!wire_get_be(r, &v, 1) && (v < 2 || v > ROUTE_PATH_MAX))
		wire_fail(r, "route length out of range");
	m->nodes = r->why ? 0 : v;
	if (!wire_get_be(r, &v, 1))
		m->from = v;
	if (!wire_get_be(r, &v, 1))
		m->to = v;
	for (i = 0; i < m->nodes; i++)
		wire_get_id(r, m->route[i], ROUTE_ID_MAX);
}

static void get_ids(struct wire_rd *r, struct relay_msg *m, unsigned int n)
{
	wire_get(r, m->ids, (size_t)n * QKD_KEY_ID_LEN);
}

static void get_relay(struct wire_rd *r, struct relay_msg *m)
{
	uint64_t v;

	if (!wire_get_be(r, &v, 2))
		m->key_bytes = v;
	if (!wire_get_be(r, &v, 1))
		m->npad = v;
	if (!wire_get_be(r, &v, 1))
		m->nmac = v;
	if (!r->why && (!key_size_ok(m->key_bytes) ||
			m->npad + m->nmac > hop_keys_max(m)))
		wire_fail(r, m->npad + m->nmac > hop_keys_max(m) ?
			  "link key counts out of range" :
			  "key size out of range");
	if (r->why)
		return;
	get_ids(r, m, m->npad + m->nmac);
	if (m->from)
		wire_get(r, m->ct, relay_msg_keys(m) * m->key_bytes);
	wire_get(r, m->tag, RELAY_TAG_LEN);
}

static void get_abort(struct wire_rd *r, struct relay_msg *m)
{
	uint64_t v;

	if (!wire_get_be(r, &v, 1))
		m->reason = v;
	if (!wire_get_be(r, &v, 1) && v > hop_keys_max(m))
		wire_fail(r, "link key count out of range");
	if (r->why)
		return;
	m->nids = v;
	get_ids(r, m, m->nids);
	wire_get_text(r, m->text, KX_TEXT_MAX);
}

static void get_body(struct wire_rd *r, struct relay_msg *m)
{
	uint64_t v;

	if (m->type != KX_RELAY_REQUEST) {
		wire_get(r, m->key_id, QKD_KEY_ID_LEN);
		m->nkeys = 1;
		if (relay_msg_version(m) > 1 && !wire_get_be(r, &v, 1) &&
		    (!v || v > RELAY_BATCH_MAX))
			wire_fail(r, "batch size out of range");
		else if (relay_msg_version(m) > 1 && !r->why)
			m->nkeys = v;
		if (r->why)
			return;
	} else {
		if (!wire_get_be(r, &v, 2))
			m->count = v;
		if (!wire_get_be(r, &v, 2))
			m->key_bytes = v;
	}
	if (m->type == KX_RELAY)
		get_relay(r, m);
	else if (m->type == KX_RELAY_ABORT)
		get_abort(r, m);
}

/* Read the envelope of a relay frame of type, as get_envelope() does. */
static int start(uint8_t type, const uint8_t *p, size_t len,
		 struct relay_msg *m, struct wire_rd *r, bool any_version)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	wire_rd_init(r, p, len);
	if (type <= KX_LSA || type >= __KX_RELAY_TYPE_MAX)
		return wire_fail(r, "not a relay message type");
	get_envelope(r, m, any_version);
	return 0;
}

int relay_msg_decode(uint8_t type, const uint8_t *p, size_t len,
		     struct relay_msg *m, const char **why)
{
	struct wire_rd r;

	if (!start(type, p, len, m, &r, false)) {
		get_body(&r, m);
		if (!wire_end(&r))
			r.why = check(m);
	}
	*why = r.why;
	return r.why ? -EINVAL : 0;
}

int relay_msg_envelope(uint8_t type, const uint8_t *p, size_t len,
		       struct relay_msg *m, const char **why)
{
	struct wire_rd r;

	if (!start(type, p, len, m, &r, true) && type != KX_RELAY_REQUEST)
		wire_get(&r, m->key_id, QKD_KEY_ID_LEN);
	*why = r.why ?: check_route(m);
	return *why ? -EINVAL : 0;
}

/* The authenticated part of a RELAY: everything before the ciphertext. */
static void put_head(struct wire_wr *w, const struct relay_msg *m)
{
	unsigned int i;

	wire_put_be(w, relay_msg_version(m), 1);
	wire_put_be(w, m->relay, 8);
	wire_put_be(w, m->nodes, 1);
	wire_put_be(w, m->from, 1);
	wire_put_be(w, m->to, 1);
	for (i = 0; i < m->nodes; i++)
		wire_put_str(w, m->route[i]);
	if (m->type == KX_RELAY_REQUEST) {
		wire_put_be(w, m->count, 2);
		wire_put_be(w, m->key_bytes, 2);
		return;
	}
	wire_put(w, m->key_id, QKD_KEY_ID_LEN);
	if (relay_msg_version(m) > 1)
		wire_put_be(w, m->nkeys, 1);
	if (m->type != KX_RELAY)
		return;
	wire_put_be(w, m->key_bytes, 2);
	wire_put_be(w, m->npad, 1);
	wire_put_be(w, m->nmac, 1);
	wire_put(w, m->ids, (size_t)(m->npad + m->nmac) * QKD_KEY_ID_LEN);
}

/* Encoding checks what decoding would: we never send what we'd refuse. */
static bool valid(const struct relay_msg *m)
{
	unsigned int i;

	if (m->type <= KX_LSA || m->type >= __KX_RELAY_TYPE_MAX ||
	    m->nodes > ROUTE_PATH_MAX || check(m))
		return false;
	for (i = 0; i < m->nodes; i++)
		if (!route_id_valid(m->route[i]))
			return false;
	if (m->type != KX_RELAY_ABORT)
		return true;
	for (i = 0; i < sizeof(m->text) && m->text[i]; i++)
		if (m->text[i] < 0x20 || m->text[i] > 0x7e)
			return false;
	return i <= KX_TEXT_MAX;
}

int relay_msg_encode(const struct relay_msg *m, uint8_t *out, size_t size)
{
	struct wire_wr w;

	if (!valid(m))
		return -EINVAL;
	wire_wr_init(&w, out, size);
	put_head(&w, m);
	if (m->type == KX_RELAY) {
		if (m->from)
			wire_put(&w, m->ct, relay_msg_keys(m) * m->key_bytes);
		wire_put(&w, m->tag, RELAY_TAG_LEN);
	} else if (m->type == KX_RELAY_ABORT) {
		wire_put_be(&w, m->reason, 1);
		wire_put_be(&w, m->nids, 1);
		wire_put(&w, m->ids, (size_t)m->nids * QKD_KEY_ID_LEN);
		wire_put_str(&w, m->text);
	}
	return w.overflow ? -ENOSPC : (int)(size - w.left);
}

int relay_msg_aad(const struct relay_msg *m, uint8_t *out, size_t size)
{
	struct wire_wr w;

	if (m->type != KX_RELAY || !valid(m))
		return -EINVAL;
	wire_wr_init(&w, out, size);
	wire_put_be(&w, KX_VERSION, 1);
	wire_put_be(&w, m->type, 1);
	put_head(&w, m);
	return w.overflow ? -ENOSPC : (int)(size - w.left);
}
