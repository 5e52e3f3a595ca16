// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-macsecd's control messages as ctrl_recv() reads them off its socket
 * (ctrl.c; a datagram socketpair stands in for the UDP socket). An input is
 * a run of datagrams, each a flag byte and up to CTRL_MSG_LEN + 1 bytes:
 * the fuzzer may have the magic, version and MAC put right, so that it
 * reaches the fields behind the MAC and the replay rules. Whatever the
 * bytes, a datagram not MACed under the key is never accepted, and the
 * sequence numbers ctrl_recv() accepts within a session increase strictly.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctrl.h"
#include "kdf.h"

#define F_HEADER	0x01	/* write magic and version */
#define F_MAC		0x02	/* MAC bytes 0..79 under the key */
#define F_ME		0x04	/* name our session as the receiver's */
#define F_SHORT		0x08	/* send (flags >> 4) bytes less */
#define F_LONG		0x10	/* send one byte more (with F_SHORT clear) */

static struct ctrl c;
static int peer = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int sv[2];

	(void)argc;
	(void)argv;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		abort();
	c.fd = sv[0];
	peer = sv[1];
	return 0;
}

static void reset(void)
{
	int fd = c.fd;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.key_len = CTRL_KEY_MIN;
	for (i = 0; i < c.key_len; i++)
		c.key[i] = i;
	c.my_nonce = 0x0123456789abcdefULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t b[CTRL_MSG_LEN + 1], flags;
	uint64_t last = 0, peer_nonce = 0, me;
	enum ctrl_verdict v;
	struct ctrl_msg m;
	size_t len;

	reset();
	while (size) {
		flags = *data++;
		size--;
		len = size < sizeof(b) ? size : sizeof(b);
		memset(b, 0, sizeof(b));
		memcpy(b, data, len);
		data += len;
		size -= len;
		if (flags & F_HEADER) {
			memcpy(b, "QKMS", 4);
			b[4] = 1;
		}
		if (flags & F_ME) {
			me = htobe64(c.my_nonce);
			memcpy(b + 24, &me, 8);
		}
		if (flags & F_MAC)
			kdf_mac(c.key, c.key_len, b, 80, b + 80);
		len = CTRL_MSG_LEN;
		if (flags & F_SHORT)
			len -= flags >> 4;
		else if (flags & F_LONG)
			len++;
		if (send(peer, b, len, 0) != (ssize_t)len)
			abort();
		if (ctrl_recv(&c, &m, &v))
			abort();
		if ((v == CTRL_ACCEPT || v == CTRL_NEW_SESSION) &&
		    (!(flags & F_MAC) || len != CTRL_MSG_LEN))
			abort();	/* accepted without the key */
		if (v == CTRL_NEW_SESSION) {
			peer_nonce = m.sender_nonce;
			last = m.seq;
		} else if (v == CTRL_ACCEPT) {
			if (m.sender_nonce != peer_nonce || m.seq <= last)
				abort();	/* a replay got through */
			last = m.seq;
		}
		ctrl_type_name(m.type);
		ctrl_status_name(m.status);
	}
	return 0;
}
