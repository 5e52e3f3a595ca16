// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of qkdpool's user API, run as root in a VM (pool_fuzz.sh):
 *
 *   pool_fuzz [-t SECONDS] [-j THREADS] [-s SEED] [-f] [-k FILE]
 *
 * Threads send random and mutated generic netlink messages to the family
 * (commands, flags, attribute types, lengths, nesting), well-formed
 * requests through libqkd, and ioctl()/read()/write() calls on
 * /dev/qkdpool with bad sizes, numbers and pointers, all on a few shared
 * stream names. Others fork children that create a network namespace,
 * fill it and take from it while its streams are deleted, then exit with
 * everything open; and children that drop to nobody in a new user
 * namespace and fuzz from there.
 *
 * Meanwhile the accounting threads add keys of known IDs to one stream
 * ("acct", which the random messages never name) and take, read, reserve,
 * commit, release and flush them. At the end, every key added is taken,
 * flushed or still present, exactly once: no key lost, none handed out
 * twice, every record intact. With -f only the accounting threads and one
 * thread of namespace children in four run, and each marks itself for
 * fault injection (/proc/thread-self/make-it-fail, which the children
 * inherit): the caller sets up failslab or fail_page_alloc, so that the
 * module's allocations fail under add, take and reserve, and while the
 * children's files, sockets and namespaces go at their exit; the
 * invariants must hold all the same.
 *
 * With -k, the namespace children also add keys of secret material
 * (kcore.h) to a stream no one takes from, then delete or flush it, let
 * the keys expire or leave them to the namespace's exit; FILE gets the
 * masked secrets, for a scan of RAM once the namespaces are gone
 * (kcore_keys count FILE): every copy must have been wiped.
 *
 * Prints the operations done ("# ops ...") and exits 0 if the invariants
 * hold. Kernel reports are the caller's to find in dmesg.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kcore.h"
#include "qkdnl.h"

#define NAMES		6		/* "fz0".."fz5" */
#define ACCT		"acct"
#define ACCT_MAX	(1U << 20)	/* key numbers of the acct stream */
#define MSG_MAX		8192
#define THREADS_MAX	16
#define SECRETS		16
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum { RANDOM_NL, VALID_NL, DEVICE, ACCOUNT, NETNS, USERNS, __KINDS };

static const char *const kind_names[__KINDS] = {
	"random-genl", "valid-genl", "device", "account", "netns", "userns",
};

/* Shared with forked children, which count into it too. */
struct shared {
	unsigned long ops[__KINDS];
	unsigned long userns_refused;
	unsigned long secrets_added, secrets_refused;
};

static struct shared *sh;
static int stop;
static uint32_t tag;
static uint16_t family;
static struct secret secrets[SECRETS];
static bool use_secrets;

/* The acct stream: what was added, and what came back of each key. */
static struct {
	uint32_t next_n;
	uint8_t *seen;
	unsigned long added, taken, flushed;
	unsigned long twice, corrupt;
} book;

struct thr {
	uint64_t rnd;
	int kind;
	bool fail;		/* -f: mark this thread for fault injection */
};

#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

static uint64_t rnd64(struct thr *t)
{
	/* xorshift64*: reproducible from the seed, cheap, no locks. */
	t->rnd ^= t->rnd >> 12;
	t->rnd ^= t->rnd << 25;
	t->rnd ^= t->rnd >> 27;
	return t->rnd * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd(struct thr *t, uint32_t n)
{
	return n ? rnd64(t) % n : 0;
}

static bool chance(struct thr *t, uint32_t one_in)
{
	return !rnd(t, one_in);
}

static void rnd_bytes(struct thr *t, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = rnd64(t);
}

static const char *fz_name(struct thr *t)
{
	static const char *const names[NAMES] = {
		"fz0", "fz1", "fz2", "fz3", "fz4", "fz5",
	};

	return names[rnd(t, NAMES)];
}

/* Values near the edges of what the module checks. */
static uint32_t edgy_u32(struct thr *t)
{
	static const uint32_t v[] = {
		0, 1, 2, 15, 16, 17, 63, 64, 65, 1024, 1025, 65536,
		QKD_STREAM_KEYS_LIMIT, QKD_STREAM_KEYS_LIMIT + 1,
		QKD_RESV_TIMEOUT_MAX, QKD_RESV_TIMEOUT_MAX + 1, 0x7fffffff,
		0x80000000, 0xffffffff,
	};

	return chance(t, 4) ? (uint32_t)rnd64(t) : v[rnd(t, ARRAY_SIZE(v))];
}

/* ---- random generic netlink messages ---- */

static struct nlattr *put_attr(char *buf, size_t *off, uint16_t type,
			       const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	if (*off + NLA_HDRLEN + NLA_ALIGN(len) > MSG_MAX)
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	memset(buf + *off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	*off += NLA_HDRLEN + NLA_ALIGN(len);
	return a;
}

static void put_payload(struct thr *t, char *buf, size_t *off, uint16_t type)
{
	uint8_t data[96];
	uint32_t v32;
	uint64_t v64;
	size_t len;

	switch (rnd(t, 6)) {
	case 0: {
		const char *name = fz_name(t);

		put_attr(buf, off, type, name, strlen(name) + !chance(t, 8));
		break;
	}
	case 1:
		v32 = edgy_u32(t);
		put_attr(buf, off, type, &v32, 4);
		break;
	case 2:
		v64 = rnd64(t);
		put_attr(buf, off, type, &v64, chance(t, 2) ? 8 : 1 + rnd(t, 8));
		break;
	case 3:
		put_attr(buf, off, type, NULL, 0);
		break;
	default:
		len = rnd(t, sizeof(data) + 1);
		rnd_bytes(t, data, len);
		put_attr(buf, off, type, data, len);
		break;
	}
}

/* A QKD_A_KEYS nest of entries, each a nest of random key attributes. */
static void put_keys(struct thr *t, char *buf, size_t *off)
{
	struct nlattr *keys, *key;
	size_t start = *off, kstart;
	uint8_t data[QKD_KEY_MAX_LEN + 16];
	int n = rnd(t, 5), i, j;

	keys = put_attr(buf, off, QKD_A_KEYS | (chance(t, 8) ? 0 : NLA_F_NESTED),
			NULL, 0);
	if (!keys)
		return;
	for (i = 0; i < n; i++) {
		kstart = *off;
		key = put_attr(buf, off, rnd(t, 4) | NLA_F_NESTED, NULL, 0);
		if (!key)
			break;
		for (j = rnd(t, 6); j > 0; j--) {
			uint16_t type = rnd(t, QKD_KEY_A_MAX + 2);
			size_t len;

			switch (type) {
			case QKD_KEY_A_ID:
				len = chance(t, 4) ? rnd(t, 24) : QKD_KEY_ID_LEN;
				break;
			case QKD_KEY_A_MATERIAL:
				len = chance(t, 4) ? rnd(t, sizeof(data)) :
				      QKD_KEY_MIN_LEN + rnd(t, 49);
				break;
			case QKD_KEY_A_OWNER:
				len = chance(t, 4) ? rnd(t, 8) : 1;
				break;
			default:
				len = rnd(t, 9);
				break;
			}
			rnd_bytes(t, data, len);
			if (type == QKD_KEY_A_OWNER && len && !chance(t, 4))
				data[0] = 1 + rnd(t, 2);
			put_attr(buf, off, type, data, len);
		}
		key->nla_len = *off - kstart;
	}
	keys->nla_len = *off - start;
}

static size_t random_msg(struct thr *t, char *buf, uint32_t seq)
{
	static const uint16_t flag_bits[] = {
		NLM_F_ACK, NLM_F_DUMP, NLM_F_ECHO, NLM_F_EXCL, NLM_F_CREATE,
		NLM_F_REPLACE, NLM_F_APPEND, NLM_F_MULTI, NLM_F_ATOMIC,
	};
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh;
	size_t off;
	int i, n;

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = chance(t, 32) ? rnd(t, 0x30) : family;
	/* An ACK ends each exchange, so drain() need not wait it out. */
	nlh->nlmsg_flags = NLM_F_REQUEST | (chance(t, 16) ? 0 : NLM_F_ACK);
	for (i = rnd(t, 3); i > 0; i--)
		nlh->nlmsg_flags |= flag_bits[rnd(t, ARRAY_SIZE(flag_bits))];
	if (chance(t, 16))
		nlh->nlmsg_flags = rnd64(t);
	nlh->nlmsg_seq = seq;
	gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	gh->cmd = chance(t, 16) ? rnd64(t) : rnd(t, __QKD_CMD_MAX + 2);
	gh->version = chance(t, 16) ? rnd64(t) : QKD_GENL_VERSION;
	off = NLMSG_HDRLEN + GENL_HDRLEN;
	for (n = rnd(t, 7); n > 0; n--) {
		uint16_t type = rnd(t, QKD_A_MAX + 3);

		if (type == QKD_A_KEYS && !chance(t, 4))
			put_keys(t, buf, &off);
		else
			put_payload(t, buf, &off,
				    type | (chance(t, 16) ? NLA_F_NESTED : 0));
	}
	nlh->nlmsg_len = off;
	/* Mutations below the netlink header: lengths and bytes. */
	if (chance(t, 4))
		for (i = 1 + rnd(t, 4); i > 0; i--)
			buf[NLMSG_HDRLEN + rnd(t, off - NLMSG_HDRLEN)] = rnd64(t);
	if (chance(t, 16))
		nlh->nlmsg_len = chance(t, 2) ? rnd(t, off + 1) : off + rnd(t, 64);
	return off;
}

/* Read what answers seq (replies, dump parts), briefly; ignore the rest. */
static void drain(int fd, uint32_t seq)
{
	static __thread char rbuf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	while (poll(&pfd, 1, 10) > 0) {
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0)
			return;
		len = n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			if (nlh->nlmsg_seq == seq &&
			    (nlh->nlmsg_type == NLMSG_ERROR ||
			     nlh->nlmsg_type == NLMSG_DONE))
				return;
	}
}

static int genl_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void op_random_nl(struct thr *t, int fd)
{
	static __thread char buf[MSG_MAX];
	static __thread uint32_t seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t len;

	len = random_msg(t, buf, ++seq);
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&kernel,
		   sizeof(kernel)) >= 0)
		drain(fd, seq);
}

/* ---- well-formed requests through libqkd ---- */

static void op_valid_nl(struct thr *t, struct qkd_genl *g)
{
	struct qkd_stream_limits lim = { 0 };
	struct qkd_key_record recs[8];
	struct qkd_stream_stats st, *all;
	const char *name = fz_name(t);
	uint32_t i, n;
	size_t cnt;

	switch (rnd(t, 10)) {
	case 0:
		lim.has = rnd(t, 8);
		lim.max_keys = 1 + rnd(t, 64);
		lim.low_watermark = rnd(t, 8);
		lim.lifetime_ms = chance(t, 2) ? 0 : 1 + rnd(t, 2000);
		qkd_genl_stream_new(g, name, &lim);
		break;
	case 1:
		qkd_genl_stream_del(g, name);
		break;
	case 2:
		lim.has = 1 + rnd(t, 7);
		lim.max_keys = edgy_u32(t);
		lim.low_watermark = edgy_u32(t);
		lim.lifetime_ms = rnd(t, 3000);
		qkd_genl_stream_set(g, name, &lim);
		break;
	case 3:
		if (qkd_genl_stream_dump(g, &all, &cnt) == 0)
			free(all);
		qkd_genl_stream_get(g, name, &st);
		break;
	case 4:
	case 5:
		n = 1 + rnd(t, 8);
		for (i = 0; i < n; i++) {
			qkd_make_key(&recs[i], tag + 1, rnd(t, 1 << 16),
				     1 + rnd(t, 2), 16 + rnd(t, 49));
			recs[i].lifetime_ms = chance(t, 2) ? 0 : rnd(t, 1000);
		}
		qkd_genl_key_add(g, name, recs, n, NULL);
		break;
	case 6:
		qkd_genl_key_take(g, name, chance(t, 2) ? NULL : recs[0].id,
				  &recs[0]);
		break;
	case 7:
		if (!qkd_genl_key_reserve(g, name, NULL, 1 + rnd(t, 200),
					  &recs[0], NULL)) {
			if (chance(t, 3))
				qkd_genl_key_commit(g, name, recs[0].id);
			else if (chance(t, 2))
				qkd_genl_key_release(g, name, recs[0].id);
		}
		break;
	case 8:
		qkd_genl_key_flush(g, name, rnd(t, 4));
		break;
	default:
		rnd_bytes(t, recs[0].id, QKD_KEY_ID_LEN);
		if (chance(t, 2))
			qkd_genl_key_commit(g, name, recs[0].id);
		else
			qkd_genl_key_release(g, name, recs[0].id);
		break;
	}
	explicit_bzero(recs, sizeof(recs));
}

/* ---- the character device ---- */

/* A page followed by an unmapped one: a buffer can run off its end. */
static char *guard;
static long page;

static void *bad_pointer(struct thr *t, void *good, size_t size)
{
	switch (rnd(t, 8)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffffffff81000000UL;	/* kernel text */
	case 3:
		return guard + page - rnd(t, size + 1);
	case 4:
		return guard + page;
	default:
		return good;
	}
}

static void op_device(struct thr *t, int *fd)
{
	static const unsigned long cmds[] = {
		QKD_IOC_BIND, QKD_IOC_TAKE_ID, QKD_IOC_RESERVE_NEXT,
		QKD_IOC_RESERVE_ID, QKD_IOC_COMMIT, QKD_IOC_RELEASE,
		QKD_IOC_STREAM_INFO,
	};
	union {
		struct qkd_bind bind;
		struct qkd_key_record rec[4];
		struct qkd_stream_info info;
	} u;
	unsigned long cmd;
	size_t len;
	void *p;

	if (*fd < 0 || chance(t, 64)) {
		if (*fd >= 0)
			close(*fd);
		*fd = open("/dev/qkdpool",
			   O_RDWR | O_CLOEXEC | (chance(t, 2) ? O_NONBLOCK : 0));
		if (*fd < 0)
			return;
	}
	switch (rnd(t, 4)) {
	case 0:
		memset(&u.bind, 0, sizeof(u.bind));
		if (chance(t, 8))
			memset(u.bind.name, 'x', sizeof(u.bind.name));
		else
			strcpy((char *)u.bind.name, fz_name(t));
		ioctl(*fd, QKD_IOC_BIND, bad_pointer(t, &u, sizeof(u.bind)));
		break;
	case 1:
		cmd = cmds[rnd(t, ARRAY_SIZE(cmds))];
		if (chance(t, 4))	/* another size, direction or number */
			cmd = _IOC(rnd(t, 4), QKD_IOC_MAGIC, rnd(t, 10),
				   rnd(t, 2 * sizeof(u)));
		if (chance(t, 32))
			cmd = rnd64(t);
		rnd_bytes(t, &u, sizeof(u));
		ioctl(*fd, cmd, bad_pointer(t, &u, _IOC_SIZE(cmd)));
		break;
	case 2:
		len = chance(t, 2) ? (1 + rnd(t, 4)) * sizeof(u.rec[0]) :
		      rnd(t, sizeof(u) + 1);
		p = bad_pointer(t, &u, len);
		if (read(*fd, p, len) > 0)
			explicit_bzero(&u, sizeof(u));
		break;
	default:
		len = chance(t, 2) ? (1 + rnd(t, 4)) * sizeof(u.rec[0]) :
		      rnd(t, sizeof(u) + 1);
		rnd_bytes(t, &u, sizeof(u));
		if (chance(t, 2)) {
			qkd_make_key(&u.rec[0], tag + 1, rnd(t, 1 << 16),
				     1 + rnd(t, 2), 16 + rnd(t, 49));
			u.rec[0].lifetime_ms = rnd(t, 500);
		}
		p = bad_pointer(t, &u, len);
		if (write(*fd, p, len) < 0 && errno == EBADFD && chance(t, 2)) {
			memset(&u.bind, 0, sizeof(u.bind));
			strcpy((char *)u.bind.name, fz_name(t));
			ioctl(*fd, QKD_IOC_BIND, &u.bind);
		}
		break;
	}
}

/* ---- the accounting stream ---- */

static void mark(const struct qkd_key_record *rec)
{
	uint32_t n = qkd_key_n(rec);

	if (!qkd_key_ok(rec) || n >= __atomic_load_n(&book.next_n,
						      __ATOMIC_ACQUIRE)) {
		ADD(book.corrupt, 1);
		return;
	}
	if (__atomic_fetch_add(&book.seen[n], 1, __ATOMIC_RELAXED))
		ADD(book.twice, 1);
	ADD(book.taken, 1);
}

/*
 * Through the device or netlink. Under fault injection only the device: a
 * netlink ACK that cannot be allocated makes a done add look failed.
 */
static void acct_add(struct thr *t, struct qkd_genl *g, int fd)
{
	struct qkd_key_record recs[16];
	uint32_t n = 1 + rnd(t, 16), first, i;
	ssize_t ret;

	first = __atomic_fetch_add(&book.next_n, n, __ATOMIC_ACQ_REL);
	if (first + n > ACCT_MAX)
		return;
	for (i = 0; i < n; i++)
		qkd_make_key(&recs[i], tag, first + i, QKD_OWNER_LOCAL,
			     16 + rnd(t, 49));
	if (t->fail || chance(t, 2)) {
		ret = write(fd, recs, n * sizeof(recs[0]));
		if (ret > 0)
			ADD(book.added, ret / sizeof(recs[0]));
	} else {
		ret = qkd_genl_key_add(g, ACCT, recs, n, NULL);
		if (ret > 0)
			ADD(book.added, ret);
	}
	explicit_bzero(recs, sizeof(recs));
}

static void op_account(struct thr *t, struct qkd_genl *g, int fd)
{
	struct qkd_key_record recs[4];
	struct qkd_key_ref ref;
	ssize_t got;
	int i, ret;

	switch (rnd(t, 8)) {
	case 0:
	case 1:
		acct_add(t, g, fd);
		break;
	case 2:
		/* A take whose ACK fails looks undone: under -f, a read. */
		if (t->fail) {
			if (read(fd, recs, sizeof(recs[0])) == sizeof(recs[0]))
				mark(&recs[0]);
		} else if (!qkd_genl_key_take(g, ACCT, NULL, &recs[0])) {
			mark(&recs[0]);
		}
		break;
	case 3:
		got = read(fd, recs, (1 + rnd(t, 4)) * sizeof(recs[0]));
		for (i = 0; i < got / (ssize_t)sizeof(recs[0]); i++)
			mark(&recs[i]);
		break;
	case 4:
		/* A short timeout: commit may find the key already back. */
		if (qkd_genl_key_reserve(g, ACCT, NULL, 1 + rnd(t, 20),
					 &recs[0], NULL))
			break;
		/* A commit whose ACK fails would look undone: not under -f. */
		if (!t->fail && chance(t, 2) &&
		    !qkd_genl_key_commit(g, ACCT, recs[0].id))
			mark(&recs[0]);
		else
			qkd_genl_key_release(g, ACCT, recs[0].id);
		break;
	case 5:
		if (ioctl(fd, QKD_IOC_RESERVE_NEXT, &recs[0]))
			break;
		memcpy(ref.id, recs[0].id, sizeof(ref.id));
		if (chance(t, 2) && !ioctl(fd, QKD_IOC_COMMIT, &ref))
			mark(&recs[0]);
		else
			ioctl(fd, QKD_IOC_RELEASE, &ref);
		break;
	case 6:
		if (!t->fail && chance(t, 512)) {
			ret = qkd_genl_key_flush(g, ACCT, 0);
			if (ret > 0)
				ADD(book.flushed, ret);
		}
		break;
	default:
		ioctl(fd, QKD_IOC_STREAM_INFO, bad_pointer(t, &recs[0],
			sizeof(struct qkd_stream_info)));
		break;
	}
	explicit_bzero(recs, sizeof(recs));
}

/* ---- children in namespaces of their own ---- */

static void mark_for_faults(void);

struct ns_taker {
	struct thr t;
	int stop;
};

static void *ns_take(void *arg)
{
	struct ns_taker *nt = arg;
	struct qkd_key_record rec;
	struct qkd_genl *g;
	int fd = -1;

	if (qkd_genl_open(&g))
		return NULL;
	while (!__atomic_load_n(&nt->stop, __ATOMIC_RELAXED)) {
		if (chance(&nt->t, 2))
			qkd_genl_key_take(g, "fz0", NULL, &rec);
		else
			op_device(&nt->t, &fd);
		ADD(sh->ops[NETNS], 1);
	}
	explicit_bzero(&rec, sizeof(rec));
	/* fd and g stay open: the namespace goes with them held. */
	return NULL;
}

/*
 * Secret keys into the "sec" stream of the child's namespace, which no one
 * reads: whatever becomes of them there, the kernel must wipe them. Each
 * is added alone through the device, so a refused add is a refused key.
 */
static void add_secrets(struct thr *t, struct qkd_genl *g, int round)
{
	int fd, i, n = 1 + rnd(t, 4);

	/* Some with a lifetime short enough to see them expire. */
	qnl_stream_new(g, "sec", 0, 0, chance(t, 4) ? 1 + rnd(t, 50) : 0);
	fd = qdev_open("sec", 0);
	if (fd < 0)
		return;
	for (i = 0; i < n; i++) {
		if (secret_add(fd, &secrets[rnd(t, SECRETS)], tag + 3,
			       round * 8 + i))
			ADD(sh->secrets_refused, 1);
		else
			ADD(sh->secrets_added, 1);
	}
	close(fd);
	switch (rnd(t, 4)) {
	case 0:
		qkd_genl_key_flush(g, "sec", 0);
		break;
	case 1:
		qkd_genl_stream_del(g, "sec");
		break;
	default:	/* left to expire or to the namespace's exit */
		break;
	}
}

/*
 * A child in a new netns: two threads take while this one deletes and
 * re-creates the stream and adds keys; then it exits with all of it open,
 * a reservation included, so the namespace's exit frees what is left.
 */
static void netns_child(struct thr *t)
{
	struct ns_taker nt[2];
	struct qkd_key_record recs[32];
	struct qkd_genl *g;
	pthread_t th[2];
	int i, round;

	if (unshare(CLONE_NEWNET) || qkd_genl_open(&g))
		_exit(1);
	/*
	 * Only now: a fork or unshare, hundreds of allocations, would
	 * hardly ever get through faults injected at one in twenty.
	 */
	if (t->fail)
		mark_for_faults();
	for (i = 0; i < 2; i++) {
		nt[i].t.rnd = rnd64(t) | 1;
		nt[i].stop = 0;
		pthread_create(&th[i], NULL, ns_take, &nt[i]);
	}
	for (round = 0; round < 8; round++) {
		qnl_stream_new(g, "fz0", 0, 1, rnd(t, 2) ? 0 : 50);
		for (i = 0; i < 32; i++)
			qkd_make_key(&recs[i], tag + 2, round * 32 + i,
				     QKD_OWNER_LOCAL, 32);
		qkd_genl_key_add(g, "fz0", recs, 32, NULL);
		qkd_genl_key_reserve(g, "fz0", NULL, 5000, &recs[0], NULL);
		if (rnd(t, 2))
			qkd_genl_stream_del(g, "fz0");
		if (use_secrets)
			add_secrets(t, g, round);
		ADD(sh->ops[NETNS], 4);
	}
	explicit_bzero(recs, sizeof(recs));
	if (rnd(t, 2))
		for (i = 0; i < 2; i++)
			__atomic_store_n(&nt[i].stop, 1, __ATOMIC_RELAXED);
	_exit(0);
}

/* As nobody in a new user and network namespace: the same fuzzing. */
static void userns_child(struct thr *t)
{
	struct qkd_genl *g = NULL;
	int fd, dev = -1, i;

	if (setgid(65534) || setuid(65534))
		_exit(1);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		ADD(sh->userns_refused, 1);
		_exit(0);
	}
	fd = genl_socket();
	qkd_genl_open(&g);
	for (i = 0; i < 300; i++) {
		switch (rnd(t, 3)) {
		case 0:
			if (fd >= 0)
				op_random_nl(t, fd);
			break;
		case 1:
			if (g)
				op_valid_nl(t, g);
			break;
		default:
			op_device(t, &dev);	/* 0600 root: refused */
			break;
		}
		ADD(sh->ops[USERNS], 1);
	}
	_exit(0);
}

static void fork_child(struct thr *t, void (*fn)(struct thr *t))
{
	pid_t pid = fork();

	if (pid == 0) {
		t->rnd ^= getpid();
		fn(t);
	}
	/* Interrupted at the end of the run: the child may be blocked. */
	if (pid > 0 && waitpid(pid, NULL, 0) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* ---- threads ---- */

static void mark_for_faults(void)
{
	int fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1", 1) != 1) {
		fprintf(stderr, "pool_fuzz: cannot set make-it-fail: %m\n");
		exit(1);
	}
	close(fd);
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	struct qkd_genl *g = NULL;
	int nl = genl_socket(), dev = -1, acct_fd;
	unsigned long n = 0;

	if (qkd_genl_open(&g) || nl < 0)
		abort();
	acct_fd = qdev_open(ACCT, O_NONBLOCK);
	if (acct_fd < 0)
		abort();
	/* Namespace children mark themselves. */
	if (t->fail && t->kind != NETNS)
		mark_for_faults();
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		switch (t->kind) {
		case RANDOM_NL:
			op_random_nl(t, nl);
			break;
		case VALID_NL:
			op_valid_nl(t, g);
			break;
		case DEVICE:
			op_device(t, &dev);
			break;
		case ACCOUNT:
			op_account(t, g, acct_fd);
			break;
		case NETNS:
			fork_child(t, netns_child);
			continue;
		case USERNS:
			fork_child(t, userns_child);
			continue;
		}
		if (++n % 64 == 0) {
			ADD(sh->ops[t->kind], 64);
			n = 0;
		}
	}
	ADD(sh->ops[t->kind], n);
	if (dev >= 0)
		close(dev);
	close(acct_fd);
	close(nl);
	qkd_genl_close(g);
	return NULL;
}

/* Fresh secrets, masked into @path for the scan after this run. */
static int write_secrets(const char *path)
{
	FILE *f;
	int i;

	for (i = 0; i < SECRETS; i++)
		secret_init(&secrets[i]);
	f = fopen(path, "w");
	if (!f || fwrite(secrets, sizeof(secrets), 1, f) != 1 || fclose(f)) {
		perror(path);
		return -1;
	}
	use_secrets = true;
	return 0;
}

static void wake(int sig)
{
	(void)sig;
}

/* Everything added is taken, flushed or present; nothing twice. */
static int check_account(struct qkd_genl *g)
{
	struct qkd_stream_stats st;
	unsigned long present;
	int ret;

	ret = qkd_genl_stream_get(g, ACCT, &st);
	if (ret) {
		printf("# acct stream gone: %s\n", strerror(-ret));
		return 1;
	}
	present = st.avail_local + st.avail_peer + st.reserved;
	printf("# acct: %lu added, %lu taken, %lu flushed, %lu present (%u reserved)\n",
	       book.added, book.taken, book.flushed, present, st.reserved);
	if (book.twice || book.corrupt) {
		printf("# acct: %lu keys handed out twice, %lu corrupt\n",
		       book.twice, book.corrupt);
		return 1;
	}
	if (st.reserved || book.added != book.taken + book.flushed + present) {
		printf("# acct: keys lost or made up\n");
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct qkd_stream_limits lim = { .has = QKD_LIMIT_MAX_KEYS,
					 .max_keys = QKD_STREAM_KEYS_LIMIT };
	static const int mix[] = { RANDOM_NL, ACCOUNT, DEVICE, VALID_NL,
				   RANDOM_NL, NETNS, USERNS, ACCOUNT };
	struct thr thr[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	int seconds = 60, threads = 8, faults = 0, c, i, ret;
	uint64_t seed = time(NULL);
	struct qkd_genl *g;
	struct sigaction sa = { 0 };
	struct qnl_raw q;
	unsigned long total = 0;
	const char *secrets_file = NULL;

	while ((c = getopt(argc, argv, "t:j:s:fk:")) != -1) {
		switch (c) {
		case 't':
			seconds = atoi(optarg);
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			faults = 1;
			break;
		case 'k':
			secrets_file = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-j THREADS] [-s SEED] [-f] [-k FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (threads < 1 || threads > THREADS_MAX)
		threads = THREADS_MAX;
	sa.sa_handler = wake;
	sigaction(SIGUSR1, &sa, NULL);
	printf("# pool_fuzz: seed %llu, %d threads, %d s%s\n",
	       (unsigned long long)seed, threads, seconds,
	       faults ? ", fault injection" : "");
	fflush(stdout);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	book.seen = calloc(ACCT_MAX, 1);
	if (sh == MAP_FAILED || !book.seen)
		return 1;
	ret = qkd_genl_open(&g);
	if (ret) {
		printf("# no qkdpool family: %s\n", strerror(-ret));
		return 1;
	}
	if (qnl_raw_open(&q))
		return 1;
	family = q.family;
	qnl_raw_close(&q);
	page = sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED || munmap(guard + page, page))
		return 1;
	tag = seed * 4;
	if (secrets_file && write_secrets(secrets_file))
		return 1;
	qkd_genl_stream_del(g, ACCT);
	ret = qkd_genl_stream_new(g, ACCT, &lim);
	if (ret) {
		printf("# cannot create the acct stream: %s\n", strerror(-ret));
		return 1;
	}
	/*
	 * A marked thread's page fault on a file not yet read (this program
	 * and its libraries come over 9p in the VM) fails with SIGBUS when
	 * failslab hits the read: fault in and lock all of it first.
	 */
	if (faults && mlockall(MCL_CURRENT | MCL_FUTURE)) {
		perror("pool_fuzz: mlockall");
		return 1;
	}
	for (i = 0; i < threads; i++) {
		thr[i].rnd = (seed + 1) * 0x9e3779b97f4a7c15ULL + i;
		thr[i].kind = faults ? (i % 4 == 3 ? NETNS : ACCOUNT) : mix[i % 8];
		thr[i].fail = faults;
		pthread_create(&th[i], NULL, worker, &thr[i]);
	}
	sleep(seconds);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	/*
	 * A read() of a blocking file waits for a key that may never come: a
	 * signal without SA_RESTART ends it, until every worker is back.
	 */
	for (i = 0; i < threads; i++) {
		struct timespec ts;

		do {
			pthread_kill(th[i], SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000 * 1000 * 1000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000 * 1000 * 1000;
			}
		} while (pthread_timedjoin_np(th[i], NULL, &ts) == ETIMEDOUT);
	}
	/* Reservations left to their timeout (at most 200 ms) come back. */
	usleep(500 * 1000);
	for (i = 0; i < __KINDS; i++) {
		printf("# %s: %lu ops\n", kind_names[i], sh->ops[i]);
		total += sh->ops[i];
	}
	if (sh->userns_refused)
		printf("# userns: %lu children could not unshare (unprivileged user namespaces off?)\n",
		       sh->userns_refused);
	printf("# ops %lu\n", total);
	if (use_secrets)
		printf("# secret keys: %lu added, %lu refused\n",
		       sh->secrets_added, sh->secrets_refused);
	ret = check_account(g);
	for (i = 0; i < NAMES; i++) {
		char name[8];

		snprintf(name, sizeof(name), "fz%d", i);
		qkd_genl_stream_del(g, name);
	}
	qkd_genl_stream_del(g, ACCT);
	qkd_genl_close(g);
	free(book.seen);
	return ret;
}
