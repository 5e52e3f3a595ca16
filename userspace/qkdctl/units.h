/* SPDX-License-Identifier: GPL-2.0 */
/* Numbers and durations on the command line (pure; unit tested). */
#ifndef QKDCTL_UNITS_H
#define QKDCTL_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Decimal 0..UINT32_MAX, digits only. Returns 0, -EINVAL or -ERANGE. */
int parse_u32(const char *s, uint32_t *out);
/*
 * N[ms|s|m|h] (no unit: milliseconds) into milliseconds, at most
 * UINT32_MAX. Returns 0, -EINVAL or -ERANGE.
 */
int parse_duration_ms(const char *s, uint32_t *out);
/* The largest exact unit: "none" (0), "90s", "2h", "1500ms". */
char *format_duration(uint32_t ms, char *buf, size_t len);

#endif /* QKDCTL_UNITS_H */
