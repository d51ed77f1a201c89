// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_device.c - what the helper does for real hardware
 *
 * Driver-owned tables: the helper's table stays the source of truth;
 * the driver's map operation sees each batch of new entries after the
 * fault's sequence check, its unmap operation each contiguous range the
 * helper removed, before the one flush of the invalidation.
 *
 * DMA mirrors: each entry carries the DMA address of its page, mapped
 * when the entry is made and unmapped only after the flush that made the
 * device forget the entry.
 *
 * Accesses in flight: a device that cannot fault brackets each access;
 * an invalidation of the range waits for the bracket to close, or, when
 * it must not sleep, is refused.
 */
#include "mmu_mirror_internal.h"

/**
 * mmu_mirror_zap_run() - note a removed range for the driver's unmap
 * @mirror: the mirror
 * @zap: the zap removing it
 * @sva: secondary address of the removed entry
 * @size: its size
 *
 * Contiguous removals are gathered; the driver hears of a range when the
 * next removal is not contiguous with it or when the zap ends.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_zap_run(struct mmu_mirror *mirror, struct mmu_mirror_zap *zap,
			u64 sva, u64 size)
{
	if (zap->run_end != zap->run_start && zap->run_end == sva) {
		zap->run_end += size;
		return;
	}
	mmu_mirror_zap_run_end(mirror, zap);
	zap->run_start = sva;
	zap->run_end = sva + size;
}

/**
 * mmu_mirror_zap_run_end() - pass the gathered range to the driver's unmap
 * @mirror: the mirror
 * @zap: the zap
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_zap_run_end(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap)
{
	if (zap->run_end == zap->run_start)
		return;
	if (mirror->ops->unmap)
		mirror->ops->unmap(mirror, zap->run_start,
				   zap->run_end - zap->run_start);
	zap->run_start = 0;
	zap->run_end = 0;
}

/**
 * mmu_mirror_dma_release() - queue the DMA mapping of a removed entry
 * @mirror: a DMA mirror
 * @zap: the zap that removed the entry
 * @addr: the entry's DMA address
 * @huge: the entry covered 2 MiB
 *
 * The mapping is undone after the next flush.  A full queue is emptied
 * at once: the gathered range goes to the driver's unmap, the device is
 * flushed and the queued mappings are undone, so a removal of more than
 * MMU_MIRROR_DMA_QUEUE entries costs a flush per queue full.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_dma_release(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap, dma_addr_t addr,
			    bool huge)
{
	struct mmu_mirror_dma_queue *q = mirror->dmaq;

	if (q->nr == MMU_MIRROR_DMA_QUEUE) {
		mmu_mirror_zap_run_end(mirror, zap);
		mirror->flush_pending = true;
		mmu_mirror_flush_locked(mirror);
	}
	q->addr[q->nr] = addr;
	q->huge[q->nr] = huge;
	q->nr++;
}

/**
 * mmu_mirror_dma_drain() - undo the DMA mappings the last flush released
 * @mirror: the mirror; nothing happens unless it is a DMA mirror
 *
 * Context: mirror->lock held, right after the driver's flush; never
 * sleeps (the streaming DMA API may be used in atomic context).
 */
void mmu_mirror_dma_drain(struct mmu_mirror *mirror)
{
	struct mmu_mirror_dma_queue *q = mirror->dmaq;
	unsigned int i;

	if (!q)
		return;
	for (i = 0; i < q->nr; i++)
		dma_unmap_page(mirror->dev, q->addr[i],
			       q->huge[i] ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	q->nr = 0;
}

/**
 * mmu_mirror_dev_addr() - the device address of a page about to be mapped
 * @mirror: the mirror
 * @page: the first page of the entry
 * @huge: the entry covers 2 MiB
 * @addr: set to the DMA address (DMA mirror) or the physical address
 *
 * Context: mirror->lock held; never sleeps.
 * Return: 0, or -ENOMEM if the page could not be DMA-mapped.
 */
int mmu_mirror_dev_addr(struct mmu_mirror *mirror, struct page *page,
			bool huge, u64 *addr)
{
	dma_addr_t dma;

	if (!mirror->dev) {
		*addr = (u64)page_to_pfn(page) << PAGE_SHIFT;
		return 0;
	}
	dma = dma_map_page(mirror->dev, page, 0,
			   huge ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE,
			   DMA_BIDIRECTIONAL);
	if (dma_mapping_error(mirror->dev, dma))
		return -ENOMEM;
	*addr = dma;
	return 0;
}

/**
 * mmu_mirror_dev_addr_drop() - undo mmu_mirror_dev_addr() for an entry
 *	that was not made after all
 * @mirror: the mirror
 * @addr: what mmu_mirror_dev_addr() returned
 * @huge: as given to it
 *
 * No device ever saw @addr, so no flush is needed first.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_dev_addr_drop(struct mmu_mirror *mirror, u64 addr, bool huge)
{
	if (mirror->dev)
		dma_unmap_page(mirror->dev, addr,
			       huge ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
}

/**
 * mmu_mirror_map_commit() - hand the gathered entries to the driver
 * @mirror: the mirror
 * @b: the batch; emptied
 * @undo: where the entries go if the driver fails to map them
 *
 * On failure the batch's entries are removed from the helper's table
 * again (the driver's unmap hears of the whole range, the caller's flush
 * completes it), so table and device never disagree.
 *
 * Context: mirror->lock held; never sleeps.
 * Return: 0, or the driver's negative errno.
 */
int mmu_mirror_map_commit(struct mmu_mirror *mirror,
			  struct mmu_mirror_map_batch *b,
			  struct mmu_mirror_zap *undo)
{
	u64 size = b->flags & MMU_MIRROR_MAP_HUGE ? MMU_MIRROR_HUGE_SIZE :
						    PAGE_SIZE;
	int ret;

	if (!b->n || !mirror->ops->map)
		goto out;
	ret = mirror->ops->map(mirror, b->sva, b->addrs, b->n, b->flags);
	if (ret) {
		mmu_mirror_pt_zap(mirror, b->sva, b->sva + b->n * size,
				  ULONG_MAX, undo);
		b->n = 0;
		return ret;
	}
out:
	b->n = 0;
	return 0;
}

/**
 * mmu_mirror_map_add() - gather a new entry for the driver's map
 * @mirror: the mirror
 * @b: the batch
 * @sva: the entry's secondary address
 * @addr: its device address
 * @flags: MMU_MIRROR_MAP_* flags of the entry
 * @undo: passed to mmu_mirror_map_commit()
 *
 * Context: mirror->lock held; never sleeps.
 * Return: 0, or the error of a commit this addition caused; the new
 * entry is then removed along with the failed batch.
 */
int mmu_mirror_map_add(struct mmu_mirror *mirror,
		       struct mmu_mirror_map_batch *b, u64 sva, u64 addr,
		       unsigned int flags, struct mmu_mirror_zap *undo)
{
	u64 size = flags & MMU_MIRROR_MAP_HUGE ? MMU_MIRROR_HUGE_SIZE :
						 PAGE_SIZE;
	int ret;

	if (b->n && (b->flags != flags || b->n == MMU_MIRROR_MAP_BATCH ||
		     b->sva + b->n * size != sva)) {
		ret = mmu_mirror_map_commit(mirror, b, undo);
		if (ret) {
			mmu_mirror_pt_zap(mirror, sva, sva + size, ULONG_MAX,
					  undo);
			return ret;
		}
	}
	if (!b->n) {
		b->sva = sva;
		b->flags = flags;
	}
	b->addrs[b->n++] = addr;
	return 0;
}

/**
 * mmu_mirror_inflight_overlaps() - is a device access in flight over a range
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range
 *
 * Context: mirror->lock held.
 * Return: true if an access bracketed by mmu_mirror_access_begin() and
 * not yet ended overlaps [@start, @end).
 */
bool mmu_mirror_inflight_overlaps(struct mmu_mirror *mirror, u64 start,
				  u64 end)
{
	struct mmu_mirror_inflight *acc;

	lockdep_assert_held(&mirror->lock);
	list_for_each_entry(acc, &mirror->inflight, list)
		if (acc->start < end && start < acc->end)
			return true;
	return false;
}

/**
 * mmu_mirror_replaces_inflight() - would an install take an entry from a
 *	device access in flight
 * @mirror: the mirror
 * @sva: where the new leaf goes, aligned to its size
 * @huge: the new leaf covers 2 MiB
 * @pfn: its first pfn
 * @eflags: its MMU_MIRROR_E_WRITE flag
 *
 * A fault replaces an entry without an invalidation when the CPU made a
 * page writable in place (a reused exclusive page) or a driver-owned
 * table needs a read-only entry made again writable.  The promise of
 * mmu_mirror_access_begin() covers that removal too: the fault must wait.
 *
 * Context: mirror->lock held.
 * Return: true if the install would remove an entry that overlaps an
 * access in flight.
 */
bool mmu_mirror_replaces_inflight(struct mmu_mirror *mirror, u64 sva,
				  bool huge, u64 pfn, u64 eflags)
{
	unsigned int level;
	u64 start, end, *slot;

	slot = mmu_mirror_pt_leaf(mirror, sva, &level);
	if (slot && level == huge && *slot >> PAGE_SHIFT == pfn &&
	    !((eflags & ~*slot & MMU_MIRROR_E_WRITE) &&
	      mmu_mirror_devtable(mirror)))
		return false;	/* kept as it is */
	if (huge) {
		start = sva;
		end = sva + MMU_MIRROR_HUGE_SIZE;
		if (!mmu_mirror_pt_count(mirror, start, end, false))
			return false;
	} else if (slot) {
		u64 span = level ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE;

		start = sva & ~(span - 1);
		end = start + span;
	} else {
		return false;
	}
	return mmu_mirror_inflight_overlaps(mirror, start, end);
}

static bool mmu_mirror_inflight_busy(struct mmu_mirror *mirror, u64 start,
				     u64 end)
{
	bool busy;

	spin_lock(&mirror->lock);
	busy = mmu_mirror_inflight_overlaps(mirror, start, end);
	spin_unlock(&mirror->lock);
	return busy;
}

/**
 * mmu_mirror_block_inflight() - keep device accesses off a range to be zapped
 * @mirror: the mirror
 * @b: the caller's registration, until mmu_mirror_unblock_locked()
 * @start: first secondary address about to be removed
 * @end: secondary address after the range
 *
 * From now on mmu_mirror_access_begin() refuses the range with -EAGAIN,
 * so a zap that drops mirror->lock between chunks cannot remove an entry
 * of an access that began meanwhile; then waits until no access begun
 * before overlaps the range.  The caller has already made faults of the
 * range retry.
 *
 * Context: may sleep; mirror->lock not held.
 */
void mmu_mirror_block_inflight(struct mmu_mirror *mirror,
			       struct mmu_mirror_blocked *b, u64 start,
			       u64 end)
{
	bool busy;

	might_sleep();
	b->start = start;
	b->end = end;
	spin_lock(&mirror->lock);
	list_add(&b->list, &mirror->blocked);
	busy = mmu_mirror_inflight_overlaps(mirror, start, end);
	spin_unlock(&mirror->lock);
	if (busy)
		wait_event(mirror->inflight_wq,
			   !mmu_mirror_inflight_busy(mirror, start, end));
}

/**
 * mmu_mirror_unblock_locked() - let accesses begin over a range again
 * @mirror: the mirror
 * @b: the registration mmu_mirror_block_inflight() made
 *
 * Context: mirror->lock held.
 */
void mmu_mirror_unblock_locked(struct mmu_mirror *mirror,
			       struct mmu_mirror_blocked *b)
{
	lockdep_assert_held(&mirror->lock);
	list_del(&b->list);
}

/**
 * mmu_mirror_wait_inflight() - wait until no device access overlaps a range
 * @mirror: the mirror
 * @start: first secondary address of the range
 * @end: secondary address after the range
 *
 * mmu_mirror_block_inflight() and mmu_mirror_unblock_locked() at once:
 * for a fault that must not replace entries an access uses, and retries
 * after the wait.
 *
 * Context: may sleep; mirror->lock not held.
 */
void mmu_mirror_wait_inflight(struct mmu_mirror *mirror, u64 start, u64 end)
{
	struct mmu_mirror_blocked b;

	mmu_mirror_block_inflight(mirror, &b, start, end);
	spin_lock(&mirror->lock);
	mmu_mirror_unblock_locked(mirror, &b);
	spin_unlock(&mirror->lock);
}

static bool mmu_mirror_blocked_overlaps(struct mmu_mirror *mirror, u64 start,
					u64 end)
{
	struct mmu_mirror_blocked *b;

	list_for_each_entry(b, &mirror->blocked, list)
		if (b->start < end && start < b->end)
			return true;
	return false;
}

/* Page-aligned secondary range of [@sva, @sva + @len), or false. */
static bool mmu_mirror_range(u64 sva, u64 len, u64 *start, u64 *end)
{
	if (!len || sva >= MMU_MIRROR_SVA_LIMIT ||
	    len > MMU_MIRROR_SVA_LIMIT - sva)
		return false;
	*start = sva & PAGE_MASK;
	*end = PAGE_ALIGN(sva + len);
	return true;
}

/**
 * mmu_mirror_access_begin() - a device access over a range starts
 * @mirror: the mirror
 * @acc: the bracket, owned by the caller until mmu_mirror_access_end()
 * @sva: first secondary address of the access
 * @len: bytes, non-zero
 * @access: 0 for a read, MMU_MIRROR_WRITE for a write
 *
 * For devices that cannot take a fault in the middle of an access (no
 * PRI or ATS): once this returns 0, every page of the range has an entry
 * (a writable one for MMU_MIRROR_WRITE), and no invalidation removes one
 * of them until mmu_mirror_access_end(): a blockable invalidation waits,
 * a non-blockable one is refused (counted in nonblock_failed; the core VM
 * retries, the OOM reaper after a short sleep).  So the device may run
 * the access against its table without further checks.
 *
 * The usual sequence: mmu_mirror_fault(), then begin; on -ENOENT or
 * -EAGAIN, end every access already begun, fault again and retry.  Never
 * fault, take the mm's mmap_lock, or allocate memory in a way that may
 * reclaim while an access is in flight: those may wait for an
 * invalidation that waits for this access.  Accesses must end in bounded
 * time, independent of the process.
 *
 * Context: process or kernel-thread context (not interrupts); takes
 * @mirror->lock; does not sleep.
 * Return: 0; -EFAULT if the range is empty, wraps, or reaches
 * MMU_MIRROR_SVA_LIMIT; -ESRCH if the mm has exited; -ENOENT if a page of
 * the range has no (writable) entry; -EAGAIN if an invalidation of the
 * range is waiting for other accesses to end.
 */
int mmu_mirror_access_begin(struct mmu_mirror *mirror,
			    struct mmu_mirror_inflight *acc, u64 sva, u64 len,
			    unsigned int access)
{
	bool write = access & MMU_MIRROR_WRITE;
	u64 start, end;
	int ret = 0;

	if (!mmu_mirror_range(sva, len, &start, &end))
		return -EFAULT;
	spin_lock(&mirror->lock);
	if (mirror->dead)
		ret = -ESRCH;
	else if (mmu_mirror_blocked_overlaps(mirror, start, end))
		ret = -EAGAIN;
	else if (mmu_mirror_pt_count(mirror, start, end, write) !=
		 (end - start) >> PAGE_SHIFT)
		ret = -ENOENT;
	if (!ret) {
		acc->start = start;
		acc->end = end;
		acc->access = write ? MMU_MIRROR_WRITE : 0;
		list_add(&acc->list, &mirror->inflight);
	}
	spin_unlock(&mirror->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_mirror_access_begin);

/**
 * mmu_mirror_access_end() - a device access begun earlier completed
 * @mirror: the mirror
 * @acc: the bracket mmu_mirror_access_begin() filled
 *
 * Marks the range accessed, and dirty for a write, in the helper's
 * table (the pages become dirty for the core VM when the entries go),
 * and lets invalidations waiting for the access proceed.
 *
 * Context: process or kernel-thread context (not interrupts); takes
 * @mirror->lock; does not sleep.
 */
void mmu_mirror_access_end(struct mmu_mirror *mirror,
			   struct mmu_mirror_inflight *acc)
{
	bool wake;

	spin_lock(&mirror->lock);
	mmu_mirror_pt_mark(mirror, acc->start, acc->end,
			   MMU_MIRROR_E_YOUNG |
			   (acc->access & MMU_MIRROR_WRITE ?
			    MMU_MIRROR_E_DIRTY : 0));
	list_del(&acc->list);
	wake = !list_empty(&mirror->blocked);
	spin_unlock(&mirror->lock);
	if (wake)
		wake_up_all(&mirror->inflight_wq);
}
EXPORT_SYMBOL_GPL(mmu_mirror_access_end);

/**
 * mmu_mirror_report_access() - the device accessed a range
 * @mirror: the mirror
 * @sva: first secondary address
 * @len: bytes, non-zero
 * @access: 0 for a read, MMU_MIRROR_WRITE for a write
 *
 * For drivers that learn of accesses after the fact (at the completion of
 * a transfer, from a device log): sets the accessed bit, and the dirty
 * bit for a write, of the entries present in the range, as the device's
 * own table would.  Pages without an entry are skipped: an invalidation
 * already removed it, and with it the translation the device used, so a
 * driver that needs the dirty state kept must hold the range in flight
 * (mmu_mirror_access_begin()) until it reports.
 *
 * Context: process or kernel-thread context; takes @mirror->lock.
 * Return: 0, or -EFAULT if the range is empty, wraps or reaches
 * MMU_MIRROR_SVA_LIMIT.
 */
int mmu_mirror_report_access(struct mmu_mirror *mirror, u64 sva, u64 len,
			     unsigned int access)
{
	u64 start, end;

	if (!mmu_mirror_range(sva, len, &start, &end))
		return -EFAULT;
	spin_lock(&mirror->lock);
	mmu_mirror_pt_mark(mirror, start, end,
			   MMU_MIRROR_E_YOUNG | (access & MMU_MIRROR_WRITE ?
						 MMU_MIRROR_E_DIRTY : 0));
	spin_unlock(&mirror->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(mmu_mirror_report_access);
