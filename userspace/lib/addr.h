/* SPDX-License-Identifier: GPL-2.0 */
/* "ADDR:PORT" and "[ADDR6]:PORT" endpoints, as config files write them. */
#ifndef QKD_ADDR_H
#define QKD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Split into host and port (1..65535). 0 or -EINVAL. */
int qkd_hostport(const char *s, char *host, size_t size, unsigned int *port);
/* Resolve a numeric endpoint into *ss (no DNS). 0 or -EINVAL. */
int qkd_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif /* QKD_ADDR_H */
