// SPDX-License-Identifier: GPL-2.0
/*
 * The request line of qkd-macsecd's operator socket (admin.c), served by
 * admin_serve() on a real UNIX socket, to two interfaces. An input is a
 * byte of state for each interface (struct state_bits), then what the
 * client sends: the status line reports that state, so without it every
 * input met the same idle interfaces and coverage stopped at the request
 * words. Whatever the request, the daemon answers something and closes (an
 * empty one, a client that shuts down its side, gets nothing), and a rekey
 * asks for one on the interfaces it names only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "pace.h"
#include "rekey.h"

#define IFACES 2
#define REQ_MAX 127	/* what admin_serve() reads */

/* An interface's state byte. */
enum state_bits {
	S_LEADER	= 0x01,
	S_SYNCED	= 0x02,
	S_WANT_KEY	= 0x04,	/* and no pace: out of keys */
	S_BLOCKED	= 0x08,
	S_TX_AN		= 0x30,	/* TX AN + 1; 0: none */
	S_ST		= 0xc0,	/* enum rekey_state */
};

static struct iface ifaces[IFACES];
static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int lfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;
	char dir[] = "/tmp/macsecd-admin-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/sock", dir);
	lfd = admin_open(path);
	if (lfd < 0)
		abort();
	for (i = 0; i < IFACES; i++) {
		snprintf(ifaces[i].cfg.name, sizeof(ifaces[i].cfg.name),
			 "macsec%u", i);
		strcpy(ifaces[i].cfg.stream, "gw2");
	}
	return 0;
}

/* Whether the first word of the line the daemon reads is "rekey". */
static bool asks_rekey(const uint8_t *data, size_t size)
{
	char line[REQ_MAX + 1];
	size_t skip;

	size = size > REQ_MAX ? REQ_MAX : size;
	memcpy(line, data, size);
	line[size] = '\0';
	skip = strspn(line, " \t\r\n");
	return !strncmp(line + skip, "rekey", 5) &&
	       strchr(" \t\r\n", line[skip + 5]);
}

static void set_state(struct iface *ifc, uint8_t b)
{
	ifc->leader = b & S_LEADER;
	ifc->peer_synced = b & S_SYNCED;
	ifc->want_key = b & S_WANT_KEY;
	ifc->pace.interval_ms = ifc->want_key ? PACE_NO_KEYS : 1000 + b;
	ifc->pace.avail = b;
	ifc->blocked = b & S_BLOCKED;
	ifc->tx_an = ((b & S_TX_AN) >> 4) - 1;
	if (ifc->tx_an >= 0) {
		memset(ifc->tx_keyid, b, sizeof(ifc->tx_keyid));
		ifc->tx_since_ms = now_ms();
		ifc->dev.tx[ifc->tx_an].pn = b;
	}
	ifc->st = (b & S_ST) >> 6;
	ifc->rekey_now = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char reply[4096];
	unsigned int i;
	ssize_t n;
	int fd;

	if (size < IFACES)
		return 0;
	for (i = 0; i < IFACES; i++)
		set_state(&ifaces[i], data[i]);
	data += IFACES;
	size -= IFACES;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    (size ? write(fd, data, size > REQ_MAX ? REQ_MAX : size) < 0 :
		    shutdown(fd, SHUT_WR)))
		abort();
	admin_serve(lfd, ifaces, IFACES);
	n = read(fd, reply, sizeof(reply));
	close(fd);
	if (size ? n <= 0 : n != 0)
		abort();	/* every request gets an answer, EOF none */
	for (i = 0; i < IFACES; i++)
		if (ifaces[i].rekey_now && !asks_rekey(data, size))
			abort();	/* a rekey nobody asked for */
	return 0;
}
