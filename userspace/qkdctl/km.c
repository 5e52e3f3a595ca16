// SPDX-License-Identifier: GPL-2.0
/*
 * "qkdctl km": the key manager's state, from the status file qkd-kmd
 * rewrites every second (JSON, metadata only; see qkd-kmd(8)). Reading a
 * file rather than asking the daemon means status still shows the last
 * known state, and how old it is, when the daemon is down.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "args.h"
#include "qkdctl.h"
#include "subcommands.h"

#define DEFAULT_STATUS	"/run/qkd-kmd/status.json"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: qkdctl [-j] km status [file PATH]\n"
"       qkdctl km help\n"
"Shows qkd-kmd's links from its status file PATH (the [node] status_file\n"
"of qkd-kmd.conf; default %s): per neighbour the\n"
"Kx connection, the KME's health, the pool stream's fill against its\n"
"target, the ingest rate (keys/s over 5 s) and the delivery counters;\n"
"then key relay: the route to each node learned (its state: ok, dry or\n"
"unreachable, the least key stock on it, the path), each far stream\n"
"(fill, relays in flight, keys delivered and aborted, its route's state)\n"
"and the relay counters. -j prints the file's JSON. See qkd-kmd(8).\n",
		DEFAULT_STATUS);
}

/* A member of o, or of o's member sub when sub is not NULL. */
static json_t *member(json_t *o, const char *key, const char *sub)
{
	json_t *v = json_object_get(o, key);

	return sub ? json_object_get(v, sub) : v;
}

static const char *str(json_t *o, const char *key, const char *sub)
{
	const char *s = json_string_value(member(o, key, sub));

	return s ? s : "-";
}

static long long num(json_t *o, const char *key, const char *sub)
{
	return json_integer_value(member(o, key, sub));
}

static void print_peer(json_t *p)
{
	printf("%-12s %-6s %-12s %-4s %-7s %6lld/%-6lld %6lld %6lld %7lld %8lld %7lld\n",
	       str(p, "peer", NULL), str(p, "role", NULL),
	       str(p, "stream", NULL), str(p, "kx", "state"),
	       str(p, "kme", "state"), num(p, "pool", "keys"),
	       num(p, "pool", "fill_target"), num(p, "pool", "avail_local"),
	       num(p, "pool", "avail_peer"), num(p, "rate", "keys_per_s"),
	       num(p, "keys_added", NULL), num(p, "batches_aborted", NULL));
	if (strcmp(str(p, "kx", "state"), "up") && *str(p, "kx", "error"))
		printf("    Kx: %s\n", str(p, "kx", "error"));
	if (strcmp(str(p, "kme", "state"), "up"))
		printf("    KME %s: %s\n", str(p, "kme", "url"),
		       str(p, "kme", "error"));
}

static void print_path(json_t *path)
{
	json_t *n;
	size_t i;

	json_array_foreach(path, i, n) {
		printf("%s%s", i ? " " : "", json_string_value(n));
	}
	putchar('\n');
}

static void print_far(json_t *f)
{
	printf("%-12s %-12s %6lld/%-6lld %6lld %6lld %8lld %9lld %7lld %s\n",
	       str(f, "node", NULL), str(f, "stream", NULL),
	       num(f, "pool", "keys"), num(f, "pool", "fill_target"),
	       num(f, "pool", "avail_local"), num(f, "pool", "avail_peer"),
	       num(f, "inflight", "sent") + num(f, "inflight", "added") +
	       num(f, "inflight", "completed"),
	       num(f, "relayed", NULL) + num(f, "received", NULL),
	       num(f, "aborted", NULL), str(f, "route_state", NULL));
}

static void print_relay(json_t *relay)
{
	json_t *v;
	size_t i;

	if (!json_is_object(relay))
		return;
	printf("\n%-12s %-12s %10s %s\n", "ROUTE", "STATE", "BOTTLENECK",
	       "PATH");
	json_array_foreach(json_object_get(relay, "routes"), i, v) {
		printf("%-12s %-12s %10lld ", str(v, "node", NULL),
		       str(v, "state", NULL), num(v, "bottleneck", NULL));
		print_path(json_object_get(v, "path"));
	}
	if (json_array_size(json_object_get(relay, "far"))) {
		printf("%-12s %-12s %13s %6s %6s %8s %9s %7s %s\n", "FAR",
		       "STREAM", "KEYS/TARGET", "LOCAL", "PEER", "INFLIGHT",
		       "DELIVERED", "ABORTED", "ROUTE");
		json_array_foreach(json_object_get(relay, "far"), i, v) {
			print_far(v);
		}
	}
	v = json_object_get(relay, "counters");
	printf("relay: relayed %lld, delivered %lld, aborted %lld, "
	       "waited for link keys %lld (%lld now), "
	       "MAC failures %lld, link keys missing %lld, no route %lld; "
	       "link keys spent %lld sent, %lld received\n",
	       num(v, "relayed", NULL), num(v, "delivered", NULL),
	       num(v, "aborted", NULL), num(v, "waited", NULL),
	       num(relay, "parked", NULL),
	       num(v, "mac_failures", NULL),
	       num(v, "missing_link_keys", NULL), num(v, "no_route", NULL),
	       num(v, "link_keys_sent", NULL),
	       num(v, "link_keys_received", NULL));
}

static void print_text(json_t *root)
{
	json_t *p;
	size_t i;

	printf("node %s (pid %lld), written %lld s ago\n",
	       str(root, "node", NULL), num(root, "pid", NULL),
	       (long long)time(NULL) - num(root, "time", NULL));
	printf("%-12s %-6s %-12s %-4s %-7s %13s %6s %6s %7s %8s %7s\n", "PEER",
	       "ROLE", "STREAM", "KX", "KME", "KEYS/TARGET", "LOCAL", "PEER",
	       "KEYS/S", "ADDED", "ABORTED");
	json_array_foreach(json_object_get(root, "peers"), i, p) {
		print_peer(p);
	}
	print_relay(json_object_get(root, "relay"));
}

static int status(const char *path)
{
	json_error_t err;
	json_t *root;

	root = json_load_file(path, 0, &err);
	if (!root) {
		fprintf(stderr, "%s: km status: %s (is qkd-kmd running, "
			"with status_file = %s?)\n", prog, err.text, path);
		return EXIT_FAIL;
	}
	if (opts.json) {
		json_dumpf(root, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		print_text(root);
	}
	json_decref(root);
	return 0;
}

int km_main(int argc, char *argv[])
{
	const char *path = DEFAULT_STATUS;

	usage_group = "km";
	if (argc < 2 || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "status"))
		usage_error("unknown km command \"%s\"", argv[1]);
	argc -= 1;
	argv += 1;
	while (argc > 1) {
		NEXT_ARG();
		if (!strcmp(*argv, "file")) {
			NEXT_ARG();
			path = *argv;
		} else {
			usage_error("unexpected argument \"%s\"", *argv);
		}
	}
	return status(path);
}
