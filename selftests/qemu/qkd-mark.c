// SPDX-License-Identifier: GPL-2.0
/*
 * qkd-mark LABEL: mark a point of a run for the instruction-count plugin
 * (qkdcount.c), which writes "LABEL instructions host-ns" to its output
 * file when the guest executes the marker. LABEL is a number, 1 to
 * QKD_MARK_MAX. Outside that plugin the marker is three kinds of NOP.
 *
 * qkd-mark --loop N: N iterations of an empty loop between two marks
 * (labels 1 and 2), for the harness test of the plugin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qkd-mark.h"

#define NOP_MAGIC(v) asm volatile(".byte 0x0f, 0x1f, 0x80; .long %c0" : : "i" (v))

static void mark(unsigned int label)
{
	unsigned int i;

	NOP_MAGIC(QKD_MARK_START);
	for (i = 0; i < label; i++)
		NOP_MAGIC(QKD_MARK_TICK);
	NOP_MAGIC(QKD_MARK_END);
}

static int number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	return *s && !*end && *v >= 1 && *v <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long v, i;

	if (argc == 3 && !strcmp(argv[1], "--loop") &&
	    !number(argv[2], 1000000000UL, &v)) {
		mark(1);
		for (i = 0; i < v; i++)
			asm volatile("" : : "r" (i));	/* kept by -O2 */
		mark(2);
		return 0;
	}
	if (argc != 2 || number(argv[1], QKD_MARK_MAX, &v)) {
		fprintf(stderr, "usage: qkd-mark LABEL (1-%d) | --loop N\n",
			QKD_MARK_MAX);
		return 2;
	}
	mark(v);
	return 0;
}
