/* SPDX-License-Identifier: GPL-2.0 */
/* Reporting failures: the errno text and the kernel's own reason. */
#ifndef QKDCTL_REPORT_H
#define QKDCTL_REPORT_H

#include "genl.h"

/* Open the netlink client; on failure print why and return NULL. */
struct qkd_genl *genl_open_or_report(void);
/*
 * Print "qkdctl: WHAT: ERRNO TEXT (kernel: EXTACK)" plus a hint for
 * permission errors, and return EXIT_FAIL. g may be NULL.
 */
int report(const struct qkd_genl *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* QKDCTL_REPORT_H */
