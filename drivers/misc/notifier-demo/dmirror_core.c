// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror_core.c - the GPU-style software device on the mmu_mirror helper
 *
 * What the device does with its commands: validation, the READ and WRITE
 * transfers through the device's page table (faulting on a miss), the
 * SNAPSHOT of the CPU mappings and the counters.  The device caches
 * translations in a small TLB (struct mmu_mirror_tlb) that only its
 * flush empties; all of the page table, notifier and fault logic is the
 * helper's.  Only the kernel-API
 * functions every kernel file may use appear here, so the file builds
 * unchanged in the kernel module and in the userspace model; dmirror.c
 * wraps it into misc devices.
 *
 * Device-private migration and exclusive access need CONFIG_DEVICE_PRIVATE,
 * which the Debian kernel lacks: those commands answer -EOPNOTSUPP.
 */
#include <linux/err.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include <linux/notifier_demo.h>
#include "dmirror_core.h"

/* Largest command: 1 GiB worth of pages, bounced through kernel memory. */
#define NDEMO_MAX_PAGES		(SZ_1G >> PAGE_SHIFT)
/* Bounce buffer for READ and WRITE. */
#define NDEMO_BOUNCE_SIZE	SZ_1M
/* Pages reported per snapshot round. */
#define NDEMO_SNAP_BATCH	64
/* The device's window: the whole user address space, at the same address. */
#define NDEMO_ADDR_LIMIT	(TASK_SIZE_MAX & PAGE_MASK)

/*
 * struct ndemo_stats is struct mmu_mirror_stats, exported as is, followed
 * by the device TLB's counters.
 */
MMU_MIRROR_STATS_ASSERT_PREFIX(struct ndemo_stats);
static_assert(offsetof(struct ndemo_stats, tlb_hits) ==
	      sizeof(struct mmu_mirror_stats));

/*
 * The helper removed translations: the device forgets every one it
 * cached, under the mirror's lock, before the core VM may free a page.
 */
static void ndemo_flush(struct mmu_mirror *mirror)
{
	struct ndemo_file *nf = mmu_mirror_priv(mirror);

	atomic64_inc(&nf->tlb_flushes);
	if (unlikely(nf->tlb_skip_flush))
		mmu_mirror_tlb_revoke_writes(&nf->tlb);
	else
		mmu_mirror_tlb_flush(&nf->tlb);
}

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
	mmu_mirror_tlb_init(&nf->tlb, mirror);
	/* The device sees the whole user address space at the same address. */
	win = mmu_mirror_window_add(mirror, 0, NDEMO_ADDR_LIMIT, 0, 0);
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
 * the mirrored memory, faulting at each hole as much as @span says: at
 * first the whole rest of the command, so a command over unmapped memory
 * counts one fault; less while invalidations take pages before the
 * device gets to them.
 */
static int ndemo_device_copy(struct ndemo_file *nf, struct ndemo_cmd *cmd,
			     size_t pos, void *bounce, size_t len,
			     unsigned int access, struct mmu_mirror_span *span)
{
	u64 end = cmd->addr + (cmd->npages << PAGE_SHIFT);
	struct mmu_mirror *mirror = nf->mirror;
	size_t off = 0;
	int ret;

	for (;;) {
		size_t done;
		u64 sva;

		ret = mmu_mirror_tlb_access(&nf->tlb, cmd->addr + pos + off,
					    bounce + off, len - off, access,
					    &done);
		off += done;
		if (ret != -ENOENT)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		sva = cmd->addr + pos + off;
		ret = mmu_mirror_fault(mirror, sva,
				       mmu_mirror_span_next(span, sva, end),
				       access);
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
	struct mmu_mirror_span span = { };
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
		/* A command may copy a GiB: a killed process stops it. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (write && copy_from_user(bounce, uptr + pos, n)) {
			ret = -EFAULT;
			break;
		}
		ret = ndemo_device_copy(nf, cmd, pos, bounce, n, access, &span);
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

		if (fatal_signal_pending(current))
			return -EINTR;
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
	struct mmu_mirror_tlb_stats tst = { };
	struct mmu_mirror_stats st = { };
	struct ndemo_stats out = { };

	mutex_lock(&nf->lock);
	if (nf->mirror) {
		mmu_mirror_get_stats(nf->mirror, &st);
		mmu_mirror_tlb_get_stats(&nf->tlb, &tst);
	}
	mutex_unlock(&nf->lock);

	memcpy(&out, &st, sizeof(st));
	out.tlb_hits = tst.hits;
	out.tlb_misses = tst.misses;
	out.tlb_emptied = tst.emptied;
	out.tlb_dropped = tst.dropped;
	out.tlb_fill_races = tst.fill_races;
	out.tlb_age_resets = tst.age_resets;
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

/*
 * Validate a memory command once, before any work.  The device sees the
 * user address space and nothing above it, as the CPU does: a range that
 * ends above TASK_SIZE_MAX has no memory there, -EFAULT.
 */
static int ndemo_check_cmd(const struct ndemo_cmd *cmd)
{
	u64 end = cmd->addr + (cmd->npages << PAGE_SHIFT);

	if (!PAGE_ALIGNED(cmd->addr) || !cmd->npages ||
	    cmd->npages > NDEMO_MAX_PAGES || end < cmd->addr)
		return -EINVAL;
	if (end > NDEMO_ADDR_LIMIT)
		return -EFAULT;
	return 0;
}

/**
 * ndemo_file_ioctl() - execute one device command
 * @nf: the open device file
 * @command: NDEMO_* ioctl number
 * @uarg: user pointer to the command's argument
 *
 * Memory commands copy their struct ndemo_cmd in once, validate it once,
 * run one helper and copy the result out once.
 *
 * Context: process context, may sleep; takes @nf->lock and the helper's
 * locks; no lock is held across user copies.
 * Return: 0 on success; -ENOTTY for an unknown command; -EFAULT for a bad
 * user pointer or a range that ends above the user address space;
 * -EINVAL for a misaligned, empty, too large or wrapping range and a bad
 * mode; -EBUSY for a mode change after the first access;
 * -EOPNOTSUPP for device-private and exclusive-access commands; an error
 * of the helper (-EFAULT for unmapped memory, -EPERM for a write to
 * read-only memory, -ESRCH once the mm has exited, -EINTR on a fatal
 * signal, -ENOMEM, also for pins beyond RLIMIT_MEMLOCK; -EOPNOTSUPP for a
 * pinned-mode WRITE to a shared file mapping that needs writeback; -EBUSY
 * when invalidations kept racing a fault for HMM_RANGE_DEFAULT_TIMEOUT,
 * as test_hmm answers then: the device's window covers the whole address
 * space, so invalidations anywhere in the process restart its faults).
 */
long ndemo_file_ioctl(struct ndemo_file *nf, unsigned int command,
		      void __user *uarg)
{
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

/**
 * ndemo_file_create() - state of a newly opened device file
 * @mm: the opener's address space; grabbed (mmgrab()) until
 *	ndemo_file_destroy()
 * @minor: device number, used in the mirror's debugfs name
 *
 * The mirror is created lazily by the first command that touches memory,
 * so the mode can still be chosen after open.
 *
 * Context: process context, may sleep.
 * Return: the new state, or ERR_PTR(-ENOMEM).
 */
struct ndemo_file *ndemo_file_create(struct mm_struct *mm, int minor)
{
	struct ndemo_file *nf;

	nf = kzalloc(sizeof(*nf), GFP_KERNEL);
	if (!nf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&nf->lock);
	nf->mode = NDEMO_MODE_NOTIFIER;
	nf->minor = minor;
	mmgrab(mm);
	nf->mm = mm;
	return nf;
}

/**
 * ndemo_file_destroy() - tear down the state of a closed device file
 * @nf: the state from ndemo_file_create()
 *
 * Destroys the mirror (every entry zapped with a final flush, the
 * notifiers unsubscribed) and drops the mm.  The mm may already have
 * exited.
 *
 * Context: process context, may sleep; no command runs on @nf.
 */
void ndemo_file_destroy(struct ndemo_file *nf)
{
	mmu_mirror_destroy(nf->mirror);
	mmdrop(nf->mm);
	mutex_destroy(&nf->lock);
	kfree(nf);
}
