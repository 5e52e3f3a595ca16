// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-macsecd: hitless MACsec rekeying from the QKD key pool. One process
 * per node keys every MACsec interface of its configuration file; it runs
 * in the foreground (systemd's Type=simple) until SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "iface.h"
#include "log.h"
#include "metrics.h"
#include "secmem.h"

#define VERSION		"0.1"
#define TICK_MS		50	/* while a handshake or a retirement runs */
#define IDLE_TICK_MS	250
#define DEFAULT_CONFIG	"/etc/qkd-macsecd.conf"

static const char *prog = "qkd-macsecd";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-c FILE] [-s] [-d] [-n]\n"
"       %s -h | -V\n"
"\n"
"Keeps MACsec links keyed from the QKD key pool (qkdpool.ko): at each rekey\n"
"(interval, packet-number threshold, or on demand) the leader end takes a\n"
"fresh key from the pool, the two ends agree on it over an authenticated\n"
"control channel, and the SAs switch without losing a frame. The QKD key ID\n"
"becomes the SA's key identifier, as `ip macsec show` prints it.\n"
"\n"
"Options:\n"
"  -c, --config FILE   configuration file (default %s)\n"
"  -s, --syslog        log to syslog instead of stderr\n"
"  -d, --debug         log at debug level (overrides log-level)\n"
"  -n, --check         read and check the configuration, then exit\n"
"  -h, --help          this text\n"
"  -V, --version       version\n"
"\n"
"Signals: SIGUSR1 rekeys every interface now; SIGTERM and SIGINT stop the\n"
"daemon, leaving the SAs in place (the link keeps running; a restarted\n"
"daemon adopts them).\n"
"\n"
"Operator socket (control-socket in [global], default /run/qkd-macsecd.sock):\n"
"`qkdctl macsec status|rekey [IFNAME]`. Prometheus metrics: GET /metrics on\n"
"metrics in [global] (off by default).\n"
"\n"
"Exit status: 0 on SIGTERM/SIGINT or after --check, 1 on a runtime error,\n"
"2 on a usage or configuration error.\n"
"See qkd-macsecd(8) for the configuration file and the protocol.\n",
		prog, prog, DEFAULT_CONFIG);
}

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "syslog", no_argument, NULL, 's' },
	{ "debug", no_argument, NULL, 'd' },
	{ "check", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct daemon {
	struct config cfg;
	struct kernel k;
	struct iface ifaces[CONFIG_IFACE_MAX];
	unsigned int n;
	int sigfd;
	int admin;
	struct metrics metrics;
	bool stop;
	uint64_t drain_until_ms;
};

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sigfd < 0 ? -errno : 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	unsigned int i;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			log_notice("SIGUSR1: rekeying every interface");
			for (i = 0; i < d->n; i++)
				rekey_request(&d->ifaces[i]);
		} else if (si.ssi_signo == SIGHUP) {
			log_notice("SIGHUP: configuration reload is not supported; restart the daemon (the SAs survive)");
		} else {
			d->stop = true;
		}
	}
}

static int start(struct daemon *d)
{
	unsigned int i;
	int ret;

	ret = nlsock_open(&d->k.rtnl, NETLINK_ROUTE);
	if (ret) {
		log_err("rtnetlink: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < d->cfg.n_iface; i++) {
		ret = iface_open(&d->ifaces[i], &d->cfg.iface[i], &d->k);
		d->n = i + 1;
		if (ret)
			return ret;
		rekey_open(&d->ifaces[i]);
	}
	d->admin = admin_open(d->cfg.admin_socket);
	if (d->admin < 0) {
		log_err("control socket %s: %s", d->cfg.admin_socket,
			strerror(-d->admin));
		return d->admin;
	}
	if (!d->cfg.metrics[0])
		return 0;
	d->metrics.lfd = qkd_prom_listen(d->cfg.metrics);
	if (d->metrics.lfd < 0) {
		log_err("metrics on %s: %s", d->cfg.metrics,
			strerror(-d->metrics.lfd));
		return d->metrics.lfd;
	}
	log_info("metrics on %s", d->cfg.metrics);
	return 0;
}

static void stop(struct daemon *d)
{
	unsigned int i;

	metrics_close(&d->metrics, d->cfg.metrics);
	admin_close(d->admin, d->cfg.admin_socket);
	for (i = 0; i < d->n; i++) {
		rekey_close(&d->ifaces[i]);
		iface_close(&d->ifaces[i]);
	}
	msec_close(&d->k.msec);
	nlsock_close(&d->k.rtnl);
}

/*
 * On SIGTERM, a leader that has switched but not heard DONE waits for it
 * (at most a handshake timeout), so that both ends have committed the key
 * when the daemon stops. No new generation starts meanwhile.
 */
static bool draining(struct daemon *d, uint64_t now)
{
	unsigned int i;
	bool busy = false;

	if (!d->stop)
		return true;
	if (!d->drain_until_ms) {
		d->drain_until_ms = now + d->cfg.iface[0].handshake_timeout_ms;
		for (i = 0; i < d->n; i++)
			d->ifaces[i].draining = true;
	}
	for (i = 0; i < d->n; i++)
		busy |= rekey_committing(&d->ifaces[i]);
	return busy && now < d->drain_until_ms;
}

/*
 * Ticks drive timers and the kernel polling (the macsec family sends no
 * events): every TICK_MS while any interface is busy, else sparser, but
 * at least four per rekey interval so that a rekey is never late by much.
 * Control messages wake the loop at once.
 */
static uint64_t tick_ms(const struct daemon *d)
{
	uint64_t t = IDLE_TICK_MS;
	unsigned int i;

	for (i = 0; i < d->n; i++) {
		if (!rekey_idle(&d->ifaces[i]))
			return TICK_MS;
		if (d->ifaces[i].cfg.rekey_interval_ms / 4 < t)
			t = d->ifaces[i].cfg.rekey_interval_ms / 4;
	}
	return t > TICK_MS ? t : TICK_MS;
}

static void run(struct daemon *d)
{
	struct pollfd pfd[CONFIG_IFACE_MAX + 2 + METRICS_POLLFDS];
	uint64_t now, next_tick = 0;
	unsigned int i;

	while (draining(d, now_ms())) {
		for (i = 0; i < d->n; i++)
			pfd[i] = (struct pollfd){ d->ifaces[i].ctrl.fd, POLLIN, 0 };
		pfd[d->n] = (struct pollfd){ d->sigfd, POLLIN, 0 };
		pfd[d->n + 1] = (struct pollfd){ d->admin, POLLIN, 0 };
		/* poll() ignores a negative fd: no metrics, a free slot */
		metrics_pollfds(&d->metrics, &pfd[d->n + 2]);
		now = now_ms();
		poll(pfd, d->n + 2 + METRICS_POLLFDS,
		     next_tick > now ? next_tick - now : 0);
		now = now_ms();
		for (i = 0; i < d->n; i++)
			if (pfd[i].revents & POLLIN)
				rekey_input(&d->ifaces[i], now);
		if (pfd[d->n].revents & POLLIN)
			on_signal(d);
		if (pfd[d->n + 1].revents & POLLIN)
			admin_serve(d->admin, d->ifaces, d->n);
		metrics_events(&d->metrics, &pfd[d->n + 2], d->ifaces, d->n);
		if (now >= next_tick) {
			for (i = 0; i < d->n; i++)
				rekey_tick(&d->ifaces[i], now);
			next_tick = now + tick_ms(d);
		} else if (next_tick > now + TICK_MS && tick_ms(d) == TICK_MS) {
			next_tick = now + TICK_MS;	/* input made us busy */
		}
	}
}

int main(int argc, char *argv[])
{
	static struct daemon d = { .sigfd = -1, .admin = -1,
				   .metrics.lfd = -1 };
	const char *path = DEFAULT_CONFIG;
	bool use_syslog = false, debug = false, check = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:sdnhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 's': use_syslog = true; break;
		case 'd': debug = true; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", prog, VERSION); return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\nTry '%s --help'.\n",
			prog, argv[optind], prog);
		return 2;
	}
	if (config_read(path, &d.cfg))
		return 2;
	if (check)
		return 0;
	qkd_log_init(prog, debug ? LOG_DEBUG : d.cfg.log_level, use_syslog);
	/* Keys pass through here: no core dumps, no ptrace, no swap. */
	ret = qkd_secure_process(true, NULL);
	if (!ret)
		ret = setup_signals(&d);
	if (!ret)
		ret = start(&d);
	if (!ret) {
		log_notice("started (%u interface%s)", d.n, d.n == 1 ? "" : "s");
		run(&d);
		log_notice("stopping; the SAs stay in place");
	}
	stop(&d);
	return ret ? 1 : 0;
}
