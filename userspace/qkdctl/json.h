/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal streaming JSON writer to stdout, for -j (compact, like ip -j). */
#ifndef QKDCTL_JSON_H
#define QKDCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>

/* key is NULL inside arrays and at the top level. */
void json_open_array(const char *key);
void json_close_array(void);
void json_open_object(const char *key);
void json_close_object(void);
void json_string(const char *key, const char *val);
void json_u64(const char *key, uint64_t val);
void json_bool(const char *key, bool val);
/* End a top-level value: newline and flush (one JSON text per line). */
void json_end(void);

#endif /* QKDCTL_JSON_H */
