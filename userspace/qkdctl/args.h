/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iproute2-style keyword parsing: a loop over argv with NEXT_ARG() to get
 * a keyword's value; usage errors print one line and a hint to the group's
 * help, then exit with status 2.
 */
#ifndef QKDCTL_ARGS_H
#define QKDCTL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* The group whose help the hint names ("pool" -> "qkdctl pool help"). */
extern const char *usage_group;

#define NEXT_ARG() do { \
		argv++; \
		if (--argc <= 0) \
			incomplete_command(argv[-1]); \
	} while (0)
#define NEXT_ARG_OK() (argc - 1 > 0)

void incomplete_command(const char *after) __attribute__((noreturn));
void invarg(const char *what, const char *arg) __attribute__((noreturn));
void duparg(const char *key) __attribute__((noreturn));
void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* Parsers that call invarg() on bad input. */
uint32_t get_u32_arg(const char *key, const char *arg);
uint32_t get_duration_arg(const char *key, const char *arg);
void get_keyid_arg(const char *arg, uint8_t id[]);
const char *get_stream_arg(const char *arg);

#endif /* QKDCTL_ARGS_H */
