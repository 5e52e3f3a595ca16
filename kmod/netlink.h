/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2025 The qkdpool authors.
 */

#ifndef _QKD_NETLINK_H
#define _QKD_NETLINK_H

int qkd_netlink_init(void);
void qkd_netlink_uninit(void);

#endif /* _QKD_NETLINK_H */
