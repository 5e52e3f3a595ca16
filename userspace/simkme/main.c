// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-simkme: a simulated QKD device (KME) serving ETSI GS QKD 014 over
 * HTTPS with mutual TLS. Two instances given the same seed and epoch form
 * a QKD link: keys handed out by one's enc_keys are handed out by the
 * other's dec_keys. See qkd-simkme(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>

#include "addr.h"
#include "api.h"
#include "hex.h"
#include "log.h"
#include "tls.h"

static const char usage_text[] =
"Usage: qkd-simkme [OPTIONS]\n"
"\n"
"A simulated QKD key management entity (KME) serving ETSI GS QKD 014\n"
"v1.1.1 (status, enc_keys, dec_keys; GET and POST) over HTTPS with mutual\n"
"TLS 1.3. The caller's SAE ID is the CN of its client certificate. Two\n"
"instances started with the same --seed-file and --epoch, each naming the\n"
"other's SAE with --peer-sae, deliver matching keys: the keys one hands to\n"
"its SAE through enc_keys, the other hands to its SAE through dec_keys.\n"
"\n"
"Required:\n"
"  --cert FILE          server certificate (PEM)\n"
"  --key FILE           its private key\n"
"  --ca FILE            CA that signs the SAEs' client certificates\n"
"  --sae ID             the SAE this KME serves (its certificate CN)\n"
"  --peer-sae ID        the SAE served by the peer KME\n"
"  --seed-file FILE     shared secret seed, at least 16 bytes\n"
"\n"
"Options:\n"
"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8443)\n"
"  --kme-id ID          this KME's ID (default kme-<sae>)\n"
"  --peer-kme-id ID     the peer KME's ID (default kme-<peer-sae>)\n"
"  --epoch SECONDS      Unix time the link started; both KMEs of a pair\n"
"                       need the same value (default: now)\n"
"  --rate KEYS          keys produced per second (default 1000)\n"
"  --key-size BITS      default key size (default 256; 64..512, multiple\n"
"                       of 8)\n"
"  --max-keys N         keys the device buffers; older ones are lost\n"
"                       (default 100000)\n"
"  --max-per-request N  max_key_per_request (default 1024)\n"
"  --log-level LEVEL    err, warning, notice, info, debug (default notice)\n"
"  -h, --help           this text\n"
"\n"
"Signals: SIGUSR1 starts an outage (every request gets 503 \"QKD link\n"
"down\"), SIGUSR2 ends it; SIGTERM and SIGINT stop the KME.\n";

struct opts {
	const char *listen, *cert, *key, *ca, *seed_file;
	double epoch, rate;
	int log_level;
};

static volatile sig_atomic_t outage = -1;

static void usage_err(const char *what)
{
	fprintf(stderr, "qkd-simkme: %s\nTry 'qkd-simkme --help'.\n", what);
	exit(2);
}

static uint32_t num(const char *s, uint32_t min, uint32_t max,
		    const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v < min || v > max) {
		fprintf(stderr, "qkd-simkme: %s must be %u..%u\n", what, min,
			max);
		exit(2);
	}
	return v;
}

static double real(const char *s, const char *what)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (*end || !*s || v < 0) {
		fprintf(stderr, "qkd-simkme: %s: not a number >= 0\n", what);
		exit(2);
	}
	return v;
}

static void set_id(char *dst, size_t size, const char *s, const char *what)
{
	if (!*s || strlen(s) >= size) {
		fprintf(stderr, "qkd-simkme: %s: 1..%zu characters\n", what,
			size - 1);
		exit(2);
	}
	strcpy(dst, s);
}

static void parse(int argc, char **argv, struct opts *o, struct simkme *k)
{
	static const struct option longopts[] = {
		{ "listen", 1, 0, 'l' }, { "cert", 1, 0, 'c' },
		{ "key", 1, 0, 'k' }, { "ca", 1, 0, 'a' },
		{ "sae", 1, 0, 's' }, { "peer-sae", 1, 0, 'S' },
		{ "kme-id", 1, 0, 'i' }, { "peer-kme-id", 1, 0, 'I' },
		{ "seed-file", 1, 0, 'f' }, { "epoch", 1, 0, 'e' },
		{ "rate", 1, 0, 'r' }, { "key-size", 1, 0, 'z' },
		{ "max-keys", 1, 0, 'm' }, { "max-per-request", 1, 0, 'M' },
		{ "log-level", 1, 0, 'L' }, { "help", 0, 0, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'a': o->ca = optarg; break;
		case 'f': o->seed_file = optarg; break;
		case 's': set_id(k->sae, sizeof(k->sae), optarg, "--sae"); break;
		case 'S': set_id(k->peer_sae, sizeof(k->peer_sae), optarg,
				 "--peer-sae"); break;
		case 'i': set_id(k->kme_id, sizeof(k->kme_id), optarg,
				 "--kme-id"); break;
		case 'I': set_id(k->peer_kme_id, sizeof(k->peer_kme_id),
				 optarg, "--peer-kme-id"); break;
		case 'e': o->epoch = real(optarg, "--epoch"); break;
		case 'r': o->rate = real(optarg, "--rate"); break;
		case 'z': k->key_size = num(optarg, 64, 512, "--key-size"); break;
		case 'm': k->max_keys = num(optarg, 1, 1U << 30, "--max-keys");
			  break;
		case 'M': k->max_per_request = num(optarg, 1, ETSI014_KEYS_MAX,
						   "--max-per-request"); break;
		case 'L':
			o->log_level = qkd_log_level_parse(optarg);
			if (o->log_level < 0)
				usage_err("bad --log-level");
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: usage_err("bad option");
		}
	}
	if (optind != argc)
		usage_err("unexpected argument");
	if (!o->cert || !o->key || !o->ca || !o->seed_file || !k->sae[0] ||
	    !k->peer_sae[0])
		usage_err("--cert, --key, --ca, --sae, --peer-sae and --seed-file are required");
	if (k->key_size % 8)
		usage_err("--key-size must be a multiple of 8");
	if (!k->kme_id[0])
		snprintf(k->kme_id, sizeof(k->kme_id), "kme-%.50s", k->sae);
	if (!k->peer_kme_id[0])
		snprintf(k->peer_kme_id, sizeof(k->peer_kme_id), "kme-%.50s",
			 k->peer_sae);
}

/* The seed: a file of at least 16 bytes, used as it is. */
static int read_seed(const char *path, uint8_t *seed, size_t size,
		     size_t *len)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		log_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	*len = fread(seed, 1, size, f);
	fclose(f);
	if (*len < 16) {
		log_err("%s: a seed needs at least 16 bytes", path);
		return -EINVAL;
	}
	return 0;
}

static int make_links(struct simkme *k, const struct opts *o)
{
	uint8_t seed[256];
	struct sim_link_cfg cfg = {
		.seed = seed, .epoch = o->epoch, .rate = o->rate,
		.max_keys = k->max_keys,
	};
	int ret;

	ret = read_seed(o->seed_file, seed, sizeof(seed), &cfg.seed_len);
	if (ret)
		goto out;
	cfg.master_sae = k->sae;
	cfg.slave_sae = k->peer_sae;
	k->enc = sim_link_new(&cfg);
	cfg.master_sae = k->peer_sae;
	cfg.slave_sae = k->sae;
	k->dec = sim_link_new(&cfg);
	if (!k->enc || !k->dec) {
		log_err("cannot set up HMAC-SHA256");
		ret = -EIO;
	}
out:
	explicit_bzero(seed, sizeof(seed));
	return ret;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)what;
	if (sig == SIGUSR1 || sig == SIGUSR2) {
		outage = sig == SIGUSR1;
		return;
	}
	event_base_loopbreak(base);
}

/* Signal handlers only set a flag; the outage switch happens here. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct simkme *k = arg;

	(void)fd;
	(void)what;
	if (outage < 0 || outage == k->down)
		return;
	k->down = outage;
	log_notice("%s: QKD link %s", k->kme_id, k->down ? "down" : "up");
}

static void harden(void)
{
	struct rlimit nocore = { 0, 0 };

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &nocore);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Serve until a signal; returns the exit status. */
static int run(struct event_base *base, struct simkme *k, SSL_CTX *tls,
	       const struct opts *o)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2 };
	struct timeval tick = { 0, 50000 };
	struct event *ev[5] = { 0 };
	struct etsi014_server *srv;
	unsigned int port, i;
	char host[128];
	int ret = 1;

	if (qkd_hostport(o->listen, host, sizeof(host), &port)) {
		log_err("bad --listen '%s' (ADDR:PORT)", o->listen);
		return 1;
	}
	srv = etsi014_server_new(base, tls, host, port, &simkme_ops, k);
	if (!srv)
		return 1;
	for (i = 0; i < 4; i++) {
		ev[i] = evsignal_new(base, sigs[i], on_signal, base);
		if (!ev[i] || evsignal_add(ev[i], NULL))
			goto out;
	}
	ev[4] = event_new(base, -1, EV_PERSIST, on_tick, k);
	if (!ev[4] || event_add(ev[4], &tick))
		goto out;
	log_notice("%s: serving SAE %s on %s (peer SAE %s, %.0f keys/s)",
		   k->kme_id, k->sae, o->listen, k->peer_sae, o->rate);
	ret = event_base_dispatch(base) < 0;
	log_notice("%s: stopping; %lu keys served, %lu requests refused",
		   k->kme_id, k->served, k->refused);
out:
	for (i = 0; i < 5; i++)
		if (ev[i])
			event_free(ev[i]);
	etsi014_server_free(srv);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { .listen = "127.0.0.1:8443", .rate = 1000,
			  .log_level = LOG_NOTICE, .epoch = -1 };
	struct simkme k = { .key_size = 256, .min_key_size = 64,
			    .max_key_size = 512, .max_keys = 100000,
			    .max_per_request = ETSI014_KEYS_MAX };
	struct event_base *base = NULL;
	SSL_CTX *tls = NULL;
	char err[512];
	int ret = 1;

	if (etsi014_secure_allocators()) {
		fprintf(stderr, "qkd-simkme: cannot install allocators\n");
		return 1;
	}
	parse(argc, argv, &o, &k);
	qkd_log_init("qkd-simkme", o.log_level, false);
	harden();
	if (o.epoch < 0)
		o.epoch = now();
	signal(SIGPIPE, SIG_IGN);
	if (make_links(&k, &o))
		goto out;
	tls = etsi014_tls_ctx(true, o.cert, o.key, o.ca, err, sizeof(err));
	if (!tls) {
		log_err("TLS: %s", err);
		goto out;
	}
	base = event_base_new();
	if (base)
		ret = run(base, &k, tls, &o);
out:
	if (base)
		event_base_free(base);
	SSL_CTX_free(tls);
	sim_link_free(k.enc);
	sim_link_free(k.dec);
	return ret;
}
