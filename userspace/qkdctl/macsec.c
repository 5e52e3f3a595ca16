// SPDX-License-Identifier: GPL-2.0
/*
 * "qkdctl macsec": status and on-demand rekey of qkd-macsecd, through its
 * operator socket (one request line, a text reply; see qkd-macsecd(8)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "json.h"
#include "qkdctl.h"
#include "subcommands.h"

#define DEFAULT_SOCKET	"/run/qkd-macsecd.sock"
#define REPLY_MAX	8192
#define FIELDS_MAX	64

static void usage(FILE *f)
{
	fprintf(f,
"Usage: qkdctl [-j] macsec status [IFNAME] [socket PATH]\n"
"       qkdctl macsec rekey [IFNAME] [socket PATH]\n"
"       qkdctl macsec help\n"
"Asks qkd-macsecd (operator socket PATH, default %s) for the state of\n"
"its MACsec interfaces (current AN, QKD key ID, next PN, SA age, rekeys,\n"
"failures, rejected control messages, last rekey latency, the key arrival\n"
"rate and the effective rekey interval it allows), or to rekey now. See\n"
"qkd-macsecd(8).\n", DEFAULT_SOCKET);
}

static int ask(const char *path, const char *req, char *reply, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    write(fd, req, strlen(req)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	while (len < size - 1 && (n = read(fd, reply + len, size - 1 - len)) > 0)
		len += n;
	reply[len] = '\0';
	close(fd);
	return 0;
}

/* "IFNAME key value key value ..." */
static int split(char *line, char **f)
{
	int n = 0;
	char *tok;

	for (tok = strtok(line, " "); tok && n < FIELDS_MAX; tok = strtok(NULL, " "))
		f[n++] = tok;
	return n;
}

static void print_json(char **f, int n)
{
	int i;

	json_open_object(NULL);
	json_string("ifname", f[0]);
	for (i = 1; i + 1 < n; i += 2) {
		char *end;
		unsigned long long v = strtoull(f[i + 1], &end, 10);

		if (*end || f[i + 1][0] == '-')
			json_string(f[i], f[i + 1]);
		else
			json_u64(f[i], v);
	}
	json_close_object();
}

static const char *field(char **f, int n, const char *key)
{
	int i;

	for (i = 1; i + 1 < n; i += 2)
		if (!strcmp(f[i], key))
			return f[i + 1];
	return "?";
}

/* "1500" (thousandths) as "1.500". */
static const char *milli(const char *v, char *buf, size_t size)
{
	char *end;
	unsigned long long m = strtoull(v, &end, 10);

	if (*end || *v == '-')
		return v;
	snprintf(buf, size, "%llu.%03llu", m / 1000, m % 1000);
	return buf;
}

static void print_text(char **f, int n)
{
	char rate[32];

	printf("%s: %s, %s, AN %s, key %s, next PN %s, age %s ms\n", f[0],
	       field(f, n, "role"), field(f, n, "state"), field(f, n, "an"),
	       field(f, n, "key"), field(f, n, "pn"), field(f, n, "age_ms"));
	printf("    rekeys %s, failures %s, key mismatches %s, last latency %s us\n",
	       field(f, n, "rekeys"), field(f, n, "failures"),
	       field(f, n, "key_mismatches"), field(f, n, "latency_us"));
	printf("    keys %s (reserve %s), arriving %s keys/s, effective interval %s ms\n",
	       field(f, n, "avail"), field(f, n, "reserve"),
	       milli(field(f, n, "key_rate_mkps"), rate, sizeof(rate)),
	       field(f, n, "interval_ms"));
	printf("    control: peer synced %s, rejected forged %s, replayed %s; stream %s, out of keys %s, blocked %s\n",
	       field(f, n, "synced"), field(f, n, "forged"),
	       field(f, n, "replayed"), field(f, n, "stream"),
	       field(f, n, "out_of_keys"), field(f, n, "blocked"));
}

static int show(char *reply)
{
	char *line, *save, *f[FIELDS_MAX];
	int n;

	if (opts.json)
		json_open_array(NULL);
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "error:", 6)) {
			fprintf(stderr, "%s: qkd-macsecd: %s\n", prog, line + 7);
			return EXIT_FAIL;
		}
		n = split(line, f);
		if (n < 3)
			continue;
		if (opts.json)
			print_json(f, n);
		else
			print_text(f, n);
	}
	if (opts.json) {
		json_close_array();
		json_end();
	}
	return 0;
}

int macsec_main(int argc, char *argv[])
{
	const char *path = DEFAULT_SOCKET, *cmd, *ifname = NULL;
	char req[128], *reply;
	int ret;

	usage_group = "macsec";
	if (argc < 2 || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	cmd = argv[1];
	if (strcmp(cmd, "status") && strcmp(cmd, "rekey"))
		usage_error("unknown macsec command \"%s\"", cmd);
	argc -= 1;
	argv += 1;
	while (argc > 1) {
		NEXT_ARG();
		if (!strcmp(*argv, "socket")) {
			NEXT_ARG();
			path = *argv;
		} else if (!ifname && strlen(*argv) < 16) {
			ifname = *argv;
		} else {
			usage_error("unexpected argument \"%s\"", *argv);
		}
	}
	snprintf(req, sizeof(req), "%s%s%s\n", cmd, ifname ? " " : "",
		 ifname ? ifname : "");
	reply = malloc(REPLY_MAX);
	if (!reply)
		return EXIT_FAIL;
	ret = ask(path, req, reply, REPLY_MAX);
	if (ret) {
		fprintf(stderr, "%s: cannot reach qkd-macsecd at %s: %s\n", prog,
			path, strerror(-ret));
		free(reply);
		return EXIT_FAIL;
	}
	if (!strcmp(cmd, "rekey")) {
		ret = strncmp(reply, "error:", 6) ? 0 : EXIT_FAIL;
		fputs(ret ? reply + 7 : reply, ret ? stderr : stdout);
	} else {
		ret = show(reply);
	}
	free(reply);
	return ret;
}
