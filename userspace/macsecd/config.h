/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file of qkd-macsecd (INI style, see
 * qkd-macsecd.conf.example and qkd-macsecd(8)): a [global] section and one
 * section per MACsec interface, named after it.
 */
#ifndef MACSECD_CONFIG_H
#define MACSECD_CONFIG_H

#include <net/if.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define CONFIG_IFACE_MAX	8
#define CONFIG_ADDR_MAX		64

enum role { ROLE_AUTO, ROLE_LEADER, ROLE_FOLLOWER };
enum policy { POLICY_BLOCK, POLICY_KEEP };

struct iface_cfg {
	char name[IFNAMSIZ];
	char device[IFNAMSIZ];		/* create on it when set and absent */
	char stream[QKD_STREAM_NAME_MAX];
	char local[CONFIG_ADDR_MAX];	/* "address:port" */
	char peer[CONFIG_ADDR_MAX];
	enum role role;
	uint64_t cipher;		/* MACSEC_CIPHER_ID_* */
	unsigned int sak_len;		/* 16 or 32 */
	bool xpn;
	bool encrypt;
	uint32_t rekey_interval_ms;	/* the floor of the adaptive interval */
	uint32_t key_reserve;		/* keys the clock's rekeys leave alone */
	uint64_t pn_threshold;
	uint32_t max_sa_lifetime_ms;	/* 0: none */
	enum policy policy;
	uint32_t grace_ms;
	uint32_t handshake_timeout_ms;
	uint32_t retransmit_ms;
	char key_file[PATH_MAX];	/* control channel secret */
};

struct config {
	int log_level;
	char admin_socket[108];
	char metrics[108];		/* "" = none, ADDR:PORT or a path */
	unsigned int n_iface;
	struct iface_cfg iface[CONFIG_IFACE_MAX];
};

/* Parse path into cfg; prints "FILE:LINE: reason" on error, returns -errno. */
int config_read(const char *path, struct config *cfg);
/* The same from an open stream, path naming it in messages (fuzzable). */
int config_parse(const char *path, FILE *f, struct config *cfg);
/* "500ms", "2s", "5m", "1h" or plain milliseconds. */
int config_duration(const char *s, uint32_t *ms);

#endif /* MACSECD_CONFIG_H */
