/* SPDX-License-Identifier: GPL-2.0 */
/* What rekey.c, leader.c and follower.c share: the handshake's steps. */
#ifndef MACSECD_REKEY_H
#define MACSECD_REKEY_H

#include "iface.h"

#define RETRY_MS	1000	/* after a failed handshake */
#define RESEND_MAX_MS	1000

void rekey_send(struct iface *ifc, struct ctrl_msg *m);
/* A reply (NAK, DONE) echoing req's generation, AN and key ID. */
void rekey_reply(struct iface *ifc, uint8_t type, uint8_t status,
		 const struct ctrl_msg *req);
/* End the reservation: commit (discard) or release; wipe the material. */
void rekey_drop_key(struct iface *ifc, bool discard);

void leader_ready(struct iface *ifc, const struct ctrl_msg *m, uint64_t now);
void leader_nak(struct iface *ifc, const struct ctrl_msg *m, uint64_t now);

void follower_prepare(struct iface *ifc, const struct ctrl_msg *m,
		      uint64_t now);
void follower_nak(struct iface *ifc, const struct ctrl_msg *m);
void follower_commit(struct iface *ifc, const struct ctrl_msg *m,
		     uint64_t now);

#endif /* MACSECD_REKEY_H */
