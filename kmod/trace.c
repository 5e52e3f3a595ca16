// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * The tracepoints of trace.h, defined once for every file that fires them.
 */

#define CREATE_TRACE_POINTS
#include "trace.h"
