// SPDX-License-Identifier: GPL-2.0
/* qkd-macsecd's metrics: see metrics.h. Names as in qkd-macsecd(8). */
#include "metrics.h"

struct scrape {
	const struct iface *ifaces;
	unsigned int n;
};

enum { M_REKEYS, M_FAILURES, M_MISMATCHES, M_FORGED, M_REPLAYED,
       M_RETIRE_TIMEOUTS, M_SYNCED, M_OUT_OF_KEYS, M_TX_AGE, M_N };

static const struct {
	const char *name, *type, *help;
} families[M_N] = {
	[M_REKEYS] = { "qkd_macsec_rekeys_total", "counter",
		"Rekeys completed (both ends switched to the new SA)" },
	[M_FAILURES] = { "qkd_macsec_rekey_failures_total", "counter",
		"Rekey handshakes that failed (timeout, refusal, kernel)" },
	[M_MISMATCHES] = { "qkd_macsec_key_mismatches_total", "counter",
		"Keys whose check values differed between the two ends" },
	[M_FORGED] = { "qkd_macsec_control_forged_total", "counter",
		"Control messages refused as forged or malformed" },
	[M_REPLAYED] = { "qkd_macsec_control_replayed_total", "counter",
		"Control messages refused as replayed" },
	[M_RETIRE_TIMEOUTS] = { "qkd_macsec_rx_sa_retire_timeouts_total",
		"counter",
		"Old RX SAs deleted at the safety timeout, without proof" },
	[M_SYNCED] = { "qkd_macsec_peer_synced", "gauge",
		"1 if the peer answered in this session" },
	[M_OUT_OF_KEYS] = { "qkd_macsec_out_of_keys", "gauge",
		"1 while a rekey waits for a key from the pool" },
	[M_TX_AGE] = { "qkd_macsec_tx_sa_age_seconds", "gauge",
		"Age of the encoding SA (0: none)" },
};

static uint64_t value(const struct iface *ifc, unsigned int i)
{
	switch (i) {
	case M_REKEYS: return ifc->rekeys;
	case M_FAILURES: return ifc->failures;
	case M_MISMATCHES: return ifc->key_mismatches;
	case M_FORGED: return ifc->ctrl.forged;
	case M_REPLAYED: return ifc->ctrl.replayed;
	case M_RETIRE_TIMEOUTS: return ifc->retire_timeouts;
	case M_SYNCED: return ifc->peer_synced;
	case M_OUT_OF_KEYS: return ifc->want_key;
	default:
		return ifc->tx_an >= 0 ? (now_ms() - ifc->tx_since_ms) / 1000 : 0;
	}
}

static void fill(struct qkd_prom *m, void *arg)
{
	const struct scrape *s = arg;
	const struct iface *ifc;
	unsigned int i, j;

	qkd_prom_family(m, "qkd_macsec_info", "gauge",
			"The interfaces keyed: role, pool stream");
	for (j = 0; j < s->n; j++) {
		ifc = &s->ifaces[j];
		qkd_prom_u64(m, "qkd_macsec_info", 1, "interface",
			     ifc->cfg.name, "role",
			     ifc->leader ? "leader" : "follower", "stream",
			     ifc->cfg.stream, PROM_END);
	}
	for (i = 0; i < M_N; i++) {
		qkd_prom_family(m, families[i].name, families[i].type,
				families[i].help);
		for (j = 0; j < s->n; j++)
			qkd_prom_u64(m, families[i].name,
				     value(&s->ifaces[j], i), "interface",
				     s->ifaces[j].cfg.name, PROM_END);
	}
	qkd_prom_family(m, "qkd_macsec_rekey_duration_seconds", "histogram",
			"Leader's rekey handshakes, PREPARE sent to DONE");
	for (j = 0; j < s->n; j++)
		qkd_prom_hist(m, "qkd_macsec_rekey_duration_seconds",
			      &s->ifaces[j].latency, "interface",
			      s->ifaces[j].cfg.name);
}

void metrics_pollfds(const struct metrics *m, struct pollfd *pfd)
{
	unsigned int i;

	pfd[0] = (struct pollfd){ m->lfd, POLLIN, 0 };
	for (i = 0; i < PROM_MAX_CONNS; i++)
		pfd[1 + i] = (struct pollfd){
			m->conn[i] ? qkd_prom_conn_fd(m->conn[i]) : -1,
			m->want[i], 0 };
}

static void conn_end(struct metrics *m, unsigned int i)
{
	qkd_prom_conn_free(m->conn[i]);
	m->conn[i] = NULL;
	m->want[i] = 0;
}

void metrics_events(struct metrics *m, const struct pollfd *pfd,
		    const struct iface *ifaces, unsigned int n)
{
	struct scrape s = { ifaces, n };
	struct qkd_prom_conn *c;
	unsigned int i;

	for (i = 0; i < PROM_MAX_CONNS; i++) {
		if (!m->conn[i])
			continue;
		if (pfd[1 + i].revents)
			m->want[i] = qkd_prom_conn_io(m->conn[i], fill, &s);
		else if (!qkd_prom_conn_timeout(m->conn[i]))
			m->want[i] = 0;
		if (!m->want[i])
			conn_end(m, i);
	}
	if (!(pfd[0].revents & POLLIN))
		return;
	c = qkd_prom_accept(m->lfd);
	for (i = 0; i < PROM_MAX_CONNS && m->conn[i]; i++)
		;
	if (!c || i == PROM_MAX_CONNS) {
		qkd_prom_conn_free(c);
		return;
	}
	m->conn[i] = c;
	m->want[i] = POLLIN;
}

void metrics_close(struct metrics *m, const char *addr)
{
	unsigned int i;

	for (i = 0; i < PROM_MAX_CONNS; i++)
		if (m->conn[i])
			conn_end(m, i);
	qkd_prom_close(m->lfd, addr);
	m->lfd = -1;
}
