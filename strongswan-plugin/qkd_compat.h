/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/**
 * @defgroup qkd_compat qkd_compat
 * @{ @ingroup qkd
 *
 * The only place where strongSwan 5.9.x and 6.x differ for the plugin's
 * source. The binary differences (vtables that grew in the middle, see
 * PORTING-6.md) are handled by building once per strongSwan, not here.
 */

#ifndef QKD_COMPAT_H_
#define QKD_COMPAT_H_

#include <crypto/transform.h>
#include <crypto/key_exchange.h>
#include <collections/array.h>

/*
 * A feature test rather than a version number: RFC 9370 multiple key
 * exchanges arrived with 6.0, and with them the only way a key exchange
 * method can contribute to every rekey.
 */
#ifdef MAX_ADDITIONAL_KEY_EXCHANGES
#define QKD_HAVE_KE_METHOD 1
/** listener_t.ike_keys/child_keys: all key exchanges of the SA */
#define QKD_KES_ARG array_t *kes

#include "qkd_ke.h"

/**
 * The key exchange method `qkd` (qkd_ke.c, built for 6.x only), after the
 * plugin's callback feature that creates the key source
 */
#define QKD_KE_FEATURES \
	PLUGIN_REGISTER(KE, qkd_ke_create), \
		PLUGIN_PROVIDE(KE, KE_QKD), \
			PLUGIN_DEPENDS(CUSTOM, "qkd"), \
			PLUGIN_DEPENDS(PRF, PRF_HMAC_SHA2_256),
#else
#define QKD_HAVE_KE_METHOD 0
/** listener_t.ike_keys/child_keys: the single (EC)DH of the SA */
#define QKD_KES_ARG key_exchange_t *dh

/** No key exchange methods from plugins before 6.0 */
#define QKD_KE_FEATURES
static inline void qkd_ke_register(void *source) {}
static inline void qkd_ke_unregister() {}
#endif

#endif /** QKD_COMPAT_H_ @}*/
