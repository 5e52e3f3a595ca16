// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-macsecd's control messages (ctrl.c) over real UDP sockets on the
 * loopback: SEALED carries its last PN, and authentic but malformed
 * datagrams are refused before anything acts on them.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ctrl.h"

#define KEY_HEX	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

FIXTURE(pair)
{
	struct ctrl a, b;
	char key[64];
	uint8_t secret[32];
};

FIXTURE_SETUP(pair)
{
	char la[32], lb[32];
	int fd, port = 40000 + getpid() % 20000, i;

	snprintf(self->key, sizeof(self->key), "/tmp/test_ctrl.%d", getpid());
	fd = open(self->key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(64, write(fd, KEY_HEX, 64));
	close(fd);
	for (i = 0; i < 32; i++)
		self->secret[i] = i;
	snprintf(la, sizeof(la), "127.0.0.1:%d", port);
	snprintf(lb, sizeof(lb), "127.0.0.1:%d", port + 1);
	ASSERT_EQ(0, ctrl_open(&self->a, la, lb, self->key));
	ASSERT_EQ(0, ctrl_open(&self->b, lb, la, self->key));
	/* Each knows the other's session, as after a HELLO exchange. */
	self->a.peer_nonce = self->b.my_nonce;
	self->b.peer_nonce = self->a.my_nonce;
}

FIXTURE_TEARDOWN(pair)
{
	ctrl_close(&self->a);
	ctrl_close(&self->b);
	unlink(self->key);
}

TEST_F(pair, sealed_carries_its_last_pn)
{
	struct ctrl_msg m = { .type = CTRL_SEALED, .an = 3,
			      .last_pn = 0x123456789aULL }, r;
	enum ctrl_verdict v;

	memset(m.keyid, 0xab, 16);
	ASSERT_EQ(0, ctrl_send(&self->a, &m));
	ASSERT_EQ(0, ctrl_recv(&self->b, &r, &v));
	EXPECT_EQ(CTRL_ACCEPT, v);
	EXPECT_EQ(CTRL_SEALED, r.type);
	EXPECT_EQ(3, r.an);
	EXPECT_EQ(0x123456789aULL, r.last_pn);
	EXPECT_EQ(0, memcmp(m.keyid, r.keyid, 16));
	EXPECT_STREQ("SEALED", ctrl_type_name(r.type));
}

TEST_F(pair, hello_offers_sealed)
{
	struct ctrl_msg m = { .type = CTRL_HELLO, .status = CTRL_F_SEALS }, r;
	enum ctrl_verdict v;

	ASSERT_EQ(0, ctrl_send(&self->a, &m));
	ASSERT_EQ(0, ctrl_recv(&self->b, &r, &v));
	EXPECT_EQ(CTRL_ACCEPT, v);
	EXPECT_EQ(CTRL_F_SEALS, r.status);
}

/* Send a datagram to b as a, MACed with the shared secret. */
static void send_raw(struct __test_metadata *_metadata,
		     FIXTURE_DATA(pair) *self, uint8_t *b)
{
	uint64_t v;

	v = htobe64(self->a.my_nonce);
	memcpy(b + 16, &v, 8);
	v = htobe64(self->b.my_nonce);
	memcpy(b + 24, &v, 8);
	v = htobe64(++self->a.tx_seq + (1ULL << 60));
	memcpy(b + 32, &v, 8);
	kdf_mac(self->secret, sizeof(self->secret), b, 80, b + 80);
	ASSERT_EQ(CTRL_MSG_LEN, sendto(self->a.fd, b, CTRL_MSG_LEN, 0,
				       (struct sockaddr *)&self->a.peer,
				       self->a.peer_len));
}

static void header(uint8_t *b, uint8_t type, uint8_t status, uint8_t an)
{
	memset(b, 0, CTRL_MSG_LEN);
	memcpy(b, "QKMS", 4);
	b[4] = 1;
	b[5] = type;
	b[6] = status;
	b[7] = an;
	b[8] = CTRL_AN_NONE;
}

static enum ctrl_verdict verdict_of(struct __test_metadata *_metadata,
				    FIXTURE_DATA(pair) *self, uint8_t *b)
{
	enum ctrl_verdict v = CTRL_ACCEPT;
	struct ctrl_msg r;

	send_raw(_metadata, self, b);
	EXPECT_EQ(0, ctrl_recv(&self->b, &r, &v));
	return v;
}

TEST_F(pair, well_formed_raw_sealed_is_accepted)
{
	uint8_t b[CTRL_MSG_LEN];

	header(b, CTRL_SEALED, 0, 2);
	b[71] = 7;
	EXPECT_EQ(CTRL_ACCEPT, verdict_of(_metadata, self, b));
}

/* A later version may offer more: a HELLO's unknown capability is not refused. */
TEST_F(pair, unknown_capability_is_accepted)
{
	uint8_t b[CTRL_MSG_LEN];

	header(b, CTRL_HELLO, 0x80 | CTRL_F_SEALS, 0);
	EXPECT_EQ(CTRL_ACCEPT, verdict_of(_metadata, self, b));
}

TEST_F(pair, malformed_is_refused)
{
	uint64_t forged = self->b.forged;
	uint8_t b[CTRL_MSG_LEN];

	header(b, CTRL_SEALED, 0, 4);		/* no such AN */
	EXPECT_EQ(CTRL_MALFORMED, verdict_of(_metadata, self, b));
	header(b, CTRL_SEALED, 1, 0);		/* a status */
	EXPECT_EQ(CTRL_MALFORMED, verdict_of(_metadata, self, b));
	header(b, CTRL_SEALED, 0, 0);		/* beyond the PN */
	b[72] = 1;
	EXPECT_EQ(CTRL_MALFORMED, verdict_of(_metadata, self, b));
	header(b, CTRL_SEALED, 0, CTRL_AN_NONE);	/* no AN */
	EXPECT_EQ(CTRL_MALFORMED, verdict_of(_metadata, self, b));
	header(b, CTRL_COMMIT, 0, 0);		/* reserved bytes */
	b[10] = 1;
	EXPECT_EQ(CTRL_MALFORMED, verdict_of(_metadata, self, b));
	header(b, CTRL_SEALED + 1, 0, 0);	/* an unknown type */
	EXPECT_EQ(CTRL_FORGED, verdict_of(_metadata, self, b));
	EXPECT_EQ(forged + 6, self->b.forged);
}

TEST_HARNESS_MAIN
