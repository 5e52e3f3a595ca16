/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_CHARDEV_H
#define _QKD_CHARDEV_H

int qkd_chardev_init(void);
void qkd_chardev_uninit(void);

#endif /* _QKD_CHARDEV_H */
