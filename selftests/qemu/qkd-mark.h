/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The marker the instruction-count plugin (qkdcount.c) watches for: three
 * forms of a 7-byte NOP, "nopl disp32(%rax)" (0f 1f 80 + disp32), whose
 * displacement is one of these magic values. No compiler emits them, so a
 * guest program marks a point by executing them (qkd-mark.c): START, then
 * one TICK per unit of the label's number, then END. The count is read at
 * END.
 */
#ifndef QKD_MARK_H
#define QKD_MARK_H

#define QKD_MARK_START	0x514b4d01u
#define QKD_MARK_TICK	0x514b4d02u
#define QKD_MARK_END	0x514b4d03u

/* Labels are small numbers: one TICK each, so a mark stays cheap. */
#define QKD_MARK_MAX	4095

#endif
