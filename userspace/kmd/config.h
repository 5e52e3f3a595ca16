/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qkd-kmd's configuration file (INI style, qkd-kmd.conf(5)): one [node]
 * section, optional [ak] and [skip] sections, one [peer NODE-ID] section per
 * neighbour key manager, and for key relay an optional [relay] section
 * and one [far NODE-ID] section per far node to keep a stream with.
 */
#ifndef KMD_CONFIG_H
#define KMD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <uapi/linux/qkdpool.h>

#define KMD_ID_MAX	64
#define KMD_PATH_MAX	256
#define KMD_ROUTE_HOPS	15	/* nodes after us on a static route */
#define RELAY_WINDOW_MAX	1024	/* [relay] window */
#define RELAY_BATCH_CFG_MAX	16	/* [relay] batch: RELAY_BATCH_MAX */

struct kmd_peer_cfg {
	char id[KMD_ID_MAX];		/* the peer's node ID (its cert CN) */
	char address[128];		/* its Kx endpoint (we dial: master) */
	bool master;			/* our role on the QKD link */
	char stream[QKD_STREAM_NAME_MAX];
	char kme_url[256];
	char sae[KMD_ID_MAX];		/* our SAE ID at our KME */
	char peer_sae[KMD_ID_MAX];	/* the peer KM's SAE ID */
	char kme_cert[KMD_PATH_MAX], kme_key[KMD_PATH_MAX];
	char kme_ca[KMD_PATH_MAX];
	uint32_t key_size;		/* bits, 128..512, multiple of 8 */
	uint32_t fill_target;		/* keys kept in the stream */
	uint32_t batch;			/* keys per enc_keys call */
	uint32_t max_keys;		/* stream limit when we create it */
	uint32_t lifetime_ms;		/* stream default key lifetime */
	char app_sae[KMD_ID_MAX];	/* Ak: local application's SAE ID */
	char peer_app_sae[KMD_ID_MAX];	/* Ak: the peer application's */
	char skip_system[KMD_ID_MAX];	/* SKIP: the remoteSystemID it serves */
	/* [peer]: key relay over the link. */
	bool no_relay;			/* relay = no */
	uint32_t relay_reserve;		/* link keys never spent on relays */
	/* [far]: a static route, the nodes after us (0: learned). */
	unsigned int route_count;
	char route[KMD_ROUTE_HOPS][KMD_ID_MAX];
	struct kmd_peer_cfg *next;
};

struct kmd_config {
	char node_id[KMD_ID_MAX];
	char kx_listen[128];
	char cert[KMD_PATH_MAX], key[KMD_PATH_MAX], ca[KMD_PATH_MAX];
	char status_file[KMD_PATH_MAX];
	char metrics[KMD_PATH_MAX];	/* "" = none, ADDR:PORT or a path */
	int log_level;
	char ak_listen[128];		/* "" = no Ak server */
	char skip_listen[128];		/* "" = no SKIP server */
	char skip_psk_file[KMD_PATH_MAX];
	char skip_system[KMD_ID_MAX];	/* localSystemID; default node_id */
	struct kmd_peer_cfg *peers;
	/* Key relay: [far] sections (no KME, no address) and [relay]. */
	struct kmd_peer_cfg *fars;
	uint32_t relay_timeout_ms;
	uint32_t relay_dry;		/* keys below which a link is dry */
	uint32_t relay_window;		/* relays sourced at once per far */
	uint32_t relay_batch;		/* keys per relay at most (1: v1) */
};

/*
 * Parse a configuration file into cfg (zeroed first). Returns 0, or -errno
 * (-EINVAL for a bad line) after printing "FILE:LINE: reason" to stderr.
 */
int kmd_config_load(const char *path, struct kmd_config *cfg);
/* Parse a whole configuration held in memory (fuzzable). */
int kmd_config_parse(const char *name, const char *text,
		     struct kmd_config *cfg);
void kmd_config_free(struct kmd_config *cfg);

#endif /* KMD_CONFIG_H */
