// SPDX-License-Identifier: GPL-2.0
/*
 * Raw generic netlink (libmnl) and device helpers for the qkdpool tests.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "qkdnl.h"

#define BUFSZ (MNL_SOCKET_BUFFER_SIZE * 4)

struct family_arg {
	struct qnl *q;
};

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct qnl *q = data;
	struct nlattr *grp, *ga;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
		q->family = mnl_attr_get_u16(a);
		return MNL_CB_OK;
	}
	if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(grp, a) {
		uint32_t id = 0;
		bool events = false;

		mnl_attr_for_each_nested(ga, grp) {
			if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(ga);
			if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME &&
			    !strcmp(mnl_attr_get_str(ga),
				    QKD_GENL_MCGRP_EVENTS))
				events = true;
		}
		if (events)
			q->events_group = id;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
			      family_attr_cb, data);
}

static int resolve_family(struct qnl *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, QKD_GENL_NAME);
	return qnl_talk(q, nlh, family_cb, q);
}

int qnl_open(struct qnl *q)
{
	int one = 1;
	int ret;

	memset(q, 0, sizeof(*q));
	q->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!q->sk)
		return -errno;
	mnl_socket_setsockopt(q->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(q->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(q->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err_close;
	}
	q->portid = mnl_socket_get_portid(q->sk);
	q->seq = time(NULL);
	ret = resolve_family(q);
	if (ret)
		goto err_close;
	return 0;

err_close:
	mnl_socket_close(q->sk);
	q->sk = NULL;
	return ret;
}

void qnl_close(struct qnl *q)
{
	if (q->sk)
		mnl_socket_close(q->sk);
	q->sk = NULL;
}

struct nlmsghdr *qnl_msg(struct qnl *q, void *buf, uint8_t cmd,
			 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = q->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++q->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = QKD_GENL_VERSION;
	return nlh;
}

/* Pulls the extack message out of an NLMSG_ERROR or NLMSG_DONE. */
static void get_extack(struct qnl *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*err);
	const struct nlattr *a;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);
	} else if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		off += mnl_nlmsg_get_payload_len(&err->msg) +
		       sizeof(struct nlmsghdr) - sizeof(err->msg);
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(q->errmsg, sizeof(q->errmsg), "%s",
				 mnl_attr_get_str(a));
}

static int check_msg(struct qnl *q, const struct nlmsghdr *nlh, int *err)
{
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		*err = e->error;
		get_extack(q, nlh);
		return 1;
	}
	if (nlh->nlmsg_type == NLMSG_DONE) {
		*err = *(int *)mnl_nlmsg_get_payload(nlh);
		get_extack(q, nlh);
		return 1;
	}
	return 0;
}

static __thread char *talk_buf;

int qnl_talk(struct qnl *q, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	unsigned int seq = nlh->nlmsg_seq;
	int err = 0;
	char *buf;
	ssize_t n;

	if (!talk_buf)
		talk_buf = malloc(BUFSZ);
	buf = talk_buf;
	if (!buf)
		return -ENOMEM;
	q->errmsg[0] = 0;
	q->recvs = 0;
	q->msgs = 0;
	if (mnl_socket_sendto(q->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *m;
		int len;

		n = mnl_socket_recvfrom(q->sk, buf, BUFSZ);
		if (n < 0)
			return -errno;
		q->recvs++;
		len = n;
		for (m = (void *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (check_msg(q, m, &err))
				goto out;
			q->msgs++;
			if (cb && cb(m, arg) < 0)
				err = -EPROTO;
		}
	}
out:
	/* Replies may hold key material. */
	memset(buf, 0, n > 0 ? n : 0);
	return err;
}

int qnl_stream_new(struct qnl *q, const char *name, uint32_t max_keys,
		   uint32_t low_watermark, uint32_t lifetime_ms)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_STREAM_NEW, 0);

	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	if (max_keys)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_MAX_KEYS, max_keys);
	if (low_watermark)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_LOW_WATERMARK,
				 low_watermark);
	if (lifetime_ms)
		mnl_attr_put_u32(nlh, QKD_A_STREAM_LIFETIME, lifetime_ms);
	return qnl_talk(q, nlh, NULL, NULL);
}

int qnl_stream_del(struct qnl *q, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_STREAM_DEL, 0);

	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	return qnl_talk(q, nlh, NULL, NULL);
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
	struct qnl_info *in = data;

	switch (mnl_attr_get_type(a)) {
	case QKD_A_STREAM_NAME:
		snprintf(in->name, sizeof(in->name), "%s",
			 mnl_attr_get_str(a));
		break;
	case QKD_A_STREAM_MAX_KEYS:
		in->max_keys = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_LOW_WATERMARK:
		in->low_watermark = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_LIFETIME:
		in->lifetime_ms = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_AVAIL_LOCAL:
		in->avail_local = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_AVAIL_PEER:
		in->avail_peer = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_RESERVED:
		in->reserved = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_ADDED:
		in->added = mnl_attr_get_u64(a);
		break;
	case QKD_A_STREAM_TAKEN:
		in->taken = mnl_attr_get_u64(a);
		break;
	case QKD_A_STREAM_EXPIRED:
		in->expired = mnl_attr_get_u64(a);
		break;
	case QKD_A_STREAM_REJECTED:
		in->rejected = mnl_attr_get_u64(a);
		break;
	}
	return MNL_CB_OK;
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	memset(data, 0, sizeof(struct qnl_info));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), info_attr_cb,
			      data);
}

int qnl_stream_get(struct qnl *q, const char *name, struct qnl_info *info)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_STREAM_GET, 0);

	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	return qnl_talk(q, nlh, info_cb, info);
}

struct dump_arg {
	qnl_stream_fn fn;
	void *arg;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_arg *d = data;
	struct qnl_info in;

	info_cb(nlh, &in);
	d->fn(&in, d->arg);
	return MNL_CB_OK;
}

int qnl_stream_dump(struct qnl *q, qnl_stream_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_STREAM_GET,
				       NLM_F_DUMP);
	struct dump_arg d = { fn, arg };

	return qnl_talk(q, nlh, dump_cb, &d);
}

int qnl_key_add(struct qnl *q, const char *name,
		const struct qkd_key_record *recs, unsigned int n)
{
	size_t sz = MNL_SOCKET_BUFFER_SIZE + n * 128;
	struct nlattr *keys, *key;
	struct nlmsghdr *nlh;
	unsigned int i;
	char *buf;
	int ret;

	buf = calloc(1, sz);
	if (!buf)
		return -ENOMEM;
	nlh = qnl_msg(q, buf, QKD_CMD_KEY_ADD, 0);
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	keys = mnl_attr_nest_start(nlh, QKD_A_KEYS);
	for (i = 0; i < n; i++) {
		key = mnl_attr_nest_start(nlh, 0);
		mnl_attr_put(nlh, QKD_KEY_A_ID, QKD_KEY_ID_LEN, recs[i].id);
		mnl_attr_put(nlh, QKD_KEY_A_MATERIAL, recs[i].material_len,
			     recs[i].material);
		mnl_attr_put_u8(nlh, QKD_KEY_A_OWNER, recs[i].owner);
		if (recs[i].lifetime_ms)
			mnl_attr_put_u32(nlh, QKD_KEY_A_LIFETIME,
					 recs[i].lifetime_ms);
		mnl_attr_nest_end(nlh, key);
	}
	mnl_attr_nest_end(nlh, keys);
	ret = qnl_talk(q, nlh, NULL, NULL);
	explicit_bzero(buf, sz);
	free(buf);
	return ret;
}

static int key_attr_cb(const struct nlattr *a, void *data)
{
	struct qkd_key_record *rec = data;

	switch (mnl_attr_get_type(a)) {
	case QKD_KEY_A_ID:
		memcpy(rec->id, mnl_attr_get_payload(a), QKD_KEY_ID_LEN);
		break;
	case QKD_KEY_A_MATERIAL:
		rec->material_len = mnl_attr_get_payload_len(a);
		if (rec->material_len > QKD_KEY_MAX_LEN)
			return MNL_CB_ERROR;
		memcpy(rec->material, mnl_attr_get_payload(a),
		       rec->material_len);
		break;
	case QKD_KEY_A_OWNER:
		rec->owner = mnl_attr_get_u8(a);
		break;
	case QKD_KEY_A_LIFETIME:
		rec->lifetime_ms = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int take_attr_cb(const struct nlattr *a, void *data)
{
	struct nlattr *key;

	if (mnl_attr_get_type(a) != QKD_A_KEYS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(key, a)
		mnl_attr_parse_nested(key, key_attr_cb, data);
	return MNL_CB_OK;
}

static int take_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), take_attr_cb,
			      data);
}

int qnl_take(struct qnl *q, const char *name, const uint8_t *id,
	     struct qkd_key_record *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_KEY_TAKE, 0);

	memset(out, 0, sizeof(*out));
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	if (id)
		mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN, id);
	return qnl_talk(q, nlh, take_cb, out);
}

int qnl_reserve(struct qnl *q, const char *name, const uint8_t *id,
		uint32_t timeout_ms, struct qkd_key_record *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_KEY_RESERVE, 0);

	memset(out, 0, sizeof(*out));
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	if (id)
		mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN, id);
	if (timeout_ms)
		mnl_attr_put_u32(nlh, QKD_A_TIMEOUT, timeout_ms);
	return qnl_talk(q, nlh, take_cb, out);
}

int qnl_finish(struct qnl *q, const char *name, const uint8_t *id,
	       bool commit)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = qnl_msg(q, buf, commit ? QKD_CMD_KEY_COMMIT :
		      QKD_CMD_KEY_RELEASE, 0);
	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	mnl_attr_put(nlh, QKD_A_KEY_ID, QKD_KEY_ID_LEN, id);
	return qnl_talk(q, nlh, NULL, NULL);
}

static int count_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == QKD_A_COUNT)
		*(uint32_t *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), count_attr_cb,
			      data);
}

int qnl_flush(struct qnl *q, const char *name, uint32_t flags,
	      uint32_t *count)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = qnl_msg(q, buf, QKD_CMD_KEY_FLUSH, 0);

	mnl_attr_put_strz(nlh, QKD_A_STREAM_NAME, name);
	if (flags)
		mnl_attr_put_u32(nlh, QKD_A_FLAGS, flags);
	*count = 0;
	return qnl_talk(q, nlh, count_cb, count);
}

int qnl_subscribe(struct qnl *q)
{
	if (!q->events_group)
		return -ENOENT;
	if (mnl_socket_setsockopt(q->sk, NETLINK_ADD_MEMBERSHIP,
				  &q->events_group,
				  sizeof(q->events_group)) < 0)
		return -errno;
	return 0;
}

static int event_attr_cb(const struct nlattr *a, void *data)
{
	struct qnl_event *ev = data;

	switch (mnl_attr_get_type(a)) {
	case QKD_A_STREAM_NAME:
		snprintf(ev->name, sizeof(ev->name), "%s",
			 mnl_attr_get_str(a));
		break;
	case QKD_A_COUNT:
		ev->count = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_AVAIL_LOCAL:
		ev->avail_local = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_AVAIL_PEER:
		ev->avail_peer = mnl_attr_get_u32(a);
		break;
	case QKD_A_STREAM_LOW_WATERMARK:
		ev->low_watermark = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

/* One event: 0, -ETIMEDOUT or -errno. Multicasts have seq 0. */
int qnl_event(struct qnl *q, int timeout_ms, struct qnl_event *ev)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(q->sk),
			      .events = POLLIN };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	ssize_t n;

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		nlh = (void *)buf;
		if (!mnl_nlmsg_ok(nlh, n) || nlh->nlmsg_type != q->family ||
		    nlh->nlmsg_seq)
			continue;
		ev->cmd = ((struct genlmsghdr *)
			   mnl_nlmsg_get_payload(nlh))->cmd;
		return mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
				      event_attr_cb, ev) < 0 ? -EPROTO : 0;
	}
}

static uint8_t mat_byte(const struct qkd_key_record *rec, unsigned int i)
{
	return rec->id[i % QKD_KEY_ID_LEN] * 31 + i * 7 + 1;
}

void qkd_make_key(struct qkd_key_record *rec, uint32_t tag, uint32_t n,
		  uint32_t owner, uint32_t len)
{
	unsigned int i;

	memset(rec, 0, sizeof(*rec));
	memcpy(rec->id, &tag, 4);
	memcpy(rec->id + 4, &n, 4);
	memcpy(rec->id + 8, "qkdtest!", 8);
	rec->owner = owner;
	rec->material_len = len;
	for (i = 0; i < len; i++)
		rec->material[i] = mat_byte(rec, i);
}

/* The material matches the ID and the unused tail is zero. */
bool qkd_key_ok(const struct qkd_key_record *rec)
{
	unsigned int i;

	if (rec->material_len < QKD_KEY_MIN_LEN ||
	    rec->material_len > QKD_KEY_MAX_LEN)
		return false;
	for (i = 0; i < QKD_KEY_MAX_LEN; i++)
		if (rec->material[i] !=
		    (i < rec->material_len ? mat_byte(rec, i) : 0))
			return false;
	return true;
}

uint32_t qkd_key_n(const struct qkd_key_record *rec)
{
	uint32_t n;

	memcpy(&n, rec->id + 4, 4);
	return n;
}

/* Opens /dev/qkdpool and binds it to @name; -errno on failure. */
int qdev_open(const char *name, int flags)
{
	struct qkd_bind b = {};
	int fd, err;

	fd = open("/dev/qkdpool", O_RDWR | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	if (!name)
		return fd;
	snprintf((char *)b.name, sizeof(b.name), "%s", name);
	if (ioctl(fd, QKD_IOC_BIND, &b)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

long qkd_mem_used(void)
{
	FILE *f = fopen("/sys/module/qkdpool/parameters/mem_used", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
