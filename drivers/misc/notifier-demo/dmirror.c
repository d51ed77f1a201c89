// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror.c - GPU-style software device on the mmu_mirror helper
 *
 * /dev/hmm_dmirror0 and /dev/hmm_dmirror1 behave like the kernel's test_hmm
 * "dmirror" devices as far as plain system memory goes: opening one binds
 * the file to the opener's mm, and READ/WRITE commands make the "device"
 * access that memory through its own page table, faulting on a miss.  All
 * of the page table, notifier and fault logic is the helper's; this file
 * is the ioctl interface plus the device's flush.
 *
 * Device-private migration and exclusive access need CONFIG_DEVICE_PRIVATE,
 * which the Debian kernel lacks: those commands answer -EOPNOTSUPP.
 */
#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include <linux/notifier_demo.h>

#define NDEMO_NDEVICES		2
/* Largest command: 1 GiB worth of pages, bounced through kernel memory. */
#define NDEMO_MAX_PAGES		(SZ_1G >> PAGE_SHIFT)
/* Bounce buffer for READ and WRITE. */
#define NDEMO_BOUNCE_SIZE	SZ_1M
/* Pages reported per snapshot round. */
#define NDEMO_SNAP_BATCH	64

/**
 * struct ndemo_file - one open device file
 * @mm: the opener's mm (mmgrab()bed until the mirror owns it)
 * @lock: serializes lazy creation of @mirror and changes of @mode
 * @mode: NDEMO_MODE_NOTIFIER or NDEMO_MODE_PINNED
 * @mirror: created by the first command that touches memory
 * @tlb_flushes: flushes the device performed (the software device has no
 *	TLB to drop; the count shows how often a real one would be)
 * @minor: device number, for the mirror's debugfs name
 */
struct ndemo_file {
	struct mm_struct *mm;
	struct mutex lock;	/* protects mode and mirror creation */
	u32 mode;
	struct mmu_mirror *mirror;
	atomic64_t tlb_flushes;
	int minor;
};

static void ndemo_flush(struct mmu_mirror *mirror)
{
	struct ndemo_file *nf = mmu_mirror_priv(mirror);

	atomic64_inc(&nf->tlb_flushes);
}

/* struct ndemo_stats is struct mmu_mirror_stats, exported as is. */
MMU_MIRROR_STATS_ASSERT_PREFIX(struct ndemo_stats);
static_assert(sizeof(struct ndemo_stats) == sizeof(struct mmu_mirror_stats));

static const struct mmu_mirror_ops ndemo_mirror_ops = {
	.flush = ndemo_flush,
};

/* The mirror of @nf, created (with its identity window) on first use. */
static struct mmu_mirror *ndemo_get_mirror(struct ndemo_file *nf)
{
	struct mmu_mirror_window *win;
	struct mmu_mirror *mirror;
	char name[32];

	mutex_lock(&nf->lock);
	mirror = nf->mirror;
	if (mirror)
		goto out;
	snprintf(name, sizeof(name), "hmm_dmirror%d", nf->minor);
	mirror = mmu_mirror_create(nf->mm, &ndemo_mirror_ops,
				   nf->mode == NDEMO_MODE_PINNED ?
				   MMU_MIRROR_PINNED : 0, name, nf);
	if (IS_ERR(mirror))
		goto out;
	/* The device sees the whole user address space at the same address. */
	win = mmu_mirror_window_add(mirror, 0, TASK_SIZE_MAX & PAGE_MASK, 0, 0);
	if (IS_ERR(win)) {
		mmu_mirror_destroy(mirror);
		mirror = ERR_CAST(win);
		goto out;
	}
	nf->mirror = mirror;
out:
	mutex_unlock(&nf->lock);
	return mirror;
}

/*
 * The device copies @len bytes at command offset @pos between @bounce and
 * the mirrored memory.  At a hole it faults the whole rest of the command
 * in one batch, so a command over unmapped memory counts one fault.
 */
static int ndemo_device_copy(struct mmu_mirror *mirror,
			     struct ndemo_cmd *cmd, size_t pos, void *bounce,
			     size_t len, unsigned int access)
{
	size_t size = cmd->npages << PAGE_SHIFT;
	size_t off = 0;
	int ret;

	for (;;) {
		size_t done;

		ret = mmu_mirror_access(mirror, cmd->addr + pos + off,
					bounce + off, len - off, access, &done);
		off += done;
		if (ret != -ENOENT)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = mmu_mirror_fault(mirror, cmd->addr + pos + off,
				       size - pos - off, access);
		if (ret)
			return ret;
		cmd->faults++;
		cond_resched();
	}
}

/*
 * READ and WRITE: bounce through a bounded kernel buffer, so a command's
 * size never becomes the size of a kernel allocation.
 */
static int ndemo_transfer(struct ndemo_file *nf, struct ndemo_cmd *cmd,
			  unsigned int access)
{
	void __user *uptr = u64_to_user_ptr(cmd->ptr);
	size_t size = cmd->npages << PAGE_SHIFT;
	bool write = access & MMU_MIRROR_WRITE;
	struct mmu_mirror *mirror;
	size_t pos, n;
	void *bounce;
	int ret = 0;

	mirror = ndemo_get_mirror(nf);
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	bounce = kvmalloc(min_t(size_t, size, NDEMO_BOUNCE_SIZE), GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (pos = 0; pos < size; pos += n) {
		n = min_t(size_t, size - pos, NDEMO_BOUNCE_SIZE);
		if (write && copy_from_user(bounce, uptr + pos, n)) {
			ret = -EFAULT;
			break;
		}
		ret = ndemo_device_copy(mirror, cmd, pos, bounce, n, access);
		if (ret)
			break;
		if (!write && copy_to_user(uptr + pos, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		cmd->cpages = (pos + n) >> PAGE_SHIFT;
	}
	kvfree(bounce);
	return ret;
}

/* Encode one hmm_range_fault() entry as a NDEMO_PROT_* byte. */
static u8 ndemo_prot(unsigned long e)
{
	unsigned int order;
	u8 prot;

	if (e & HMM_PFN_ERROR)
		return NDEMO_PROT_ERROR;
	if (!(e & HMM_PFN_VALID))
		return NDEMO_PROT_NONE;
	prot = is_zero_pfn(page_to_pfn(hmm_pfn_to_page(e))) ?
	       NDEMO_PROT_ZERO : NDEMO_PROT_NONE;
	prot |= (e & HMM_PFN_WRITE) ? NDEMO_PROT_WRITE : NDEMO_PROT_READ;
	order = hmm_pfn_to_map_order(e);
	if (order + PAGE_SHIFT == PMD_SHIFT)
		prot |= NDEMO_PROT_PMD;
	else if (order + PAGE_SHIFT == PUD_SHIFT)
		prot |= NDEMO_PROT_PUD;
	return prot;
}

static int ndemo_snapshot(struct ndemo_file *nf, struct ndemo_cmd *cmd)
{
	u8 __user *uptr = u64_to_user_ptr(cmd->ptr);
	unsigned long pfns[NDEMO_SNAP_BATCH];
	u8 prot[NDEMO_SNAP_BATCH];
	struct mmu_mirror *mirror;
	u64 done;

	mirror = ndemo_get_mirror(nf);
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	for (done = 0; done < cmd->npages; done += NDEMO_SNAP_BATCH) {
		unsigned long n = min_t(u64, cmd->npages - done,
					NDEMO_SNAP_BATCH);
		unsigned long i;
		int ret;

		ret = mmu_mirror_snapshot(mirror,
					  cmd->addr + (done << PAGE_SHIFT),
					  n, pfns);
		if (ret)
			return ret;
		for (i = 0; i < n; i++)
			prot[i] = ndemo_prot(pfns[i]);
		if (copy_to_user(uptr + done, prot, n))
			return -EFAULT;
		cmd->cpages += n;
	}
	return 0;
}

static int ndemo_get_stats(struct ndemo_file *nf, void __user *uarg)
{
	struct mmu_mirror_stats st = { };
	struct ndemo_stats out = { };

	mutex_lock(&nf->lock);
	if (nf->mirror)
		mmu_mirror_get_stats(nf->mirror, &st);
	mutex_unlock(&nf->lock);

	memcpy(&out, &st, sizeof(st));
	return copy_to_user(uarg, &out, sizeof(out)) ? -EFAULT : 0;
}

static int ndemo_set_mode(struct ndemo_file *nf, u32 __user *uarg)
{
	int ret = 0;
	u32 mode;

	if (get_user(mode, uarg))
		return -EFAULT;
	if (mode != NDEMO_MODE_NOTIFIER && mode != NDEMO_MODE_PINNED)
		return -EINVAL;
	mutex_lock(&nf->lock);
	if (nf->mirror)
		ret = -EBUSY;
	else
		nf->mode = mode;
	mutex_unlock(&nf->lock);
	return ret;
}

/* Validate a memory command once, before any work. */
static int ndemo_check_cmd(const struct ndemo_cmd *cmd)
{
	if (!PAGE_ALIGNED(cmd->addr) || !cmd->npages ||
	    cmd->npages > NDEMO_MAX_PAGES)
		return -EINVAL;
	if (cmd->addr + (cmd->npages << PAGE_SHIFT) < cmd->addr)
		return -EINVAL;
	return 0;
}

static long ndemo_ioctl(struct file *filp, unsigned int command,
			unsigned long arg)
{
	struct ndemo_file *nf = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct ndemo_cmd cmd;
	int ret;

	switch (command) {
	case NDEMO_GET_STATS:
		return ndemo_get_stats(nf, uarg);
	case NDEMO_SET_MODE:
		return ndemo_set_mode(nf, uarg);
	case NDEMO_READ:
	case NDEMO_WRITE:
	case NDEMO_SNAPSHOT:
	case NDEMO_MIGRATE_TO_DEV:
	case NDEMO_MIGRATE_TO_SYS:
	case NDEMO_EXCLUSIVE:
	case NDEMO_CHECK_EXCLUSIVE:
	case NDEMO_RELEASE:
		break;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	ret = ndemo_check_cmd(&cmd);
	if (ret)
		return ret;
	cmd.cpages = 0;
	cmd.faults = 0;

	switch (command) {
	case NDEMO_READ:
		ret = ndemo_transfer(nf, &cmd, 0);
		break;
	case NDEMO_WRITE:
		ret = ndemo_transfer(nf, &cmd, MMU_MIRROR_WRITE);
		break;
	case NDEMO_SNAPSHOT:
		ret = ndemo_snapshot(nf, &cmd);
		break;
	case NDEMO_RELEASE:
		/* No device memory to give back. */
		ret = 0;
		break;
	default:
		/* Device-private and exclusive-access commands. */
		ret = -EOPNOTSUPP;
		break;
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
}

static struct miscdevice ndemo_misc[NDEMO_NDEVICES];

static int ndemo_open(struct inode *inode, struct file *filp)
{
	struct miscdevice *misc = filp->private_data;
	struct ndemo_file *nf;

	if (!current->mm)
		return -EINVAL;
	nf = kzalloc(sizeof(*nf), GFP_KERNEL);
	if (!nf)
		return -ENOMEM;
	mutex_init(&nf->lock);
	nf->mode = NDEMO_MODE_NOTIFIER;
	nf->minor = misc - ndemo_misc;
	mmgrab(current->mm);
	nf->mm = current->mm;
	filp->private_data = nf;
	return 0;
}

static int ndemo_release(struct inode *inode, struct file *filp)
{
	struct ndemo_file *nf = filp->private_data;

	mmu_mirror_destroy(nf->mirror);
	mmdrop(nf->mm);
	kfree(nf);
	return 0;
}

/*
 * Mapping the device file gives zeroed kernel pages, which lets tests see
 * how the mirror reports memory that is not ordinary anonymous memory.
 */
static int ndemo_mmap(struct file *filp, struct vm_area_struct *vma)
{
	unsigned long addr;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
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
