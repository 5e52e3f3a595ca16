// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-kmd: the qkdpool key manager. It pulls keys from each QKD link's KME
 * (ETSI GS QKD 014), agrees on them with the neighbour key manager over Kx
 * and keeps the neighbour's stream of the kernel pool filled; see
 * qkd-kmd(8) and qkd-kmd.conf(5).
 */
#include <errno.h>
#include <execinfo.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ak.h"
#include "kx.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "skip.h"
#include "status.h"
#include "store.h"
#include "tls.h"

/* After SIGTERM, how long the withdrawal of our routes has to get out. */
#define DRAIN_MS 500

static const char usage_text[] =
"Usage: qkd-kmd [-c FILE] [--check] [--syslog] [--log-level LEVEL]\n"
"\n"
"The qkdpool key manager. For each neighbour configured with a [peer]\n"
"section it keeps the stream of the kernel key pool (/dev/qkdpool, generic\n"
"netlink family \"qkdpool\") filled with keys shared with that neighbour:\n"
"the master end of the QKD link asks its KME for keys (ETSI GS QKD 014\n"
"enc_keys over HTTPS with mutual TLS) and offers their IDs to the\n"
"neighbour key manager over Kx (TLS 1.3, mutual authentication, see\n"
"docs/kx-protocol.md); the slave end gets the same keys from its own KME\n"
"(dec_keys). Both add them to the pool with mirrored ownership, the\n"
"owning end last, so that no key is ever usable at one end only. All\n"
"delivered keys live in the kernel pool: the daemon may be killed and\n"
"restarted at any time; the two ends reconcile by key ID on reconnect.\n"
"With an [ak] section it also serves ETSI 014 to local applications.\n"
"\n"
"  -c, --config FILE    configuration (default /etc/qkd/qkd-kmd.conf),\n"
"                       see qkd-kmd.conf(5)\n"
"      --check          parse the configuration, print a summary, exit\n"
"      --syslog         log to syslog instead of stderr\n"
"      --log-level L    err, warning, notice, info or debug (overrides the\n"
"                       configuration)\n"
"  -h, --help           this text\n"
"\n"
"Status: the JSON file named by [node] status_file, rewritten every second\n"
"(links, KME health, stream fill, rates, counters): `qkdctl km status`\n"
"shows it. With [node] metrics, Prometheus metrics on GET /metrics.\n"
"SIGINT or SIGTERM stop the daemon; keys in delivery are settled with the\n"
"neighbour after restart.\n"
"Exit status: 0 after a signal, 1 on a runtime error, 2 on a bad\n"
"configuration or usage.\n";

struct opts {
	const char *config;
	bool check, syslog;
	int log_level;
};

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", 1, 0, 'c' }, { "check", 0, 0, 'C' },
		{ "syslog", 0, 0, 's' }, { "log-level", 1, 0, 'L' },
		{ "help", 0, 0, 'h' }, { 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'C': o->check = true; break;
		case 's': o->syslog = true; break;
		case 'L':
			o->log_level = qkd_log_level_parse(optarg);
			if (o->log_level >= 0)
				break;
			fprintf(stderr, "qkd-kmd: bad --log-level '%s'\n",
				optarg);
			exit(2);
		case 'h': fputs(usage_text, stdout); exit(0);
		default:
			fprintf(stderr, "Try 'qkd-kmd --help'.\n");
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "qkd-kmd: unexpected argument '%s'\n",
			argv[optind]);
		exit(2);
	}
}

static void print_summary(const struct kmd_config *cfg)
{
	const struct kmd_peer_cfg *p;

	printf("node %s, Kx listen %s\n", cfg->node_id,
	       cfg->kx_listen[0] ? cfg->kx_listen : "(none)");
	for (p = cfg->peers; p; p = p->next)
		printf("peer %s: %s, stream %s, KME %s (SAE %s -> %s), "
		       "%u-bit keys, fill %u\n", p->id,
		       p->master ? "master" : "slave", p->stream, p->kme_url,
		       p->sae, p->peer_sae, p->key_size, p->fill_target);
	for (p = cfg->fars; p; p = p->next)
		printf("far %s: stream %s, %u-bit keys, fill %u, route %s\n",
		       p->id, p->stream, p->key_size, p->fill_target,
		       p->route_count ? "static" : "learned");
	if (cfg->ak_listen[0])
		printf("ak: ETSI 014 on %s\n", cfg->ak_listen);
	if (cfg->metrics[0])
		printf("metrics on %s\n", cfg->metrics);
}

/*
 * A crash says where, as addresses only (no memory contents): the daemon
 * is not dumpable, so there is no core to look at.
 */
static void on_crash(int sig)
{
	static const char what[] = "qkd-kmd: crashed (fatal signal), backtrace:\n";
	void *frames[32];
	int n = backtrace(frames, 32);
	ssize_t ret;

	/* The tests look for this line: only async-signal-safe calls here. */
	ret = write(2, what, sizeof(what) - 1);
	(void)ret;
	backtrace_symbols_fd(frames, n, 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Keys pass through our heap: no core dumps, no ptrace, no swap. */
static void harden(void)
{
	struct rlimit nocore = { 0, 0 };
	void *frame0[1];

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &nocore);
	backtrace(frame0, 1);	/* loads libgcc now, not in the handler */
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		log_info("memory not locked (%s): keys may reach swap",
			 strerror(errno));
}

static int setup_tls(struct kmd *k)
{
	char err[512];

	k->kx_server = etsi014_tls_ctx(true, k->cfg.cert, k->cfg.key,
				       k->cfg.ca, err, sizeof(err));
	if (k->kx_server)
		k->kx_client = etsi014_tls_ctx(false, k->cfg.cert,
					       k->cfg.key, k->cfg.ca, err,
					       sizeof(err));
	if (!k->kx_client) {
		log_err("TLS: %s", err);
		return -EINVAL;
	}
	return 0;
}

static int setup_links(struct kmd *k)
{
	const struct kmd_peer_cfg *p;
	struct link *l, **tail = &k->links;
	bool listen = false;
	int ret;

	for (p = k->cfg.peers; p; p = p->next) {
		ret = store_stream_ensure(k->genl, p) ?:
		      link_create(k, p, &l);
		if (ret)
			return ret;
		*tail = l;
		tail = &l->next;
		listen |= !p->master;
	}
	return listen ? kx_listen(k) : 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct timeval drain = { 0, DRAIN_MS * 1000 };
	struct kmd *k = arg;

	(void)what;
	/* Neighbours reroute on the withdrawal, if it gets out: let it. */
	if (relay_withdraw(k)) {
		log_notice("signal %d: stopping in %d ms", (int)sig, DRAIN_MS);
		event_base_loopexit(k->base, &drain);
		return;
	}
	log_notice("signal %d: stopping", (int)sig);
	event_base_loopbreak(k->base);
}

static int run(struct kmd *k)
{
	struct event *sint, *sterm;
	int ret = 1;

	sint = evsignal_new(k->base, SIGINT, on_signal, k);
	sterm = evsignal_new(k->base, SIGTERM, on_signal, k);
	if (!sint || !sterm || evsignal_add(sint, NULL) ||
	    evsignal_add(sterm, NULL))
		goto out;
	if (setup_tls(k) || setup_links(k) || relay_start(k) ||
	    kmd_status_start(k) || kmd_metrics_start(k) || ak_start(k) ||
	    skip_start(k))
		goto out;
	log_notice("node %s: running", k->cfg.node_id);
	ret = event_base_dispatch(k->base) < 0;
out:
	if (sint)
		event_free(sint);
	if (sterm)
		event_free(sterm);
	return ret;
}

static void teardown(struct kmd *k)
{
	struct link *l;

	skip_stop(k);
	ak_stop(k);
	kmd_metrics_stop(k);
	kmd_status_stop(k);
	relay_stop(k);
	kx_listener_free(k->listener);
	while ((l = k->links)) {
		k->links = l->next;
		link_destroy(l);
	}
	SSL_CTX_free(k->kx_server);
	SSL_CTX_free(k->kx_client);
	if (k->genl)
		qkd_genl_close(k->genl);
	if (k->base)
		event_base_free(k->base);
	kmd_config_free(&k->cfg);
}

int main(int argc, char **argv)
{
	struct opts o = { .config = "/etc/qkd/qkd-kmd.conf", .log_level = -1 };
	struct kmd k = { 0 };
	int ret;

	if (etsi014_secure_allocators()) {
		fprintf(stderr, "qkd-kmd: cannot install allocators\n");
		return 1;
	}
	parse(argc, argv, &o);
	if (kmd_config_load(o.config, &k.cfg))
		return 2;
	if (o.check) {
		print_summary(&k.cfg);
		kmd_config_free(&k.cfg);
		return 0;
	}
	qkd_log_init("qkd-kmd", o.log_level >= 0 ? o.log_level :
		     k.cfg.log_level, o.syslog);
	harden();
	signal(SIGPIPE, SIG_IGN);
	ret = qkd_genl_open(&k.genl);
	if (ret) {
		log_err("kernel pool: %s%s", strerror(-ret),
			ret == -ENOENT ? " (is qkdpool.ko loaded?)" : "");
		k.genl = NULL;
		teardown(&k);
		return 1;
	}
	k.base = event_base_new();
	/* Pool counts are cached per pass of this loop (store.h). */
	store_clock(k.base);
	ret = k.base ? run(&k) : 1;
	teardown(&k);
	return ret;
}
