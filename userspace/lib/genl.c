// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink client of the "qkdpool" family, on libmnl: see genl.h.
 * Requests are synchronous: send one message, read until its ACK (or
 * NLMSG_DONE for a dump), passing each reply message to a parser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "genl.h"
#include "nlreq.h"

/* The kernel fills dump skbs up to 32 KiB when the reader's buffer allows. */
#define RECV_SIZE	32768
#define DUMP_RETRIES	32
/* A KEY_ADD request: headers, name, and the keys' nest (< 64 KiB). */
#define ADD_MSG_MAX	(MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN) + \
			 MNL_ATTR_HDRLEN + QKD_STREAM_NAME_MAX + UINT16_MAX)

/* One request of a pipelined key operation: name, key ID and timeout. */
#define KEY_MSG_MAX	(MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN) + \
			 MNL_ATTR_HDRLEN + QKD_STREAM_NAME_MAX + \
			 MNL_ATTR_HDRLEN + QKD_KEY_ID_LEN + \
			 MNL_ATTR_HDRLEN + sizeof(uint32_t))

_Static_assert(QKD_GENL_PIPE_MAX <= QKD_NL_PIPE_MAX &&
	       QKD_GENL_PIPE_MAX * QKD_NL_PIPE_SLOT <= RECV_SIZE,
	       "a pipeline's replies fit the receive buffer's slots");

struct qkd_genl {
	struct mnl_socket *nl;
	uint32_t seq;
	uint16_t family;
	uint32_t events_grp;
	uint64_t requests[QKD_CMD_MAX + 1];
	char extack[256];
	uint8_t buf[RECV_SIZE];
	uint8_t pipe[QKD_GENL_PIPE_MAX * KEY_MSG_MAX];
};

/* One request in flight: what the parsers see. */
struct req {
	struct qkd_genl *g;
	int (*parse)(const struct nlmsghdr *nlh, struct req *r);
	void *data;
	const struct qkd_nlreq *q;
};

typedef int (*parse_fn)(const struct nlmsghdr *nlh, struct req *r);

static const uint8_t attr_types[QKD_A_MAX + 1] = {
	[QKD_A_STREAM_NAME] = MNL_TYPE_NUL_STRING,
	[QKD_A_STREAM_MAX_KEYS] = MNL_TYPE_U32,
	[QKD_A_STREAM_LOW_WATERMARK] = MNL_TYPE_U32,
	[QKD_A_STREAM_LIFETIME] = MNL_TYPE_U32,
	[QKD_A_STREAM_AVAIL_LOCAL] = MNL_TYPE_U32,
	[QKD_A_STREAM_AVAIL_PEER] = MNL_TYPE_U32,
	[QKD_A_STREAM_RESERVED] = MNL_TYPE_U32,
	[QKD_A_STREAM_ADDED] = MNL_TYPE_U64,
	[QKD_A_STREAM_TAKEN] = MNL_TYPE_U64,
	[QKD_A_STREAM_EXPIRED] = MNL_TYPE_U64,
	[QKD_A_STREAM_REJECTED] = MNL_TYPE_U64,
	[QKD_A_KEYS] = MNL_TYPE_NESTED,
	[QKD_A_FLAGS] = MNL_TYPE_U32,
	[QKD_A_TIMEOUT] = MNL_TYPE_U32,
	[QKD_A_COUNT] = MNL_TYPE_U32,
};

/* Keep known, well-formed attributes; skip unknown ones (newer kernels). */
static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, QKD_A_MAX) < 0 || !attr_types[type])
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, attr_types[type]) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (QKD_A_MAX + 1));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, tb) < 0)
		return -EPROTO;
	return 0;
}

static uint8_t genl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	return genl->cmd;
}

static int parse_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req *r = data;
	int ret;

	if (!r->parse)
		return MNL_CB_OK;
	ret = r->parse(nlh, r);
	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *msg_start(struct qkd_genl *g, void *buf,
				  uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++g->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = type == GENL_ID_CTRL ? 1 : QKD_GENL_VERSION;
	if (type == g->family && cmd <= QKD_CMD_MAX)
		g->requests[cmd]++;
	return nlh;
}

static struct nlmsghdr *qkd_msg(struct qkd_genl *g, uint8_t cmd,
				const char *name)
{
	struct nlmsghdr *nlh = msg_start(g, g->buf, g->family, cmd, NLM_F_ACK);

	if (name)
		mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	return nlh;
}

/*
 * Send nlh and read replies until the ACK or NLMSG_DONE, passing each data
 * message to parse. With wipe, every received buffer is wiped after
 * parsing because it held key material.
 */
static int run(struct qkd_genl *g, const struct nlmsghdr *nlh, parse_fn parse,
	       void *data, bool wipe, bool *intr)
{
	struct req r = { .g = g, .parse = parse, .data = data };
	struct qkd_nlreq q = {
		.cb = parse_cb, .data = &r, .buf = g->buf,
		.size = sizeof(g->buf), .wipe = wipe, .extack = g->extack,
		.extack_size = sizeof(g->extack),
	};
	int ret = qkd_nl_request(g->nl, nlh, &q);

	if (intr)
		*intr = q.intr;
	return ret;
}

/* Resolving the family by name: its ID and the events group's ID. */
static int mcgrp_parse(const struct nlattr *grp, void *data)
{
	const struct nlattr *a, *name = NULL, *id = NULL;
	struct qkd_genl *g = data;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = a;
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = a;
	}
	if (name && id &&
	    !strcmp(mnl_attr_get_str(name), QKD_GENL_MCGRP_EVENTS))
		g->events_grp = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int family_parse(const struct nlmsghdr *nlh, struct req *r)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EPROTO;
			r->g->family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_parse_nested(a, mcgrp_parse, r->g);
			break;
		}
	}
	return 0;
}

static int resolve_family(struct qkd_genl *g)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = msg_start(g, g->buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
			NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, QKD_GENL_NAME);
	ret = run(g, nlh, family_parse, NULL, false, NULL);
	if (ret)
		return ret;
	return g->family ? 0 : -ENOENT;
}

int qkd_genl_open(struct qkd_genl **out)
{
	struct qkd_genl *g;
	int one = 1, ret;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl) {
		ret = -errno;
		goto err_free;
	}
	/* CAP_ACK: error ACKs must not echo requests that carry key material. */
	mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = resolve_family(g);
	if (ret)
		goto err_close;
	*out = g;
	return 0;

err_close:
	mnl_socket_close(g->nl);
err_free:
	free(g);
	return ret;
}

void qkd_genl_close(struct qkd_genl *g)
{
	if (!g)
		return;
	mnl_socket_close(g->nl);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

int qkd_genl_fd(const struct qkd_genl *g)
{
	return mnl_socket_get_fd(g->nl);
}

const char *qkd_genl_extack(const struct qkd_genl *g)
{
	return g->extack;
}

uint64_t qkd_genl_requests(const struct qkd_genl *g, uint8_t cmd)
{
	return cmd <= QKD_CMD_MAX ? g->requests[cmd] : 0;
}

/* Streams */

static void put_limits(struct nlmsghdr *nlh, const struct qkd_stream_limits *lim)
{
	if (!lim)
		return;
	if (lim->has & QKD_LIMIT_MAX_KEYS)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_MAX_KEYS, lim->max_keys);
	if (lim->has & QKD_LIMIT_LOW_WATERMARK)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_LOW_WATERMARK,
				 lim->low_watermark);
	if (lim->has & QKD_LIMIT_LIFETIME)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_LIFETIME, lim->lifetime_ms);
}

int qkd_genl_stream_new(struct qkd_genl *g, const char *name,
			const struct qkd_stream_limits *lim)
{
	struct nlmsghdr *nlh = qkd_msg(g, QKD_CMD_STREAM_NEW, name);

	put_limits(nlh, lim);
	return run(g, nlh, NULL, NULL, false, NULL);
}

int qkd_genl_stream_del(struct qkd_genl *g, const char *name)
{
	return run(g, qkd_msg(g, QKD_CMD_STREAM_DEL, name), NULL, NULL,
		   false, NULL);
}

int qkd_genl_stream_set(struct qkd_genl *g, const char *name,
			const struct qkd_stream_limits *lim)
{
	struct nlmsghdr *nlh = qkd_msg(g, QKD_CMD_STREAM_SET, name);

	put_limits(nlh, lim);
	return run(g, nlh, NULL, NULL, false, NULL);
}

static uint32_t get_u32(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : 0;
}

static uint64_t get_u64(const struct nlattr *a)
{
	return a ? mnl_attr_get_u64(a) : 0;
}

static int stats_parse(const struct nlmsghdr *nlh, struct qkd_stream_stats *st)
{
	const struct nlattr *tb[QKD_A_MAX + 1];

	if (parse_attrs(nlh, tb) < 0 || !tb[QKD_A_STREAM_NAME])
		return -EPROTO;
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s",
		 mnl_attr_get_str(tb[QKD_A_STREAM_NAME]));
	st->max_keys = get_u32(tb[QKD_A_STREAM_MAX_KEYS]);
	st->low_watermark = get_u32(tb[QKD_A_STREAM_LOW_WATERMARK]);
	st->lifetime_ms = get_u32(tb[QKD_A_STREAM_LIFETIME]);
	st->avail_local = get_u32(tb[QKD_A_STREAM_AVAIL_LOCAL]);
	st->avail_peer = get_u32(tb[QKD_A_STREAM_AVAIL_PEER]);
	st->reserved = get_u32(tb[QKD_A_STREAM_RESERVED]);
	st->added = get_u64(tb[QKD_A_STREAM_ADDED]);
	st->taken = get_u64(tb[QKD_A_STREAM_TAKEN]);
	st->expired = get_u64(tb[QKD_A_STREAM_EXPIRED]);
	st->rejected = get_u64(tb[QKD_A_STREAM_REJECTED]);
	return 0;
}

static int get_parse(const struct nlmsghdr *nlh, struct req *r)
{
	return stats_parse(nlh, r->data);
}

int qkd_genl_stream_get(struct qkd_genl *g, const char *name,
			struct qkd_stream_stats *st)
{
	return run(g, qkd_msg(g, QKD_CMD_STREAM_GET, name), get_parse, st,
		   false, NULL);
}

struct dump {
	struct qkd_stream_stats *v;
	size_t n, cap;
};

static int dump_parse(const struct nlmsghdr *nlh, struct req *r)
{
	struct dump *d = r->data;
	struct qkd_stream_stats *v;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		v = reallocarray(d->v, d->cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->v = v;
	}
	return stats_parse(nlh, &d->v[d->n++]);
}

int qkd_genl_stream_dump(struct qkd_genl *g, struct qkd_stream_stats **out,
			 size_t *n)
{
	struct dump d = { 0 };
	struct nlmsghdr *nlh;
	bool intr = false;
	int ret, tries;

	/* Streams created or deleted mid-dump: start over, as wg does. */
	for (tries = 0; tries < DUMP_RETRIES; tries++) {
		d.n = 0;
		nlh = msg_start(g, g->buf, g->family, QKD_CMD_STREAM_GET,
				NLM_F_DUMP);
		ret = run(g, nlh, dump_parse, &d, false, &intr);
		if (ret == -EINTR || (!ret && intr))
			continue;
		break;
	}
	if (!ret && intr)
		ret = -EINTR;
	if (ret) {
		free(d.v);
		return ret;
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

/* Keys */

static void put_key(struct nlmsghdr *nlh, const struct qkd_key_record *rec)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put(nlh, QKD_KEY_A_ID, QKD_KEY_ID_LEN, rec->id);
	mnl_attr_put(nlh, QKD_KEY_A_MATERIAL, rec->material_len,
		     rec->material);
	mnl_attr_put_u8(nlh, QKD_KEY_A_OWNER, rec->owner);
	if (rec->lifetime_ms)
		mnl_attr_put_u32(nlh, QKD_KEY_A_LIFETIME, rec->lifetime_ms);
	mnl_attr_nest_end(nlh, nest);
}

/* Bytes one key takes inside QKD_A_KEYS. */
static size_t key_attr_size(const struct qkd_key_record *rec)
{
	return MNL_ATTR_HDRLEN + MNL_ATTR_HDRLEN + MNL_ALIGN(QKD_KEY_ID_LEN) +
	       MNL_ATTR_HDRLEN + MNL_ALIGN(rec->material_len) +
	       MNL_ATTR_HDRLEN + MNL_ALIGN(1) +
	       (rec->lifetime_ms ? MNL_ATTR_HDRLEN + MNL_ALIGN(4) : 0);
}

/*
 * How many of recs fit one request: at most QKD_ADD_BATCH_MAX keys, and
 * the nest of all keys within nla_len's 16 bits (64 KiB), which 1024 keys
 * of 32 bytes or more would overflow.
 */
static size_t batch_fit(const struct qkd_key_record *recs, size_t n)
{
	size_t i, len = MNL_ATTR_HDRLEN;

	for (i = 0; i < n && i < QKD_ADD_BATCH_MAX; i++) {
		len += key_attr_size(&recs[i]);
		if (len > UINT16_MAX)
			break;
	}
	return i;
}

static int add_batch(struct qkd_genl *g, void *buf, const char *name,
		     const struct qkd_key_record *recs, size_t n)
{
	struct nlmsghdr *nlh;
	struct nlattr *keys;
	size_t i;
	int ret;

	nlh = msg_start(g, buf, g->family, QKD_CMD_KEY_ADD, NLM_F_ACK);
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	keys = mnl_attr_nest_start(nlh, QKD_A_KEYS);
	for (i = 0; i < n; i++)
		put_key(nlh, &recs[i]);
	mnl_attr_nest_end(nlh, keys);
	ret = run(g, nlh, NULL, NULL, false, NULL);
	explicit_bzero(buf, nlh->nlmsg_len);
	return ret;
}

int qkd_genl_key_add(struct qkd_genl *g, const char *name,
		     const struct qkd_key_record *recs, size_t n, int *err)
{
	size_t done = 0, i, chunk;
	void *buf;
	int ret = 0;

	if (strlen(name) >= QKD_STREAM_NAME_MAX || n > INT32_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (recs[i].material_len < QKD_KEY_MIN_LEN ||
		    recs[i].material_len > QKD_KEY_MAX_LEN)
			return -EINVAL;
	buf = malloc(ADD_MSG_MAX);
	if (!buf)
		return -ENOMEM;
	while (done < n) {
		chunk = batch_fit(recs + done, n - done);
		ret = add_batch(g, buf, name, recs + done, chunk);
		if (ret)
			break;
		done += chunk;
	}
	free(buf);
	if (err)
		*err = ret;
	return done || !ret ? (int)done : ret;
}

static int key_parse(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, QKD_KEY_A_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* The reply of take/reserve: one nested key. */
struct take {
	struct qkd_key_record *rec;
	uint32_t timeout_ms;
	bool found;
};

static int rec_from_nest(const struct nlattr *key, struct qkd_key_record *rec)
{
	const struct nlattr *tb[QKD_KEY_A_MAX + 1] = { NULL };
	uint16_t len;

	mnl_attr_parse_nested(key, key_parse, tb);
	if (!tb[QKD_KEY_A_ID] || !tb[QKD_KEY_A_MATERIAL] ||
	    !tb[QKD_KEY_A_OWNER] ||
	    mnl_attr_get_payload_len(tb[QKD_KEY_A_ID]) != QKD_KEY_ID_LEN ||
	    mnl_attr_validate(tb[QKD_KEY_A_OWNER], MNL_TYPE_U8) < 0)
		return -EPROTO;
	len = mnl_attr_get_payload_len(tb[QKD_KEY_A_MATERIAL]);
	if (len < QKD_KEY_MIN_LEN || len > QKD_KEY_MAX_LEN)
		return -EPROTO;
	memcpy(rec->id, mnl_attr_get_payload(tb[QKD_KEY_A_ID]), QKD_KEY_ID_LEN);
	memcpy(rec->material, mnl_attr_get_payload(tb[QKD_KEY_A_MATERIAL]), len);
	rec->material_len = len;
	rec->owner = mnl_attr_get_u8(tb[QKD_KEY_A_OWNER]);
	if (tb[QKD_KEY_A_LIFETIME] &&
	    mnl_attr_validate(tb[QKD_KEY_A_LIFETIME], MNL_TYPE_U32) == 0)
		rec->lifetime_ms = mnl_attr_get_u32(tb[QKD_KEY_A_LIFETIME]);
	return 0;
}

static int take_parse(const struct nlmsghdr *nlh, struct req *r)
{
	const struct nlattr *tb[QKD_A_MAX + 1], *key;
	struct take *t = r->data;
	int ret;

	if (parse_attrs(nlh, tb) < 0 || !tb[QKD_A_KEYS])
		return -EPROTO;
	if (tb[QKD_A_TIMEOUT])
		t->timeout_ms = mnl_attr_get_u32(tb[QKD_A_TIMEOUT]);
	mnl_attr_for_each_nested(key, tb[QKD_A_KEYS]) {
		if (t->found)
			return -EPROTO;
		ret = rec_from_nest(key, t->rec);
		if (ret)
			return ret;
		t->found = true;
	}
	return 0;
}

static int take_or_reserve(struct qkd_genl *g, uint8_t cmd,
			   const char *name, const uint8_t *id,
			   uint32_t timeout_ms, struct qkd_key_record *rec,
			   uint32_t *timeout_out)
{
	struct take t = { .rec = rec };
	struct nlmsghdr *nlh = qkd_msg(g, cmd, name);
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (id)
		mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN, id);
	if (timeout_ms)
		mnl_attr_put_u32(nlh, QKD_A_TIMEOUT, timeout_ms);
	ret = run(g, nlh, take_parse, &t, true, NULL);
	if (!ret && !t.found)
		ret = -EPROTO;
	if (ret) {
		explicit_bzero(rec, sizeof(*rec));
		return ret;
	}
	if (timeout_out)
		*timeout_out = t.timeout_ms;
	return 0;
}

int qkd_genl_key_take(struct qkd_genl *g, const char *name,
		      const uint8_t *id, struct qkd_key_record *rec)
{
	return take_or_reserve(g, QKD_CMD_KEY_TAKE, name, id, 0, rec, NULL);
}

int qkd_genl_key_reserve(struct qkd_genl *g, const char *name,
			 const uint8_t *id, uint32_t timeout_ms,
			 struct qkd_key_record *rec, uint32_t *timeout_out)
{
	return take_or_reserve(g, QKD_CMD_KEY_RESERVE, name, id, timeout_ms,
			       rec, timeout_out);
}

static int key_ref(struct qkd_genl *g, uint8_t cmd, const char *name,
		   const uint8_t id[QKD_KEY_ID_LEN])
{
	struct nlmsghdr *nlh = qkd_msg(g, cmd, name);

	mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN, id);
	return run(g, nlh, NULL, NULL, false, NULL);
}

int qkd_genl_key_commit(struct qkd_genl *g, const char *name,
			const uint8_t id[QKD_KEY_ID_LEN])
{
	return key_ref(g, QKD_CMD_KEY_COMMIT, name, id);
}

int qkd_genl_key_release(struct qkd_genl *g, const char *name,
			 const uint8_t id[QKD_KEY_ID_LEN])
{
	return key_ref(g, QKD_CMD_KEY_RELEASE, name, id);
}

/*
 * Pipelined key operations: one request per key, QKD_GENL_PIPE_MAX to a
 * datagram, each drawing one reply (nlreq.h): take and reserve answer with
 * the key or an error, so only commit and release ask for an ACK.
 */
struct keys_op {
	uint8_t cmd;
	const uint8_t (*ids)[QKD_KEY_ID_LEN];	/* NULL: the next keys */
	uint32_t timeout_ms;
	struct qkd_key_record *recs;		/* take, reserve: the keys */
};

static int keys_parse(const struct nlmsghdr *nlh, struct req *r)
{
	const struct keys_op *op = r->data;
	struct take t = { .rec = &op->recs[r->q->index] };
	struct req one = { .g = r->g, .data = &t };
	int ret = take_parse(nlh, &one);

	return ret ? ret : t.found ? 0 : -EPROTO;
}

static size_t keys_msgs(struct qkd_genl *g, const char *name,
			const struct keys_op *op, size_t n)
{
	uint16_t flags = op->recs ? 0 : NLM_F_ACK;
	uint8_t *p = g->pipe;
	struct nlmsghdr *nlh;
	size_t i;

	for (i = 0; i < n; i++) {
		nlh = msg_start(g, p, g->family, op->cmd, flags);
		mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
		if (op->ids)
			mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN,
				     op->ids[i]);
		if (op->timeout_ms)
			mnl_attr_put_u32(nlh, QKD_A_TIMEOUT, op->timeout_ms);
		p += nlh->nlmsg_len;
	}
	return p - g->pipe;
}

/* Up to QKD_GENL_PIPE_MAX keys in one datagram: see qkd_nl_pipeline(). */
static int keys_chunk(struct qkd_genl *g, const char *name,
		      const struct keys_op *op, size_t n, int *errs)
{
	struct req r = { .g = g, .parse = keys_parse, .data = (void *)op };
	struct qkd_nlreq q = {
		.cb = parse_cb, .data = &r, .buf = g->buf,
		.size = sizeof(g->buf), .wipe = op->recs != NULL,
		.extack = g->extack, .extack_size = sizeof(g->extack),
	};
	uint32_t seq = g->seq + 1;
	size_t i, len = keys_msgs(g, name, op, n);
	int ret;

	r.q = &q;
	ret = qkd_nl_pipeline(g->nl, g->pipe, len, seq, n, &q, errs);
	if (ret < 0)
		for (i = 0; i < n; i++)
			errs[i] = ret;
	for (i = 0; op->recs && i < n; i++)
		if (errs[i])
			explicit_bzero(&op->recs[i], sizeof(op->recs[i]));
	return ret;
}

/*
 * op on n keys, chunk by chunk. A chunk that could not be sent fails its
 * keys and those after it. Returns the keys done, or -errno if none was
 * asked for.
 */
static int keys_run(struct qkd_genl *g, const char *name, struct keys_op op,
		    size_t n, int *errs)
{
	int e[QKD_GENL_PIPE_MAX], ret = 0, done = 0;
	size_t off, chunk, i;
	bool sent = false;

	if (n > INT32_MAX)
		return -EINVAL;
	if (strlen(name) >= QKD_STREAM_NAME_MAX)
		ret = -EINVAL;
	if (op.recs && !ret)
		memset(op.recs, 0, n * sizeof(*op.recs));
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < QKD_GENL_PIPE_MAX ? n - off : QKD_GENL_PIPE_MAX;
		if (ret >= 0)
			ret = keys_chunk(g, name, &op, chunk, e);
		sent |= ret >= 0;
		for (i = 0; i < chunk; i++)
			if (errs)
				errs[off + i] = ret < 0 ? ret : e[i];
		if (ret > 0)
			done += ret;
		if (op.ids)
			op.ids += chunk;
		if (op.recs)
			op.recs += chunk;
	}
	/* No request made at all: the error says why (errs has it too). */
	return sent || !n ? done : ret;
}

int qkd_genl_keys_take(struct qkd_genl *g, const char *name,
		       const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
		       struct qkd_key_record *recs, int *errs)
{
	struct keys_op op = { .cmd = QKD_CMD_KEY_TAKE, .ids = ids,
			      .recs = recs };

	return keys_run(g, name, op, n, errs);
}

int qkd_genl_keys_reserve(struct qkd_genl *g, const char *name,
			  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			  uint32_t timeout_ms, struct qkd_key_record *recs,
			  int *errs)
{
	struct keys_op op = { .cmd = QKD_CMD_KEY_RESERVE, .ids = ids,
			      .timeout_ms = timeout_ms, .recs = recs };

	return keys_run(g, name, op, n, errs);
}

int qkd_genl_keys_commit(struct qkd_genl *g, const char *name,
			 const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			 int *errs)
{
	struct keys_op op = { .cmd = QKD_CMD_KEY_COMMIT, .ids = ids };

	return keys_run(g, name, op, n, errs);
}

int qkd_genl_keys_release(struct qkd_genl *g, const char *name,
			  const uint8_t (*ids)[QKD_KEY_ID_LEN], size_t n,
			  int *errs)
{
	struct keys_op op = { .cmd = QKD_CMD_KEY_RELEASE, .ids = ids };

	return keys_run(g, name, op, n, errs);
}

static int count_parse(const struct nlmsghdr *nlh, struct req *r)
{
	const struct nlattr *tb[QKD_A_MAX + 1];

	if (parse_attrs(nlh, tb) < 0 || !tb[QKD_A_COUNT])
		return -EPROTO;
	*(uint32_t *)r->data = mnl_attr_get_u32(tb[QKD_A_COUNT]);
	return 0;
}

int qkd_genl_key_flush(struct qkd_genl *g, const char *name, uint32_t flags)
{
	struct nlmsghdr *nlh = qkd_msg(g, QKD_CMD_KEY_FLUSH, name);
	uint32_t count = 0;
	int ret;

	if (flags)
		mnl_attr_put_u32(nlh, QKD_A_FLAGS, flags);
	ret = run(g, nlh, count_parse, &count, false, NULL);
	if (ret)
		return ret;
	return count > INT32_MAX ? INT32_MAX : (int)count;
}

/* Events */

int qkd_genl_subscribe(struct qkd_genl *g)
{
	if (!g->events_grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(g->nl, NETLINK_ADD_MEMBERSHIP,
				  &g->events_grp, sizeof(g->events_grp)) < 0)
		return -errno;
	return 0;
}

struct events {
	void (*cb)(const struct qkd_event *ev, void *data);
	void *data;
	int count;
	uint16_t family;
};

static void event_field(const struct nlattr *a, unsigned int bit,
			uint32_t *field, struct qkd_event *ev)
{
	if (!a)
		return;
	*field = mnl_attr_get_u32(a);
	ev->has |= bit;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[QKD_A_MAX + 1];
	struct events *e = data;
	struct qkd_event ev = { 0 };

	if (nlh->nlmsg_type != e->family)
		return MNL_CB_OK;
	ev.cmd = genl_cmd(nlh);
	if (ev.cmd < QKD_CMD_EVENT_STREAM_NEW || ev.cmd > QKD_CMD_MAX ||
	    parse_attrs(nlh, tb) < 0 || !tb[QKD_A_STREAM_NAME])
		return MNL_CB_OK;	/* not an event we understand */
	snprintf(ev.stream, sizeof(ev.stream), "%s",
		 mnl_attr_get_str(tb[QKD_A_STREAM_NAME]));
	event_field(tb[QKD_A_STREAM_LOW_WATERMARK], QKD_EV_LOW_WATERMARK,
		    &ev.low_watermark, &ev);
	event_field(tb[QKD_A_STREAM_AVAIL_LOCAL], QKD_EV_AVAIL_LOCAL,
		    &ev.avail_local, &ev);
	event_field(tb[QKD_A_STREAM_AVAIL_PEER], QKD_EV_AVAIL_PEER,
		    &ev.avail_peer, &ev);
	event_field(tb[QKD_A_COUNT], QKD_EV_COUNT, &ev.count, &ev);
	e->cb(&ev, e->data);
	e->count++;
	return MNL_CB_OK;
}

int qkd_genl_events_read(struct qkd_genl *g,
			 void (*cb)(const struct qkd_event *ev, void *data),
			 void *data)
{
	struct events e = { .cb = cb, .data = data, .family = g->family };
	ssize_t n;

	n = mnl_socket_recvfrom(g->nl, g->buf, sizeof(g->buf));
	if (n < 0)
		return -errno;
	/* Sequence and port 0: multicasts carry neither. */
	if (mnl_cb_run(g->buf, n, 0, 0, event_cb, &e) < 0)
		return -errno;
	return e.count;
}

const char *qkd_event_name(uint8_t cmd)
{
	switch (cmd) {
	case QKD_CMD_EVENT_STREAM_NEW:
		return "stream-new";
	case QKD_CMD_EVENT_STREAM_DEL:
		return "stream-del";
	case QKD_CMD_EVENT_LOW_WATERMARK:
		return "low-watermark";
	case QKD_CMD_EVENT_EXHAUSTED:
		return "exhausted";
	case QKD_CMD_EVENT_EXPIRED:
		return "expired";
	}
	return "unknown";
}
