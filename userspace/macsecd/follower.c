// SPDX-License-Identifier: GPL-2.0
/*
 * The follower's side of the rekey handshake (see rekey.c): take the key
 * the leader names (or offer one of its own), check, install, and switch
 * once the leader transmits on it.
 */
#include <errno.h>
#include <string.h>

#include "iface.h"
#include "keyid.h"
#include "log.h"
#include "rekey.h"
#include "secmem.h"

static uint8_t follower_reserve(struct iface *ifc, const struct ctrl_msg *m)
{
	uint8_t kcv[KDF_KCV_LEN];
	int ret;

	/* Asked for one of ours: the leader checks it against READY's KCV. */
	if (m->status & CTRL_F_PEER_KEY) {
		ret = qkd_pool_reserve_next(ifc->pool, ifc->p_key);
		if (ret)
			return CTRL_E_NO_KEY;
		ifc->p_reserved = true;
		if (ifc->p_key->material_len < ifc->cfg.sak_len) {
			rekey_drop_key(ifc, true);
			return CTRL_E_KEY_SIZE;
		}
		return CTRL_OK;
	}
	ret = qkd_pool_reserve_id(ifc->pool, m->keyid, ifc->p_key);
	if (ret == -EBUSY)
		return CTRL_E_BUSY;
	if (ret)
		return CTRL_E_KEY_UNKNOWN;
	ifc->p_reserved = true;
	if (ifc->p_key->material_len < ifc->cfg.sak_len) {
		rekey_drop_key(ifc, true);
		return CTRL_E_KEY_SIZE;
	}
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, m->keyid,
		m->generation, KDF_ROLE_LEADER, kcv);
	if (!kdf_equal(kcv, m->kcv, sizeof(kcv))) {
		rekey_drop_key(ifc, true);
		return CTRL_E_KCV;
	}
	return CTRL_OK;
}

void follower_prepare(struct iface *ifc, const struct ctrl_msg *m,
			     uint64_t now)
{
	struct ctrl_msg r = { .type = CTRL_READY };
	char id[QKD_KEYID_STR_SIZE];
	uint8_t status;

	if (ifc->st == ST_PENDING && m->generation == ifc->p_gen) {
		rekey_send(ifc, &ifc->p_msg);	/* our READY was lost */
		return;
	}
	if (m->generation <= ifc->done_gen)
		return;
	if (ifc->st == ST_PENDING)
		rekey_abort(ifc, false, "superseded by a newer generation");
	if (m->an >= MSEC_NUM_AN || m->an == ifc->tx_an || m->an == m->cur_an) {
		rekey_reply(ifc, CTRL_NAK, CTRL_E_AN, m);
		return;
	}
	status = follower_reserve(ifc, m);
	if (status == CTRL_OK && sa_install(ifc, m->an, ifc->p_key)) {
		rekey_drop_key(ifc, false);
		status = CTRL_E_KERNEL;
	}
	if (status == CTRL_E_NO_KEY) {
		rekey_reply(ifc, CTRL_NAK, status, m);
		return;
	}
	if (status != CTRL_OK) {
		if (status == CTRL_E_KCV)
			ifc->key_mismatches++;
		ifc->failures++;
		log_err("%s: %srefused generation %u, key %s: %s", ifc->cfg.name,
			status == CTRL_E_KCV ? "KEY MISMATCH: " : "",
			m->generation, qkd_keyid_format(m->keyid, id),
			ctrl_status_name(status));
		rekey_reply(ifc, CTRL_NAK, status, m);
		return;
	}
	ifc->st = ST_PENDING;
	ifc->p_gen = m->generation;
	ifc->p_an = m->an;
	ifc->p_started_ms = now;
	r.generation = m->generation;
	r.an = m->an;
	memcpy(r.keyid, ifc->p_key->id, 16);
	kdf_kcv(ifc->p_key->material, ifc->p_key->material_len, r.keyid,
		r.generation, KDF_ROLE_FOLLOWER, r.kcv);
	ifc->p_msg = r;
	rekey_send(ifc, &ifc->p_msg);
}

/* Follower: the leader transmits on the new AN (COMMIT, or frames seen). */
void rekey_follower_switch(struct iface *ifc, uint64_t now)
{
	int ret;

	if (ifc->st != ST_PENDING)
		return;
	ret = qkd_pool_commit(ifc->pool, ifc->p_key->id);
	if (ret)
		log_err("%s: cannot commit key: %s", ifc->cfg.name, strerror(-ret));
	ifc->p_reserved = false;
	qkd_wipe(ifc->p_key->material, sizeof(ifc->p_key->material));
	if (sa_switch_tx(ifc, ifc->p_an, ifc->p_key->id)) {
		ifc->failures++;
		return;		/* stay pending: the next COMMIT retries */
	}
	ifc->done_gen = ifc->p_gen;
	ifc->st = ST_IDLE;
	ifc->rekey_now = false;
	ifc->rekeys++;
	sa_schedule_retire(ifc, now);
}

/* The leader refused our key: drop what we installed for it. */
void follower_nak(struct iface *ifc, const struct ctrl_msg *m)
{
	if (ifc->st != ST_PENDING || m->generation != ifc->p_gen)
		return;
	if (m->status == CTRL_E_KCV) {
		ifc->key_mismatches++;
		log_err("%s: KEY MISMATCH reported by the peer", ifc->cfg.name);
	}
	rekey_abort(ifc, m->status != CTRL_E_KERNEL && m->status != CTRL_E_BUSY,
		    ctrl_status_name(m->status));
}

void follower_commit(struct iface *ifc, const struct ctrl_msg *m,
			    uint64_t now)
{
	if (ifc->st == ST_PENDING && m->generation == ifc->p_gen)
		rekey_follower_switch(ifc, now);
	if (ifc->st == ST_IDLE && m->generation == ifc->done_gen)
		rekey_reply(ifc, CTRL_DONE, CTRL_OK, m);
}

