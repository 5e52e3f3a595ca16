/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One MACsec interface that qkd-macsecd keys: its configuration, its
 * kernel device, pool stream and control channel, and the state of the
 * rekey handshake (rekey.c) and of its SAs (sa.c), which own those fields.
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
#include "prom.h"
#include "rekey.h"
#include "runclock.h"

/*
 * An old RX SA the peer has left, watched until it has drained (sa.c):
 * its counters at their last change, and the peer's current SA's then;
 * the peer's seal, once it came.
 */
struct rx_retiring {
	bool pending;
	uint8_t cur_an;			/* the SA the peer moved to */
	uint32_t pkts;			/* InPktsOK at the last change */
	uint64_t pn;
	uint32_t cur_pkts;		/* cur_an's InPktsOK at that time */
	uint64_t moved_run_ms;		/* that time, on the run clock */
	uint64_t marked_ms;		/* when the watch began */
	uint64_t marked_run_ms;		/* and on the run clock */
	bool sealed;			/* the peer's SEALED came */
	uint64_t last_pn;		/* its last PN on this SA */
};

/*
 * A TX SA we retired: its SEALED, repeated until the peer must be done,
 * and kept (valid) for a peer that restarts until the AN is reused.
 */
struct tx_seal {
	bool valid;
	bool pending;
	uint8_t keyid[16];
	uint64_t last_pn;
	uint64_t next_ms;		/* next (re)transmission */
	uint64_t until_ms;
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
	bool peer_synced;		/* the peer answered in this session */
	bool peer_seals;		/* its HELLO offered SEALED */
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
	struct rx_retiring retiring[MSEC_NUM_AN];
	int tx_old_an;			/* replaced TX SA, -1 none */
	uint64_t tx_old_retire_ms;
	struct tx_seal seals[MSEC_NUM_AN];
	/*
	 * The frame ledger of the RX SAs (sa.c): the SC's InPktsDelayed and
	 * rx_gone_delayed at the last dump that found every RX SA in order.
	 */
	bool rx_clean_seen;
	uint64_t rx_clean_sci;
	uint64_t rx_clean_delayed;
	uint64_t rx_clean_gone;
	uint64_t rx_gone_delayed;	/* most Delayed frames deleted RX SAs had */
	uint64_t last_req_ms;		/* follower: last REKEY request */
	uint64_t next_hello_ms;
	bool blocked;
	bool draining;			/* stopping: start nothing new */
	bool warned_lifetime;

	uint64_t rekeys;
	uint64_t failures;
	uint64_t last_latency_us;
	struct qkd_prom_hist latency;	/* leader: the handshakes' */
	uint64_t key_mismatches;
	uint64_t retire_timeouts;	/* RX SAs deleted without proof */
	uint64_t proof_wait_max_ms;	/* longest wait a proof ended */
	struct run_clock run;		/* retirements wait on it */
	uint64_t bad_frames;		/* NotValid + Invalid, last seen */
};

uint64_t now_ms(void);
uint64_t now_us_mono(void);

/* iface.c: bring up, adopt the kernel's SAs, read the kernel's state. */
int iface_open(struct iface *ifc, const struct iface_cfg *cfg, struct kernel *k);
void iface_close(struct iface *ifc);
int iface_refresh(struct iface *ifc);

#endif /* MACSECD_IFACE_H */
