// SPDX-License-Identifier: GPL-2.0
/*
 * qkdctl's process-wide state, below every command file: the global
 * options that qkdctl.c parses and the name messages start with.
 */
#include "qkdctl.h"

struct qkdctl_opts opts;
const char *prog = "qkdctl";
