// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_fault.c - filling the secondary table
 *
 * Notifier mode, per batch of up to MMU_MIRROR_FAULT_BATCH pages:
 *
 *	seq = mmu_interval_read_begin(window)
 *	mmap_read_lock; hmm_range_fault(); mmap_read_unlock	(-EBUSY: again)
 *	spin_lock(mirror->lock)
 *	mmu_interval_read_retry(window, seq)?  unlock, again
 *	install the batch; spin_unlock
 *
 * An invalidation that ran after read_begin bumped the window's sequence
 * under mirror->lock, so pfns it made stale are never installed.
 *
 * Pinned mode takes a FOLL_PIN reference per page instead and subscribes
 * nothing: the pages stay in memory until the window or mirror goes.  The
 * pins are charged to the mm's pinned_vm against RLIMIT_MEMLOCK.
 */
#include "mmu_mirror_internal.h"
#include <trace/events/mmu_mirror.h>

/*
 * Install one leaf in a mirror with a driver-owned table or DMA
 * addresses: the page gets its device address first, and a new leaf goes
 * to the driver's map through @b.  Returns 0 for a new leaf, 1 if it was
 * there already, -ENOSPC if @cache ran out, or the negative errno of the
 * DMA mapping or of the driver (the leaf is gone again then).
 */
static int mmu_mirror_install_dev(struct mmu_mirror *mirror, u64 sva,
				  u64 pfn, u64 eflags, bool huge,
				  struct mmu_mirror_node_cache *cache,
				  struct mmu_mirror_zap *replaced,
				  struct mmu_mirror_map_batch *b)
{
	unsigned int flags = (eflags & MMU_MIRROR_E_WRITE ?
			      MMU_MIRROR_MAP_WRITE : 0) |
			     (huge ? MMU_MIRROR_MAP_HUGE : 0);
	unsigned int level;
	u64 addr;
	int ret;

	ret = mmu_mirror_dev_addr(mirror, pfn_to_page(pfn), huge, &addr);
	if (ret)
		return ret;
	ret = mmu_mirror_pt_install(mirror, sva, pfn, eflags, huge, cache,
				    replaced);
	if (ret) {
		mmu_mirror_dev_addr_drop(mirror, addr, huge);
		return ret == -ENOMEM ? -ENOSPC : ret;
	}
	if (mirror->dev)
		mmu_mirror_pt_set_dma(mmu_mirror_pt_leaf(mirror, sva, &level),
				      addr);
	/*
	 * A leaf this install replaced must leave the device before the new
	 * one is mapped there: unmap what is pending first.
	 */
	mmu_mirror_zap_run_end(mirror, replaced);
	return mmu_mirror_map_add(mirror, b, sva, addr, flags, replaced);
}

/*
 * Install @npages pfns from hmm_range_fault(), starting at @sva.  Runs of
 * 4 KiB pages go through a cursor, so the table is walked from the root
 * once per 2 MiB, and the new entries are counted once per batch.
 * Returns the number of pages installed: fewer than @npages only when
 * @cache ran out (a zap freed nodes since they were counted) or at an
 * entry a device access in flight uses; -EINPROGRESS if that is the very
 * first; or -EFAULT, or the error of a driver-owned table's map or of
 * DMA mapping.
 */
static long mmu_mirror_install_hmm(struct mmu_mirror *mirror,
				   struct mmu_mirror_window *win, u64 sva,
				   unsigned long hva, const unsigned long *pfns,
				   unsigned long npages,
				   struct mmu_mirror_node_cache *cache,
				   struct mmu_mirror_zap *replaced)
{
	u64 wflag = win->flags & MMU_MIRROR_WINDOW_READONLY ?
		    0 : MMU_MIRROR_E_WRITE;
	struct mmu_mirror_pt_cursor cursor = { };
	struct mmu_mirror_map_batch batch;
	bool dev = mmu_mirror_devtable(mirror);
	unsigned long i = 0, added = 0;
	bool busy = !list_empty(&mirror->inflight);
	bool small_only = false;
	int ret = 0;

	batch.n = 0;
	while (i < npages) {
		unsigned long e = pfns[i];
		u64 s = sva + (i << PAGE_SHIFT);
		unsigned long h = hva + (i << PAGE_SHIFT);
		u64 eflags = e & HMM_PFN_WRITE ? wflag : 0;
		u64 pfn = page_to_pfn(hmm_pfn_to_page(e));
		u64 hs = s & ~(MMU_MIRROR_HUGE_SIZE - 1);

		if (WARN_ON_ONCE(!(e & HMM_PFN_VALID) || (e & HMM_PFN_ERROR))) {
			ret = -EFAULT;
			break;
		}
		/*
		 * The CPU maps this page with one huge entry of 2 MiB or
		 * more: when the window maps the whole aligned 2 MiB block
		 * at the same offset, one huge leaf covers it.  The window's
		 * sequence count guards the whole block, not just the pages
		 * asked for.
		 */
		if (!small_only &&
		    hmm_pfn_to_map_order(e) >= MMU_MIRROR_FANOUT_SHIFT &&
		    ((s ^ h) & (MMU_MIRROR_HUGE_SIZE - 1)) == 0 &&
		    hs >= win->sva &&
		    hs + MMU_MIRROR_HUGE_SIZE <= win->sva + win->size) {
			unsigned long first = (s - hs) >> PAGE_SHIFT;

			if (busy &&
			    mmu_mirror_replaces_inflight(mirror, hs, true,
							 pfn - first,
							 eflags)) {
				ret = -EINPROGRESS;
				break;
			}
			ret = dev ?
			      mmu_mirror_install_dev(mirror, hs, pfn - first,
						     eflags, true, cache,
						     replaced, &batch) :
			      mmu_mirror_pt_install(mirror, hs, pfn - first,
						    eflags, true, cache,
						    replaced);
			/*
			 * 2 MiB could not be DMA-mapped (a bounce buffer is
			 * smaller) or the driver could not map it: go on
			 * with 4 KiB entries.
			 */
			if (dev && ret < 0 && ret != -ENOSPC) {
				small_only = true;
				continue;
			}
			if (ret < 0)
				break;
			/* The level 0 node of this block, if any, is gone. */
			cursor.node = NULL;
			i += min(MMU_MIRROR_HUGE_PAGES - first, npages - i);
			continue;
		}
		if (busy && mmu_mirror_replaces_inflight(mirror, s, false, pfn,
							 eflags)) {
			ret = -EINPROGRESS;
			break;
		}
		if (dev) {
			ret = mmu_mirror_install_dev(mirror, s, pfn, eflags,
						     false, cache, replaced,
						     &batch);
			if (ret < 0)
				break;
			i++;
			continue;
		}
		ret = mmu_mirror_pt_install_4k(mirror, &cursor, s, pfn, eflags,
					       cache, replaced);
		if (ret < 0)
			break;
		added += !ret;
		i++;
	}
	if (added)
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries), added);
	/* Out of nodes, or at an entry in use: the caller goes on from i. */
	if (ret == (dev ? -ENOSPC : -ENOMEM) || (ret == -EINPROGRESS && i))
		ret = 0;
	/* Entries gathered before an error are good: map them too. */
	if (dev) {
		int err = mmu_mirror_map_commit(mirror, &batch, replaced);

		if (!ret)
			ret = err;
	}
	return ret < 0 ? ret : i;
}

/*
 * Allocate, before any lock is taken, the nodes the table lacks for a
 * batch: usually none once the first batch of a 2 MiB block built them.
 */
static int mmu_mirror_fault_prepare(struct mmu_mirror *mirror, u64 sva,
				    unsigned long npages,
				    struct mmu_mirror_node_cache *cache)
{
	unsigned int want;

	spin_lock(&mirror->lock);
	want = mmu_mirror_pt_nodes_needed(mirror, sva,
					  sva + (npages << PAGE_SHIFT));
	spin_unlock(&mirror->lock);
	return mmu_mirror_cache_topup(mirror, cache, want);
}

/*
 * One round trip of the fault protocol for up to @npages pages.  Each
 * time an invalidation forces a retry the batch is halved, so a fault
 * still makes progress while something keeps invalidating the window.
 * Returns the number of pages installed, or a negative errno.
 */
static long mmu_mirror_fault_hmm(struct mmu_mirror *mirror,
				 struct mmu_mirror_window *win, u64 sva,
				 unsigned long npages, bool write,
				 unsigned long *pfns,
				 struct mmu_mirror_node_cache *cache,
				 unsigned long *retries)
{
	unsigned long hva = win->hva + (sva - win->sva);
	struct hmm_range range = {
		.notifier = &win->notifier,
		.start = hva,
		.end = hva + (npages << PAGE_SHIFT),
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = mirror,
	};
	unsigned long timeout =
		jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct mmu_mirror_zap replaced = { };
	long done;
	int ret;

	for (;;) {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = mmu_mirror_fault_prepare(mirror, sva, npages, cache);
		if (ret)
			return ret;
		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(mirror->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mirror->mm);
		if (ret && ret != -EBUSY)
			return ret;
		done = 0;
		if (!ret) {
			spin_lock(&mirror->lock);
			if (!mmu_interval_read_retry(range.notifier,
						     range.notifier_seq)) {
				done = mmu_mirror_install_hmm(mirror, win, sva,
							      hva, pfns, npages,
							      cache, &replaced);
				if (done && done != -EINPROGRESS)
					break;
				/* Nodes freed since counted: count again. */
			}
			spin_unlock(&mirror->lock);
			/* An access in flight uses the entry: wait for it. */
			if (done == -EINPROGRESS)
				mmu_mirror_wait_inflight(mirror, sva,
							 sva + (npages <<
								PAGE_SHIFT));
		}
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(retries), 1);
		(*retries)++;
		npages = max(npages / 2, 1UL);
		range.end = hva + (npages << PAGE_SHIFT);
	}

	mmu_mirror_account_zap(mirror, &replaced);
	if (replaced.entries)
		mmu_mirror_flush_locked(mirror);
	spin_unlock(&mirror->lock);
	return done;
}

/*
 * The batch size of the next round of mmu_mirror_fault() after one that
 * installed @done pages of a @batch-page batch.  A round that
 * invalidations raced was halved until it fitted between two of them:
 * the next one starts at the size that got through, not at the full
 * batch again, which would pay the same failed rounds once per batch
 * and, when invalidations come faster than a full batch can be faulted,
 * turn a long fault into little more than retries.  Rounds that get
 * through at the first try double it back.
 */
static unsigned long mmu_mirror_next_batch(unsigned long batch, long done,
					   bool raced)
{
	if (raced)
		return max(done, 1L);
	return min(batch * 2, MMU_MIRROR_FAULT_BATCH);
}

/*
 * Long-term pins are charged to the mm's pinned_vm against the caller's
 * RLIMIT_MEMLOCK, as RDMA memory registration does; CAP_IPC_LOCK lifts
 * the limit but not the accounting.
 */
static int mmu_mirror_charge_pins(struct mmu_mirror *mirror,
				  unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &mirror->mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mirror->mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

static void mmu_mirror_uncharge_pins(struct mmu_mirror *mirror,
				     unsigned long npages)
{
	atomic64_sub(npages, &mirror->mm->pinned_vm);
}

/**
 * mmu_mirror_unpin_release() - drop the pins a zap queued
 * @mirror: the mirror
 * @zap: the zap; its queue is emptied
 *
 * Pages the device wrote are dirtied under their page lock, as a file
 * page that writeback cleaned since it was pinned requires; then every
 * pin is dropped and uncharged.  The device must have been flushed.
 *
 * Context: process context, may sleep; mirror->lock not held.
 */
void mmu_mirror_unpin_release(struct mmu_mirror *mirror,
			      struct mmu_mirror_zap *zap)
{
	unsigned int n = zap->nr_dirty + zap->nr_clean;

	if (!n)
		return;
	might_sleep();
	trace_mmu_mirror_unpin(mirror->name, zap->nr_dirty, zap->nr_clean);
	unpin_user_pages_dirty_lock(zap->unpin, zap->nr_dirty, true);
	unpin_user_pages(zap->unpin + zap->max_unpin - zap->nr_clean,
			 zap->nr_clean);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(pages_pinned), -(s64)n);
	mmu_mirror_uncharge_pins(mirror, n);
	zap->nr_dirty = 0;
	zap->nr_clean = 0;
}

/*
 * Writable long-term pins of file pages that need writeback are refused:
 * writeback would clean the page while the device can still write it,
 * and the filesystem would never hear of those writes (6.1 does not
 * refuse such pins yet; later kernels do).  Shared memory without
 * writeback (tmpfs, shmem) and private mappings are fine.  mmap_lock
 * held.
 */
static int mmu_mirror_pin_check_vmas(struct mm_struct *mm, unsigned long hva,
				     unsigned long end, bool write)
{
	struct vm_area_struct *vma;

	if (!write)
		return 0;
	for (vma = find_vma(mm, hva); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_file && (vma->vm_flags & VM_SHARED) &&
		    mapping_can_writeback(vma->vm_file->f_mapping))
			return -EOPNOTSUPP;
		if (vma->vm_end >= end)
			break;
	}
	return 0;
}

/*
 * Why pinning stopped at @addr: a write to a mapping without write
 * permission is -EPERM (as hmm_range_fault() reports it), anything else
 * -EFAULT.  mmap_lock held.
 */
static int mmu_mirror_pin_error(struct mm_struct *mm, unsigned long addr,
				bool write)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (vma && write && (vma->vm_flags & VM_READ) &&
	    !(vma->vm_flags & VM_WRITE))
		return -EPERM;
	return -EFAULT;
}

/* Pin up to @npages pages; returns the number pinned or -errno. */
static long mmu_mirror_pin_pages(struct mmu_mirror *mirror,
				 unsigned long hva, unsigned long npages,
				 bool write, struct page **pages,
				 int *short_ret)
{
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	long pinned;

	mmap_read_lock(mirror->mm);
	pinned = mmu_mirror_pin_check_vmas(mirror->mm, hva,
					   hva + (npages << PAGE_SHIFT), write);
	if (!pinned)
		pinned = pin_user_pages_remote(mirror->mm, hva, npages, gup,
					       pages, NULL, NULL);
	if (pinned == -EFAULT)
		pinned = 0;
	if (pinned >= 0 && pinned < npages)
		*short_ret = mmu_mirror_pin_error(mirror->mm,
						  hva + (pinned << PAGE_SHIFT),
						  write);
	mmap_read_unlock(mirror->mm);
	return pinned;
}

/*
 * Pinned mode: pin and install up to @npages pages.  @pages has room for
 * 3 * @npages pointers: the pinned pages, then the queue of pins that
 * installing replaced (an entry for a page the CPU no longer maps there)
 * or that a driver-owned table failed to map.
 */
static long mmu_mirror_fault_pin(struct mmu_mirror *mirror,
				 struct mmu_mirror_window *win, u64 sva,
				 unsigned long npages, bool write,
				 struct page **pages,
				 struct mmu_mirror_node_cache *cache)
{
	unsigned long hva = win->hva + (sva - win->sva);
	struct mmu_mirror_zap replaced = {
		.unpin = pages + npages,
		.max_unpin = 2 * npages,
	};
	u64 eflags = MMU_MIRROR_E_PINNED | (write ? MMU_MIRROR_E_WRITE : 0);
	bool dev = mmu_mirror_devtable(mirror);
	struct mmu_mirror_map_batch batch;
	int ret = 0, short_ret = 0;
	unsigned long kept = 0;
	long pinned, i;

	batch.n = 0;
	ret = mmu_mirror_charge_pins(mirror, npages);
	if (ret) {
		trace_mmu_mirror_pin(mirror->name, sva, npages, 0, ret);
		return ret;
	}
	pinned = mmu_mirror_pin_pages(mirror, hva, npages, write, pages,
				      &short_ret);
	if (pinned < 0) {
		mmu_mirror_uncharge_pins(mirror, npages);
		trace_mmu_mirror_pin(mirror->name, sva, npages, 0, pinned);
		return pinned;
	}

	spin_lock(&mirror->lock);
	for (i = 0; i < pinned; i++) {
		u64 s = sva + (i << PAGE_SHIFT);
		u64 pfn = page_to_pfn(pages[i]);

		if (ret >= 0 && dev)
			ret = mmu_mirror_install_dev(mirror, s, pfn, eflags,
						     false, cache, &replaced,
						     &batch);
		else if (ret >= 0)
			ret = mmu_mirror_pt_install(mirror, s, pfn, eflags,
						    false, cache, &replaced);
		if (ret == 0) {
			kept++;
			continue;
		}
		/* Already mapped (ret 1) or failed: drop this pin. */
		unpin_user_page(pages[i]);
		if (ret > 0)
			ret = 0;
	}
	if (ret == -ENOSPC)
		ret = -ENOMEM;
	if (dev) {
		int err = mmu_mirror_map_commit(mirror, &batch, &replaced);

		if (!ret)
			ret = err;
	}
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(pages_pinned), kept);
	mmu_mirror_account_zap(mirror, &replaced);
	if (replaced.entries)
		mmu_mirror_flush_locked(mirror);
	spin_unlock(&mirror->lock);
	mmu_mirror_uncharge_pins(mirror, npages - kept);
	mmu_mirror_unpin_release(mirror, &replaced);
	if (!ret)
		ret = short_ret;
	trace_mmu_mirror_pin(mirror->name, sva, npages, kept, ret);
	return ret ? ret : npages;
}

/* Fault one batch inside @win; returns pages installed or -errno. */
static long mmu_mirror_fault_batch(struct mmu_mirror *mirror,
				   struct mmu_mirror_window *win, u64 sva,
				   unsigned long npages, bool write, void *buf,
				   struct mmu_mirror_node_cache *cache,
				   unsigned long *retries)
{
	int ret;

	if (mmu_mirror_pinned(mirror)) {
		ret = mmu_mirror_cache_topup(mirror, cache,
					     MMU_MIRROR_CACHE_MIN);
		if (ret)
			return ret;
		return mmu_mirror_fault_pin(mirror, win, sva, npages, write,
					    buf, cache);
	}
	return mmu_mirror_fault_hmm(mirror, win, sva, npages, write, buf,
				    cache, retries);
}

/**
 * mmu_mirror_fault() - fault a secondary range into the table
 * @mirror: the mirror
 * @sva: first secondary address (rounded down to a page)
 * @len: length in bytes, non-zero
 * @access: 0 for read, MMU_MIRROR_WRITE to map writable
 *
 * Makes the CPU page tables present (faulting like a CPU access would)
 * and installs the pages in the secondary table, in batches, each batch
 * ordered against invalidations by its window's sequence count.  Entries
 * of 2 MiB are used where the CPU maps 2 MiB and the window allows it.
 * Counts as one fault in the statistics.
 *
 * Context: process context, may sleep; takes @mirror->windows_sem for
 * read, the mm's mmap_lock for read and @mirror->lock.  Must not be
 * called with any of them held.
 * Return: 0 on success; -EINVAL for an empty or wrapping range; -EFAULT
 * if part of the range is in no window (in particular at or above
 * MMU_MIRROR_SVA_LIMIT) or has no usable host mapping; -EOPNOTSUPP for a
 * write fault of a pinned mirror on a shared file mapping that needs
 * writeback; -ENOMEM also when a pinned mirror's pins would exceed the
 * caller's RLIMIT_MEMLOCK without CAP_IPC_LOCK; -EPERM for a write to a
 * read-only window or mapping; -ESRCH if the mm has exited; -EBUSY if
 * invalidations kept racing the fault for HMM_RANGE_DEFAULT_TIMEOUT;
 * -EINTR on a fatal signal; -ENOMEM.
 */
int mmu_mirror_fault(struct mmu_mirror *mirror, u64 sva, u64 len,
		     unsigned int access)
{
	bool write = access & MMU_MIRROR_WRITE;
	struct mmu_mirror_node_cache cache = { };
	unsigned long batch = MMU_MIRROR_FAULT_BATCH;
	unsigned long retries = 0;
	u64 start = sva, end = sva + len;
	u64 mapped = 0;
	void *buf;
	int ret = 0;

	might_sleep();
	if (!len || end < sva)
		return -EINVAL;
	if (end > MMU_MIRROR_SVA_LIMIT)
		return -EFAULT;
	sva &= PAGE_MASK;
	end = PAGE_ALIGN(end);

	/* Pinned mode also queues the pins installing replaced. */
	buf = kvmalloc_array(MMU_MIRROR_FAULT_BATCH *
			     (mmu_mirror_pinned(mirror) ? 3 : 1),
			     sizeof(void *), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/*
	 * The mm reference is dropped after windows_sem: if it is the last
	 * one, mmput() runs exit_mmap() and the release path, which must
	 * not find helper locks held.
	 */
	if (READ_ONCE(mirror->dead) || !mmget_not_zero(mirror->mm)) {
		kvfree(buf);
		return -ESRCH;
	}
	down_read(&mirror->windows_sem);
	while (sva < end) {
		struct mmu_mirror_window *win;
		unsigned long npages, raced = retries;
		long done;

		win = mmu_mirror_window_by_sva(mirror, sva);
		if (!win) {
			ret = -EFAULT;
			break;
		}
		if (write && (win->flags & MMU_MIRROR_WINDOW_READONLY)) {
			ret = -EPERM;
			break;
		}
		npages = (min(end, win->sva + win->size) - sva) >> PAGE_SHIFT;
		npages = min(npages, batch);
		done = mmu_mirror_fault_batch(mirror, win, sva, npages, write,
					      buf, &cache, &retries);
		if (done < 0) {
			ret = done;
			break;
		}
		batch = mmu_mirror_next_batch(batch, done, retries != raced);
		sva += (u64)done << PAGE_SHIFT;
		mapped += done;
	}
	up_read(&mirror->windows_sem);
	mmput(mirror->mm);
	mmu_mirror_cache_drain(mirror, &cache);
	kvfree(buf);
	if (mapped) {
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(faults), 1);
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(pages_mapped),
				    mapped);
	}
	trace_mmu_mirror_fault(mirror->name, start, len, write, mapped,
			       retries, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_mirror_fault);

/**
 * mmu_mirror_span_next() - how much to fault at a device miss
 * @span: the transfer's state, zeroed before its first miss
 * @sva: secondary address of the miss
 * @end: secondary address after the whole transfer, above @sva
 *
 * A device that copies with mmu_mirror_access() and calls
 * mmu_mirror_fault() at each miss passes the fault this length.  The
 * first fault covers the rest of the transfer, so a transfer that races
 * nothing takes one.  A later miss inside the last fault's range means
 * an invalidation took pages between that fault and the device's access
 * to them: the span is halved, down to one page, so the window between
 * fault and access shrinks until it fits between two invalidations.  A
 * miss beyond it means all of those pages were used: the span doubles.
 * The state lives as long as the transfer, across however many pieces
 * the device copies it in, so what was learnt is not thrown away at each
 * piece (that would fault the whole rest again, most of it to be zapped
 * before the device gets there).
 *
 * Context: any context; @span is the caller's.
 * Return: the bytes to fault from @sva, between 1 (the page of @sva) and
 * @end - @sva.
 */
u64 mmu_mirror_span_next(struct mmu_mirror_span *span, u64 sva, u64 end)
{
	u64 rest = end - sva;

	if (!span->end)
		span->bytes = rest;
	else if (sva < span->end)
		span->bytes = max_t(u64, span->bytes / 2, PAGE_SIZE);
	else
		span->bytes = min_t(u64, span->bytes, rest) * 2;
	span->bytes = min(span->bytes, rest);
	span->end = sva + span->bytes;
	return span->bytes;
}
EXPORT_SYMBOL_GPL(mmu_mirror_span_next);

struct mmu_mirror_snap {
	struct mmu_interval_notifier notifier;
	struct mmu_mirror *mirror;
};

static bool mmu_mirror_snap_invalidate(struct mmu_interval_notifier *mni,
				       const struct mmu_notifier_range *range,
				       unsigned long cur_seq)
{
	struct mmu_mirror_snap *snap =
		container_of(mni, struct mmu_mirror_snap, notifier);

	spin_lock(&snap->mirror->lock);
	mmu_interval_set_seq(mni, cur_seq);
	spin_unlock(&snap->mirror->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mmu_mirror_snap_ops = {
	.invalidate = mmu_mirror_snap_invalidate,
};

/**
 * mmu_mirror_snapshot() - report the CPU mappings of a host range
 * @mirror: the mirror, whose mm is inspected
 * @hva: page-aligned host address
 * @npages: number of pages, non-zero
 * @hmm_pfns: array of @npages, filled with hmm_range_fault() pfn entries
 *
 * Faults nothing in and installs nothing; a temporary interval notifier
 * makes the result consistent (retried if an invalidation raced it).
 * Works in pinned mode too.
 *
 * Context: process context, may sleep; takes the mm's mmap_lock.
 * Return: 0, -EINVAL for a bad range, -ESRCH if the mm has exited,
 * -EFAULT for addresses without a VMA, -EBUSY on timeout, -EINTR, -ENOMEM.
 */
int mmu_mirror_snapshot(struct mmu_mirror *mirror, unsigned long hva,
			unsigned long npages, unsigned long *hmm_pfns)
{
	struct mmu_mirror_snap snap = { .mirror = mirror };
	unsigned long size = npages << PAGE_SHIFT;
	struct hmm_range range = {
		.notifier = &snap.notifier,
		.start = hva,
		.end = hva + size,
		.hmm_pfns = hmm_pfns,
		.dev_private_owner = mirror,
	};
	unsigned long timeout;
	int ret;

	might_sleep();
	if (!npages || !PAGE_ALIGNED(hva) || size >> PAGE_SHIFT != npages ||
	    hva + size < hva)
		return -EINVAL;
	/* No VMA can be there, as for any other unmapped address. */
	if (hva + size > TASK_SIZE_MAX)
		return -EFAULT;
	if (!mmget_not_zero(mirror->mm))
		return -ESRCH;
	ret = mmu_interval_notifier_insert(&snap.notifier, mirror->mm, hva,
					   size, &mmu_mirror_snap_ops);
	if (ret)
		goto out_put;

	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	for (;;) {
		ret = -EBUSY;
		if (time_after(jiffies, timeout))
			break;
		ret = -EINTR;
		if (fatal_signal_pending(current))
			break;
		range.notifier_seq = mmu_interval_read_begin(&snap.notifier);
		mmap_read_lock(mirror->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mirror->mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			break;
		spin_lock(&mirror->lock);
		ret = mmu_interval_read_retry(&snap.notifier,
					      range.notifier_seq);
		spin_unlock(&mirror->lock);
		if (!ret)
			break;
	}
	mmu_interval_notifier_remove(&snap.notifier);
out_put:
	mmput(mirror->mm);
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_mirror_snapshot);
