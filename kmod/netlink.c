// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * The "qkdpool" generic netlink family. See include/uapi/linux/qkdpool.h.
 */

#include <linux/moduleparam.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "netlink.h"
#include "events.h"
#include "notify.h"
#include "stream.h"
#include "take.h"
#include "resv.h"
#include "pool.h"
#include "key.h"

static unsigned int resv_timeout_ms = 30000;

/* The range QKD_A_TIMEOUT has: 0 would release reservations at once. */
static int resv_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, QKD_RESV_TIMEOUT_MAX);
}

static const struct kernel_param_ops resv_timeout_ops = {
	.set = resv_timeout_set,
	.get = param_get_uint,
};
module_param_cb(resv_timeout_ms, &resv_timeout_ops, &resv_timeout_ms, 0644);
MODULE_PARM_DESC(resv_timeout_ms,
		 "Default lifetime of a netlink reservation, ms, 1..3600000 (default 30000)");

static struct genl_family genl_family;

static const struct nla_policy key_policy[QKD_KEY_A_MAX + 1] = {
	[QKD_KEY_A_ID] = NLA_POLICY_EXACT_LEN(QKD_KEY_ID_LEN),
	[QKD_KEY_A_MATERIAL] = NLA_POLICY_RANGE(NLA_BINARY, QKD_KEY_MIN_LEN,
						QKD_KEY_MAX_LEN),
	[QKD_KEY_A_OWNER] = NLA_POLICY_RANGE(NLA_U8, QKD_OWNER_LOCAL,
					     QKD_OWNER_PEER),
	[QKD_KEY_A_LIFETIME] = { .type = NLA_U32 },
};

/* Not const: 6.1's nla_policy points to non-const ranges. */
static struct netlink_range_validation keys_range = {
	.min = 1,
	.max = QKD_STREAM_KEYS_LIMIT,
};

static struct netlink_range_validation wm_range = {
	.max = QKD_STREAM_KEYS_LIMIT,
};

static struct netlink_range_validation timeout_range = {
	.min = 1,
	.max = QKD_RESV_TIMEOUT_MAX,
};

/* Reply-only attributes are left out, so requests carrying them fail. */
static const struct nla_policy qkd_policy[QKD_A_MAX + 1] = {
	[QKD_A_STREAM_NAME] = { .type = NLA_NUL_STRING,
				.len = QKD_STREAM_NAME_MAX - 1 },
	[QKD_A_STREAM_MAX_KEYS] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&keys_range),
	[QKD_A_STREAM_LOW_WATERMARK] = NLA_POLICY_FULL_RANGE(NLA_U32,
							     &wm_range),
	[QKD_A_STREAM_LIFETIME] = { .type = NLA_U32 },
	/*
	 * Not NLA_POLICY_NESTED_ARRAY(key_policy): a key rejected by the
	 * policy would free the request, the other keys' material in it,
	 * unwiped. parse_key() validates each key as strictly, and the doit
	 * wipes the request whatever the outcome.
	 */
	[QKD_A_KEYS] = { .type = NLA_NESTED },
	[QKD_A_KEY_ID] = NLA_POLICY_EXACT_LEN(QKD_KEY_ID_LEN),
	[QKD_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __QKD_F_ALL),
	[QKD_A_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
};

#define ATTR_BIT(x) BIT_ULL(QKD_A_##x)
#define CONF_ATTRS (ATTR_BIT(STREAM_MAX_KEYS) | \
		    ATTR_BIT(STREAM_LOW_WATERMARK) | ATTR_BIT(STREAM_LIFETIME))

/* One family policy for all commands; each takes only its own attributes. */
static int check_attrs(struct nlattr **attrs, u64 allowed,
		       struct netlink_ext_ack *extack)
{
	int i;

	for (i = 1; i <= QKD_A_MAX; i++) {
		if (attrs[i] && !(allowed & BIT_ULL(i))) {
			NL_SET_BAD_ATTR(extack, attrs[i]);
			NL_SET_ERR_MSG_MOD(extack,
					   "attribute not valid for this command");
			return -EINVAL;
		}
	}
	return 0;
}

/* GENL_REQ_ATTR_CHECK() reports the missing type; add a message too. */
static bool attr_absent(struct genl_info *info, int type)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	NL_SET_ERR_MSG_MOD(info->extack, "missing required attribute");
	return true;
}

static int get_name(struct genl_info *info, u64 allowed, const char **name)
{
	int ret;

	ret = check_attrs(info->attrs, allowed | ATTR_BIT(STREAM_NAME),
			  info->extack);
	if (ret)
		return ret;
	if (attr_absent(info, QKD_A_STREAM_NAME))
		return -EINVAL;
	*name = nla_data(info->attrs[QKD_A_STREAM_NAME]);
	return 0;
}

static int get_stream(struct genl_info *info, u64 allowed,
		      struct qkd_stream **s)
{
	const char *name;
	int ret;

	ret = get_name(info, allowed, &name);
	if (ret)
		return ret;
	*s = qkd_pool_stream_get(genl_info_net(info), name);
	if (!*s) {
		NL_SET_BAD_ATTR(info->extack, info->attrs[QKD_A_STREAM_NAME]);
		NL_SET_ERR_MSG_MOD(info->extack, "no such stream");
		return -ENOENT;
	}
	return 0;
}

static int set_err(struct genl_info *info, int err)
{
	struct netlink_ext_ack *extack = info->extack;

	switch (err) {
	case -EEXIST:
		NL_SET_ERR_MSG_MOD(extack, "duplicate key ID");
		break;
	case -ENOSPC:
		NL_SET_ERR_MSG_MOD(extack, "stream full or memory cap reached");
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_MOD(extack, "no such key or stream");
		break;
	case -EACCES:
		NL_SET_ERR_MSG_MOD(extack, "key is local-owned");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG_MOD(extack, "key is reserved by another holder");
		break;
	case -EAGAIN:
		NL_SET_ERR_MSG_MOD(extack, "no local-owned key available");
		break;
	case -ENOMEM:
		NL_SET_ERR_MSG_MOD(extack, "out of memory");
		break;
	}
	return err;
}

static u32 get_u32(struct nlattr **attrs, int type, u32 def)
{
	return attrs[type] ? nla_get_u32(attrs[type]) : def;
}

static int stream_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct qkd_stream_conf conf;
	const char *name;
	int ret;

	ret = get_name(info, CONF_ATTRS, &name);
	if (ret)
		return ret;
	if (!qkd_stream_name_valid(name)) {
		NL_SET_BAD_ATTR(info->extack, attrs[QKD_A_STREAM_NAME]);
		NL_SET_ERR_MSG_MOD(info->extack,
				   "stream name: 1..63 printable characters");
		return -EINVAL;
	}
	conf.max_keys = get_u32(attrs, QKD_A_STREAM_MAX_KEYS,
				QKD_STREAM_KEYS_DEFAULT);
	conf.low_watermark = get_u32(attrs, QKD_A_STREAM_LOW_WATERMARK, 0);
	conf.lifetime_ms = get_u32(attrs, QKD_A_STREAM_LIFETIME, 0);
	ret = qkd_pool_stream_create(genl_info_net(info), name, &conf);
	if (ret == -EEXIST)
		NL_SET_ERR_MSG_MOD(info->extack, "stream exists");
	else if (ret == -ENOSPC)
		NL_SET_ERR_MSG_MOD(info->extack,
				   "stream limit or memory cap reached");
	return ret;
}

static int stream_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *name;
	int ret;

	ret = get_name(info, 0, &name);
	if (ret)
		return ret;
	ret = qkd_pool_stream_delete(genl_info_net(info), name);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_MOD(info->extack, "no such stream");
	return ret;
}

static u32 *opt_u32(struct nlattr **attrs, int type, u32 *val)
{
	if (!attrs[type])
		return NULL;
	*val = nla_get_u32(attrs[type]);
	return val;
}

static int stream_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	u32 max, low, life;
	struct qkd_stream *s;
	int ret;

	ret = get_stream(info, CONF_ATTRS, &s);
	if (ret)
		return ret;
	if (!attrs[QKD_A_STREAM_MAX_KEYS] &&
	    !attrs[QKD_A_STREAM_LOW_WATERMARK] &&
	    !attrs[QKD_A_STREAM_LIFETIME]) {
		NL_SET_ERR_MSG_MOD(info->extack, "nothing to set");
		ret = -EINVAL;
		goto out_put;
	}
	ret = qkd_stream_set(s, opt_u32(attrs, QKD_A_STREAM_MAX_KEYS, &max),
			     opt_u32(attrs, QKD_A_STREAM_LOW_WATERMARK, &low),
			     opt_u32(attrs, QKD_A_STREAM_LIFETIME, &life));
	set_err(info, ret);
out_put:
	qkd_stream_put(s);
	return ret;
}

/* Metadata only: never key material. */
static int put_stream(struct sk_buff *skb, struct qkd_stream *s)
{
	struct qkd_stream_info in;

	qkd_stream_info(s, &in);
	if (nla_put_string(skb, QKD_A_STREAM_NAME, s->name) ||
	    nla_put_u32(skb, QKD_A_STREAM_MAX_KEYS, in.max_keys) ||
	    nla_put_u32(skb, QKD_A_STREAM_LOW_WATERMARK, in.low_watermark) ||
	    nla_put_u32(skb, QKD_A_STREAM_LIFETIME, in.lifetime_ms) ||
	    nla_put_u32(skb, QKD_A_STREAM_AVAIL_LOCAL, in.avail_local) ||
	    nla_put_u32(skb, QKD_A_STREAM_AVAIL_PEER, in.avail_peer) ||
	    nla_put_u32(skb, QKD_A_STREAM_RESERVED, in.reserved) ||
	    nla_put_u64_64bit(skb, QKD_A_STREAM_ADDED, in.added, QKD_A_PAD) ||
	    nla_put_u64_64bit(skb, QKD_A_STREAM_TAKEN, in.taken, QKD_A_PAD) ||
	    nla_put_u64_64bit(skb, QKD_A_STREAM_EXPIRED, in.expired,
			      QKD_A_PAD) ||
	    nla_put_u64_64bit(skb, QKD_A_STREAM_REJECTED, in.rejected,
			      QKD_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int stream_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct qkd_stream *s;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = get_stream(info, 0, &s);
	if (ret)
		return ret;
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto err_put_stream;
	hdr = genlmsg_put_reply(msg, info, &genl_family, 0,
				QKD_CMD_STREAM_GET);
	if (!hdr || put_stream(msg, s))
		goto err_free_msg;
	genlmsg_end(msg, hdr);
	qkd_stream_put(s);
	return genlmsg_reply(msg, info);

err_free_msg:
	nlmsg_free(msg);
err_put_stream:
	qkd_stream_put(s);
	return ret;
}

struct dump_arg {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int dump_one(struct qkd_stream *s, void *data)
{
	struct dump_arg *arg = data;
	struct netlink_callback *cb = arg->cb;
	void *hdr;

	hdr = genlmsg_put(arg->skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &genl_family, NLM_F_MULTI,
			  QKD_CMD_STREAM_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (put_stream(arg->skb, s)) {
		genlmsg_cancel(arg->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(arg->skb, hdr);
	return 0;
}

/*
 * The cursor, cb->args[0], is the ID of the next stream to send; IDs are
 * allocated cyclically, so streams created during the dump may be missed,
 * in which case the generation check flags the dump NLM_F_DUMP_INTR.
 * cb->args[1] says the request was checked (6.1 small ops have no .start).
 */
static int stream_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_arg arg = { .skb = skb, .cb = cb };
	unsigned long *cursor = (unsigned long *)&cb->args[0];
	int ret;

	if (!cb->args[1]) {
		ret = check_attrs(genl_dumpit_info(cb)->attrs, 0, cb->extack);
		if (ret)
			return ret;
		cb->args[1] = 1;
	}

	ret = qkd_pool_dump(sock_net(skb->sk), cursor, &cb->seq, dump_one,
			    &arg);
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static void wipe_material(struct nlattr *keys)
{
	struct nlattr *nest, *a;
	int rem, rem2;

	nla_for_each_nested(nest, keys, rem)
		nla_for_each_nested(a, nest, rem2)
			if (nla_type(a) == QKD_KEY_A_MATERIAL)
				memzero_explicit(nla_data(a), nla_len(a));
}

static struct qkd_key *parse_key(const struct qkd_stream *s,
				 struct nlattr *nest,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[QKD_KEY_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, QKD_KEY_A_MAX, nest, key_policy, extack);
	if (ret)
		return ERR_PTR(ret);
	if (!tb[QKD_KEY_A_ID] || !tb[QKD_KEY_A_MATERIAL] ||
	    !tb[QKD_KEY_A_OWNER]) {
		NL_SET_BAD_ATTR(extack, nest);
		NL_SET_ERR_MSG_MOD(extack, "key needs ID, material and owner");
		return ERR_PTR(-EINVAL);
	}
	return qkd_key_alloc(s, nla_data(tb[QKD_KEY_A_ID]),
			     nla_data(tb[QKD_KEY_A_MATERIAL]),
			     nla_len(tb[QKD_KEY_A_MATERIAL]),
			     nla_get_u8(tb[QKD_KEY_A_OWNER]),
			     tb[QKD_KEY_A_LIFETIME] ?
			     nla_get_u32(tb[QKD_KEY_A_LIFETIME]) : 0);
}

static int parse_keys(struct genl_info *info, const struct qkd_stream *s,
		      struct qkd_key **keys)
{
	unsigned int i = 0;
	struct nlattr *nest;
	int rem;

	nla_for_each_nested(nest, info->attrs[QKD_A_KEYS], rem) {
		keys[i] = parse_key(s, nest, info->extack);
		if (IS_ERR(keys[i]))
			goto err_free_keys;
		i++;
	}
	return 0;

err_free_keys:
	rem = PTR_ERR(keys[i]);
	while (i--)
		qkd_key_free(s, keys[i]);
	return set_err(info, rem);
}

static int add_keys(struct genl_info *info, unsigned int n)
{
	struct qkd_stream *s;
	struct qkd_key **keys;
	unsigned int i;
	int ret;

	ret = get_stream(info, ATTR_BIT(KEYS), &s);
	if (ret)
		return ret;
	ret = -ENOMEM;
	keys = kvmalloc_array(n, sizeof(*keys), GFP_KERNEL);
	if (!keys)
		goto out_put_stream;
	ret = parse_keys(info, s, keys);
	if (ret)
		goto out_free_array;
	ret = set_err(info, qkd_stream_add(s, keys, n));
	if (ret)
		for (i = 0; i < n; i++)
			qkd_key_free(s, keys[i]);
out_free_array:
	kvfree(keys);
out_put_stream:
	qkd_stream_put(s);
	return ret;
}

static int key_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *nest;
	unsigned int n = 0;
	int rem, ret;

	if (attr_absent(info, QKD_A_KEYS))
		return -EINVAL;
	nla_for_each_nested(nest, info->attrs[QKD_A_KEYS], rem)
		n++;
	if (rem) {
		NL_SET_BAD_ATTR(info->extack, info->attrs[QKD_A_KEYS]);
		NL_SET_ERR_MSG_MOD(info->extack, "malformed key list");
		ret = -EINVAL;
	} else if (!n || n > QKD_ADD_BATCH_MAX) {
		NL_SET_BAD_ATTR(info->extack, info->attrs[QKD_A_KEYS]);
		NL_SET_ERR_MSG_MOD(info->extack, "1..1024 keys per request");
		ret = -EINVAL;
	} else {
		ret = add_keys(info, n);
	}
	/* Leave no copy of the material in the request. */
	wipe_material(info->attrs[QKD_A_KEYS]);
	return ret;
}

/* The reply holds key material: wipe it if it is not sent. */
static void free_secret_msg(struct sk_buff *msg)
{
	memzero_explicit(msg->data, msg->len);
	nlmsg_free(msg);
}

/*
 * The reply of a take or reserve, sized to fit: netlink trims a reply with
 * much tailroom by copying it to a smaller buffer and freeing the old one
 * unwiped.
 */
static size_t key_reply_size(const struct qkd_stream *s)
{
	return nla_total_size(strlen(s->name) + 1) +
	       nla_total_size(0) +			/* QKD_A_KEYS */
	       nla_total_size(0) +			/* the key */
	       nla_total_size(QKD_KEY_ID_LEN) +
	       nla_total_size(QKD_KEY_MAX_LEN) +	/* material */
	       nla_total_size(sizeof(u8)) +		/* owner */
	       nla_total_size(sizeof(u32)) +		/* lifetime */
	       nla_total_size(sizeof(u32));		/* QKD_A_TIMEOUT */
}

/*
 * Netlink frees a reply it cannot queue (the receiver's buffer is full)
 * without wiping it. Our own reference keeps it, so it is wiped then. A
 * queued reply is wiped only once neither the receiver nor a tap holds it
 * any more (the receiver frees it unwiped otherwise, as the UAPI says).
 * The receiver is the requesting socket, alive for the whole request, so
 * the destructor our put may run still finds it.
 */
static int reply_secret(struct sk_buff *msg, struct genl_info *info)
{
	int ret;

	skb_get(msg);
	ret = genlmsg_reply(msg, info);
	if (!skb_shared(msg) && !skb_cloned(msg))
		memzero_explicit(msg->data, msg->len);
	consume_skb(msg);
	return ret;
}

static int put_key(struct sk_buff *msg, const struct qkd_key_record *rec)
{
	struct nlattr *keys, *key;

	keys = nla_nest_start(msg, QKD_A_KEYS);
	if (!keys)
		return -EMSGSIZE;
	key = nla_nest_start(msg, 0);
	if (!key ||
	    nla_put(msg, QKD_KEY_A_ID, QKD_KEY_ID_LEN, rec->id) ||
	    nla_put(msg, QKD_KEY_A_MATERIAL, rec->material_len,
		    rec->material) ||
	    nla_put_u8(msg, QKD_KEY_A_OWNER, rec->owner) ||
	    nla_put_u32(msg, QKD_KEY_A_LIFETIME, rec->lifetime_ms))
		return -EMSGSIZE;
	nla_nest_end(msg, key);
	nla_nest_end(msg, keys);
	return 0;
}

static int key_reply(struct genl_info *info, struct sk_buff *msg,
		     struct qkd_stream *s, const struct qkd_key_record *rec,
		     u32 timeout)
{
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &genl_family, 0,
				info->genlhdr->cmd);
	if (!hdr || nla_put_string(msg, QKD_A_STREAM_NAME, s->name) ||
	    put_key(msg, rec) ||
	    (timeout && nla_put_u32(msg, QKD_A_TIMEOUT, timeout))) {
		free_secret_msg(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return reply_secret(msg, info);
}

/*
 * Take and reserve: the one netlink path that hands out key material. The
 * reply is allocated first so that a taken key is not lost to -ENOMEM.
 */
static int take_or_reserve(struct genl_info *info, bool reserve)
{
	struct nlattr **attrs = info->attrs;
	struct qkd_key_record rec;
	struct qkd_stream *s;
	struct sk_buff *msg;
	const u8 *id = NULL;
	u32 timeout = 0;
	u64 gen = 0;
	int ret;

	ret = get_stream(info, ATTR_BIT(KEY_ID) |
			 (reserve ? ATTR_BIT(TIMEOUT) : 0), &s);
	if (ret)
		return ret;
	ret = -ENOMEM;
	msg = genlmsg_new(key_reply_size(s), GFP_KERNEL);
	if (!msg)
		goto out_put_stream;
	if (attrs[QKD_A_KEY_ID])
		id = nla_data(attrs[QKD_A_KEY_ID]);
	if (reserve) {
		timeout = get_u32(attrs, QKD_A_TIMEOUT,
				  READ_ONCE(resv_timeout_ms));
		ret = qkd_stream_reserve(s, id, NULL, timeout, &rec, &gen);
	} else if (id) {
		ret = qkd_stream_take_id(s, id, &rec);
	} else {
		ret = qkd_stream_take_next(s, &rec, 1);
		ret = min(ret, 0);
	}
	if (ret) {
		nlmsg_free(msg);
		set_err(info, ret);
		goto out_put_stream;
	}
	ret = key_reply(info, msg, s, &rec, timeout);
	/*
	 * An undelivered reply was wiped: nobody saw a reserved key, so it
	 * goes back at once rather than when the reservation times out. Only
	 * this reservation: it may have timed out meanwhile, and the key
	 * been reserved by another holder.
	 */
	if (ret && reserve)
		qkd_stream_release_gen(s, rec.id, gen);
	memzero_explicit(&rec, sizeof(rec));
out_put_stream:
	qkd_stream_put(s);
	return ret;
}

static int key_take_doit(struct sk_buff *skb, struct genl_info *info)
{
	return take_or_reserve(info, false);
}

static int key_reserve_doit(struct sk_buff *skb, struct genl_info *info)
{
	return take_or_reserve(info, true);
}

static int commit_or_release(struct genl_info *info, bool commit)
{
	struct qkd_stream *s;
	const u8 *id;
	int ret;

	ret = get_stream(info, ATTR_BIT(KEY_ID), &s);
	if (ret)
		return ret;
	if (attr_absent(info, QKD_A_KEY_ID)) {
		ret = -EINVAL;
		goto out_put_stream;
	}
	id = nla_data(info->attrs[QKD_A_KEY_ID]);
	if (commit)
		ret = qkd_stream_commit(s, id, NULL);
	else
		ret = qkd_stream_release(s, id, NULL);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_MOD(info->extack, "key is not reserved");
	else
		set_err(info, ret);
out_put_stream:
	qkd_stream_put(s);
	return ret;
}

static int key_commit_doit(struct sk_buff *skb, struct genl_info *info)
{
	return commit_or_release(info, true);
}

static int key_release_doit(struct sk_buff *skb, struct genl_info *info)
{
	return commit_or_release(info, false);
}

static int key_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct qkd_stream *s;
	struct sk_buff *msg;
	void *hdr;
	u32 n;
	int ret;

	ret = get_stream(info, ATTR_BIT(FLAGS), &s);
	if (ret)
		return ret;
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out_put_stream;
	n = qkd_stream_flush(s, get_u32(info->attrs, QKD_A_FLAGS, 0));
	hdr = genlmsg_put_reply(msg, info, &genl_family, 0,
				QKD_CMD_KEY_FLUSH);
	if (!hdr || nla_put_string(msg, QKD_A_STREAM_NAME, s->name) ||
	    nla_put_u32(msg, QKD_A_COUNT, n)) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out_put_stream;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out_put_stream:
	qkd_stream_put(s);
	return ret;
}

static const struct genl_small_ops qkd_ops[] = {
	{
		.cmd = QKD_CMD_STREAM_NEW,
		.doit = stream_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_STREAM_DEL,
		.doit = stream_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_STREAM_SET,
		.doit = stream_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		/* Counts and counters tell when keys are used: see events. */
		.cmd = QKD_CMD_STREAM_GET,
		.doit = stream_get_doit,
		.dumpit = stream_dumpit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_ADD,
		.doit = key_add_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_TAKE,
		.doit = key_take_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_RESERVE,
		.doit = key_reserve_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_COMMIT,
		.doit = key_commit_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_RELEASE,
		.doit = key_release_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = QKD_CMD_KEY_FLUSH,
		.doit = key_flush_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * Events time every take that crosses a watermark and every exhaustion:
 * they trace when the consumers rekey, so how much they send. Joining
 * needs CAP_NET_ADMIN over the namespace, as listening to xfrm does.
 */
static const struct genl_multicast_group qkd_mcgrps[] = {
	{
		.name = QKD_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family genl_family __ro_after_init = {
	.name = QKD_GENL_NAME,
	.version = QKD_GENL_VERSION,
	.maxattr = QKD_A_MAX,
	.policy = qkd_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = qkd_ops,
	.n_small_ops = ARRAY_SIZE(qkd_ops),
	.mcgrps = qkd_mcgrps,
	.n_mcgrps = ARRAY_SIZE(qkd_mcgrps),
};

/* The pool and its streams tell of changes through this. */
static void send_event(struct net *net, u8 cmd, const char *name,
		       const struct qkd_event_snap *snap)
{
	qkd_event_send(&genl_family, net, cmd, name, snap);
}

int __init qkd_netlink_init(void)
{
	int ret;

	ret = genl_register_family(&genl_family);
	if (ret)
		return ret;
	qkd_notify_register(send_event);
	return 0;
}

void qkd_netlink_uninit(void)
{
	qkd_notify_unregister();
	genl_unregister_family(&genl_family);
}
