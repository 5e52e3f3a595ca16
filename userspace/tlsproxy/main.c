// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-tlsproxy: a QKD-TLS 1.3 proxy. Client mode takes plain TCP and
 * connects out with TLS 1.3, server mode terminates TLS 1.3 and forwards
 * plain TCP; each handshake is keyed by a fresh QKD key from the pool as an
 * external PSK (libqkd tlspsk.h). One process, one libevent loop; it runs
 * in the foreground until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy.h"
#include "secmem.h"

#define VERSION			"0.1"
#define DEFAULT_SUITES		"TLS_AES_256_GCM_SHA384"
#define DEFAULT_GROUPS		"X25519:P-256"

static const char *prog = "qkd-tlsproxy";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s --mode client|server --listen ADDR:PORT --connect ADDR:PORT\n"
"                    [--stream NAME] [--psk-ke] [--ciphersuites LIST]\n"
"                    [--groups LIST] [--cert FILE --key FILE] [--ca FILE]\n"
"                    [--server-name NAME] [--cert-fallback] [-d|-q] [-s]\n"
"       %s -h | -V\n"
"\n"
"QKD-TLS 1.3 proxy. Client mode accepts plain TCP on --listen and connects\n"
"to --connect with TLS 1.3; server mode terminates TLS 1.3 on --listen and\n"
"forwards plain TCP to --connect. With --stream, every connection is keyed\n"
"by one fresh QKD key of that pool stream (qkdpool.ko) as a TLS 1.3\n"
"external PSK: the client takes the next key it owns and sends its ID as\n"
"the PSK identity \"qkd:<uuid>\"; the server takes that key by ID, once.\n"
"The PSK is the key imported per RFC 9258 section 5.1 for TLS 1.3 and the\n"
"suite's hash. No key, an unknown or used ID, or a wrong key fail the\n"
"handshake: there is no fallback unless --cert-fallback.\n"
"\n"
"Options:\n"
"  -m, --mode client|server  which side of the TLS connection this is\n"
"  -l, --listen ADDR:PORT    where to accept connections ([ADDR]:PORT for\n"
"                            IPv6)\n"
"  -c, --connect ADDR:PORT   where to forward them\n"
"  -S, --stream NAME         pool stream of the peer's keys; without it the\n"
"                            proxy uses certificates only (--cert, --ca)\n"
"  -k, --psk-ke              also allow psk_ke, PSK without (EC)DHE; the\n"
"                            default, psk_dhe_ke, mixes in an X25519 share\n"
"                            so that the session survives a broken key\n"
"      --ciphersuites LIST   TLS 1.3 suites, colon-separated (default\n"
"                            %s); a client binds its\n"
"                            PSK to the first one\n"
"      --groups LIST         key exchange groups (default %s)\n"
"      --cert FILE           certificate chain (PEM): the server's own, or\n"
"                            the client's for mutual authentication\n"
"      --key FILE            private key of --cert (PEM)\n"
"      --ca FILE             CA certificates (PEM) to verify the peer with;\n"
"                            a server given --ca requires client certificates\n"
"      --server-name NAME    client: SNI and the name the server certificate\n"
"                            must carry\n"
"      --cert-fallback       with --stream, allow a certificate handshake\n"
"                            when no QKD PSK can be used\n"
"  -d, --debug               log at debug level (one line per connection)\n"
"  -q, --quiet               log errors and warnings only\n"
"  -s, --syslog              log to syslog instead of stderr\n"
"  -h, --help                this text\n"
"  -V, --version             version\n"
"\n"
"Key IDs are logged, key material never. The pool file is held open for the\n"
"process's life: a key the server reserved for a handshake that does not\n"
"complete goes back to the pool.\n"
"\n"
"Exit status: 0 on SIGTERM/SIGINT, 1 on a runtime error (pool, listen\n"
"address), 2 on a usage error. See qkd-tlsproxy(8).\n",
		prog, prog, DEFAULT_SUITES, DEFAULT_GROUPS);
}

enum {
	OPT_SUITES = 256,
	OPT_GROUPS,
	OPT_CERT,
	OPT_KEY,
	OPT_CA,
	OPT_SNI,
	OPT_FALLBACK,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "listen", required_argument, NULL, 'l' },
	{ "connect", required_argument, NULL, 'c' },
	{ "stream", required_argument, NULL, 'S' },
	{ "psk-ke", no_argument, NULL, 'k' },
	{ "ciphersuites", required_argument, NULL, OPT_SUITES },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "server-name", required_argument, NULL, OPT_SNI },
	{ "cert-fallback", no_argument, NULL, OPT_FALLBACK },
	{ "debug", no_argument, NULL, 'd' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "syslog", no_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return -EINVAL;
}

/* "HOST:PORT" or "[V6]:PORT", numeric host or a name resolved once. */
static int parse_addr(const char *opt, const char *text, struct proxy_addr *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char host[256];
	const char *port = strrchr(text, ':');
	size_t len;
	int ret;

	if (!port || port == text || !port[1])
		return bad("%s: expected ADDR:PORT", opt);
	len = port - text;
	if (text[0] == '[' && len >= 2 && text[len - 1] == ']')
		text++, len -= 2;
	if (len >= sizeof(host))
		return bad("%s: address too long", opt);
	memcpy(host, text, len);
	host[len] = '\0';
	ret = getaddrinfo(host, port + 1, &hints, &res);
	if (ret) {
		fprintf(stderr, "%s: %s %s: %s\n", prog, opt, host,
			gai_strerror(ret));
		return -EINVAL;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Options that make no sense together: say which, rather than guess. */
static int check_conf(const struct proxy_conf *c, const char *mode)
{
	if (!mode || !c->listen.text || !c->connect.text)
		return bad("%s", "--mode, --listen and --connect are required");
	if (strcmp(mode, "client") && strcmp(mode, "server"))
		return bad("--mode %s: expected client or server", mode);
	if (!!c->cert != !!c->key)
		return bad("%s", "--cert and --key go together");
	if (c->stream && (c->cert || c->ca) && !c->cert_fallback)
		return bad("%s", "--cert/--ca with --stream would let a "
			   "handshake without a QKD key succeed: add "
			   "--cert-fallback to mean it");
	if (c->cert_fallback && !c->stream)
		return bad("%s", "--cert-fallback needs --stream");
	if (c->psk_ke && !c->stream)
		return bad("%s", "--psk-ke needs --stream");
	if (c->mode == MODE_SERVER && !c->stream && !c->cert)
		return bad("%s", "a server needs --stream or --cert/--key");
	if (c->mode == MODE_SERVER && c->cert_fallback && !c->cert)
		return bad("%s", "--cert-fallback in server mode needs --cert");
	if (c->mode == MODE_CLIENT && !c->ca && (!c->stream || c->cert_fallback))
		return bad("%s", "a client that may use certificates needs --ca");
	return 0;
}

static int parse_args(int argc, char *argv[], struct proxy_conf *c, int *level,
		      bool *use_syslog)
{
	const char *mode = NULL;
	int opt;

	c->ciphersuites = DEFAULT_SUITES;
	c->groups = DEFAULT_GROUPS;
	while ((opt = getopt_long(argc, argv, "m:l:c:S:kdqshV", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'l': c->listen.text = optarg; break;
		case 'c': c->connect.text = optarg; break;
		case 'S': c->stream = optarg; break;
		case 'k': c->psk_ke = true; break;
		case OPT_SUITES: c->ciphersuites = optarg; break;
		case OPT_GROUPS: c->groups = optarg; break;
		case OPT_CERT: c->cert = optarg; break;
		case OPT_KEY: c->key = optarg; break;
		case OPT_CA: c->ca = optarg; break;
		case OPT_SNI: c->server_name = optarg; break;
		case OPT_FALLBACK: c->cert_fallback = true; break;
		case 'd': *level = LOG_DEBUG; break;
		case 'q': *level = LOG_WARNING; break;
		case 's': *use_syslog = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("%s %s\n", prog, VERSION); exit(0);
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return -EINVAL;
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (mode && !strcmp(mode, "server"))
		c->mode = MODE_SERVER;
	if (check_conf(c, mode) < 0 ||
	    parse_addr("--listen", c->listen.text, &c->listen) < 0 ||
	    parse_addr("--connect", c->connect.text, &c->connect) < 0)
		return -EINVAL;
	return 0;
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

static int run(struct proxy *px)
{
	struct event *sigterm, *sigint;
	int ret;

	sigterm = evsignal_new(px->base, SIGTERM, stop_cb, px->base);
	sigint = evsignal_new(px->base, SIGINT, stop_cb, px->base);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL)) {
		ret = -ENOMEM;
		goto out;
	}
	ret = proxy_relay_listen(px);
	if (ret < 0)
		goto out;
	log_notice("%s mode: %s -> %s%s%s%s", px->conf.mode == MODE_CLIENT ?
		   "client" : "server", px->conf.listen.text,
		   px->conf.connect.text,
		   px->conf.stream ? ", QKD PSKs of stream " : ", certificates",
		   px->conf.stream ? px->conf.stream : "",
		   px->conf.psk_ke ? " (psk_ke allowed)" : "");
	ret = event_base_dispatch(px->base) < 0 ? -EIO : 0;
	proxy_relay_uninit();
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	return ret;
}

int main(int argc, char *argv[])
{
	struct proxy px = { 0 };
	bool use_syslog = false;
	int level = LOG_INFO, ret;

	if (parse_args(argc, argv, &px.conf, &level, &use_syslog) < 0)
		return 2;
	qkd_log_init(prog, level, use_syslog);
	signal(SIGPIPE, SIG_IGN);
	ret = qkd_secure_process(false, NULL);
	if (ret < 0)
		log_warn("cannot harden the process: %s", strerror(-ret));
	px.base = event_base_new();
	if (!px.base) {
		log_err("cannot create the event loop");
		return 1;
	}
	ret = proxy_tls_init(&px);
	if (!ret)
		ret = run(&px);
	proxy_tls_uninit(&px);
	event_base_free(px.base);
	return ret < 0 ? 1 : 0;
}
