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
 * @defgroup qkd_streams qkd_streams
 * @{ @ingroup qkd
 */

#ifndef QKD_STREAMS_H_
#define QKD_STREAMS_H_

#include <library.h>
#include <utils/identification.h>
#include <sa/ike_sa.h>

/**
 * Select the key stream shared with a peer.
 *
 * Sections of charon.plugins.qkd.streams name a stream for a connection
 * (connection = name) or a remote identity (id = identity, wildcards as in
 * swanctl). A connection match wins over an identity match; without either,
 * charon.plugins.qkd.stream is the default. Settings are read on every call,
 * so a reload takes effect for the next IKE_SA.
 *
 * @param connection	name of the connection (peer_cfg), or NULL
 * @param remote		remote identity, or NULL
 * @return				allocated stream name, NULL if none is configured
 */
char *qkd_streams_select(char *connection, identification_t *remote);

/**
 * Select the key stream shared with the peer of an IKE_SA.
 *
 * While IKE_AUTH is built the initiator may not know the remote identity
 * yet; the connection's first remote identity stands in for it.
 *
 * @param ike_sa		IKE_SA with a peer config
 * @return				allocated stream name, NULL if none (logged)
 */
char *qkd_streams_for_sa(ike_sa_t *ike_sa);

/**
 * Select the key stream of a connection, for its first remote identity.
 *
 * @param peer_cfg		connection
 * @return				allocated stream name, NULL if none is configured
 */
char *qkd_streams_for_peer_cfg(peer_cfg_t *peer_cfg);

#endif /** QKD_STREAMS_H_ @}*/
