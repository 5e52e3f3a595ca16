// SPDX-License-Identifier: GPL-2.0
/*
 * The request line of qkd-macsecd's operator socket (admin.c), served by
 * admin_serve() on a real UNIX socket, to two interfaces. Whatever the
 * request, the daemon answers something and closes, and a rekey asks for
 * one on the interfaces it names only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"

#define IFACES 2

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
		ifaces[i].tx_an = -1;
	}
	return 0;
}

/* Whether the first word of the line the daemon reads is "rekey". */
static bool asks_rekey(const uint8_t *data, size_t size)
{
	char line[128];
	size_t skip;

	size = size > 127 ? 127 : size;
	memcpy(line, data, size);
	line[size] = '\0';
	skip = strspn(line, " \t\r\n");
	return !strncmp(line + skip, "rekey", 5) &&
	       strchr(" \t\r\n", line[skip + 5]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char reply[4096];
	unsigned int i;
	ssize_t n;
	int fd;

	if (!size)
		return 0;	/* a silent client is waited for: not here */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    write(fd, data, size > 127 ? 127 : size) < 0)
		abort();
	for (i = 0; i < IFACES; i++)
		ifaces[i].rekey_now = false;
	admin_serve(lfd, ifaces, IFACES);
	n = read(fd, reply, sizeof(reply));
	close(fd);
	if (n <= 0)
		abort();	/* every request gets an answer */
	for (i = 0; i < IFACES; i++)
		if (ifaces[i].rekey_now && !asks_rekey(data, size))
			abort();	/* a rekey nobody asked for */
	return 0;
}
