// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_core.c - mirrors, windows and the invalidation path
 *
 * Each window subscribes an interval notifier to its host range; each
 * mirror also subscribes one classic notifier.  The core VM calls every
 * interval callback of an invalidation before any classic
 * invalidate_range_start, and for a blockable range always both.  So a
 * window's callback makes the window's faults retry and, for a blockable
 * range, leaves its secondary range to the classic callback, adjacent
 * windows' ranges joined into one run; the classic callback removes the
 * run and asks the driver for exactly one flush.  Non-blockable ranges
 * are removed (and flushed) in the windows' callbacks.  The classic
 * notifier also carries release (mm exit) and the aging hooks.
 */
#include <linux/module.h>
#include "mmu_mirror_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/mmu_mirror.h>

static const struct mmu_interval_notifier_ops mmu_mirror_window_ops;
static const struct mmu_notifier_ops mmu_mirror_mn_ops;

/* Secondary range of @win that the host range [start, end) covers. */
static bool mmu_mirror_window_clip(const struct mmu_mirror_window *win,
				   unsigned long start, unsigned long end,
				   u64 *sstart, u64 *send)
{
	unsigned long lo = max(start, win->hva);
	unsigned long hi = min(end, win->hva + win->size);

	if (lo >= hi)
		return false;
	*sstart = win->sva + (lo - win->hva);
	*send = win->sva + (hi - win->hva);
	return true;
}

/**
 * mmu_mirror_account_zap() - count what a zap removed
 * @mirror: the mirror
 * @zap: what mmu_mirror_pt_zap() or mmu_mirror_pt_install() removed
 *
 * Marks a flush as owed when anything was removed, after passing the
 * last removed range to a driver-owned table's unmap.  The entries
 * statistic is updated here once per zap, not per removed leaf.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_account_zap(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap)
{
	lockdep_assert_held(&mirror->lock);
	mmu_mirror_zap_run_end(mirror, zap);
	if (!zap->entries)
		return;
	mirror->flush_pending = true;
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries),
			    -(s64)zap->entries);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries_zapped),
			    zap->entries);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(pages_zapped), zap->pages);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(dirty_propagated),
			    zap->dirty);
}

/**
 * mmu_mirror_flush_locked() - have the driver flush if a flush is owed
 * @mirror: the mirror
 *
 * The flush runs under mirror->lock, so whoever finds no flush owed knows
 * that the flush covering earlier removals has completed.  A DMA mirror
 * undoes the DMA mappings of the removed entries right after it.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_flush_locked(struct mmu_mirror *mirror)
{
	lockdep_assert_held(&mirror->lock);
	if (!mirror->flush_pending)
		return;
	mirror->flush_pending = false;
	trace_mmu_mirror_flush(mirror->name);
	mirror->ops->flush(mirror);
	mmu_mirror_dma_drain(mirror);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(flushes), 1);
}

/* Do the pages of @range go with their mappings (munmap, discard, exit)? */
static bool mmu_mirror_event_frees(const struct mmu_notifier_range *range)
{
	return range->event == MMU_NOTIFY_UNMAP ||
	       range->event == MMU_NOTIFY_CLEAR;
}

/*
 * Remove the entries of a secondary range, holding mirror->lock for at
 * most MMU_MIRROR_ZAP_CHUNK leaves at a time and yielding in between.
 * Whoever zaps has already made faults of the range retry (a window's
 * sequence bumped, or windows_sem held for write), so nothing is
 * installed there while the lock is dropped.  Pins go only after the
 * device flushed and the lock is dropped: a pinned mirror flushes once
 * per chunk that dropped pins.  With @flush the device is flushed at the
 * end; without, the caller's invalidate_range_start does it.  With
 * @freeing the pages go with their mappings (see struct mmu_mirror_zap).
 * Returns the number of leaves removed.
 *
 * Device accesses in flight over the range are waited for first, and
 * none can begin over it until the last chunk is gone.
 *
 * Context: may sleep; mirror->lock not held.  For a pinned mirror,
 * windows_sem held for write (mirror->unpin is used).
 */
static unsigned long mmu_mirror_zap(struct mmu_mirror *mirror, u64 start,
				    u64 end, bool flush, bool freeing)
{
	struct mmu_mirror_blocked blocked;
	unsigned long entries = 0;
	u64 next = start;

	might_sleep();
	end = min_t(u64, end, MMU_MIRROR_SVA_LIMIT);
	if (start >= end)
		return 0;
	mmu_mirror_block_inflight(mirror, &blocked, start, end);
	while (next < end) {
		struct mmu_mirror_zap zap = {
			.unpin = mirror->unpin,
			.max_unpin = mirror->unpin ? MMU_MIRROR_ZAP_CHUNK : 0,
			.freeing = freeing,
		};

		spin_lock(&mirror->lock);
		next = mmu_mirror_pt_zap(mirror, next, end,
					 MMU_MIRROR_ZAP_CHUNK, &zap);
		mmu_mirror_account_zap(mirror, &zap);
		if (zap.nr_dirty + zap.nr_clean || (flush && next >= end))
			mmu_mirror_flush_locked(mirror);
		if (next >= end)
			mmu_mirror_unblock_locked(mirror, &blocked);
		spin_unlock(&mirror->lock);
		mmu_mirror_unpin_release(mirror, &zap);
		entries += zap.entries;
		if (next < end)
			cond_resched();
	}
	return entries;
}

/* Remove a deferred run (see mmu_mirror_defer()); may sleep. */
static void mmu_mirror_zap_deferred(struct mmu_mirror *mirror,
				    const struct mmu_mirror_deferred *d)
{
	unsigned long entries;

	entries = mmu_mirror_zap(mirror, d->start, d->end, false,
				 mmu_mirror_event_frees(d->range));
	trace_mmu_mirror_invalidate(mirror->name, d->range->event,
				    d->range->start, d->range->end, d->start,
				    entries, true);
}

/*
 * Leave the removal of [@sstart, @send) to the mirror's classic start of
 * the blockable invalidation @range, which the core VM calls after every
 * interval callback of it: one zap then covers the adjacent windows of a
 * range split into many, instead of a table walk per window.  A range
 * that extends the deferred run is added to it; otherwise it starts a
 * new run and *@old receives the one it replaced (of the same
 * invalidation) for the caller to remove now.  False, and nothing
 * deferred, while another invalidation's run is deferred or once the mm
 * is gone (no classic start follows an invalidation after release).
 */
static bool mmu_mirror_defer(struct mmu_mirror *mirror,
			     const struct mmu_notifier_range *range,
			     u64 sstart, u64 send,
			     struct mmu_mirror_deferred *old)
{
	struct mmu_mirror_deferred *d = &mirror->deferred;

	lockdep_assert_held(&mirror->lock);
	old->range = NULL;
	if (mirror->dead || (d->range && d->range != range))
		return false;
	if (d->range && d->end == sstart) {
		d->end = send;
		return true;
	}
	*old = *d;
	d->range = range;
	d->start = sstart;
	d->end = send;
	return true;
}

/*
 * Non-blockable: zap the window's part in this hold and flush at once;
 * *@entries is set to the leaves removed.  False for the one refusal
 * (counted).
 */
static bool mmu_mirror_zap_nonblock(struct mmu_mirror *mirror,
				    struct mmu_interval_notifier *mni,
				    unsigned long cur_seq, bool clipped,
				    u64 sstart, u64 send, bool freeing,
				    unsigned long *entries)
{
	struct mmu_mirror_zap zap = { .freeing = freeing };
	unsigned int idx;

	lockdep_assert_held(&mirror->lock);
	*entries = 0;
	/*
	 * The one refusal: a device access in flight cannot be stopped,
	 * and waiting for it would sleep.  The core VM tries again later.
	 */
	if (clipped && mmu_mirror_inflight_overlaps(mirror, sstart, send)) {
		idx = MMU_MIRROR_STAT(nonblock_failed);
		mmu_mirror_stat_add(mirror, idx, 1);
		return false;
	}
	mmu_interval_set_seq(mni, cur_seq);
	if (!clipped)
		return true;
	mmu_mirror_pt_zap(mirror, sstart, send, ULONG_MAX, &zap);
	mmu_mirror_account_zap(mirror, &zap);
	/*
	 * When another subscriber refuses a non-blockable range, the core
	 * VM returns -EAGAIN without calling any classic
	 * invalidate_range_start: the flush cannot wait for the mirror's, it
	 * happens here.
	 */
	if (zap.entries) {
		idx = MMU_MIRROR_STAT(nonblock_flushes);
		mmu_mirror_flush_locked(mirror);
		mmu_mirror_stat_add(mirror, idx, 1);
	}
	*entries = zap.entries;
	return true;
}

static bool mmu_mirror_window_invalidate(struct mmu_interval_notifier *mni,
					 const struct mmu_notifier_range *range,
					 unsigned long cur_seq)
{
	struct mmu_mirror_window *win =
		container_of(mni, struct mmu_mirror_window, notifier);
	struct mmu_mirror *mirror = win->mirror;
	bool blockable = mmu_notifier_range_blockable(range);
	struct mmu_mirror_deferred old;
	unsigned long entries;
	u64 sstart, send;
	bool clipped, ok;

	/*
	 * mirror->lock is a spinlock whose holders never sleep or allocate,
	 * so taking it is allowed when the range is not blockable: this
	 * callback never fails and the OOM reaper always gets the memory.
	 */
	spin_lock(&mirror->lock);
	clipped = mmu_mirror_window_clip(win, range->start, range->end,
					 &sstart, &send);
	if (!blockable) {
		ok = mmu_mirror_zap_nonblock(mirror, mni, cur_seq, clipped,
					     sstart, send,
					     mmu_mirror_event_frees(range),
					     &entries);
		spin_unlock(&mirror->lock);
		if (clipped)
			trace_mmu_mirror_invalidate(mirror->name, range->event,
						    range->start, range->end,
						    sstart, entries, false);
		return ok;
	}
	mmu_interval_set_seq(mni, cur_seq);
	if (clipped && mmu_mirror_defer(mirror, range, sstart, send, &old)) {
		spin_unlock(&mirror->lock);
		if (old.range)
			mmu_mirror_zap_deferred(mirror, &old);
		return true;
	}
	spin_unlock(&mirror->lock);
	if (!clipped)
		return true;
	/* Bounded lock holds; the classic start flushes. */
	entries = mmu_mirror_zap(mirror, sstart, send, false,
				 mmu_mirror_event_frees(range));
	trace_mmu_mirror_invalidate(mirror->name, range->event, range->start,
				    range->end, sstart, entries, true);
	return true;
}

static const struct mmu_interval_notifier_ops mmu_mirror_window_ops = {
	.invalidate = mmu_mirror_window_invalidate,
};

static inline struct mmu_mirror *mn_to_mirror(struct mmu_notifier *mn)
{
	return container_of(mn, struct mmu_mirror, mn);
}

static int mmu_mirror_mn_start(struct mmu_notifier *mn,
			       const struct mmu_notifier_range *range)
{
	struct mmu_mirror *mirror = mn_to_mirror(mn);
	struct mmu_mirror_deferred d;
	bool overlaps;

	/* Every window callback of this invalidation has already run. */
	spin_lock(&mirror->lock);
	if (mirror->deferred.range == range &&
	    mmu_notifier_range_blockable(range)) {
		d = mirror->deferred;
		mirror->deferred.range = NULL;
		spin_unlock(&mirror->lock);
		mmu_mirror_zap_deferred(mirror, &d);
		spin_lock(&mirror->lock);
	}
	overlaps = interval_tree_iter_first(&mirror->hva_tree, range->start,
					    range->end - 1);
	mmu_mirror_flush_locked(mirror);
	spin_unlock(&mirror->lock);

	if (overlaps && range->event < MMU_MIRROR_NR_EVENTS) {
		unsigned int idx = MMU_MIRROR_STAT(invalidations[range->event]);

		mmu_mirror_stat_add(mirror, idx, 1);
	}
	if (overlaps && !mmu_notifier_range_blockable(range))
		mmu_mirror_stat_add(mirror,
				    MMU_MIRROR_STAT(nonblock_invalidations), 1);
	return 0;
}

/* Zap everything the windows map; the mirror accepts no more faults. */
static void mmu_mirror_mn_release(struct mmu_notifier *mn,
				  struct mm_struct *mm)
{
	struct mmu_mirror *mirror = mn_to_mirror(mn);
	bool notify;

	spin_lock(&mirror->lock);
	WRITE_ONCE(mirror->dead, true);
	/* No classic start follows; the zap below covers a deferred run. */
	mirror->deferred.range = NULL;
	notify = !mirror->destroying;
	spin_unlock(&mirror->lock);
	trace_mmu_mirror_release(mirror->name, !notify);
	/*
	 * Entries only exist inside windows, so zapping the whole table
	 * removes them all, without walking the window list (whose lock
	 * this path does not take).  No fault runs: they hold an mm_users
	 * reference, and release comes after the last one is gone or from
	 * mmu_mirror_destroy().
	 */
	mmu_mirror_zap(mirror, 0, MMU_MIRROR_SVA_LIMIT, true, notify);
	if (!notify)
		return;
	mmu_mirror_stat_add(mirror,
			    MMU_MIRROR_STAT(invalidations[MMU_NOTIFY_RELEASE]),
			    1);
	if (mirror->ops->release)
		mirror->ops->release(mirror);
}

/* Count (and optionally clear) accessed bits of windows over a host range. */
static int mmu_mirror_age(struct mmu_mirror *mirror, unsigned long start,
			  unsigned long end, bool clear)
{
	struct interval_tree_node *node;
	unsigned long young = 0;

	spin_lock(&mirror->lock);
	for (node = interval_tree_iter_first(&mirror->hva_tree, start, end - 1);
	     node; node = interval_tree_iter_next(node, start, end - 1)) {
		struct mmu_mirror_window *win =
			container_of(node, struct mmu_mirror_window, hva_node);
		u64 sstart, send;

		if (mmu_mirror_window_clip(win, start, end, &sstart, &send))
			young += mmu_mirror_pt_age(mirror, sstart, send, clear);
	}
	spin_unlock(&mirror->lock);
	trace_mmu_mirror_age(mirror->name, start, end, clear, young);
	if (clear && young)
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(young_cleared),
				    young);
	return young != 0;
}

/*
 * Clearing needs no device flush: table lookups set the accessed bit
 * again, a device TLB (struct mmu_mirror_tlb) drops its entries once it
 * sees the aging pass, and a driver-owned table clears its own bit in
 * ->harvest().
 */
static int mmu_mirror_mn_clear_flush_young(struct mmu_notifier *mn,
					   struct mm_struct *mm,
					   unsigned long start,
					   unsigned long end)
{
	return mmu_mirror_age(mn_to_mirror(mn), start, end, true);
}

static int mmu_mirror_mn_clear_young(struct mmu_notifier *mn,
				     struct mm_struct *mm,
				     unsigned long start, unsigned long end)
{
	return mmu_mirror_age(mn_to_mirror(mn), start, end, true);
}

static int mmu_mirror_mn_test_young(struct mmu_notifier *mn,
				    struct mm_struct *mm,
				    unsigned long address)
{
	return mmu_mirror_age(mn_to_mirror(mn), address, address + PAGE_SIZE,
			      false);
}

static const struct mmu_notifier_ops mmu_mirror_mn_ops = {
	.release		= mmu_mirror_mn_release,
	.invalidate_range_start	= mmu_mirror_mn_start,
	.clear_flush_young	= mmu_mirror_mn_clear_flush_young,
	.clear_young		= mmu_mirror_mn_clear_young,
	.test_young		= mmu_mirror_mn_test_young,
};

static void mmu_mirror_free(struct mmu_mirror *mirror)
{
	kfree(mirror->dmaq);
	kfree(mirror->unpin);
	kfree(mirror);
}

static struct mmu_mirror *mmu_mirror_alloc(struct device *dev,
					   unsigned int flags)
{
	struct mmu_mirror *mirror;

	mirror = kzalloc(sizeof(*mirror), GFP_KERNEL);
	if (!mirror)
		return NULL;
	mirror->flags = flags;
	mirror->dev = dev;
	if (flags & MMU_MIRROR_PINNED) {
		mirror->unpin = kmalloc_array(MMU_MIRROR_ZAP_CHUNK,
					      sizeof(*mirror->unpin),
					      GFP_KERNEL);
		if (!mirror->unpin)
			goto err_free;
	}
	if (dev) {
		mirror->node_order = 1;
		mirror->dmaq = kzalloc(sizeof(*mirror->dmaq), GFP_KERNEL);
		if (!mirror->dmaq)
			goto err_free;
	}
	mirror->root = mmu_mirror_node_alloc(mirror, GFP_KERNEL_ACCOUNT);
	if (!mirror->root)
		goto err_free;
	return mirror;

err_free:
	mmu_mirror_free(mirror);
	return NULL;
}

/**
 * mmu_mirror_create_dev() - create a mirror whose entries carry DMA addresses
 * @dev: the device that accesses the memory; every page the mirror maps
 *	is DMA-mapped for it (bidirectional) when its entry is made, and
 *	unmapped after the flush that follows the entry's removal.  NULL
 *	makes a mirror as mmu_mirror_create() does.
 * @mm: the mm to mirror; the mirror holds an mmgrab() reference
 * @ops: driver operations; @ops->flush is mandatory, @ops->unmap too when
 *	@ops->map is given; @ops->map receives DMA addresses
 * @flags: 0, or MMU_MIRROR_PINNED for the legacy mode that pins every
 *	mapped page and subscribes no notifier
 * @name: name of the mirror's debugfs directory (made unique by the helper)
 * @priv: driver data, returned by mmu_mirror_priv()
 *
 * A DMA mirror's table nodes are twice as large: each leaf's DMA address
 * is kept next to it.  The driver learns the DMA addresses through
 * @ops->map; mmu_mirror_translate() still answers physical addresses,
 * for the CPU side of a software device.
 *
 * Context: process context, may sleep; takes @mm's mmap_lock for write.
 * Return: the mirror, or ERR_PTR(-EINVAL) for bad arguments,
 * ERR_PTR(-ESRCH) if @mm's address space is already gone,
 * ERR_PTR(-ENOMEM), or the error of mmu_notifier_register().
 */
struct mmu_mirror *mmu_mirror_create_dev(struct device *dev,
					 struct mm_struct *mm,
					 const struct mmu_mirror_ops *ops,
					 unsigned int flags, const char *name,
					 void *priv)
{
	struct mmu_mirror *mirror;
	int ret;

	might_sleep();
	if (!mm || !ops || !ops->flush || (ops->map && !ops->unmap) ||
	    (flags & ~MMU_MIRROR_PINNED))
		return ERR_PTR(-EINVAL);

	mirror = mmu_mirror_alloc(dev, flags);
	if (!mirror)
		return ERR_PTR(-ENOMEM);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(table_nodes), 1);
	mirror->ops = ops;
	mirror->priv = priv;
	init_rwsem(&mirror->windows_sem);
	spin_lock_init(&mirror->lock);
	mirror->hva_tree = RB_ROOT_CACHED;
	mirror->sva_tree = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&mirror->windows);
	INIT_LIST_HEAD(&mirror->inflight);
	INIT_LIST_HEAD(&mirror->blocked);
	init_waitqueue_head(&mirror->inflight_wq);
	strscpy(mirror->name, name ? name : "mirror", sizeof(mirror->name));
	mmgrab(mm);
	mirror->mm = mm;

	if (!mmu_mirror_pinned(mirror)) {
		mirror->mn.ops = &mmu_mirror_mn_ops;
		/* Subscribing needs a live address space, not just the mm. */
		ret = -ESRCH;
		if (mmget_not_zero(mm)) {
			ret = mmu_notifier_register(&mirror->mn, mm);
			mmput(mm);
		}
		if (ret) {
			mmdrop(mm);
			mmu_mirror_node_free(mirror, mirror->root);
			mmu_mirror_free(mirror);
			return ERR_PTR(ret);
		}
	}
	mmu_mirror_debugfs_add(mirror);
	return mirror;
}
EXPORT_SYMBOL_GPL(mmu_mirror_create_dev);

/**
 * mmu_mirror_create() - create a mirror of an mm
 * @mm: the mm to mirror; the mirror holds an mmgrab() reference
 * @ops: driver operations; @ops->flush is mandatory, @ops->unmap too when
 *	@ops->map is given; @ops->map receives physical addresses
 * @flags: 0, or MMU_MIRROR_PINNED for the legacy mode that pins every
 *	mapped page and subscribes no notifier
 * @name: name of the mirror's debugfs directory (made unique by the helper)
 * @priv: driver data, returned by mmu_mirror_priv()
 *
 * Context: process context, may sleep; takes @mm's mmap_lock for write.
 * Return: the mirror, or ERR_PTR(-EINVAL) for bad arguments,
 * ERR_PTR(-ESRCH) if @mm's address space is already gone,
 * ERR_PTR(-ENOMEM), or the error of mmu_notifier_register().
 */
struct mmu_mirror *mmu_mirror_create(struct mm_struct *mm,
				     const struct mmu_mirror_ops *ops,
				     unsigned int flags, const char *name,
				     void *priv)
{
	return mmu_mirror_create_dev(NULL, mm, ops, flags, name, priv);
}
EXPORT_SYMBOL_GPL(mmu_mirror_create);

/*
 * Drop @win's entries (with a final flush) and unlink it.  windows_sem
 * held for write, so no fault can refill the window meanwhile.
 */
static void mmu_mirror_window_unlink(struct mmu_mirror *mirror,
				     struct mmu_mirror_window *win)
{
	lockdep_assert_held_write(&mirror->windows_sem);
	mmu_mirror_zap(mirror, win->sva, win->sva + win->size, true, false);
	spin_lock(&mirror->lock);
	interval_tree_remove(&win->hva_node, &mirror->hva_tree);
	interval_tree_remove(&win->sva_node, &mirror->sva_tree);
	list_del(&win->list);
	spin_unlock(&mirror->lock);
}

/**
 * mmu_mirror_destroy() - tear a mirror down
 * @mirror: the mirror; NULL or an error pointer is ignored
 *
 * Removes every window (dropping its entries, with a final flush),
 * unsubscribes the notifiers and waits until no callback runs, frees the
 * table and drops the mm reference.  Concurrent calls into the mirror
 * are the caller's bug: it must own the last reference.
 *
 * Context: process context, may sleep.
 */
void mmu_mirror_destroy(struct mmu_mirror *mirror)
{
	struct mmu_mirror_window *win, *next;

	if (IS_ERR_OR_NULL(mirror))
		return;
	might_sleep();
	spin_lock(&mirror->lock);
	mirror->destroying = true;
	spin_unlock(&mirror->lock);

	down_write(&mirror->windows_sem);
	list_for_each_entry_safe(win, next, &mirror->windows, list) {
		mmu_mirror_window_unlink(mirror, win);
		if (!mmu_mirror_pinned(mirror))
			mmu_interval_notifier_remove(&win->notifier);
		kfree(win);
	}
	up_write(&mirror->windows_sem);

	/* Waits for running callbacks (SRCU) before returning. */
	if (!mmu_mirror_pinned(mirror))
		mmu_notifier_unregister(&mirror->mn, mirror->mm);

	mmu_mirror_debugfs_remove(mirror);
	spin_lock(&mirror->lock);
	mmu_mirror_pt_free_all(mirror);
	spin_unlock(&mirror->lock);
	mmdrop(mirror->mm);
	mmu_mirror_free(mirror);
}
EXPORT_SYMBOL_GPL(mmu_mirror_destroy);

/**
 * mmu_mirror_priv() - the driver data given to mmu_mirror_create()
 * @mirror: the mirror
 *
 * Context: any context.
 * Return: the driver data.
 */
void *mmu_mirror_priv(const struct mmu_mirror *mirror)
{
	return mirror->priv;
}
EXPORT_SYMBOL_GPL(mmu_mirror_priv);

/**
 * mmu_mirror_mm() - the mm a mirror is bound to
 * @mirror: the mirror
 *
 * Context: any context.
 * Return: the mm; valid (mmgrab()bed) while the mirror lives, but its
 * address space may already be gone: use mmget_not_zero() to touch it.
 */
struct mm_struct *mmu_mirror_mm(const struct mmu_mirror *mirror)
{
	return mirror->mm;
}
EXPORT_SYMBOL_GPL(mmu_mirror_mm);

/**
 * mmu_mirror_window_add() - map a host range into the mirror
 * @mirror: the mirror
 * @hva: page-aligned host start address in the mirror's mm
 * @size: page-aligned, non-zero length in bytes
 * @sva: page-aligned secondary start address
 * @flags: 0 or MMU_MIRROR_WINDOW_READONLY
 *
 * The host range may overlap other windows' host ranges (aliasing); the
 * secondary range must not overlap another window's secondary range.
 * Nothing is mapped until the first fault.
 *
 * Context: process context, may sleep; takes @mirror->windows_sem for
 * write and the mm's mmap_lock.
 * Return: the window, or ERR_PTR(-EINVAL) for misaligned or empty ranges,
 * a host range that wraps or ends above TASK_SIZE_MAX, a secondary range
 * that wraps or ends above MMU_MIRROR_SVA_LIMIT; ERR_PTR(-EEXIST) for an
 * overlapping secondary range, ERR_PTR(-ESRCH) if the mm has exited,
 * ERR_PTR(-ENOMEM).
 */
struct mmu_mirror_window *mmu_mirror_window_add(struct mmu_mirror *mirror,
						unsigned long hva,
						unsigned long size, u64 sva,
						unsigned int flags)
{
	struct mmu_mirror_window *win;
	bool pinned;
	int ret;

	might_sleep();
	if (!size || !PAGE_ALIGNED(hva) || !PAGE_ALIGNED(size) ||
	    !PAGE_ALIGNED(sva) || (flags & ~MMU_MIRROR_WINDOW_READONLY))
		return ERR_PTR(-EINVAL);
	if (hva + size < hva || hva + size > TASK_SIZE_MAX ||
	    sva + size < sva || sva + size > MMU_MIRROR_SVA_LIMIT)
		return ERR_PTR(-EINVAL);

	win = kzalloc(sizeof(*win), GFP_KERNEL);
	if (!win)
		return ERR_PTR(-ENOMEM);
	win->mirror = mirror;
	win->hva = hva;
	win->size = size;
	win->sva = sva;
	win->flags = flags;
	win->hva_node.start = hva;
	win->hva_node.last = hva + size - 1;
	win->sva_node.start = sva;
	win->sva_node.last = sva + size - 1;

	/*
	 * The mm reference is taken and dropped outside windows_sem: if it
	 * is the last one, mmput() runs exit_mmap() and the release path,
	 * which must not find helper locks held.
	 */
	pinned = mmu_mirror_pinned(mirror);
	if (!pinned && !mmget_not_zero(mirror->mm)) {
		kfree(win);
		return ERR_PTR(-ESRCH);
	}
	down_write(&mirror->windows_sem);
	ret = -ESRCH;
	if (READ_ONCE(mirror->dead))
		goto out;
	ret = -EEXIST;
	if (interval_tree_iter_first(&mirror->sva_tree, sva, sva + size - 1))
		goto out;
	ret = pinned ? 0 : mmu_interval_notifier_insert(&win->notifier,
							mirror->mm, hva, size,
							&mmu_mirror_window_ops);
	if (ret)
		goto out;
	spin_lock(&mirror->lock);
	interval_tree_insert(&win->hva_node, &mirror->hva_tree);
	interval_tree_insert(&win->sva_node, &mirror->sva_tree);
	list_add_tail(&win->list, &mirror->windows);
	spin_unlock(&mirror->lock);
out:
	up_write(&mirror->windows_sem);
	if (!pinned)
		mmput(mirror->mm);
	trace_mmu_mirror_window_add(mirror->name, hva, size, sva, ret);
	if (ret) {
		kfree(win);
		return ERR_PTR(ret);
	}
	return win;
}
EXPORT_SYMBOL_GPL(mmu_mirror_window_add);

/**
 * mmu_mirror_window_remove() - unmap a window and free it
 * @mirror: the mirror
 * @win: a window of @mirror
 *
 * Waits for faults in progress, removes the window's entries (with one
 * flush) and its notifier subscription.
 *
 * Context: process context, may sleep; takes @mirror->windows_sem.
 */
void mmu_mirror_window_remove(struct mmu_mirror *mirror,
			      struct mmu_mirror_window *win)
{
	might_sleep();
	trace_mmu_mirror_window_remove(mirror->name, win->hva, win->size,
				       win->sva, 0);
	down_write(&mirror->windows_sem);
	mmu_mirror_window_unlink(mirror, win);
	up_write(&mirror->windows_sem);
	if (!mmu_mirror_pinned(mirror))
		mmu_interval_notifier_remove(&win->notifier);
	kfree(win);
}
EXPORT_SYMBOL_GPL(mmu_mirror_window_remove);

/**
 * mmu_mirror_window_by_sva() - find the window holding a secondary address
 * @mirror: the mirror
 * @sva: secondary address
 *
 * Context: @mirror->windows_sem or @mirror->lock held.
 * Return: the window, or NULL.
 */
struct mmu_mirror_window *mmu_mirror_window_by_sva(struct mmu_mirror *mirror,
						   u64 sva)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&mirror->sva_tree, sva, sva);
	return node ? container_of(node, struct mmu_mirror_window, sva_node) :
		      NULL;
}

/* The unaligned head or tail of a copy, byte by byte. */
static void mmu_mirror_copy_bytes(u8 *p, u8 *b, size_t len, bool write)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (write)
			WRITE_ONCE(p[i], b[i]);
		else
			b[i] = READ_ONCE(p[i]);
	}
}

/*
 * Copy @len bytes between @page_addr (mapped guest or process memory,
 * which CPUs may load and store at the same time) and the private buffer
 * @buf.  Each naturally aligned 8-byte word of @page_addr is moved with
 * one load or one store, as a device's DMA engine moves words: a word the
 * CPU stores concurrently is seen whole, either before or after the
 * store, and a CPU load never sees half of a word written here.
 * memcpy() promises no such thing (x86's "rep movsb" moves bytes one at a
 * time under emulation).  The unaligned head and tail go byte by byte;
 * @buf needs no alignment.  Every copy of a software device goes through
 * here: mmu_mirror_access() and the device TLB's hits.
 */
void mmu_mirror_copy_words(void *page_addr, void *buf, size_t len, bool write)
{
	size_t head = min_t(size_t, len, -(unsigned long)page_addr &
					 (sizeof(u64) - 1));
	u8 *p = page_addr, *b = buf;
	size_t i, words;
	u64 word;

	mmu_mirror_copy_bytes(p, b, head, write);
	p += head;
	b += head;
	len -= head;
	words = len / sizeof(u64);
	/* One loop per direction: no test per word but the count. */
	if (write) {
		for (i = 0; i < words; i++) {
			memcpy(&word, b + i * sizeof(u64), sizeof(word));
			WRITE_ONCE(((u64 *)p)[i], word);
		}
	} else {
		for (i = 0; i < words; i++) {
			word = READ_ONCE(((u64 *)p)[i]);
			memcpy(b + i * sizeof(u64), &word, sizeof(word));
		}
	}
	len -= words * sizeof(u64);
	mmu_mirror_copy_bytes(p + words * sizeof(u64), b + words * sizeof(u64),
			      len, write);
}

/* Copy one piece that lies inside a single 4 KiB page. */
static int mmu_mirror_access_page(struct mmu_mirror *mirror, u64 sva,
				  void *buf, size_t len, bool write)
{
	unsigned int level;
	struct page *page;
	u64 *slot, pfn;
	void *kaddr;

	spin_lock(&mirror->lock);
	slot = mmu_mirror_pt_leaf(mirror, sva, &level);
	if (!slot || (write && !(*slot & MMU_MIRROR_E_WRITE))) {
		spin_unlock(&mirror->lock);
		return -ENOENT;
	}
	pfn = *slot >> PAGE_SHIFT;
	if (level)
		pfn += (sva >> PAGE_SHIFT) & (MMU_MIRROR_HUGE_PAGES - 1);
	*slot |= MMU_MIRROR_E_YOUNG | (write ? MMU_MIRROR_E_DIRTY : 0);
	/*
	 * The page cannot be freed while the lock is held: freeing it needs
	 * an invalidation, and invalidations take the lock first.
	 */
	page = pfn_to_page(pfn);
	kaddr = kmap_local_page(page);
	mmu_mirror_copy_words(kaddr + offset_in_page(sva), buf, len, write);
	kunmap_local(kaddr);
	spin_unlock(&mirror->lock);
	return 0;
}

/**
 * mmu_mirror_access() - the software device reads or writes through the
 *	secondary table
 * @mirror: the mirror
 * @sva: secondary address, any alignment
 * @buf: kernel buffer of @len bytes
 * @len: bytes to copy
 * @access: 0 to read into @buf, MMU_MIRROR_WRITE to write from it
 * @done: set to the number of bytes copied
 *
 * Uses only entries already in the table; sets their accessed bit, and
 * their dirty bit on writes, as device hardware would.  On -ENOENT the
 * caller faults [@sva + *@done, ...) in with mmu_mirror_fault() and calls
 * again for the rest.
 *
 * Context: does not sleep; takes @mirror->lock per page with plain
 * spin_lock(), the way the invalidation callbacks take it, so it must not
 * be called from interrupt context (process or kernel-thread context).
 * Return: 0 when all @len bytes were copied, -EFAULT (nothing copied) if
 * [@sva, @sva + @len) wraps or reaches above MMU_MIRROR_SVA_LIMIT,
 * -ENOENT at the first page without an entry (or without write
 * permission for a write).
 */
int mmu_mirror_access(struct mmu_mirror *mirror, u64 sva, void *buf,
		      size_t len, unsigned int access, size_t *done)
{
	bool write = access & MMU_MIRROR_WRITE;
	size_t copied = 0;
	int ret = 0;

	*done = 0;
	if (sva >= MMU_MIRROR_SVA_LIMIT || len > MMU_MIRROR_SVA_LIMIT - sva)
		return -EFAULT;

	while (copied < len) {
		size_t n = min_t(size_t, len - copied,
				 PAGE_SIZE - offset_in_page(sva + copied));

		ret = mmu_mirror_access_page(mirror, sva + copied,
					     buf + copied, n, write);
		if (ret)
			break;
		copied += n;
	}
	*done = copied;
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_mirror_access);

/**
 * mmu_mirror_translate() - look a secondary address up, for a device TLB
 * @mirror: the mirror
 * @sva: secondary address, any alignment
 * @access: 0 for a read, MMU_MIRROR_WRITE for a write
 * @addr: set to the address of the 4 KiB page holding @sva
 *
 * The walk a device does to fill its TLB: it uses only the entry already
 * in the table, sets its accessed bit, and for a write its dirty bit, as
 * the device's own accesses through mmu_mirror_access() would.  The
 * answer is valid only until the driver's next ->flush(): a device that
 * caches it must drop it there, and must not use an answer it got before
 * a flush that ran while it was filling (struct mmu_mirror_tlb does both).
 * Nothing keeps the page alive once mirror->lock is dropped except that
 * ordering.
 *
 * Context: does not sleep; takes @mirror->lock, so not from interrupt
 * context, and not with it held.
 * Return: 0 with *@addr set to the physical address of the page (a
 * multiple of PAGE_SIZE); -EFAULT for @sva at or above
 * MMU_MIRROR_SVA_LIMIT; -ENOENT when the table has no entry for @sva, or
 * one without write permission for a write (the caller faults it in with
 * mmu_mirror_fault() and asks again).
 */
int mmu_mirror_translate(struct mmu_mirror *mirror, u64 sva,
			 unsigned int access, u64 *addr)
{
	bool write = access & MMU_MIRROR_WRITE;
	unsigned int level;
	u64 *slot, pfn;

	if (sva >= MMU_MIRROR_SVA_LIMIT)
		return -EFAULT;
	spin_lock(&mirror->lock);
	slot = mmu_mirror_pt_leaf(mirror, sva, &level);
	if (!slot || (write && !(*slot & MMU_MIRROR_E_WRITE))) {
		spin_unlock(&mirror->lock);
		return -ENOENT;
	}
	pfn = *slot >> PAGE_SHIFT;
	if (level)
		pfn += (sva >> PAGE_SHIFT) & (MMU_MIRROR_HUGE_PAGES - 1);
	*slot |= MMU_MIRROR_E_YOUNG | (write ? MMU_MIRROR_E_DIRTY : 0);
	spin_unlock(&mirror->lock);
	*addr = PFN_PHYS(pfn);
	return 0;
}
EXPORT_SYMBOL_GPL(mmu_mirror_translate);

/**
 * mmu_mirror_get_stats() - read a mirror's counters
 * @mirror: the mirror
 * @stats: filled with the current values
 *
 * Context: any context.
 */
void mmu_mirror_get_stats(struct mmu_mirror *mirror,
			  struct mmu_mirror_stats *stats)
{
	u64 *out = (u64 *)stats;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mirror->stats.c); i++)
		out[i] = atomic64_read(&mirror->stats.c[i]);
}
EXPORT_SYMBOL_GPL(mmu_mirror_get_stats);

static int __init mmu_mirror_init(void)
{
	mmu_mirror_debugfs_init();
	return 0;
}

static void __exit mmu_mirror_exit(void)
{
	mmu_mirror_debugfs_exit();
}

module_init(mmu_mirror_init);
module_exit(mmu_mirror_exit);
MODULE_DESCRIPTION("Shared rmap-based invalidation helper for secondary MMUs");
MODULE_LICENSE("GPL");
