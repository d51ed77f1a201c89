// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror.c - GPU-style software device on the mmu_mirror helper
 *
 * /dev/hmm_dmirror0 and /dev/hmm_dmirror1 behave like the kernel's test_hmm
 * "dmirror" devices as far as plain system memory goes: opening one binds
 * the file to the opener's mm, and READ/WRITE commands make the "device"
 * access that memory through its own page table, faulting on a miss.  The
 * device logic is in dmirror_core.c (shared with the userspace model);
 * this file is the kernel glue: misc devices, file operations, mmap of
 * the device file and the module.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include "dmirror_core.h"

#define NDEMO_NDEVICES		2

static struct miscdevice ndemo_misc[NDEMO_NDEVICES];

/*
 * Test only.  Files opened while it is set get a flush that keeps the
 * device TLB's entries (it only takes their write permission away): the
 * device then reads pages through translations the helper removed,
 * which is what a driver that forgets its TLB flush does.  The selftest
 * ndemo_tlb sets it for one open to prove that the flush is needed.
 */
static bool tlb_skip_flush;
module_param(tlb_skip_flush, bool, 0644);
MODULE_PARM_DESC(tlb_skip_flush,
		 "TEST ONLY: files opened while set keep stale device TLB entries (default: off)");

static long ndemo_ioctl(struct file *filp, unsigned int command,
			unsigned long arg)
{
	return ndemo_file_ioctl(filp->private_data, command,
				(void __user *)arg);
}

static int ndemo_open(struct inode *inode, struct file *filp)
{
	struct miscdevice *misc = filp->private_data;
	struct ndemo_file *nf;

	if (!current->mm)
		return -EINVAL;
	nf = ndemo_file_create(current->mm, misc - ndemo_misc);
	if (IS_ERR(nf))
		return PTR_ERR(nf);
	nf->tlb_skip_flush = READ_ONCE(tlb_skip_flush);
	filp->private_data = nf;
	return 0;
}

static int ndemo_release(struct inode *inode, struct file *filp)
{
	ndemo_file_destroy(filp->private_data);
	return 0;
}

/* Largest mapping of the device file. */
#define NDEMO_MMAP_MAX		SZ_16M

/*
 * Mapping the device file gives zeroed kernel pages, which lets tests see
 * how the mirror reports memory that is not ordinary anonymous memory.
 * The pages are charged to the caller's memory cgroup, and a mapping is
 * at most NDEMO_MMAP_MAX bytes (-EINVAL beyond).
 */
static int ndemo_mmap(struct file *filp, struct vm_area_struct *vma)
{
	unsigned long addr;

	if (vma->vm_end - vma->vm_start > NDEMO_MMAP_MAX)
		return -EINVAL;
	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		int ret;

		if (!page)
			return -ENOMEM;
		ret = vm_insert_page(vma, addr, page);
		/* The mapping holds its own reference once inserted. */
		put_page(page);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct file_operations ndemo_fops = {
	.owner		= THIS_MODULE,
	.open		= ndemo_open,
	.release	= ndemo_release,
	.mmap		= ndemo_mmap,
	.unlocked_ioctl	= ndemo_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ndemo_misc[NDEMO_NDEVICES] = {
	{ .minor = MISC_DYNAMIC_MINOR, .name = "hmm_dmirror0",
	  .fops = &ndemo_fops, .mode = 0666 },
	{ .minor = MISC_DYNAMIC_MINOR, .name = "hmm_dmirror1",
	  .fops = &ndemo_fops, .mode = 0666 },
};

static int __init ndemo_init(void)
{
	int i, ret;

	for (i = 0; i < NDEMO_NDEVICES; i++) {
		ret = misc_register(&ndemo_misc[i]);
		if (ret)
			goto err;
	}
	return 0;
err:
	while (--i >= 0)
		misc_deregister(&ndemo_misc[i]);
	return ret;
}

static void __exit ndemo_exit(void)
{
	int i;

	for (i = NDEMO_NDEVICES - 1; i >= 0; i--)
		misc_deregister(&ndemo_misc[i]);
}

module_init(ndemo_init);
module_exit(ndemo_exit);
MODULE_DESCRIPTION("GPU-style mirror device on the mmu_mirror helper");
MODULE_LICENSE("GPL");
