/* SPDX-License-Identifier: GPL-2.0 */
/* What every qkdctl command group shares: global options, exit codes. */
#ifndef QKDCTL_H
#define QKDCTL_H

#include <stdbool.h>

#define QKDCTL_VERSION	"0.1"

enum {
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
};

struct qkdctl_opts {
	bool json;		/* -j: JSON like `ip -j` */
	bool show_material;	/* --show-material: print key bytes (hex) */
};

/* Defined in global.c. */
extern struct qkdctl_opts opts;
extern const char *prog;

#endif /* QKDCTL_H */
