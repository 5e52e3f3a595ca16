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
 * @defgroup qkd_wipe qkd_wipe
 * @{ @ingroup qkd
 */

#ifndef QKD_WIPE_H_
#define QKD_WIPE_H_

#include <library.h>

/**
 * Make libcurl and jansson wipe every block they free.
 *
 * Their receive buffers and JSON strings hold the base64 key material of
 * ETSI GS QKD 014 replies, and neither wipes before free(). Both settings
 * are process-wide: libcurl keeps allocators set by an earlier
 * curl_global_init() (a no-op then), and charon itself uses no jansson.
 * Pair with qkd_wipe_uninit().
 *
 * @return				TRUE if libcurl initialized
 */
bool qkd_wipe_init();

/**
 * Drop the libcurl reference taken by qkd_wipe_init().
 */
void qkd_wipe_uninit();

#endif /** QKD_WIPE_H_ @}*/
