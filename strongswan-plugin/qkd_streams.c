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

#include "qkd_streams.h"

#include <daemon.h>

/**
 * Whether the "id" setting of a section matches the remote identity
 */
static bool id_matches(char *section, identification_t *remote)
{
	identification_t *id;
	char *str;
	bool match;

	str = lib->settings->get_str(lib->settings,
							"%s.plugins.qkd.streams.%s.id", NULL, lib->ns,
							section);
	if (!str || !remote)
	{
		return FALSE;
	}
	id = identification_create_from_string(str);
	match = remote->matches(remote, id) > ID_MATCH_NONE;
	id->destroy(id);
	return match;
}

/**
 * Whether the "connection" setting of a section names the connection
 */
static bool connection_matches(char *section, char *connection)
{
	char *str;

	str = lib->settings->get_str(lib->settings,
							"%s.plugins.qkd.streams.%s.connection", NULL,
							lib->ns, section);
	return str && connection && streq(str, connection);
}

/**
 * Stream named by a section (defaults to the section name)
 */
static char *section_stream(char *section)
{
	return lib->settings->get_str(lib->settings,
							"%s.plugins.qkd.streams.%s.stream", section,
							lib->ns, section);
}

/*
 * Described in header
 */
char *qkd_streams_select(char *connection, identification_t *remote)
{
	enumerator_t *enumerator;
	char *section, *by_conn = NULL, *by_id = NULL, *stream;

	enumerator = lib->settings->create_section_enumerator(lib->settings,
							"%s.plugins.qkd.streams", lib->ns);
	while (enumerator->enumerate(enumerator, &section))
	{
		if (!by_conn && connection_matches(section, connection))
		{
			by_conn = strdup(section_stream(section));
		}
		else if (!by_id && id_matches(section, remote))
		{
			by_id = strdup(section_stream(section));
		}
	}
	enumerator->destroy(enumerator);

	if (by_conn)
	{
		free(by_id);
		return by_conn;
	}
	if (by_id)
	{
		return by_id;
	}
	stream = lib->settings->get_str(lib->settings, "%s.plugins.qkd.stream",
									NULL, lib->ns);
	return stream ? strdup(stream) : NULL;
}

/**
 * A known remote identity, or the connection's first remote identity
 */
static identification_t *remote_id(identification_t *id, peer_cfg_t *peer_cfg)
{
	enumerator_t *enumerator;
	auth_cfg_t *auth;

	if ((!id || id->get_type(id) == ID_ANY) && peer_cfg)
	{
		enumerator = peer_cfg->create_auth_cfg_enumerator(peer_cfg, FALSE);
		if (enumerator->enumerate(enumerator, &auth))
		{
			id = auth->get(auth, AUTH_RULE_IDENTITY) ?: id;
		}
		enumerator->destroy(enumerator);
	}
	return id;
}

/*
 * Described in header
 */
char *qkd_streams_for_sa(ike_sa_t *ike_sa)
{
	identification_t *remote;
	char *stream;

	remote = remote_id(ike_sa->get_other_id(ike_sa),
					   ike_sa->get_peer_cfg(ike_sa));

	stream = qkd_streams_select(ike_sa->get_name(ike_sa), remote);
	if (!stream)
	{
		DBG1(DBG_CFG, "qkd: no key stream configured for connection '%s' "
			 "(peer '%Y'), refusing QKD key", ike_sa->get_name(ike_sa), remote);
	}
	return stream;
}

/*
 * Described in header
 */
char *qkd_streams_for_peer_cfg(peer_cfg_t *peer_cfg)
{
	return qkd_streams_select(peer_cfg->get_name(peer_cfg),
							  remote_id(NULL, peer_cfg));
}
