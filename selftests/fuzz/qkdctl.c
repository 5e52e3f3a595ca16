// SPDX-License-Identifier: GPL-2.0
/*
 * qkdctl's command line, through its real main() (built here as
 * qkdctl_main). An input is the arguments, separated by NUL bytes. qkdctl
 * is a CLI: a usage error exits, which --wrap=exit turns into a jump back
 * here, and what exit() would release (memory, descriptors) is released
 * here instead. The fuzzer must not reach a live pool or daemon: it refuses
 * to run where qkdpool is loaded, runs in an empty directory of its own and
 * maps '/' to '_', so that every path an argument names stays inside it.
 */
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "qkdctl.h"

#define ARGS_MAX	24
#define FD_GAPS		16	/* among the descriptors open at the start */
#define FD_PROBE	1024

int qkdctl_main(int argc, char *argv[]);
void __real_exit(int status) __attribute__((noreturn));

static jmp_buf back;
static bool in_main;

/* A CLI leaves its memory to exit(): nothing to learn from leak reports. */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

void __wrap_exit(int status)
{
	if (in_main)
		longjmp(back, 1);
	__real_exit(status);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/qkdctl-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	if (!access("/sys/module/qkdpool", F_OK)) {
		fprintf(stderr, "qkdpool is loaded here: qkdctl would change the pool\n");
		__real_exit(1);
	}
	if (!mkdtemp(dir) || chdir(dir) || rmdir(dir)) {
		perror("qkdctl fuzzer: work directory");
		__real_exit(1);
	}
	return 0;
}

/*
 * What exit() would close: the descriptors a run opened. Those open before
 * the first run are libFuzzer's and what the caller passed down (it has
 * set up its descriptors by then); a run opens above the highest of them
 * or in a gap below it. Noting the gaps once and closing them and what is
 * above with close_range() costs a few syscalls a run, where probing each
 * descriptor around every run took most of the target's time.
 */
static struct {
	unsigned int first, last;
} gaps[FD_GAPS + 1];
static int n_gaps = -1;

static void fds_note(void)
{
	bool open, was_open = true;
	int fd, top = 0;

	if (n_gaps >= 0)
		return;
	for (fd = 0; fd < FD_PROBE; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			top = fd + 1;
	n_gaps = 0;
	for (fd = 0; fd < top && n_gaps < FD_GAPS; fd++) {
		open = fcntl(fd, F_GETFD) >= 0;
		if (!open && was_open)
			gaps[n_gaps].first = fd;
		else if (open && !was_open)
			gaps[n_gaps++].last = fd - 1;
		was_open = open;
	}
	gaps[n_gaps].first = top;
	gaps[n_gaps++].last = ~0U;
}

static void fds_close(void)
{
	int i;

	for (i = 0; i < n_gaps; i++)
		close_range(gaps[i].first, gaps[i].last, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[ARGS_MAX + 2];
	char *buf = malloc(size + 1), *p, *end;
	int argc = 0;

	if (!buf)
		return 0;
	fds_note();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; p < buf + size; p++)
		if (*p == '/')
			*p = '_';
	argv[argc++] = "qkdctl";
	for (p = buf, end = buf + size; p <= end && argc <= ARGS_MAX;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	optind = 0;
	memset(&opts, 0, sizeof(opts));
	usage_group = NULL;
	in_main = true;
	if (!setjmp(back))
		qkdctl_main(argc, argv);
	in_main = false;
	fflush(stdout);
	fds_close();
	free(buf);
	return 0;
}
