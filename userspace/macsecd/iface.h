/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One MACsec interface that qkd-macsecd keys: its configuration, its
 * kernel device, pool stream and control channel, and the state of the
 * rekey handshake (see rekey.c for the protocol).
 */
#ifndef MACSECD_IFACE_H
#define MACSECD_IFACE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ctrl.h"
#include "link.h"
#include "msec.h"
#include "pace.h"
#include "pool.h"

enum rekey_state {
	ST_IDLE,
	ST_PREPARE,	/* leader: PREPARE sent, waiting for READY */
	ST_COMMIT,	/* leader: switched, COMMIT sent, waiting for DONE */
	ST_PENDING,	/* follower: SAs installed, READY sent */
};

/* The netlink sockets every interface shares. */
struct kernel {
	struct msec msec;
	struct nlsock rtnl;
};

struct iface {
	struct iface_cfg cfg;
	struct kernel *k;
	uint32_t ifindex;
	struct qkd_pool *pool;
	struct ctrl ctrl;
	bool leader;
	uint64_t my_sci;
	uint64_t peer_sci;		/* 0 until known */
	struct msec_dev dev;		/* last kernel dump */
	uint64_t next_refresh_ms;	/* idle: when to dump again */

	int tx_an;			/* my encoding AN, -1 none */
	uint8_t tx_keyid[16];
	uint64_t tx_since_ms;
	int peer_tx_an;			/* -1 unknown */
	/* Leader: an AN is reused only once frames of its last SA are gone. */
	uint64_t an_free_ms[MSEC_NUM_AN];
	int p_old_an;
	bool peer_synced;		/* the peer answered in this session */
	uint32_t gen;			/* leader: last generation started */
	uint32_t done_gen;		/* last generation both ends switched to */

	enum rekey_state st;
	uint32_t p_gen;
	uint8_t p_an;
	struct qkd_key_record *p_key;	/* mlocked; valid while reserved */
	bool p_reserved;
	bool p_peer_key;		/* the follower supplies the key */
	struct ctrl_msg p_msg;		/* last message, for retransmission */
	uint64_t p_started_ms;
	uint64_t p_started_us;		/* monotonic, for the latency */
	uint64_t p_deadline_ms;
	uint64_t p_resend_ms;

	uint64_t next_rekey_ms;
	struct pace pace;		/* the clock's rekeys follow the keys */
	bool rekey_now;			/* operator, PN threshold or resync */
	bool demand;			/* due for a reason other than the clock */
	bool want_key;			/* out of keys: wait for the pool */
	uint64_t rx_retire_ms[MSEC_NUM_AN];	/* 0: keep */
	uint64_t last_req_ms;		/* follower: last REKEY request */
	uint64_t next_hello_ms;
	bool blocked;
	bool draining;			/* stopping: start nothing new */
	bool warned_lifetime;

	uint64_t rekeys;
	uint64_t failures;
	uint64_t last_latency_us;
	uint64_t key_mismatches;
	uint64_t bad_frames;		/* NotValid + Invalid, last seen */
};

uint64_t now_ms(void);
uint64_t now_us_mono(void);

/* iface.c: bring up, adopt the kernel's SAs, periodic work. */
int iface_open(struct iface *ifc, const struct iface_cfg *cfg, struct kernel *k);
void iface_close(struct iface *ifc);
int iface_refresh(struct iface *ifc);
void iface_tick(struct iface *ifc, uint64_t now);
void iface_request_rekey(struct iface *ifc);
/* No handshake, request or retirement pending: ticks may be sparse. */
bool iface_idle(const struct iface *ifc);

/* sa.c: the SAs of one generation and their retirement. */
int sa_install(struct iface *ifc, uint8_t an, const struct qkd_key_record *key);
void sa_remove_an(struct iface *ifc, uint8_t an);
int sa_switch_tx(struct iface *ifc, uint8_t an, const uint8_t keyid[16]);
void sa_schedule_retire(struct iface *ifc, uint64_t now);
void sa_retire(struct iface *ifc, uint64_t now);
int sa_ensure_rxsc(struct iface *ifc, uint64_t sci);

/* rekey.c: the handshake. */
void rekey_start(struct iface *ifc, uint64_t now);
void rekey_input(struct iface *ifc, uint64_t now);
void rekey_timers(struct iface *ifc, uint64_t now);
void rekey_abort(struct iface *ifc, bool discard, const char *why);
void rekey_hello(struct iface *ifc);
void rekey_leader_done(struct iface *ifc, uint64_t now);
void rekey_follower_switch(struct iface *ifc, uint64_t now);

#endif /* MACSECD_IFACE_H */
