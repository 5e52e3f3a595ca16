/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operator's socket (a UNIX stream socket, root only): one request
 * line per connection, "rekey [IFNAME]" or "status [IFNAME]"; the reply is
 * text, then the daemon closes the connection. "qkdctl macsec" speaks it.
 * Status lines: "IFNAME key value key value ..." (see qkd-macsecd(8)).
 */
#ifndef MACSECD_ADMIN_H
#define MACSECD_ADMIN_H

#include "iface.h"

int admin_open(const char *path);
void admin_close(int fd, const char *path);
/* Serve one connection waiting on fd. */
void admin_serve(int fd, struct iface *ifaces, unsigned int n);

#endif /* MACSECD_ADMIN_H */
