// SPDX-License-Identifier: GPL-2.0
/*
 * edu_mirror_file.c - the edu device's IOMMU domain as a process mirror
 *
 * Opening /dev/edu_mirrorN binds the file to the opener's mm.  Its first
 * copy or map creates a mirror of that mm with one identity window per
 * range of user addresses the device can reach (struct edu_window), so
 * the I/O virtual address of a user byte is its user address.  The
 * mmu_mirror helper keeps the device's unmanaged IOMMU domain coherent
 * with the CPU page tables:
 *
 *  - map: iommu_map_atomic() of each entry a fault installs (under the
 *    helper's spinlock, after its sequence check);
 *  - unmap: iommu_unmap_fast() of each range an invalidation removes,
 *    gathered in one struct iommu_iotlb_gather;
 *  - flush: one iommu_iotlb_sync() per invalidation.
 *
 * The device cannot fault, so a copy brackets each transfer with
 * mmu_mirror_access_begin() and mmu_mirror_access_end(): an invalidation
 * of the range waits until the transfer is over before it unmaps, and
 * the end marks the pages accessed (and dirty, for the destination).
 * Every fault of the mirror runs under the device's dma_lock, so none
 * overlaps a transfer: a fault may replace an entry (a read-only one
 * made writable in place), and the IOMMU would miss the page between the
 * old entry's unmap and the new one's map.
 * Pinned mode (MMU_MIRROR_PINNED) is the VFIO type1 model: what the
 * device maps stays pinned until the file is closed.
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include <linux/edu_mirror.h>
#include "edu_mirror_dev.h"

/* Fault-and-bracket rounds before a copy gives up with -EBUSY. */
#define EDU_MAX_TRIES		64

/**
 * struct edu_file - one open device file
 * @edu: the device (referenced)
 * @mm: the opener's mm (mmgrab()bed)
 * @lock: protects @mode, @mirror creation and the test knobs' changes
 * @mode: EDU_MIRROR_MODE_NOTIFIER or EDU_MIRROR_MODE_PINNED
 * @mirror: created by the first copy or map
 * @gather: IOTLB ranges unmapped since the last sync; protected by the
 *	mirror's lock (the helper calls unmap and flush under it)
 * @test_flags: EDU_MIRROR_TEST_* knobs, read locklessly by the operations
 * @timeout_ms: transfer timeout, 0 for the module's default
 * @knobs_used: SKIP_SYNC was set once: flush the whole IOTLB at close
 */
struct edu_file {
	struct edu_dev *edu;
	struct mm_struct *mm;
	struct mutex lock;	/* protects mode, mirror creation, knobs */
	u32 mode;
	struct mmu_mirror *mirror;
	struct iommu_iotlb_gather gather;
	u32 test_flags;
	u32 timeout_ms;
	bool knobs_used;
};

/* IOMMU permissions of an entry the helper installs with @flags. */
static int edu_prot(unsigned int flags)
{
	int prot = IOMMU_READ | IOMMU_CACHE;

	if (flags & MMU_MIRROR_MAP_WRITE)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * One iommu_map_atomic() per entry, never one per run of contiguous
 * entries: a run covering an aligned 2 MiB block would become one IOMMU
 * superpage, and the later unmap of one of its 4 KiB entries would take
 * its 511 neighbours with it while the helper still holds them.
 */
static int edu_op_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		      unsigned int n, unsigned int flags)
{
	struct edu_file *ef = mmu_mirror_priv(mirror);
	struct edu_dev *edu = ef->edu;
	u64 size = (flags & MMU_MIRROR_MAP_HUGE) ? SZ_2M : PAGE_SIZE;
	int prot = edu_prot(flags);
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = iommu_map_atomic(edu->domain, sva + i * size, addrs[i],
				       size, prot);
		atomic64_inc(&edu->ctr.iommu_maps);
		if (ret)
			return ret;
		atomic64_add(size >> PAGE_SHIFT, &edu->ctr.iommu_pages_mapped);
	}
	return 0;
}

static void edu_op_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	struct edu_file *ef = mmu_mirror_priv(mirror);
	struct edu_dev *edu = ef->edu;
	u64 off = 0;

	while (off < size) {
		size_t done = iommu_unmap_fast(edu->domain, sva + off,
					       size - off, &ef->gather);

		atomic64_inc(&edu->ctr.iommu_unmaps);
		atomic64_add(done >> PAGE_SHIFT,
			     &edu->ctr.iommu_pages_unmapped);
		/* A hole (entries of a failed map never programmed). */
		off += done ? done : PAGE_SIZE;
	}
}

static void edu_op_flush(struct mmu_mirror *mirror)
{
	struct edu_file *ef = mmu_mirror_priv(mirror);
	struct edu_dev *edu = ef->edu;

	if (ef->gather.start > ef->gather.end)
		return;		/* nothing unmapped since the last sync */
	if (READ_ONCE(ef->test_flags) & EDU_MIRROR_TEST_SKIP_SYNC) {
		atomic64_inc(&edu->ctr.iotlb_syncs_skipped);
		return;
	}
	iommu_iotlb_sync(edu->domain, &ef->gather);
	atomic64_inc(&edu->ctr.iotlb_syncs);
}

static const struct mmu_mirror_ops edu_mirror_ops = {
	.flush	= edu_op_flush,
	.map	= edu_op_map,
	.unmap	= edu_op_unmap,
};

/* struct edu_mirror_stats begins with struct mmu_mirror_stats. */
MMU_MIRROR_STATS_ASSERT_PREFIX(struct edu_mirror_stats);

/* The mirror of @ef, created with its identity windows on first use. */
static struct mmu_mirror *edu_get_mirror(struct edu_file *ef)
{
	struct edu_dev *edu = ef->edu;
	struct mmu_mirror *mirror;
	unsigned int i;

	mutex_lock(&ef->lock);
	mirror = ef->mirror;
	if (mirror)
		goto out;
	mirror = mmu_mirror_create(ef->mm, &edu_mirror_ops,
				   ef->mode == EDU_MIRROR_MODE_PINNED ?
				   MMU_MIRROR_PINNED : 0, edu->name, ef);
	if (IS_ERR(mirror))
		goto out;
	for (i = 0; i < edu->nr_windows; i++) {
		const struct edu_window *w = &edu->windows[i];
		struct mmu_mirror_window *win;

		win = mmu_mirror_window_add(mirror, w->start, w->end - w->start,
					    w->start, 0);
		if (IS_ERR(win)) {
			mmu_mirror_destroy(mirror);
			mirror = ERR_CAST(win);
			goto out;
		}
	}
	ef->mirror = mirror;
out:
	mutex_unlock(&ef->lock);
	return mirror;
}

/* Is [addr, addr + len) inside one window?  @len > 0, no wrap. */
static bool edu_in_window(const struct edu_dev *edu, u64 addr, u64 len)
{
	unsigned int i;

	for (i = 0; i < edu->nr_windows; i++)
		if (addr >= edu->windows[i].start &&
		    addr + len <= edu->windows[i].end)
			return true;
	return false;
}

static unsigned int edu_timeout(const struct edu_file *ef)
{
	u32 t = READ_ONCE(ef->timeout_ms);

	return t ? t : edu_default_timeout_ms();
}

/*
 * Fault [addr, addr + len) in and hold it in flight in @acc.  Returns 0
 * with the bracket open, or an error with it closed.
 */
static int edu_hold(struct edu_file *ef, struct mmu_mirror_inflight *acc,
		    u64 addr, u32 len, unsigned int access,
		    struct edu_mirror_copy *c)
{
	unsigned int tries;
	int ret;

	for (tries = 0; tries < EDU_MAX_TRIES; tries++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = mmu_mirror_fault(ef->mirror, addr, len, access);
		c->faults++;
		if (ret)
			return ret;
		ret = mmu_mirror_access_begin(ef->mirror, acc, addr, len,
					      access);
		/*
		 * -ENOENT: an invalidation took the range after the fault;
		 * -EAGAIN: one is waiting for it.  Fault again (which waits
		 * for the invalidation) and retry.
		 */
		if (ret != -ENOENT && ret != -EAGAIN)
			return ret;
		c->retries++;
	}
	return -EBUSY;
}

/*
 * One transfer between user memory at @addr and the device buffer, with
 * the range held in flight until the device is done with it.
 */
static int edu_xfer(struct edu_file *ef, enum edu_dir dir, u64 addr, u32 len,
		    struct edu_mirror_copy *c, u64 *done_ns)
{
	unsigned int access = dir == EDU_FROM_DEVICE ? MMU_MIRROR_WRITE : 0;
	bool hold = !(READ_ONCE(ef->test_flags) & EDU_MIRROR_TEST_SKIP_REFAULT);
	struct mmu_mirror_inflight acc;
	int ret;

	if (hold) {
		ret = edu_hold(ef, &acc, addr, len, access, c);
		if (ret)
			return ret;
	}
	/* No sleep here may wait for an invalidation: only the device. */
	ret = edu_dma_run(ef->edu, dir, addr, len, edu_timeout(ef));
	*done_ns = ktime_get_ns();
	if (hold)
		mmu_mirror_access_end(ef->mirror, &acc);
	return ret;
}

/* Both ranges in one window each, so neither reaches a reserved IOVA. */
static int edu_check_copy(const struct edu_dev *edu,
			  const struct edu_mirror_copy *c)
{
	if (c->flags || !c->len || c->len > EDU_MIRROR_MAX_LEN ||
	    c->src + c->len < c->src || c->dst + c->len < c->dst)
		return -EINVAL;
	if (!edu_in_window(edu, c->src, c->len) ||
	    !edu_in_window(edu, c->dst, c->len))
		return -EFAULT;
	return 0;
}

static int edu_copy(struct edu_file *ef, struct edu_mirror_copy __user *uarg)
{
	struct edu_dev *edu = ef->edu;
	struct edu_mirror_copy c;
	struct mmu_mirror *mirror;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = edu_check_copy(edu, &c);
	if (ret)
		return ret;
	c.faults = 0;
	c.retries = 0;
	c.src_done_ns = 0;
	c.dst_done_ns = 0;
	mirror = edu_get_mirror(ef);
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);

	ret = mutex_lock_killable(&edu->dma_lock);
	if (ret)
		return ret;
	ret = edu->gone ? -ENODEV : 0;
	/* A destination the device may not write fails before any DMA. */
	if (!ret && !(READ_ONCE(ef->test_flags) &
		      EDU_MIRROR_TEST_SKIP_REFAULT)) {
		ret = mmu_mirror_fault(mirror, c.dst, c.len, MMU_MIRROR_WRITE);
		c.faults++;
	}
	if (!ret)
		ret = edu_xfer(ef, EDU_TO_DEVICE, c.src, c.len, &c,
			       &c.src_done_ns);
	if (!ret)
		ret = edu_xfer(ef, EDU_FROM_DEVICE, c.dst, c.len, &c,
			       &c.dst_done_ns);
	mutex_unlock(&edu->dma_lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

static int edu_map(struct edu_file *ef, struct edu_mirror_map __user *uarg)
{
	struct mmu_mirror *mirror;
	struct edu_mirror_map m;
	int ret;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if ((m.flags & ~EDU_MIRROR_MAP_WRITE) || m.pad ||
	    !PAGE_ALIGNED(m.addr) || !PAGE_ALIGNED(m.len) || !m.len ||
	    m.len > EDU_MIRROR_MAX_MAP || m.addr + m.len < m.addr)
		return -EINVAL;
	if (!edu_in_window(ef->edu, m.addr, m.len))
		return -EFAULT;
	mirror = edu_get_mirror(ef);
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	/* No fault while a transfer is in flight (see the top). */
	ret = mutex_lock_killable(&ef->edu->dma_lock);
	if (ret)
		return ret;
	ret = ef->edu->gone ? -ENODEV :
	      mmu_mirror_fault(mirror, m.addr, m.len,
			       (m.flags & EDU_MIRROR_MAP_WRITE) ?
			       MMU_MIRROR_WRITE : 0);
	mutex_unlock(&ef->edu->dma_lock);
	return ret;
}

static int edu_get_stats(struct edu_file *ef, void __user *uarg)
{
	const struct edu_counters *ctr = &ef->edu->ctr;
	struct mmu_mirror_stats st = { };
	struct edu_mirror_stats out = { };

	mutex_lock(&ef->lock);
	if (ef->mirror)
		mmu_mirror_get_stats(ef->mirror, &st);
	mutex_unlock(&ef->lock);
	memcpy(&out, &st, sizeof(st));
	out.iotlb_syncs = atomic64_read(&ctr->iotlb_syncs);
	out.iotlb_syncs_skipped = atomic64_read(&ctr->iotlb_syncs_skipped);
	out.iommu_maps = atomic64_read(&ctr->iommu_maps);
	out.iommu_pages_mapped = atomic64_read(&ctr->iommu_pages_mapped);
	out.iommu_unmaps = atomic64_read(&ctr->iommu_unmaps);
	out.iommu_pages_unmapped = atomic64_read(&ctr->iommu_pages_unmapped);
	out.dmas = atomic64_read(&ctr->dmas);
	out.dma_timeouts = atomic64_read(&ctr->dma_timeouts);
	out.va_end = ef->edu->va_end;
	return copy_to_user(uarg, &out, sizeof(out)) ? -EFAULT : 0;
}

static int edu_set_mode(struct edu_file *ef, u32 __user *uarg)
{
	int ret = 0;
	u32 mode;

	if (get_user(mode, uarg))
		return -EFAULT;
	if (mode != EDU_MIRROR_MODE_NOTIFIER && mode != EDU_MIRROR_MODE_PINNED)
		return -EINVAL;
	mutex_lock(&ef->lock);
	if (ef->mirror)
		ret = -EBUSY;
	else
		ef->mode = mode;
	mutex_unlock(&ef->lock);
	return ret;
}

static int edu_set_test(struct edu_file *ef, void __user *uarg)
{
	struct edu_mirror_test t;
	bool unskip;

	if (!edu_test_knobs_allowed() || !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&t, uarg, sizeof(t)))
		return -EFAULT;
	if ((t.flags & ~EDU_MIRROR_TEST_ALL) || t.dma_timeout_ms > 60000)
		return -EINVAL;
	mutex_lock(&ef->lock);
	unskip = (ef->test_flags & EDU_MIRROR_TEST_SKIP_SYNC) &&
		 !(t.flags & EDU_MIRROR_TEST_SKIP_SYNC);
	if (t.flags & EDU_MIRROR_TEST_SKIP_SYNC)
		ef->knobs_used = true;
	WRITE_ONCE(ef->test_flags, t.flags);
	WRITE_ONCE(ef->timeout_ms, t.dma_timeout_ms);
	mutex_unlock(&ef->lock);
	/* The translations left behind by skipped syncs go now. */
	if (unskip)
		iommu_flush_iotlb_all(ef->edu->domain);
	return 0;
}

static long edu_ioctl(struct file *filp, unsigned int command,
		      unsigned long arg)
{
	struct edu_file *ef = filp->private_data;
	void __user *uarg = (void __user *)arg;

	/* The device's addresses are the opener's: nobody else's. */
	if (current->mm != ef->mm)
		return -EPERM;
	switch (command) {
	case EDU_MIRROR_SET_MODE:
		return edu_set_mode(ef, uarg);
	case EDU_MIRROR_COPY:
		return edu_copy(ef, uarg);
	case EDU_MIRROR_MAP:
		return edu_map(ef, uarg);
	case EDU_MIRROR_GET_STATS:
		return edu_get_stats(ef, uarg);
	case EDU_MIRROR_SET_TEST:
		return edu_set_test(ef, uarg);
	default:
		return -ENOTTY;
	}
}

static int edu_open(struct inode *inode, struct file *filp)
{
	struct edu_dev *edu = container_of(filp->private_data, struct edu_dev,
					   misc);
	struct edu_file *ef;

	if (!current->mm)
		return -EINVAL;
	ef = kzalloc(sizeof(*ef), GFP_KERNEL);
	if (!ef)
		return -ENOMEM;
	spin_lock(&edu->open_lock);
	if (edu->owner) {
		spin_unlock(&edu->open_lock);
		kfree(ef);
		return -EBUSY;
	}
	edu->owner = ef;
	spin_unlock(&edu->open_lock);

	/* misc_open() runs this under misc_mtx: remove cannot free @edu. */
	kref_get(&edu->ref);
	ef->edu = edu;
	mutex_init(&ef->lock);
	ef->mode = EDU_MIRROR_MODE_NOTIFIER;
	iommu_iotlb_gather_init(&ef->gather);
	mmgrab(current->mm);
	ef->mm = current->mm;
	filp->private_data = ef;
	return 0;
}

/*
 * No ioctl runs any more (they hold the file).  A transfer that timed out
 * is waited for before the mirror unmaps, so the device is idle when the
 * file is gone.
 */
static int edu_release(struct inode *inode, struct file *filp)
{
	struct edu_file *ef = filp->private_data;
	struct edu_dev *edu = ef->edu;

	mutex_lock(&edu->dma_lock);
	if (edu->busy && !edu->gone &&
	    edu_dma_wait_idle(edu, edu_default_timeout_ms() * 5))
		dev_err(&edu->pdev->dev,
			"a transfer still runs as the file closes\n");
	mutex_unlock(&edu->dma_lock);

	WRITE_ONCE(ef->test_flags, 0);
	mmu_mirror_destroy(ef->mirror);
	/* The mirror is gone: nobody else uses the gather. */
	if (ef->gather.start <= ef->gather.end) {
		iommu_iotlb_sync(edu->domain, &ef->gather);
		atomic64_inc(&edu->ctr.iotlb_syncs);
	}
	if (ef->knobs_used)
		iommu_flush_iotlb_all(edu->domain);
	mmdrop(ef->mm);

	spin_lock(&edu->open_lock);
	edu->owner = NULL;
	spin_unlock(&edu->open_lock);
	mutex_destroy(&ef->lock);
	kfree(ef);
	edu_dev_put(edu);
	return 0;
}

const struct file_operations edu_fops = {
	.owner		= THIS_MODULE,
	.open		= edu_open,
	.release	= edu_release,
	.unlocked_ioctl	= edu_ioctl,
	.llseek		= noop_llseek,
};
