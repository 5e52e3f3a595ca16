/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SA installer (sa.c): the SAs of one generation, the switch of the
 * encoding SA, and the retirement of old RX SAs. Called by the rekey
 * protocol; calls only the interface and the kernel below it.
 */
#ifndef MACSECD_SA_H
#define MACSECD_SA_H

#include "iface.h"

int sa_ensure_rxsc(struct iface *ifc, uint64_t sci);
/* RX SA, then an inactive TX SA, on an (whatever was there goes). */
int sa_install(struct iface *ifc, uint8_t an, const struct qkd_key_record *key);
/* Remove what an abandoned generation left on an (not the encoding SA). */
void sa_remove_an(struct iface *ifc, uint8_t an);
int sa_switch_tx(struct iface *ifc, uint8_t an, const uint8_t keyid[16]);
/* Policy "block": deactivate the encoding SA. */
int sa_block_tx(struct iface *ifc);
/* Past the grace: delete the replaced TX SA, keep its seal for the peer. */
void sa_seal_tx(struct iface *ifc, uint64_t now);
/* The peer restarted: send every seal we still know again. */
void sa_reseal(struct iface *ifc, uint64_t now);
/* A seal to (re)send to the peer now, or NULL. */
const struct tx_seal *sa_seal_due(struct iface *ifc, uint8_t an, uint64_t now);
/* The peer's TX SA on an (key keyid) used PNs up to last_pn, no more. */
void sa_peer_sealed(struct iface *ifc, uint8_t an, const uint8_t keyid[16],
		    uint64_t last_pn, uint64_t now);
/* The peer is known to transmit on cur_an: watch its other RX SAs. */
void sa_retire_mark(struct iface *ifc, uint8_t cur_an, uint64_t now);
/* ifc->dev was just read: note whether every RX SA was in order. */
void sa_ledger(struct iface *ifc);
/* Delete the watched RX SAs proven (or judged) done; ifc->dev fresh. */
void sa_retire(struct iface *ifc, uint64_t now);
bool sa_retiring(const struct iface *ifc);
/* No RX SA still draining on an: a new key may go there. */
bool sa_an_free(const struct iface *ifc, uint8_t an);

#endif /* MACSECD_SA_H */
