/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "ADDR:PORT" and "[ADDR6]:PORT" endpoints, as config files write them;
 * and the daemons' UNIX socket listeners.
 */
#ifndef QKD_ADDR_H
#define QKD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Split into host and port (1..65535). 0 or -EINVAL. */
int qkd_hostport(const char *s, char *host, size_t size, unsigned int *port);
/* Resolve a numeric endpoint into *ss (no DNS). 0 or -EINVAL. */
int qkd_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/*
 * A non-blocking UNIX stream listener on path, replacing a stale socket,
 * created with the given mode (no moment with wider permissions). Returns
 * the fd or -errno.
 */
int qkd_unix_listen(const char *path, mode_t mode);

#endif /* QKD_ADDR_H */
