// SPDX-License-Identifier: GPL-2.0
/*
 * model_vmscan.c - LRU, aging and reclaim of anonymous frames
 *
 * Counterpart of mm/vmscan.c, the anonymous half of mm/rmap.c and
 * MADV_PAGEOUT in mm/madvise.c.  One LRU list holds every mapped
 * anonymous frame; reclaim takes frames from its head, isolated with a
 * reference, and for each:
 *
 *  - checks references like folio_referenced(): the pte's young bit is
 *    tested and cleared, then mmu_notifier_clear_flush_young() asks every
 *    secondary MMU (ptep_clear_flush_young_notify()); a referenced frame
 *    is rotated to the LRU tail (activated) and kept;
 *  - otherwise unmaps it like try_to_unmap_one(): MMU_NOTIFY_CLEAR over
 *    the page, then under the page-table lock the data goes to a swap
 *    slot and the pte becomes a swap entry.
 *
 * Both steps are reverse-map walks: as in Linux they take no mmap_lock
 * (not even MADV_PAGEOUT's, which it holds anyway) but the mm's rmap_lock
 * for read, the anon_vma lock's stand-in; the reference check only
 * trylocks it (folio_referenced() with try_lock) and keeps the frame when
 * it is contended.
 *
 * MADV_PAGEOUT first clears the young bits of the ptes it walks (without
 * the secondary MMUs, as Linux 6.1) and then reclaims the frames it
 * isolated, so a frame a secondary MMU accessed survives the first call
 * and goes on the second.
 *
 * Limits: the reverse map is one (anon_mm, index) per frame, so a frame
 * mapped by several mms after fork is skipped until a COW break makes it
 * exclusive again; pinned frames are skipped (Linux fails to unmap
 * exclusive pinned anonymous pages too).
 *
 * Lock order: mmap_lock (read, MADV_PAGEOUT) -> rmap_lock (read) ->
 * page_table_lock -> lru_lock; swap_lock is taken alone or under
 * page_table_lock.
 */
#include "internal.h"

#define MODEL_RECLAIM_BATCH	32

static LIST_HEAD(lru_list);		/* frames with PG_lru set */
static unsigned long lru_size;		/* frames on lru_list */
/* lru_lock protects lru_list, lru_size and every frame's PG_lru bit. */
static DEFINE_SPINLOCK(lru_lock);

enum reclaim_result { RECLAIM_KEEP, RECLAIM_ACTIVATE, RECLAIM_DONE };

static bool page_flag_set(struct page *page, unsigned int bit)
{
	return __atomic_fetch_or(&page->flags, BIT(bit), __ATOMIC_RELAXED) &
	       BIT(bit);
}

static bool page_flag_clear(struct page *page, unsigned int bit)
{
	return __atomic_fetch_and(&page->flags, ~BIT(bit),
				  __ATOMIC_RELAXED) & BIT(bit);
}

/**
 * model_lru_add() - put a new anonymous frame on the LRU tail
 * @page: the frame; the caller holds a reference
 *
 * Context: any context; takes lru_lock.
 */
void model_lru_add(struct page *page)
{
	spin_lock(&lru_lock);
	if (!page_flag_set(page, PG_lru)) {
		list_add_tail(&page->lru, &lru_list);
		lru_size++;
	}
	spin_unlock(&lru_lock);
}

/**
 * model_lru_del_freed() - take a frame whose last reference is gone off
 * the LRU
 * @page: the frame, refcount 0
 *
 * Context: the frame allocator's free path; takes lru_lock.
 */
void model_lru_del_freed(struct page *page)
{
	spin_lock(&lru_lock);
	if (page_flag_clear(page, PG_lru)) {
		list_del(&page->lru);
		lru_size--;
	}
	spin_unlock(&lru_lock);
}

/* Take @page off the LRU onto @list with a reference; lru_lock held. */
static bool lru_isolate_locked(struct page *page, struct list_head *list)
{
	lockdep_assert_held(&lru_lock);
	if (!(READ_ONCE(page->flags) & BIT(PG_lru)) ||
	    !atomic_inc_not_zero(&page->_refcount))
		return false;
	page_flag_clear(page, PG_lru);
	list_del(&page->lru);
	list_add_tail(&page->lru, list);
	lru_size--;
	return true;
}

/* Back on the LRU tail, then drop the isolation reference. */
static void lru_putback(struct page *page)
{
	list_del(&page->lru);
	model_lru_add(page);
	put_page(page);
}

/**
 * model_lru_size() - frames on the LRU
 *
 * Context: any context.
 * Return: the number of frames on the LRU (isolated ones excluded).
 */
unsigned long model_lru_size(void)
{
	unsigned long n;

	spin_lock(&lru_lock);
	n = lru_size;
	spin_unlock(&lru_lock);
	return n;
}

/* Present pte at @pte mapping @page?  page_table_lock held. */
static bool pte_maps(u64 e, struct page *page)
{
	return (e & MODEL_PTE_PRESENT) &&
	       model_pte_pfn(e) == page_to_pfn(page);
}

/*
 * try_to_unmap_one() for an exclusive frame: MMU_NOTIFY_CLEAR over the
 * page, write the data to a new slot and install the swap entry.  The
 * write happens under the page-table lock, after the secondary MMUs let
 * go, so neither the CPU nor a device can change the data meanwhile.
 */
static bool unmap_to_swap(struct vm_area_struct *vma, u64 *pte,
			  unsigned long addr, struct page *page)
{
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;
	bool done = false;
	long slot;

	slot = model_swap_alloc();
	if (slot < 0)
		return false;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma, mm, addr,
				addr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	spin_lock(&mm->page_table_lock);
	if (pte_maps(*pte, page) && page_mapcount(page) == 1 &&
	    !atomic_read(&page->pincount) &&
	    !model_swap_write(slot, page_address(page))) {
		*pte = model_swap_pte(slot);
		atomic_dec(&page->_mapcount);
		atomic_long_dec(&mm->rss_anon);
		atomic_long_inc(&mm->swap_ents);
		done = true;
	}
	spin_unlock(&mm->page_table_lock);
	mmu_notifier_invalidate_range_end(&range);
	if (done)
		put_page(page);		/* the pte's reference */
	else
		model_swap_free(slot);
	return done;
}

/* The pte mapping @page at @addr, or NULL; rmap_lock held. */
static u64 *rmap_pte(struct mm_struct *mm, unsigned long addr,
		     struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma = model_rmap_vma_lookup(mm, addr);

	*vmap = vma;
	return vma ? model_pte_slot(mm, addr, false) : NULL;
}

/*
 * folio_referenced() for @page at @addr of @mm: test and clear the pte's
 * young bit and the secondary MMUs'.  A contended rmap_lock counts as
 * referenced (the frame is kept), as Linux's try_lock walk does.
 */
static bool page_referenced(struct mm_struct *mm, unsigned long addr,
			    struct page *page, bool *mapped)
{
	struct vm_area_struct *vma;
	bool young = false;
	u64 *pte;

	*mapped = false;
	if (!down_read_trylock(&mm->rmap_lock))
		return true;
	pte = rmap_pte(mm, addr, &vma);
	if (pte) {
		spin_lock(&mm->page_table_lock);
		*mapped = pte_maps(*pte, page);
		young = *mapped && (*pte & MODEL_PTE_YOUNG);
		if (*mapped)
			*pte &= ~MODEL_PTE_YOUNG;
		spin_unlock(&mm->page_table_lock);
	}
	/* ptep_clear_flush_young_notify(): the secondary MMUs' view too. */
	if (*mapped && mmu_notifier_clear_flush_young(mm, addr,
						      addr + PAGE_SIZE))
		young = true;
	up_read(&mm->rmap_lock);
	return young;
}

/* try_to_unmap() of @page at @addr of @mm: true if it went to swap. */
static bool try_to_unmap(struct mm_struct *mm, unsigned long addr,
			 struct page *page)
{
	struct vm_area_struct *vma;
	bool done = false;
	u64 *pte;

	down_read(&mm->rmap_lock);
	pte = rmap_pte(mm, addr, &vma);
	if (pte)
		done = unmap_to_swap(vma, pte, addr, page);
	up_read(&mm->rmap_lock);
	return done;
}

/*
 * shrink_folio_list() for one isolated frame: two reverse-map walks, no
 * mmap_lock.  The frame's reverse map names its mm and address; a stale
 * one (the mm exited, the pte moved) finds no pte mapping the frame.
 */
static enum reclaim_result reclaim_one(struct page *page)
{
	struct mm_struct *mm = READ_ONCE(page->anon_mm);
	unsigned long addr = READ_ONCE(page->index) << PAGE_SHIFT;
	enum reclaim_result ret = RECLAIM_KEEP;
	bool mapped;

	if (!mm || page_mapcount(page) != 1 || atomic_read(&page->pincount))
		return RECLAIM_KEEP;
	mm = model_mm_tryget(mm);
	if (!mm)
		return RECLAIM_KEEP;
	if (page_referenced(mm, addr, page, &mapped))
		ret = RECLAIM_ACTIVATE;
	else if (mapped && try_to_unmap(mm, addr, page))
		ret = RECLAIM_DONE;
	mmdrop(mm);
	return ret;
}

/* Reclaim the isolated frames on @list; returns how many went. */
static unsigned long reclaim_list(struct list_head *list)
{
	unsigned long done = 0;
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		if (reclaim_one(page) == RECLAIM_DONE) {
			list_del(&page->lru);
			put_page(page);	/* frees the frame */
			done++;
		} else {
			lru_putback(page);
		}
	}
	return done;
}

/**
 * model_reclaim() - scan the LRU head and swap out unreferenced frames
 * @nr_to_scan: frames to look at
 *
 * A frame referenced since the last scan (young in the CPU pte or in a
 * secondary MMU) goes to the LRU tail with its young bits cleared, so a
 * second scan reclaims it if nobody touched it meanwhile.
 *
 * Context: process context, no locks held; may sleep; takes the rmap_lock
 * of the frames' mms, never their mmap_lock.
 * Return: frames reclaimed.
 */
unsigned long model_reclaim(unsigned long nr_to_scan)
{
	unsigned long done = 0;

	might_sleep();
	while (nr_to_scan) {
		unsigned long n = min_t(unsigned long, nr_to_scan,
					MODEL_RECLAIM_BATCH);
		struct page *page, *next;
		LIST_HEAD(list);

		nr_to_scan -= n;
		spin_lock(&lru_lock);
		list_for_each_entry_safe(page, next, &lru_list, lru) {
			if (!n)
				break;
			n--;
			lru_isolate_locked(page, &list);
		}
		spin_unlock(&lru_lock);
		if (list_empty(&list))
			break;
		done += reclaim_list(&list);
	}
	return done;
}

/* MADV_PAGEOUT's pte step: clear young, isolate exclusive frames. */
static void pageout_pte(struct mm_struct *mm, unsigned long addr,
			struct list_head *list)
{
	u64 *pte = model_pte_slot(mm, addr, false);
	struct page *page;
	u64 e;

	if (!pte)
		return;
	spin_lock(&mm->page_table_lock);
	e = *pte;
	if (!(e & MODEL_PTE_PRESENT) || model_is_zero_pfn(model_pte_pfn(e)))
		goto out;
	page = pfn_to_page(model_pte_pfn(e));
	if (page_mapcount(page) != 1)
		goto out;	/* do not disturb other mappings */
	*pte &= ~MODEL_PTE_YOUNG;
	page_flag_clear(page, PG_referenced);
	spin_lock(&lru_lock);
	lru_isolate_locked(page, list);
	spin_unlock(&lru_lock);
out:
	spin_unlock(&mm->page_table_lock);
}

/**
 * model_madvise_pageout() - MADV_PAGEOUT: reclaim the frames of a range
 * @mm: the mm
 * @addr: page-aligned start
 * @len: bytes
 *
 * Frames mapped only here are aged and reclaimed like Linux 6.1's
 * madvise_pageout(): the ptes' young bits are cleared first, then
 * reclaim still asks the secondary MMUs through the young hooks, so a
 * frame a device accessed since the last call is kept this time.
 *
 * Context: process context; takes mmap_lock for read; may sleep.
 * Return: 0, -EINVAL, -ENOMEM if part of the range is unmapped (the
 * mapped parts are still paged out).
 */
int model_madvise_pageout(struct mm_struct *mm, unsigned long addr,
			  unsigned long len)
{
	unsigned long end = addr + PAGE_ALIGN(len), covered = 0;
	struct vm_area_struct *vma;

	if (!PAGE_ALIGNED(addr) || !len || end <= addr || end > TASK_SIZE)
		return -EINVAL;
	mmap_read_lock(mm);
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		unsigned long s = max(addr, vma->vm_start);
		unsigned long e = min(end, vma->vm_end);
		unsigned int n = 0;
		LIST_HEAD(list);

		if (s >= e)
			continue;
		covered += e - s;
		for (; s < e; s += PAGE_SIZE) {
			pageout_pte(mm, s, &list);
			if (++n == MODEL_RECLAIM_BATCH || s + PAGE_SIZE == e) {
				reclaim_list(&list);
				n = 0;
			}
		}
	}
	mmap_read_unlock(mm);
	return covered == end - addr ? 0 : -ENOMEM;
}
