/* SPDX-License-Identifier: GPL-2.0 */
/* qkd-tlsproxy: the configuration and the pieces main.c puts together. */
#ifndef TLSPROXY_PROXY_H
#define TLSPROXY_PROXY_H

#include <stdbool.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "pool.h"

enum proxy_mode { MODE_CLIENT, MODE_SERVER };

struct proxy_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	const char *text;
};

struct proxy_conf {
	enum proxy_mode mode;
	struct proxy_addr listen, connect;
	const char *stream;		/* NULL: certificates only */
	const char *ciphersuites;
	const char *groups;
	const char *cert, *key, *ca;
	const char *server_name;
	bool psk_ke;
	bool cert_fallback;
};

struct proxy {
	struct proxy_conf conf;
	struct event_base *base;
	SSL_CTX *ctx;
	struct qkd_pool *pool;
	unsigned long conns;		/* accepted so far: connection numbers */
};

/* tls.c: the SSL_CTX of the configuration. Returns 0 or -errno (logged). */
int proxy_tls_init(struct proxy *px);
void proxy_tls_uninit(struct proxy *px);

/* relay.c: accept and relay until the loop ends. Returns 0 or -errno. */
int proxy_relay_listen(struct proxy *px);
void proxy_relay_uninit(void);

#endif /* TLSPROXY_PROXY_H */
