// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2025 The qkdpool authors.
 *
 * qkdpool: per-network-namespace pools of QKD keys for IPsec and MACsec.
 */

#include <linux/moduleparam.h>
#include <linux/module.h>
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/sysfs.h>

#include "chardev.h"
#include "netlink.h"
#include "stream.h"
#include "pool.h"

unsigned long qkd_mem_max = 256UL << 20;
module_param_named(mem_max, qkd_mem_max, ulong, 0644);
MODULE_PARM_DESC(mem_max,
		 "Most bytes of kernel memory all stored keys may use (default 256 MiB); adds beyond it fail with -ENOSPC");

unsigned long qkd_mem_max_userns = 16UL << 20;
module_param_named(mem_max_userns, qkd_mem_max_userns, ulong, 0644);
MODULE_PARM_DESC(mem_max_userns,
		 "Most bytes the keys of all namespaces owned by non-initial user namespaces may use, within mem_max (default 16 MiB)");

unsigned int qkd_resv_timeout_ms = 30000;

/* The range QKD_A_TIMEOUT has: 0 would release reservations at once. */
static int resv_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, QKD_RESV_TIMEOUT_MAX);
}

static const struct kernel_param_ops resv_timeout_ops = {
	.set = resv_timeout_set,
	.get = param_get_uint,
};
module_param_cb(resv_timeout_ms, &resv_timeout_ops, &qkd_resv_timeout_ms,
		0644);
MODULE_PARM_DESC(resv_timeout_ms,
		 "Default lifetime of a netlink reservation, ms, 1..3600000 (default 30000)");

atomic_long_t qkd_mem_used = ATOMIC_LONG_INIT(0);
atomic_long_t qkd_mem_used_userns = ATOMIC_LONG_INIT(0);

static int mem_used_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&qkd_mem_used));
}

static const struct kernel_param_ops mem_used_ops = {
	.get = mem_used_get,
};
module_param_cb(mem_used, &mem_used_ops, NULL, 0444);
MODULE_PARM_DESC(mem_used, "Bytes of kernel memory held by stored keys");

static int __init qkd_mod_init(void)
{
	int ret;

	ret = qkd_stream_init();
	if (ret)
		return ret;
	ret = qkd_pool_init();
	if (ret)
		goto err_stream;
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
err_stream:
	qkd_stream_uninit();
	return ret;
}

static void __exit qkd_mod_exit(void)
{
	qkd_chardev_uninit();
	qkd_netlink_uninit();
	qkd_pool_uninit();
	qkd_stream_uninit();
}

module_init(qkd_mod_init);
module_exit(qkd_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-namespace pools of quantum key distribution keys");
MODULE_AUTHOR("The qkdpool authors");
MODULE_ALIAS_GENL_FAMILY(QKD_GENL_NAME);
