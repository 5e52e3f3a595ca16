/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny leveled logger for the daemons, to stderr or syslog. It is never
 * given key material: log key IDs and counts only.
 */
#ifndef QKD_LOG_H
#define QKD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG. */
void qkd_log_init(const char *ident, int max_level, bool use_syslog);
/* "err", "warning", "notice", "info", "debug" -> level, or -EINVAL. */
int qkd_log_level_parse(const char *name);
void qkd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	qkd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	qkd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	qkd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	qkd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	qkd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* QKD_LOG_H */
