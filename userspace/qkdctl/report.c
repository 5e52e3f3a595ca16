// SPDX-License-Identifier: GPL-2.0
/* Failure reports: see report.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qkdctl.h"
#include "report.h"

struct qkd_genl *genl_open_or_report(void)
{
	struct qkd_genl *g;
	int ret = qkd_genl_open(&g);

	if (!ret)
		return g;
	if (ret == -ENOENT)
		fprintf(stderr,
			"%s: generic netlink family \"%s\" not found: is the qkdpool module loaded?\n",
			prog, QKD_GENL_NAME);
	else
		report(NULL, ret, "cannot open a generic netlink socket");
	return NULL;
}

int report(const struct qkd_genl *g, int err, const char *fmt, ...)
{
	const char *extack = g ? qkd_genl_extack(g) : "";
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(-err));
	if (*extack)
		fprintf(stderr, " (kernel: %s)", extack);
	if (err == -EPERM)
		fprintf(stderr, "; this needs CAP_NET_ADMIN (run as root)");
	fputc('\n', stderr);
	return EXIT_FAIL;
}
