// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * qkdpool: per-network-namespace pools of QKD keys for IPsec and MACsec.
 */

#include <linux/module.h>
#include <linux/init.h>
#include <net/genetlink.h>
#include <uapi/linux/qkdpool.h>

#include "chardev.h"
#include "netlink.h"
#include "pool.h"
#include "key.h"

static int __init qkd_mod_init(void)
{
	int ret;

	ret = qkd_key_init();
	if (ret)
		return ret;
	ret = qkd_pool_init();
	if (ret)
		goto err_key;
	ret = qkd_netlink_init();
	if (ret)
		goto err_pool;
	ret = qkd_chardev_init();
	if (ret)
		goto err_netlink;
	pr_info("qkdpool loaded\n");
	return 0;

err_netlink:
	qkd_netlink_uninit();
err_pool:
	qkd_pool_uninit();
err_key:
	qkd_key_uninit();
	return ret;
}

static void __exit qkd_mod_exit(void)
{
	qkd_chardev_uninit();
	qkd_netlink_uninit();
	qkd_pool_uninit();
	qkd_key_uninit();
}

module_init(qkd_mod_init);
module_exit(qkd_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-namespace pools of quantum key distribution keys");
MODULE_AUTHOR("The qkdpool authors");
MODULE_ALIAS_GENL_FAMILY(QKD_GENL_NAME);
