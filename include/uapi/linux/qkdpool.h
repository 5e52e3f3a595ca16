/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * qkdpool: a per-network-namespace pool of quantum-key-distribution keys
 * (KSA-keys) for IPsec, MACsec and other consumers.
 *
 * Concepts
 * --------
 *
 * Each network namespace has one pool. A pool holds named streams; a stream
 * is the sequence of keys this node shares with one peer. A key is:
 *
 *   - an ID of exactly QKD_KEY_ID_LEN (16) bytes (a UUID as ETSI 014 uses),
 *     unique within its stream;
 *   - material of QKD_KEY_MIN_LEN..QKD_KEY_MAX_LEN (16..64) bytes;
 *   - an expiry (lifetime in milliseconds from the time it was added);
 *   - an owner, QKD_OWNER_LOCAL or QKD_OWNER_PEER.
 *
 * The key manager adds each key with mirrored ownership on both ends, so the
 * two ends never both use one key on their own initiative:
 *
 *   - "take next" returns and removes the oldest unexpired LOCAL-owned key;
 *   - "take by ID" returns and removes the key with that ID only if it is
 *     PEER-owned. Asking for a local-owned ID fails with -EACCES and changes
 *     nothing.
 *
 * Every key is handed out at most once. A take may be tentative: "reserve"
 * hides the key from every other taker and returns its material; "commit"
 * then destroys it and "release" puts it back (a released local-owned key
 * goes to the head of the take-next order). Release is a promise that the
 * material was not used: a released key is handed out again. A reservation made through a
 * file of /dev/qkdpool belongs to that file and is released when the file is
 * closed; one made through netlink is released automatically after its
 * timeout (QKD_A_TIMEOUT, default: module parameter resv_timeout_ms, 30 s)
 * so that a crashed holder cannot strand keys.
 *
 * Key material is zeroized whenever a key leaves the pool: on take (after
 * the copy to the caller), commit, expiry, flush, stream delete, netns exit
 * and module unload. Key material appears only in the replies of take and
 * reserve operations (and in the requests of key add); never in stream
 * get/dump replies, events, tracepoints or kernel logs.
 *
 * Names and bounds
 * ----------------
 *
 *   stream name: 1..QKD_STREAM_NAME_MAX-1 (63) printable ASCII characters
 *                (0x21..0x7e, no spaces), NUL-terminated on the wire;
 *   key ID:      exactly QKD_KEY_ID_LEN (16) bytes;
 *   material:    QKD_KEY_MIN_LEN..QKD_KEY_MAX_LEN (16..64) bytes;
 *   max keys:    1..QKD_STREAM_KEYS_LIMIT per stream (default
 *                QKD_STREAM_KEYS_DEFAULT); reserved keys count;
 *   lifetimes:   milliseconds, u32. For a stream, the default lifetime of
 *                its keys; 0 means keys do not expire. For a key, 0 means
 *                "the stream's default".
 *
 * Memory for keys and streams is charged to the adding task's memory
 * cgroup and bounded globally by the module parameter mem_max (bytes); the
 * module parameter mem_used (read-only) reports the current kernel memory
 * held by keys and streams (a stream costs about 1.5 KiB besides its
 * keys). A namespace holds at most max_streams streams (module parameter,
 * default 4096). A namespace owned by a user namespace other than the
 * initial one (which unprivileged users can create, becoming CAP_NET_ADMIN
 * there) is also bounded on its own by mem_max_userns (default 16 MiB), so
 * that containers cannot starve each other, and all such namespaces
 * together by mem_max_userns_total (default 128 MiB), so that they cannot
 * exhaust mem_max for the host's namespaces.
 *
 * Generic netlink
 * ---------------
 *
 * Family QKD_GENL_NAME ("qkdpool"), version QKD_GENL_VERSION, multicast
 * group QKD_GENL_MCGRP_EVENTS ("events"). All requests are strictly
 * validated: unknown attributes, attributes the command does not take,
 * missing required attributes and unknown flag bits give -EINVAL; lengths
 * and values outside the ranges stated below give -ERANGE. Each rejection
 * carries an extended ACK message (and the offending or missing attribute),
 * and a rejected request changes nothing. All operations act on the pool
 * of the sender's network namespace.
 *
 * Privilege: every command, QKD_CMD_STREAM_GET (do and dump) included,
 * requires CAP_NET_ADMIN in the user namespace owning the network
 * namespace, else -EPERM; so does joining the "events" group (-EPERM from
 * bind or NETLINK_ADD_MEMBERSHIP). An unprivileged task learns nothing of
 * the pool: stream names tell the peers, and key counts, counters and
 * events, read over time, tell when and how often the consumers rekey,
 * hence how much traffic they carry (as xfrm and MACsec keep SA state and
 * their monitors to CAP_NET_ADMIN).
 *
 * QKD_CMD_STREAM_NEW: create a stream.
 *   QKD_A_STREAM_NAME:          NLA_NUL_STRING, required
 *   QKD_A_STREAM_MAX_KEYS:      NLA_U32, optional (1..QKD_STREAM_KEYS_LIMIT)
 *   QKD_A_STREAM_LOW_WATERMARK: NLA_U32, optional (0 = no event, default)
 *   QKD_A_STREAM_LIFETIME:      NLA_U32, optional, ms (0 = no expiry)
 *   Errors: -EEXIST if the name exists, -EINVAL on a bad name, -ENOSPC if
 *   the namespace has max_streams streams or a memory cap is reached.
 *
 * QKD_CMD_STREAM_DEL: delete a stream and zeroize all its keys, including
 *   reserved ones. Readers blocked on it wake up (see the device section).
 *   QKD_A_STREAM_NAME: required. -ENOENT if absent.
 *
 * QKD_CMD_STREAM_SET: change limits. QKD_A_STREAM_NAME required; any of
 *   QKD_A_STREAM_MAX_KEYS, QKD_A_STREAM_LOW_WATERMARK, QKD_A_STREAM_LIFETIME.
 *   Lowering max keys below the current count drops nothing; it only
 *   refuses further adds. A new default lifetime applies to keys added
 *   afterwards.
 *
 * QKD_CMD_STREAM_GET: with NLM_F_DUMP, one message per stream, every stream
 *   of the netns; otherwise QKD_A_STREAM_NAME is required and one stream is
 *   returned. Each message carries:
 *     QKD_A_STREAM_NAME, QKD_A_STREAM_MAX_KEYS, QKD_A_STREAM_LOW_WATERMARK,
 *     QKD_A_STREAM_LIFETIME,
 *     QKD_A_STREAM_AVAIL_LOCAL, QKD_A_STREAM_AVAIL_PEER,
 *     QKD_A_STREAM_RESERVED (NLA_U32 each: current counts; available
 *       counts exclude reserved keys and may include expired keys not yet
 *       reclaimed, which are never handed out),
 *     QKD_A_STREAM_ADDED, QKD_A_STREAM_TAKEN, QKD_A_STREAM_EXPIRED,
 *     QKD_A_STREAM_REJECTED (NLA_U64 each, padded with QKD_A_PAD:
 *       lifetime counters; "taken" counts keys handed out by take and
 *       commit; "rejected" counts keys refused by add: duplicate or full).
 *   A dump spans as many messages and skbs as needed; it resumes after the
 *   last stream sent. If streams are created or deleted while a dump is in
 *   progress, the message after the change carries NLM_F_DUMP_INTR.
 *
 * QKD_CMD_KEY_ADD: add keys to a stream.
 *   QKD_A_STREAM_NAME: required
 *   QKD_A_KEYS:        NLA_NESTED, required, 1..QKD_ADD_BATCH_MAX entries,
 *                      each an NLA_NESTED (attribute type ignored, 0 is
 *                      customary); the nest as a whole is bounded by the
 *                      netlink attribute length (65535 bytes), about 108
 *                      bytes per 64-byte key with a lifetime: split
 *                      batches by size too (606 such keys fit). Each key
 *                      holds:
 *     QKD_KEY_A_ID:       16 bytes, required
 *     QKD_KEY_A_MATERIAL: 16..64 bytes, required
 *     QKD_KEY_A_OWNER:    NLA_U8, QKD_OWNER_LOCAL or QKD_OWNER_PEER, required
 *     QKD_KEY_A_LIFETIME: NLA_U32 ms, optional (0/absent: stream default)
 *   The module wipes the material in the request once it is processed,
 *   also when a key is rejected. Set NETLINK_CAP_ACK on the socket: an
 *   error ACK otherwise echoes the request, and one rejected before the
 *   keys are looked at (e.g. for an unknown top-level attribute) still
 *   holds the material.
 *   A KEY_ADD is atomic: every key is added or none. Errors: -EEXIST if an
 *   ID is already in the stream (or repeated in the request), -ENOSPC if the
 *   stream would exceed max keys or the global cap mem_max would be
 *   exceeded (nothing is dropped: retry after keys are taken), -ENOMEM.
 *
 * QKD_CMD_KEY_TAKE: take one key and return it.
 *   QKD_A_STREAM_NAME: required
 *   QKD_A_KEY_ID:      16 bytes, optional. Absent: take next (oldest
 *                      unexpired local-owned key; -EAGAIN if none). Present:
 *                      take by ID (-ENOENT if no such unexpired key,
 *                      -EACCES if it is local-owned, reserved or not,
 *                      -EBUSY if it is a reserved peer-owned key).
 *   Reply (same command): QKD_A_STREAM_NAME and QKD_A_KEYS with one nested
 *   key carrying QKD_KEY_A_ID, QKD_KEY_A_MATERIAL, QKD_KEY_A_OWNER and
 *   QKD_KEY_A_LIFETIME (remaining ms, 0 = no expiry).
 *
 * QKD_CMD_KEY_RESERVE: like QKD_CMD_KEY_TAKE but the key stays reserved.
 *   QKD_A_TIMEOUT: NLA_U32 ms, optional, 1..QKD_RESV_TIMEOUT_MAX; after it
 *   the key is released automatically. The reply is that of KEY_TAKE plus
 *   QKD_A_TIMEOUT. A reservation whose reply cannot be delivered is
 *   released at once. Netlink reservations belong to no socket: any
 *   CAP_NET_ADMIN sender may commit or release one by ID, so a holder must
 *   finish before its timeout (after it, the key may be reserved again,
 *   and a late commit or release would act on the new reservation).
 *
 * QKD_CMD_KEY_COMMIT / QKD_CMD_KEY_RELEASE: QKD_A_STREAM_NAME and
 *   QKD_A_KEY_ID required. Commit destroys a reserved key (counted as
 *   taken); release makes it available again (an expired key is destroyed
 *   instead, counted as expired). -ENOENT if the key is not reserved through
 *   netlink (a reservation held by a file of the device is private to it:
 *   -EBUSY).
 *
 * QKD_CMD_KEY_FLUSH: zeroize keys of a stream, reserved ones excepted.
 *   QKD_A_STREAM_NAME: required
 *   QKD_A_FLAGS:       NLA_U32, optional: QKD_F_LOCAL, QKD_F_PEER (which
 *                      owners to flush; absent or 0: both)
 *   Reply: QKD_A_STREAM_NAME, QKD_A_COUNT (keys flushed).
 *
 * Events (multicast group "events", sent in the namespace of the pool):
 *   QKD_CMD_EVENT_STREAM_NEW, QKD_CMD_EVENT_STREAM_DEL: QKD_A_STREAM_NAME.
 *   QKD_CMD_EVENT_LOW_WATERMARK: a take made the number of available
 *     local-owned keys drop below the stream's low watermark (sent once per
 *     crossing). QKD_A_STREAM_NAME, QKD_A_STREAM_LOW_WATERMARK,
 *     QKD_A_STREAM_AVAIL_LOCAL, QKD_A_STREAM_AVAIL_PEER.
 *   QKD_CMD_EVENT_EXHAUSTED: a take-next (or a read) found no local-owned
 *     key; sent once until a key is added. Same attributes as above.
 *   QKD_CMD_EVENT_EXPIRED: keys were reclaimed by expiry. QKD_A_STREAM_NAME,
 *     QKD_A_COUNT (keys expired in this pass), QKD_A_STREAM_AVAIL_LOCAL,
 *     QKD_A_STREAM_AVAIL_PEER.
 *   Events carry names, IDs and counts only.
 *
 * Character device /dev/qkdpool
 * -----------------------------
 *
 * Mode 0600 (root) by default; open() also requires CAP_NET_ADMIN in the
 * user namespace of the opener's network namespace (-EPERM). A new file is
 * unbound: every operation but QKD_IOC_BIND fails with -EBADFD.
 *
 * Privilege is checked at open() only, with the opener's credentials: an
 * open file is a capability that its opener may hand on (fork, exec,
 * SCM_RIGHTS) to a process that dropped or never had privileges, which can
 * then use it, bind it included. A file belongs to the network namespace
 * of its opener for good: moving the task (setns, unshare) changes nothing.
 *
 * QKD_IOC_BIND (struct qkd_bind): bind the file to the stream named
 *   name[] in the network namespace of the opener. A file binds once
 *   (-EBUSY after that). -ENOENT: no such stream; -EINVAL: bad name.
 *
 * read(): take next. Takes up to count / sizeof(struct qkd_key_record)
 *   local-owned keys (at least one record must fit: else -EINVAL), one
 *   record per key, oldest first, and returns the number of bytes of the
 *   records filled. Blocks until at least one key is available unless the
 *   file is O_NONBLOCK (then -EAGAIN). A blocked read is interrupted by
 *   signals (-ERESTARTSYS / -EINTR) and wakes with -ENOENT if the stream is
 *   deleted or its namespace goes away; from then on every operation on the
 *   file fails with -ENOENT. If copying to the user buffer faults (-EFAULT)
 *   the keys of that call are destroyed, never handed out twice.
 *
 * write(): add keys in bulk. count must be a positive multiple of
 *   sizeof(struct qkd_key_record) (-EINVAL). Records are added one by one,
 *   each atomically; the return value is the number of bytes of records
 *   added. The first failing record stops the write; its error is returned
 *   only if no record was added (so a short write means: look at the next
 *   record). Same errors as QKD_CMD_KEY_ADD, plus -EINVAL for a bad record
 *   (length, owner, flags != 0).
 *
 * poll(): EPOLLIN | EPOLLRDNORM while a local-owned key is available;
 *   EPOLLERR | EPOLLHUP once the stream is gone. Always writable.
 *
 * QKD_IOC_TAKE_ID (struct qkd_key_record, in: id; out: the key): take a
 *   peer-owned key by ID. Errors as QKD_CMD_KEY_TAKE with an ID.
 * QKD_IOC_RESERVE_NEXT (struct qkd_key_record, out): reserve the next
 *   local-owned key (-EAGAIN if none; never blocks).
 * QKD_IOC_RESERVE_ID (struct qkd_key_record, in: id; out: the key): reserve
 *   a peer-owned key by ID.
 *   As with read(), a key whose record cannot be copied out (-EFAULT) is
 *   destroyed, even a reserved one: part of it may have been copied.
 * QKD_IOC_COMMIT, QKD_IOC_RELEASE (struct qkd_key_ref): commit or release a
 *   key reserved through this same file (-ENOENT if the key is not reserved,
 *   -EBUSY if another file or netlink holds the reservation). Closing the
 *   file releases all its reservations.
 * QKD_IOC_STREAM_INFO (struct qkd_stream_info, out): limits and counters of
 *   the bound stream, as in QKD_CMD_STREAM_GET.
 *
 * Records of read()/write()/ioctl: struct qkd_key_record, 96 bytes, layout
 *   fixed for all ABIs. On output the unused tail of material[] is zero,
 *   lifetime_ms is the remaining lifetime (0 = no expiry) and flags is 0.
 *   On write(), lifetime_ms 0 means the stream default and flags must be 0.
 *   Callers should wipe records after use (explicit_bzero).
 *
 * Error summary: -EEXIST duplicate key ID or stream name; -ENOSPC stream
 * full, stream limit or memory cap reached (nothing dropped); -ENOENT no such
 * stream, key or reservation, or stream deleted; -EACCES take/reserve by ID
 * of a local-owned key; -EBUSY key reserved by someone else, file already
 * bound; -EAGAIN no local-owned key available; -EPERM missing CAP_NET_ADMIN;
 * -EBADFD file not bound; -EINVAL malformed request or unknown flags;
 * -ERANGE netlink attribute length or value out of range.
 *
 * Note: netlink replies carrying key material are freed by the socket layer
 * after the receiver reads them, without zeroization; a consumer that needs
 * every copy wiped takes keys through the device, whose buffers the module
 * wipes itself. A taken key whose netlink reply cannot be delivered (the
 * receiver's socket buffer is full) is destroyed, never handed out twice.
 */

#ifndef _UAPI_LINUX_QKDPOOL_H
#define _UAPI_LINUX_QKDPOOL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define QKD_GENL_NAME		"qkdpool"
#define QKD_GENL_VERSION	1
#define QKD_GENL_MCGRP_EVENTS	"events"

#define QKD_STREAM_NAME_MAX	64	/* including the terminating NUL */
#define QKD_KEY_ID_LEN		16
#define QKD_KEY_MIN_LEN		16
#define QKD_KEY_MAX_LEN		64
#define QKD_STREAM_KEYS_DEFAULT	65536
#define QKD_STREAM_KEYS_LIMIT	(1U << 24)
#define QKD_ADD_BATCH_MAX	1024	/* keys in one QKD_CMD_KEY_ADD */
#define QKD_RESV_TIMEOUT_MAX	3600000	/* ms */

enum qkd_owner {
	QKD_OWNER_LOCAL = 1,
	QKD_OWNER_PEER = 2,
};

enum qkd_cmd {
	QKD_CMD_UNSPEC,
	QKD_CMD_STREAM_NEW,
	QKD_CMD_STREAM_DEL,
	QKD_CMD_STREAM_SET,
	QKD_CMD_STREAM_GET,
	QKD_CMD_KEY_ADD,
	QKD_CMD_KEY_TAKE,
	QKD_CMD_KEY_RESERVE,
	QKD_CMD_KEY_COMMIT,
	QKD_CMD_KEY_RELEASE,
	QKD_CMD_KEY_FLUSH,
	QKD_CMD_EVENT_STREAM_NEW,
	QKD_CMD_EVENT_STREAM_DEL,
	QKD_CMD_EVENT_LOW_WATERMARK,
	QKD_CMD_EVENT_EXHAUSTED,
	QKD_CMD_EVENT_EXPIRED,
	__QKD_CMD_MAX
};

#define QKD_CMD_MAX (__QKD_CMD_MAX - 1)

enum qkd_flag {
	QKD_F_LOCAL = 1U << 0,
	QKD_F_PEER = 1U << 1,
	__QKD_F_ALL = QKD_F_LOCAL | QKD_F_PEER
};

enum qkd_attr {
	QKD_A_UNSPEC,
	QKD_A_STREAM_NAME,
	QKD_A_STREAM_MAX_KEYS,
	QKD_A_STREAM_LOW_WATERMARK,
	QKD_A_STREAM_LIFETIME,
	QKD_A_STREAM_AVAIL_LOCAL,
	QKD_A_STREAM_AVAIL_PEER,
	QKD_A_STREAM_RESERVED,
	QKD_A_STREAM_ADDED,
	QKD_A_STREAM_TAKEN,
	QKD_A_STREAM_EXPIRED,
	QKD_A_STREAM_REJECTED,
	QKD_A_KEYS,
	QKD_A_KEY_ID,
	QKD_A_FLAGS,
	QKD_A_TIMEOUT,
	QKD_A_COUNT,
	QKD_A_PAD,
	__QKD_A_LAST
};

#define QKD_A_MAX (__QKD_A_LAST - 1)

enum qkd_key_attr {
	QKD_KEY_A_UNSPEC,
	QKD_KEY_A_ID,
	QKD_KEY_A_MATERIAL,
	QKD_KEY_A_OWNER,
	QKD_KEY_A_LIFETIME,
	__QKD_KEY_A_LAST
};

#define QKD_KEY_A_MAX (__QKD_KEY_A_LAST - 1)

/* One key, as read(), write() and the key ioctls carry it. */
struct qkd_key_record {
	__u8 id[QKD_KEY_ID_LEN];
	__u32 material_len;		/* QKD_KEY_MIN_LEN..QKD_KEY_MAX_LEN */
	__u32 owner;			/* enum qkd_owner */
	__u32 lifetime_ms;
	__u32 flags;			/* must be 0 */
	__u8 material[QKD_KEY_MAX_LEN];
};

struct qkd_bind {
	__u8 name[QKD_STREAM_NAME_MAX];	/* NUL-terminated */
};

struct qkd_key_ref {
	__u8 id[QKD_KEY_ID_LEN];
};

struct qkd_stream_info {
	__u32 max_keys;
	__u32 low_watermark;
	__u32 lifetime_ms;
	__u32 avail_local;
	__u32 avail_peer;
	__u32 reserved;
	__u64 added;
	__u64 taken;
	__u64 expired;
	__u64 rejected;
};

#define QKD_IOC_MAGIC		0xd7
#define QKD_IOC_BIND		_IOW(QKD_IOC_MAGIC, 1, struct qkd_bind)
#define QKD_IOC_TAKE_ID		_IOWR(QKD_IOC_MAGIC, 2, struct qkd_key_record)
#define QKD_IOC_RESERVE_NEXT	_IOR(QKD_IOC_MAGIC, 3, struct qkd_key_record)
#define QKD_IOC_RESERVE_ID	_IOWR(QKD_IOC_MAGIC, 4, struct qkd_key_record)
#define QKD_IOC_COMMIT		_IOW(QKD_IOC_MAGIC, 5, struct qkd_key_ref)
#define QKD_IOC_RELEASE		_IOW(QKD_IOC_MAGIC, 6, struct qkd_key_ref)
#define QKD_IOC_STREAM_INFO	_IOR(QKD_IOC_MAGIC, 7, struct qkd_stream_info)

#endif /* _UAPI_LINUX_QKDPOOL_H */
