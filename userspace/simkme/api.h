/* SPDX-License-Identifier: GPL-2.0 */
/* The ETSI 014 backend of qkd-simkme: one KME serving one local SAE. */
#ifndef SIMKME_API_H
#define SIMKME_API_H

#include <stdbool.h>

#include "keys.h"
#include "server.h"

struct simkme {
	char kme_id[ETSI014_KME_ID_MAX];
	char peer_kme_id[ETSI014_KME_ID_MAX];
	char sae[ETSI014_SAE_ID_MAX];		/* the SAE we serve */
	char peer_sae[ETSI014_SAE_ID_MAX];	/* the SAE behind the peer KME */
	uint32_t key_size;			/* bits, default */
	uint32_t min_key_size, max_key_size;	/* bits */
	uint32_t max_keys, max_per_request;
	struct sim_link *enc;			/* sae -> peer_sae */
	struct sim_link *dec;			/* peer_sae -> sae */
	bool down;				/* outage: every request 503 */
	unsigned long served, refused;
};

extern const struct etsi014_server_ops simkme_ops;

#endif /* SIMKME_API_H */
