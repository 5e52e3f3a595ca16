// SPDX-License-Identifier: GPL-2.0
/*
 * The qkdpool tests' helpers: raw generic netlink for malformed requests,
 * libqkd with the tests' conventions, test keys and the device.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct qnl_raw *q = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
		q->family = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
			      family_attr_cb, data);
}

static int resolve_family(struct qnl_raw *q)
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

int qnl_raw_open(struct qnl_raw *q)
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

void qnl_raw_close(struct qnl_raw *q)
{
	if (q->sk)
		mnl_socket_close(q->sk);
	q->sk = NULL;
}

struct nlmsghdr *qnl_msg(struct qnl_raw *q, void *buf, uint8_t cmd,
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
static void get_extack(struct qnl_raw *q, const struct nlmsghdr *nlh)
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

static int check_msg(struct qnl_raw *q, const struct nlmsghdr *nlh, int *err)
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

int qnl_talk(struct qnl_raw *q, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
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

int qnl_stream_new(struct qkd_genl *g, const char *name, uint32_t max_keys,
		   uint32_t low_watermark, uint32_t lifetime_ms)
{
	struct qkd_stream_limits lim = {
		.max_keys = max_keys,
		.low_watermark = low_watermark,
		.lifetime_ms = lifetime_ms,
	};

	if (max_keys)
		lim.has |= QKD_LIMIT_MAX_KEYS;
	if (low_watermark)
		lim.has |= QKD_LIMIT_LOW_WATERMARK;
	if (lifetime_ms)
		lim.has |= QKD_LIMIT_LIFETIME;
	return qkd_genl_stream_new(g, name, &lim);
}

int qnl_key_add(struct qkd_genl *g, const char *name,
		const struct qkd_key_record *recs, unsigned int n)
{
	int err = 0, ret;

	ret = qkd_genl_key_add(g, name, recs, n, &err);
	if (ret < 0)
		return ret;
	return (unsigned int)ret == n ? 0 : err;
}

static void first_event(const struct qkd_event *ev, void *data)
{
	struct qkd_event *out = data;

	if (!out->cmd)
		*out = *ev;
}

int qnl_event(struct qkd_genl *g, int timeout_ms, struct qkd_event *ev)
{
	struct pollfd pfd = { .fd = qkd_genl_fd(g), .events = POLLIN };
	int ret;

	memset(ev, 0, sizeof(*ev));
	do {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		ret = qkd_genl_events_read(g, first_event, ev);
		if (ret < 0)
			return ret;
	} while (!ret);
	return 0;
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

#define PARAMS "/sys/module/qkdpool/parameters/"

int qkd_param_set(const char *name, const char *val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fputs(val, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

long qkd_param_get(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

long qkd_mem_used(void)
{
	return qkd_param_get("mem_used");
}

long qkd_mem_settled(void)
{
	long last = qkd_mem_used(), now;
	int i, same = 0;

	for (i = 0; i < 1000 && same < 10; i++) {
		usleep(10000);
		now = qkd_mem_used();
		same = now == last ? same + 1 : 0;
		last = now;
	}
	return last;
}

int qkd_userns_fill(int ready, int done, uint32_t tag)
{
	struct qkd_key_record *recs = calloc(256, sizeof(*recs));
	uint32_t n = 0, batch = 256, i;
	struct qkd_genl *q;
	char c = 0;
	int ret;

	if (setgid(65534) || setuid(65534))
		return 10;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return 42;
	if (!recs || qkd_genl_open(&q) || qnl_stream_new(q, "fill", 0, 0, 0))
		return 11;
	while (batch && done >= 0) {
		for (i = 0; i < batch; i++)
			qkd_make_key(&recs[i], tag, n + i, QKD_OWNER_LOCAL, 32);
		ret = qnl_key_add(q, "fill", recs, batch);
		if (ret && ret != -ENOSPC)
			return 12;
		if (ret)
			batch /= 2;
		else
			n += batch;
	}
	if (done < 0) {
		/* The second container: its first key must fit. */
		qkd_make_key(&recs[0], tag, 0, QKD_OWNER_LOCAL, 32);
		return qnl_key_add(q, "fill", recs, 1) ? 15 : 0;
	}
	if (write(ready, &c, 1) != 1 || read(done, &c, 1) != 1)
		return 13;
	return n ? 0 : 14;
}

void qnl_teardown(struct qkd_genl *g, const char *name, int fd)
{
	if (fd >= 0)
		close(fd);
	if (!g)
		return;
	qkd_genl_stream_del(g, name);
	qkd_genl_close(g);
}
