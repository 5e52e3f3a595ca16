/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's "macsec" generic netlink family (drivers/net/macsec.c):
 * secure associations of one MACsec device, and its state as the GET_TXSC
 * dump reports it. Functions return 0 or -errno (explanation in
 * nlsock_extack(&m->sock)).
 */
#ifndef MACSECD_MSEC_H
#define MACSECD_MSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/if_macsec.h>

#include "nlsock.h"

#define MSEC_NUM_AN	4
#define MSEC_RXSC_MAX	4

struct msec {
	struct nlsock sock;
	uint16_t family;
};

struct msec_sa {
	bool present;
	bool active;
	uint64_t pn;			/* next PN to send / lowest acceptable */
	uint8_t keyid[MACSEC_KEYID_LEN];
	uint32_t pkts;			/* RX: InPktsOK; TX: OutPkts{Protected,Encrypted} */
};

struct msec_rxsc {
	uint64_t sci;			/* wire order, as the kernel keeps it */
	bool active;
	struct msec_sa sa[MSEC_NUM_AN];
	uint64_t in_ok, invalid, late, delayed, not_valid, not_using_sa, unused_sa;
};

struct msec_dev {
	uint32_t ifindex;
	uint64_t sci;
	uint8_t encoding_sa;
	uint64_t cipher;
	bool xpn;
	struct msec_sa tx[MSEC_NUM_AN];
	uint64_t out_pkts;
	unsigned int n_rxsc;
	struct msec_rxsc rxsc[MSEC_RXSC_MAX];
};

/* What an SA is installed with. key is secret: the request is wiped. */
struct msec_sa_cfg {
	uint8_t an;
	uint64_t pn;
	bool active;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *keyid;
	bool xpn;
	uint32_t ssci;
	const uint8_t *salt;		/* MACSEC_SALT_LEN bytes, XPN only */
};

/* -ENOENT if the family is not registered (macsec module not loaded). */
int msec_open(struct msec *m);
void msec_close(struct msec *m);
/* The state of device ifindex; -ENODEV if it is not a MACsec device. */
int msec_get(struct msec *m, uint32_t ifindex, struct msec_dev *dev);
struct msec_rxsc *msec_dev_rxsc(struct msec_dev *dev, uint64_t sci);

int msec_txsa_add(struct msec *m, uint32_t ifindex, const struct msec_sa_cfg *c);
int msec_txsa_set_active(struct msec *m, uint32_t ifindex, uint8_t an,
			 bool active);
/* Deactivate, then delete (the kernel refuses to delete an active SA). */
int msec_txsa_del(struct msec *m, uint32_t ifindex, uint8_t an);
int msec_rxsc_add(struct msec *m, uint32_t ifindex, uint64_t sci);
int msec_rxsa_add(struct msec *m, uint32_t ifindex, uint64_t sci,
		  const struct msec_sa_cfg *c);
int msec_rxsa_del(struct msec *m, uint32_t ifindex, uint64_t sci, uint8_t an);

#endif /* MACSECD_MSEC_H */
