// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * /dev/qkdpool: the fast path. A file is bound once to a stream of its
 * opener's namespace; read() takes keys, write() adds them, ioctls take by
 * ID and reserve. See include/uapi/linux/qkdpool.h.
 */

#include <net/net_namespace.h>
#include <linux/miscdevice.h>
#include <linux/capability.h>
#include <linux/nsproxy.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/fs.h>

#include "chardev.h"
#include "stream.h"
#include "take.h"
#include "resv.h"
#include "pool.h"
#include "key.h"

#define REC_SIZE sizeof(struct qkd_key_record)
/* Records taken per lock round; they live on the stack. */
#define READ_BATCH 8

/*
 * @net is the opener's namespace, held until bind; @stream is set once,
 * under @lock, and published with a release store so the lockless readers
 * in the data path see a fully bound file.
 */
struct qkd_file {
	struct mutex lock;	/* serializes binds */
	struct net *net;
	struct qkd_stream *stream;
};

static struct qkd_stream *file_stream(struct file *file)
{
	struct qkd_file *qf = file->private_data;

	/* Pairs with the release store in do_bind(). */
	return smp_load_acquire(&qf->stream);
}

/*
 * The one privilege check of the device (besides its mode): a file is a
 * capability of its opener, usable by whoever it is passed to, and it acts
 * in the opener's namespace only. Checking current's credentials again in
 * read()/write() would be wrong (a privileged task writing to a file it
 * was handed would lend its privilege) and would break daemons that open
 * the device and then drop privileges.
 */
static int qkd_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct qkd_file *qf;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	qf = kzalloc(sizeof(*qf), GFP_KERNEL_ACCOUNT);
	if (!qf)
		return -ENOMEM;
	mutex_init(&qf->lock);
	qf->net = get_net(net);
	file->private_data = qf;
	return stream_open(inode, file);
}

static int qkd_release(struct inode *inode, struct file *file)
{
	struct qkd_file *qf = file->private_data;

	if (qf->stream) {
		qkd_stream_release_owner(qf->stream, qf);
		qkd_stream_put(qf->stream);
	}
	if (qf->net)
		put_net(qf->net);
	kfree(qf);
	return 0;
}

static int do_bind(struct qkd_file *qf, const void __user *arg)
{
	struct qkd_stream *s;
	struct qkd_bind b;
	int ret = 0;

	if (copy_from_user(&b, arg, sizeof(b)))
		return -EFAULT;
	if (!qkd_stream_name_valid(b.name))
		return -EINVAL;
	mutex_lock(&qf->lock);
	if (qf->stream) {
		ret = -EBUSY;
		goto out_unlock;
	}
	s = qkd_pool_stream_get(qf->net, b.name);
	if (!s) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* Pairs with the acquire load in file_stream(). */
	smp_store_release(&qf->stream, s);
	/* The stream reference now keeps what the file needs. */
	put_net(qf->net);
	qf->net = NULL;
out_unlock:
	mutex_unlock(&qf->lock);
	return ret;
}

static int wait_readable(struct qkd_stream *s, struct file *file)
{
	if (file->f_flags & O_NONBLOCK)
		return -EAGAIN;
	return wait_event_interruptible(s->wq, qkd_stream_readable(s));
}

/*
 * Takes up to @n keys in one lock round and copies them out. Key material
 * is handed out here; the stack copies are wiped whatever happens.
 */
static ssize_t read_batch(struct qkd_stream *s, char __user *buf,
			  unsigned int n)
{
	struct qkd_key_record recs[READ_BATCH];
	int got;

	got = qkd_stream_take_next(s, recs, min_t(unsigned int, n,
						  READ_BATCH));
	if (got > 0 && copy_to_user(buf, recs, got * REC_SIZE))
		got = -EFAULT;
	memzero_explicit(recs, sizeof(recs));
	return got;
}

static ssize_t qkd_read(struct file *file, char __user *buf, size_t count,
			loff_t *pos)
{
	struct qkd_stream *s = file_stream(file);
	size_t n = count / REC_SIZE;
	size_t done = 0;
	ssize_t got;
	int ret;

	if (!s)
		return -EBADFD;
	if (!n)
		return -EINVAL;
	while (done < n) {
		got = read_batch(s, buf + done * REC_SIZE,
				 min_t(size_t, n - done, UINT_MAX));
		if (got > 0) {
			done += got;
			cond_resched();
			continue;
		}
		if (done)
			break;
		if (got != -EAGAIN)
			return got;
		ret = wait_readable(s, file);
		if (ret)
			return ret;
	}
	return done * REC_SIZE;
}

static struct qkd_key *record_to_key(const struct qkd_stream *s,
				     const struct qkd_key_record *rec)
{
	if (rec->flags)
		return ERR_PTR(-EINVAL);
	return qkd_key_alloc(s, rec->id, rec->material, rec->material_len,
			     rec->owner, rec->lifetime_ms);
}

static int write_one(struct qkd_stream *s, const char __user *buf)
{
	struct qkd_key_record rec;
	struct qkd_key *key;
	int ret;

	/* A copy that faults part-way leaves what it read in @rec. */
	if (copy_from_user(&rec, buf, REC_SIZE)) {
		memzero_explicit(&rec, sizeof(rec));
		return -EFAULT;
	}
	key = record_to_key(s, &rec);
	memzero_explicit(&rec, sizeof(rec));
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = qkd_stream_add(s, &key, 1);
	if (ret)
		qkd_key_free(s, key);
	return ret;
}

static ssize_t qkd_write(struct file *file, const char __user *buf,
			 size_t count, loff_t *pos)
{
	struct qkd_stream *s = file_stream(file);
	size_t n = count / REC_SIZE;
	size_t i;
	int ret;

	if (!s)
		return -EBADFD;
	if (!n || count % REC_SIZE)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = write_one(s, buf + i * REC_SIZE);
		if (ret)
			return i ? i * REC_SIZE : ret;
		if (i % 64 == 63)
			cond_resched();
	}
	return count;
}

static __poll_t qkd_poll(struct file *file, poll_table *wait)
{
	struct qkd_stream *s = file_stream(file);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	if (!s)
		return EPOLLERR;
	poll_wait(file, &s->wq, wait);
	if (READ_ONCE(s->dead))
		return mask | EPOLLERR | EPOLLHUP;
	if (READ_ONCE(s->nr_local))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

/* Hands out key material: take or reserve by ID, or reserve next. */
static long take_or_reserve_ioctl(struct qkd_stream *s, struct qkd_file *qf,
				  unsigned int cmd, void __user *arg)
{
	struct qkd_key_record rec;
	u8 id[QKD_KEY_ID_LEN];
	long ret;

	if (cmd != QKD_IOC_RESERVE_NEXT &&
	    copy_from_user(id, arg, QKD_KEY_ID_LEN))
		return -EFAULT;
	if (cmd == QKD_IOC_TAKE_ID)
		ret = qkd_stream_take_id(s, id, &rec);
	else if (cmd == QKD_IOC_RESERVE_ID)
		ret = qkd_stream_reserve(s, id, qf, 0, &rec, NULL);
	else
		ret = qkd_stream_reserve(s, NULL, qf, 0, &rec, NULL);
	if (ret)
		return ret;
	if (copy_to_user(arg, &rec, REC_SIZE)) {
		/*
		 * Part of the record may have reached user space: a reserved
		 * key is destroyed like a taken one, never released again.
		 */
		if (cmd != QKD_IOC_TAKE_ID)
			qkd_stream_commit(s, rec.id, qf);
		ret = -EFAULT;
	}
	memzero_explicit(&rec, sizeof(rec));
	return ret;
}

static long commit_or_release_ioctl(struct qkd_stream *s,
				    struct qkd_file *qf, unsigned int cmd,
				    void __user *arg)
{
	struct qkd_key_ref ref;

	if (copy_from_user(&ref, arg, sizeof(ref)))
		return -EFAULT;
	if (cmd == QKD_IOC_COMMIT)
		return qkd_stream_commit(s, ref.id, qf);
	return qkd_stream_release(s, ref.id, qf);
}

static long info_ioctl(struct qkd_stream *s, void __user *arg)
{
	struct qkd_stream_info info;

	if (READ_ONCE(s->dead))
		return -ENOENT;
	qkd_stream_info(s, &info);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long qkd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct qkd_file *qf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct qkd_stream *s;

	if (cmd == QKD_IOC_BIND)
		return do_bind(qf, uarg);
	s = file_stream(file);
	switch (cmd) {
	case QKD_IOC_TAKE_ID:
	case QKD_IOC_RESERVE_ID:
	case QKD_IOC_RESERVE_NEXT:
		return s ? take_or_reserve_ioctl(s, qf, cmd, uarg) : -EBADFD;
	case QKD_IOC_COMMIT:
	case QKD_IOC_RELEASE:
		return s ? commit_or_release_ioctl(s, qf, cmd, uarg) : -EBADFD;
	case QKD_IOC_STREAM_INFO:
		return s ? info_ioctl(s, uarg) : -EBADFD;
	}
	return -ENOTTY;
}

static const struct file_operations qkd_fops = {
	.owner = THIS_MODULE,
	.open = qkd_open,
	.release = qkd_release,
	.read = qkd_read,
	.write = qkd_write,
	.poll = qkd_poll,
	.unlocked_ioctl = qkd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice qkd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "qkdpool",
	.fops = &qkd_fops,
	.mode = 0600,
};

int __init qkd_chardev_init(void)
{
	return misc_register(&qkd_misc);
}

void qkd_chardev_uninit(void)
{
	misc_deregister(&qkd_misc);
}
