// SPDX-License-Identifier: GPL-2.0
/*
 * "qkdctl pool watch [stream NAME] [count N] [timeout SECONDS]": print the
 * pool's events as they arrive, one line (or one JSON object) each, until
 * SIGINT/SIGTERM, N events, or the timeout.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "json.h"
#include "pool_cmds.h"
#include "qkdctl.h"
#include "report.h"

struct watch {
	const char *stream;	/* NULL: all streams */
	uint32_t count;		/* 0: unlimited */
	uint32_t timeout_s;	/* 0: none */
	uint32_t seen;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_json(const struct qkd_event *ev)
{
	json_open_object(NULL);
	json_string("event", qkd_event_name(ev->cmd));
	json_string("stream", ev->stream);
	if (ev->has & QKD_EV_LOW_WATERMARK)
		json_u64("low_watermark", ev->low_watermark);
	if (ev->has & QKD_EV_COUNT)
		json_u64("count", ev->count);
	if (ev->has & QKD_EV_AVAIL_LOCAL)
		json_u64("avail_local", ev->avail_local);
	if (ev->has & QKD_EV_AVAIL_PEER)
		json_u64("avail_peer", ev->avail_peer);
	json_close_object();
	json_end();
}

static void print_event(const struct qkd_event *ev, void *data)
{
	struct watch *w = data;

	if (w->stream && strcmp(w->stream, ev->stream))
		return;
	if (w->count && w->seen >= w->count)
		return;		/* the rest of the last datagram */
	w->seen++;
	if (opts.json) {
		print_json(ev);
		return;
	}
	printf("%s %s", qkd_event_name(ev->cmd), ev->stream);
	if (ev->has & QKD_EV_LOW_WATERMARK)
		printf(" low-watermark %u", ev->low_watermark);
	if (ev->has & QKD_EV_COUNT)
		printf(" count %u", ev->count);
	if (ev->has & QKD_EV_AVAIL_LOCAL)
		printf(" local %u", ev->avail_local);
	if (ev->has & QKD_EV_AVAIL_PEER)
		printf(" peer %u", ev->avail_peer);
	putchar('\n');
	fflush(stdout);
}

static void parse_watch(int argc, char *argv[], struct watch *w)
{
	for (; argc > 0; argc--, argv++) {
		if (!strcmp(*argv, "stream")) {
			if (w->stream)
				duparg(*argv);
			NEXT_ARG();
			w->stream = get_stream_arg(*argv);
		} else if (!strcmp(*argv, "count")) {
			if (w->count)
				duparg(*argv);
			NEXT_ARG();
			w->count = get_u32_arg("count", *argv);
			if (!w->count)
				invarg("count is at least 1", *argv);
		} else if (!strcmp(*argv, "timeout")) {
			if (w->timeout_s)
				duparg(*argv);
			NEXT_ARG();
			w->timeout_s = get_u32_arg("timeout", *argv);
			if (!w->timeout_s || w->timeout_s > 86400 * 24)
				invarg("timeout is 1..2073600 seconds", *argv);
		} else {
			usage_error("unknown watch option \"%s\"", *argv);
		}
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the socket; returns 1 readable, 0 timed out, -errno. */
static int wait_event(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int left = -1, n;

	if (deadline) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
	}
	n = poll(&pfd, 1, left);
	return n < 0 ? -errno : n;
}

static int watch(struct qkd_genl *g, struct watch *w)
{
	int64_t deadline = w->timeout_s ? now_ms() + w->timeout_s * 1000LL : 0;
	int ret;

	while (!stop && (!w->count || w->seen < w->count)) {
		ret = wait_event(qkd_genl_fd(g), deadline);
		if (ret == 0)
			break;
		if (ret > 0)
			ret = qkd_genl_events_read(g, print_event, w);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret == -ENOBUFS) {
			fprintf(stderr, "%s: events were lost (socket buffer overrun)\n",
				prog);
			continue;
		}
		if (ret < 0)
			return report(NULL, ret, "cannot read events");
	}
	if (w->count && w->seen < w->count && !stop) {
		fprintf(stderr, "%s: timeout after %u of %u events\n", prog,
			w->seen, w->count);
		return EXIT_FAIL;
	}
	return 0;
}

int pool_watch(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch w = { 0 };
	struct qkd_genl *g;
	int ret;

	parse_watch(argc, argv, &w);
	g = genl_open_or_report();
	if (!g)
		return EXIT_FAIL;
	ret = qkd_genl_subscribe(g);
	if (ret) {
		ret = report(NULL, ret, "cannot subscribe to the \"%s\" group",
			     QKD_GENL_MCGRP_EVENTS);
		goto out;
	}
	/* No SA_RESTART: a signal must interrupt poll(). */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Scripts wait for this line before they cause events. */
	fprintf(stderr, "%s: watching pool events\n", prog);
	ret = watch(g, &w);
out:
	qkd_genl_close(g);
	return ret;
}
