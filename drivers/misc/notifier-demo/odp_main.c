// SPDX-License-Identifier: GPL-2.0
/*
 * odp_main.c - RDMA-style NIC with on-demand paging on the mmu_mirror helper
 *
 * /dev/odp_demo: each open is a protection domain bound to the opener's
 * mm (include/uapi/linux/odp_demo.h).  The device logic is in odp_ctx.c,
 * odp_mr.c, odp_mem.c and odp_qp.c, shared with the userspace model; this
 * file is the kernel glue: the misc device, its file operations and the
 * module.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include "odp_core.h"

static struct odp_dev *odp_dev;

static long odp_ioctl(struct file *filp, unsigned int command,
		      unsigned long arg)
{
	return odp_ctx_ioctl(filp->private_data, command, (void __user *)arg);
}

static int odp_open(struct inode *inode, struct file *filp)
{
	struct odp_ctx *ctx;

	if (!current->mm)
		return -EINVAL;
	ctx = odp_ctx_create(odp_dev, current->mm);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	filp->private_data = ctx;
	return 0;
}

static int odp_release(struct inode *inode, struct file *filp)
{
	odp_ctx_destroy(filp->private_data);
	return 0;
}

static const struct file_operations odp_fops = {
	.owner		= THIS_MODULE,
	.open		= odp_open,
	.release	= odp_release,
	.unlocked_ioctl	= odp_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice odp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "odp_demo",
	.fops	= &odp_fops,
	.mode	= 0666,
};

static int __init odp_init(void)
{
	int ret;

	odp_dev = odp_dev_create();
	if (IS_ERR(odp_dev))
		return PTR_ERR(odp_dev);
	ret = misc_register(&odp_misc);
	if (ret)
		odp_dev_destroy(odp_dev);
	return ret;
}

static void __exit odp_exit(void)
{
	misc_deregister(&odp_misc);
	odp_dev_destroy(odp_dev);
}

module_init(odp_init);
module_exit(odp_exit);
MODULE_DESCRIPTION("RDMA-style NIC with on-demand paging on the mmu_mirror helper");
MODULE_LICENSE("GPL");
