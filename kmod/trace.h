/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * Tracepoints carry stream names, key IDs and counts; never key material.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM qkdpool

#if !defined(_QKD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _QKD_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/qkdpool.h>

DECLARE_EVENT_CLASS(qkd_key_class,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner),
	TP_STRUCT__entry(
		__string(stream, stream)
		__array(u8, id, QKD_KEY_ID_LEN)
		__field(u8, owner)
	),
	TP_fast_assign(
		__assign_str(stream, stream);
		memcpy(__entry->id, id, QKD_KEY_ID_LEN);
		__entry->owner = owner;
	),
	TP_printk("stream=%s id=%16phN owner=%s", __get_str(stream),
		  __entry->id,
		  __entry->owner == QKD_OWNER_LOCAL ? "local" : "peer")
);

DEFINE_EVENT(qkd_key_class, qkd_key_add,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner));

DEFINE_EVENT(qkd_key_class, qkd_key_take,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner));

DEFINE_EVENT(qkd_key_class, qkd_key_reserve,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner));

DEFINE_EVENT(qkd_key_class, qkd_key_commit,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner));

DEFINE_EVENT(qkd_key_class, qkd_key_release,
	TP_PROTO(const char *stream, const u8 *id, u8 owner),
	TP_ARGS(stream, id, owner));

TRACE_EVENT(qkd_keys_gone,
	TP_PROTO(const char *stream, const char *why, u32 count),
	TP_ARGS(stream, why, count),
	TP_STRUCT__entry(
		__string(stream, stream)
		__string(why, why)
		__field(u32, count)
	),
	TP_fast_assign(
		__assign_str(stream, stream);
		__assign_str(why, why);
		__entry->count = count;
	),
	TP_printk("stream=%s why=%s count=%u", __get_str(stream),
		  __get_str(why), __entry->count)
);

#endif /* _QKD_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
