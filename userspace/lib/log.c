// SPDX-License-Identifier: GPL-2.0
/* Leveled logging: see log.h. Not thread-safe to (re)initialize. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static struct {
	const char *ident;
	int max_level;
	bool syslog;
} logger = { "qkd", LOG_INFO, false };

void qkd_log_init(const char *ident, int max_level, bool use_syslog)
{
	logger.ident = ident;
	logger.max_level = max_level;
	logger.syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int qkd_log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -EINVAL;
}

void qkd_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > logger.max_level || level < 0 || level > LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (logger.syslog)
		syslog(level, "%s", line);
	else
		fprintf(stderr, "%s[%s]: %s\n", logger.ident,
			level_names[level], line);
}
