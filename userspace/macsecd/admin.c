// SPDX-License-Identifier: GPL-2.0
/* The operator's socket: see admin.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "keyid.h"
#include "log.h"
#include "rekey.h"

#define REQ_TIMEOUT_MS 1000

int admin_open(const char *path)
{
	return qkd_unix_listen(path, 0600);
}

void admin_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

/* The adaptive interval and what it follows (pace.h). */
static void pace_fields(FILE *f, const struct pace *p)
{
	fprintf(f, " key_rate_mkps %llu avail %u reserve %u interval_ms ",
		(unsigned long long)(p->rate * 1000 + 0.5), p->avail, p->reserve);
	if (p->interval_ms == PACE_NO_KEYS)
		fprintf(f, "-");
	else
		fprintf(f, "%llu", (unsigned long long)p->interval_ms);
}

static void status_line(FILE *f, const struct iface *ifc)
{
	const struct msec_sa *sa = ifc->tx_an >= 0 ? &ifc->dev.tx[ifc->tx_an] : NULL;
	char id[QKD_KEYID_STR_SIZE] = "-";
	uint64_t age = ifc->tx_an >= 0 ? now_ms() - ifc->tx_since_ms : 0;

	if (ifc->tx_an >= 0)
		qkd_keyid_format(ifc->tx_keyid, id);
	fprintf(f, "%s role %s state %s synced %s an %d key %s pn %llu age_ms %llu "
		"rekeys %llu failures %llu key_mismatches %llu forged %llu replayed %llu "
		"latency_us %llu retire_timeouts %llu proof_wait_max_ms %llu out_of_keys %s blocked %s stream %s",
		ifc->cfg.name, ifc->leader ? "leader" : "follower",
		rekey_state_name(ifc->st), ifc->peer_synced ? "yes" : "no",
		ifc->tx_an, id, sa ? (unsigned long long)sa->pn : 0ULL,
		(unsigned long long)age, (unsigned long long)ifc->rekeys,
		(unsigned long long)ifc->failures,
		(unsigned long long)ifc->key_mismatches,
		(unsigned long long)ifc->ctrl.forged,
		(unsigned long long)ifc->ctrl.replayed,
		(unsigned long long)ifc->last_latency_us,
		(unsigned long long)ifc->retire_timeouts,
		(unsigned long long)ifc->proof_wait_max_ms,
		ifc->want_key ? "yes" : "no", ifc->blocked ? "yes" : "no",
		ifc->cfg.stream);
	pace_fields(f, &ifc->pace);
	fputc('\n', f);
}

static void handle(FILE *f, char *req, struct iface *ifaces, unsigned int n)
{
	char *cmd = strtok(req, " \t\r\n"), *name = strtok(NULL, " \t\r\n");
	unsigned int i, hits = 0;
	bool rekey;

	if (!cmd || (strcmp(cmd, "rekey") && strcmp(cmd, "status"))) {
		fprintf(f, "error: unknown request (rekey|status [IFNAME])\n");
		return;
	}
	rekey = !strcmp(cmd, "rekey");
	for (i = 0; i < n; i++) {
		if (name && strcmp(name, ifaces[i].cfg.name))
			continue;
		hits++;
		if (rekey) {
			rekey_request(&ifaces[i]);
			fprintf(f, "%s rekey requested\n", ifaces[i].cfg.name);
			log_notice("%s: rekey requested by the operator",
				   ifaces[i].cfg.name);
		} else {
			status_line(f, &ifaces[i]);
		}
	}
	if (!hits)
		fprintf(f, "error: no interface %s\n", name);
}

void admin_serve(int fd, struct iface *ifaces, unsigned int n)
{
	struct pollfd pfd = { .events = POLLIN };
	char req[128];
	ssize_t len;
	FILE *f;

	pfd.fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (pfd.fd < 0)
		return;
	/* One short line; a client that sends nothing is not waited for long. */
	if (poll(&pfd, 1, REQ_TIMEOUT_MS) <= 0) {
		close(pfd.fd);
		return;
	}
	len = read(pfd.fd, req, sizeof(req) - 1);
	if (len <= 0) {
		close(pfd.fd);
		return;
	}
	req[len] = '\0';
	f = fdopen(pfd.fd, "w");
	if (!f) {
		close(pfd.fd);
		return;
	}
	handle(f, req, ifaces, n);
	fclose(f);
}
