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

#include "qkd_listener.h"
#include "qkd_ppk_id.h"

#include <daemon.h>
#include <encoding/payloads/notify_payload.h>

/** PPK_ID type of a PPK_IDENTITY notify (RFC 8784): the only one used */
#define PPK_ID_FIXED 2

typedef struct private_qkd_listener_t private_qkd_listener_t;

/**
 * Private data of a qkd_listener_t object
 */
struct private_qkd_listener_t {

	/**
	 * Public interface
	 */
	qkd_listener_t public;

	/**
	 * Reserved keys by IKE_SA
	 */
	qkd_sa_keys_t *keys;
};

/**
 * Whether a notify is a PPK_IDENTITY carrying the marker
 */
static bool is_marker(notify_payload_t *notify)
{
	chunk_t data, marker = chunk_from_str(QKD_PPK_ID_MARKER);

	if (notify->get_notify_type(notify) != PPK_IDENTITY)
	{
		return FALSE;
	}
	data = notify->get_notification_data(notify);
	return data.len == marker.len + 1 && data.ptr[0] == PPK_ID_FIXED &&
		   memeq(data.ptr + 1, marker.ptr, marker.len);
}

/**
 * Replace the marker PPK_ID by "qkd:<uuid>" of the IKE_SA's key
 */
static void rewrite_ppk_id(private_qkd_listener_t *this, ike_sa_t *ike_sa,
						   notify_payload_t *notify)
{
	char buf[1 + QKD_PPK_ID_LEN + 1];
	u_char id[QKD_KEY_ID_LEN];

	if (!this->keys->mark_sent(this->keys, ike_sa, id))
	{
		DBG1(DBG_IKE, "qkd: PPK_ID '" QKD_PPK_ID_MARKER "' without a QKD "
			 "key, sent as is");
		return;
	}
	buf[0] = PPK_ID_FIXED;
	qkd_ppk_id_format(chunk_create(id, sizeof(id)), buf + 1);
	notify->set_notification_data(notify,
							chunk_create((u_char*)buf, sizeof(buf) - 1));
	DBG1(DBG_IKE, "qkd: sending PPK_ID '%s'", buf + 1);
}

METHOD(listener_t, message, bool,
	private_qkd_listener_t *this, ike_sa_t *ike_sa, message_t *message,
	bool incoming, bool plain)
{
	enumerator_t *enumerator;
	payload_t *payload;

	if (incoming || !plain || !message->get_request(message) ||
		message->get_exchange_type(message) != IKE_AUTH ||
		!qkd_ppk_id_initiator(ike_sa))
	{
		return TRUE;
	}
	enumerator = message->create_payload_enumerator(message);
	while (enumerator->enumerate(enumerator, &payload))
	{
		if (payload->get_type(payload) == PLV2_NOTIFY &&
			is_marker((notify_payload_t*)payload))
		{
			rewrite_ppk_id(this, ike_sa, (notify_payload_t*)payload);
		}
	}
	enumerator->destroy(enumerator);
	return TRUE;
}

METHOD(listener_t, authorize, bool,
	private_qkd_listener_t *this, ike_sa_t *ike_sa, bool final, bool *success)
{
	bool qkd_conn, has_key, sent = FALSE;

	if (!final)
	{
		return TRUE;
	}
	qkd_conn = qkd_ppk_id_initiator(ike_sa);
	has_key = this->keys->has_key(this->keys, ike_sa, &sent);
	if (!qkd_conn && !has_key)
	{
		return TRUE;
	}
	if (!ike_sa->has_condition(ike_sa, COND_PPK))
	{
		DBG1(DBG_IKE, "qkd: IKE_SA %s[%u] completed without the QKD PPK "
			 "(peer did not use it), refusing", ike_sa->get_name(ike_sa),
			 ike_sa->get_unique_id(ike_sa));
		*success = FALSE;
	}
	else if (qkd_conn && !sent)
	{
		DBG1(DBG_IKE, "qkd: IKE_SA %s[%u] used a PPK that is not a QKD key, "
			 "refusing", ike_sa->get_name(ike_sa),
			 ike_sa->get_unique_id(ike_sa));
		*success = FALSE;
	}
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool,
	private_qkd_listener_t *this, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	switch (state)
	{
		case IKE_ESTABLISHED:
			this->keys->commit(this->keys, ike_sa);
			break;
		case IKE_DESTROYING:
			this->keys->abort(this->keys, ike_sa);
			break;
		default:
			break;
	}
	return TRUE;
}

METHOD(qkd_listener_t, destroy, void,
	private_qkd_listener_t *this)
{
	free(this);
}

/*
 * Described in header
 */
qkd_listener_t *qkd_listener_create(qkd_sa_keys_t *keys)
{
	private_qkd_listener_t *this;

	INIT(this,
		.public = {
			.listener = {
				.message = _message,
				.authorize = _authorize,
				.ike_state_change = _ike_state_change,
			},
			.destroy = _destroy,
		},
		.keys = keys,
	);
	return &this->public;
}
