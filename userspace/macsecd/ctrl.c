// SPDX-License-Identifier: GPL-2.0
/* The authenticated control channel: see ctrl.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctrl.h"
#include "hex.h"
#include "log.h"
#include "secmem.h"

#define MAGIC		0x514b4d53	/* "QKMS" */
#define VERSION		1
#define MAC_OFF		80

static int parse_addr(const char *s, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	char host[64], *colon, *h = host, *end;
	unsigned long port;

	if (strlen(s) >= sizeof(host))
		return -EINVAL;
	strcpy(host, s);
	colon = strrchr(host, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port == 0 || port > 65535)
		return -EINVAL;
	if (*h == '[' && colon[-1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		colon[-1] = '\0';
		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, h + 1, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return inet_pton(AF_INET, h, &s4->sin_addr) == 1 ? 0 : -EINVAL;
	}
}

int ctrl_addr_cmp(const char *a, const char *b)
{
	struct sockaddr_storage sa, sb;
	socklen_t la, lb;

	/* Compare the binary forms so that spellings do not matter. */
	if (parse_addr(a, &sa, &la) || parse_addr(b, &sb, &lb))
		return strcmp(a, b) > 0;
	return memcmp(&sa, &sb, la < lb ? la : lb) > 0;
}

/* The secret: 64..128 hex digits, or 32..64 raw bytes. Must not be
 * readable by group or others. */
static int read_key(struct ctrl *c, const char *path)
{
	uint8_t buf[2 * CTRL_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
		log_err("control key %s: must be a file readable by its owner only",
			path);
		close(fd);
		return -EACCES;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && isspace(buf[n - 1]))
		n--;
	if (n >= 2 * CTRL_KEY_MIN && n <= 2 * CTRL_KEY_MAX && !(n % 2) &&
	    !qkd_hex_decode((char *)buf, n, c->key))
		c->key_len = n / 2;
	else if (n >= CTRL_KEY_MIN && n <= CTRL_KEY_MAX)
		memcpy(c->key, buf, (c->key_len = n));
	else
		ret = -EINVAL;
	qkd_wipe(buf, sizeof(buf));
	if (ret)
		log_err("control key %s: need 32..64 bytes (raw or hex)", path);
	return ret;
}

int ctrl_open(struct ctrl *c, const char *local, const char *peer,
	      const char *key_file)
{
	struct sockaddr_storage la;
	socklen_t llen;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (parse_addr(local, &la, &llen) ||
	    parse_addr(peer, &c->peer, &c->peer_len))
		return -EINVAL;
	ret = read_key(c, key_file);
	if (ret)
		return ret;
	ret = qkd_random_bytes(&c->my_nonce, sizeof(c->my_nonce));
	if (ret)
		return ret;
	c->my_nonce |= 1;	/* never 0, which means "unknown" */
	c->fd = socket(la.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&la, llen) < 0) {
		ret = -errno;
		close(c->fd);
		c->fd = -1;
	}
	return ret;
}

void ctrl_close(struct ctrl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	qkd_wipe(c->key, sizeof(c->key));
	c->fd = -1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void put32(uint8_t *p, uint32_t v) { v = htobe32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htobe64(v); memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return be64toh(v); }

static void encode(const struct ctrl_msg *m, uint8_t *b)
{
	memset(b, 0, CTRL_MSG_LEN);
	put32(b, MAGIC);
	b[4] = VERSION;
	b[5] = m->type;
	b[6] = m->status;
	b[7] = m->an;
	b[8] = m->cur_an;
	put32(b + 12, m->generation);
	put64(b + 16, m->sender_nonce);
	put64(b + 24, m->receiver_nonce);
	put64(b + 32, m->seq);
	memcpy(b + 40, &m->sci, 8);
	memcpy(b + 48, m->keyid, 16);
	if (m->type == CTRL_SEALED)
		put64(b + 64, m->last_pn);
	else
		memcpy(b + 64, m->kcv, 16);
}

static void decode(const uint8_t *b, struct ctrl_msg *m)
{
	m->type = b[5];
	m->status = b[6];
	m->an = b[7];
	m->cur_an = b[8];
	m->generation = get32(b + 12);
	m->sender_nonce = get64(b + 16);
	m->receiver_nonce = get64(b + 24);
	m->seq = get64(b + 32);
	memcpy(&m->sci, b + 40, 8);
	memcpy(m->keyid, b + 48, 16);
	if (m->type == CTRL_SEALED)
		m->last_pn = get64(b + 64);
	else
		memcpy(m->kcv, b + 64, 16);
}

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * Fields every receiver would otherwise have to range-check: an
 * authentic peer never sends these, so they mean a bug or a mismatch of
 * versions, and are refused before anything acts on them. HELLO's
 * capabilities are not checked: a later version may offer more.
 */
static bool well_formed(const uint8_t *b, const struct ctrl_msg *m)
{
	if (!zero(b + 9, 3))
		return false;
	switch (m->type) {
	case CTRL_SEALED:
		return m->an < CTRL_AN_COUNT && !m->status && zero(b + 72, 8);
	default:
		return true;
	}
}

int ctrl_send(struct ctrl *c, struct ctrl_msg *m)
{
	uint8_t b[CTRL_MSG_LEN];
	uint64_t t = now_us();

	c->tx_seq = t > c->tx_seq ? t : c->tx_seq + 1;
	m->seq = c->tx_seq;
	m->sender_nonce = c->my_nonce;
	m->receiver_nonce = c->peer_nonce;
	encode(m, b);
	kdf_mac(c->key, c->key_len, b, MAC_OFF, b + MAC_OFF);
	if (sendto(c->fd, b, sizeof(b), 0, (struct sockaddr *)&c->peer,
		   c->peer_len) < 0)
		return -errno;
	return 0;
}

static enum ctrl_verdict judge(struct ctrl *c, const struct ctrl_msg *m)
{
	if (m->type == CTRL_HELLO && m->sender_nonce != c->peer_nonce) {
		if (m->seq <= c->rx_seq)
			return CTRL_REPLAYED;
		c->peer_nonce = m->sender_nonce;
		c->rx_seq = m->seq;
		return CTRL_NEW_SESSION;
	}
	if (m->sender_nonce != c->peer_nonce)
		return m->seq > c->rx_seq ? CTRL_STALE_PEER : CTRL_REPLAYED;
	if (m->seq <= c->rx_seq)
		return CTRL_REPLAYED;
	/* Made before the peer learnt our session: could be a replay. */
	if (m->type != CTRL_HELLO && m->receiver_nonce != c->my_nonce)
		return CTRL_REPLAYED;
	c->rx_seq = m->seq;
	return CTRL_ACCEPT;
}

int ctrl_recv(struct ctrl *c, struct ctrl_msg *m, enum ctrl_verdict *verdict)
{
	uint8_t b[CTRL_MSG_LEN + 1], mac[KDF_MAC_LEN];
	ssize_t n;

	n = recv(c->fd, b, sizeof(b), 0);
	if (n < 0)
		return -errno;
	memset(m, 0, sizeof(*m));
	*verdict = CTRL_FORGED;
	if (n != CTRL_MSG_LEN || get32(b) != MAGIC || b[4] != VERSION) {
		c->forged++;
		return 0;
	}
	kdf_mac(c->key, c->key_len, b, MAC_OFF, mac);
	if (!kdf_equal(mac, b + MAC_OFF, KDF_MAC_LEN)) {
		c->forged++;
		return 0;
	}
	decode(b, m);
	if (m->type == 0 || m->type >= __CTRL_TYPE_MAX) {
		c->forged++;
		return 0;
	}
	if (!well_formed(b, m)) {
		*verdict = CTRL_MALFORMED;
		c->forged++;
		return 0;
	}
	*verdict = judge(c, m);
	if (*verdict == CTRL_REPLAYED)
		c->replayed++;
	return 0;
}

const char *ctrl_type_name(uint8_t type)
{
	static const char *const names[] = {
		[CTRL_HELLO] = "HELLO", [CTRL_PREPARE] = "PREPARE",
		[CTRL_READY] = "READY", [CTRL_NAK] = "NAK",
		[CTRL_COMMIT] = "COMMIT", [CTRL_DONE] = "DONE",
		[CTRL_REKEY] = "REKEY", [CTRL_SEALED] = "SEALED",
	};

	return type < __CTRL_TYPE_MAX && names[type] ? names[type] : "?";
}

const char *ctrl_status_name(uint8_t status)
{
	static const char *const names[] = {
		[CTRL_OK] = "ok",
		[CTRL_E_KEY_UNKNOWN] = "key unknown to the peer's pool",
		[CTRL_E_KCV] = "key check value mismatch (pools hold different material)",
		[CTRL_E_AN] = "association number in use at the peer",
		[CTRL_E_KERNEL] = "the peer's kernel refused the SA",
		[CTRL_E_BUSY] = "key reserved by another consumer at the peer",
		[CTRL_E_KEY_SIZE] = "key too short for the cipher",
		[CTRL_E_NO_KEY] = "the peer has no key of its own either",
	};

	return status <= CTRL_E_NO_KEY ? names[status] : "?";
}
