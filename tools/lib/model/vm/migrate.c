// SPDX-License-Identifier: GPL-2.0
/*
 * model_migrate.c - migrating the frames of a range to new frames
 *
 * Counterpart of migrate_pages() as NUMA balancing and compaction use it
 * (mm/migrate.c, try_to_migrate_one() in mm/rmap.c): frames are picked
 * and isolated first, then each one is moved through a reverse-map walk,
 * without mmap_lock: under the mm's rmap_lock for read (the anon_vma
 * lock's stand-in), one MMU_NOTIFY_CLEAR invalidation over the page, and
 * under the page-table lock the data is copied to a new frame and the
 * pte switched to it; the old frame is freed (and poisoned by the
 * allocator).  Linux puts a migration entry in the pte meanwhile; the
 * model does the copy under the page-table lock instead, which a
 * subscriber cannot tell apart.  Frames shared with another mm (after
 * fork) or pinned stay where they are.
 */
#include "internal.h"

/*
 * Isolate the exclusive, unpinned frame mapped at @addr, with a
 * reference; NULL if there is none.  Picking frames by address stands in
 * for the pfn scan of compaction; it walks the tables under rmap_lock.
 */
static struct page *migrate_isolate(struct mm_struct *mm, unsigned long addr)
{
	struct page *page = NULL;
	u64 *pte = NULL;
	u64 e;

	down_read(&mm->rmap_lock);
	if (model_rmap_vma_lookup(mm, addr))
		pte = model_pte_slot(mm, addr, false);
	if (pte) {
		spin_lock(&mm->page_table_lock);
		e = *pte;
		if ((e & MODEL_PTE_PRESENT) &&
		    !model_is_zero_pfn(model_pte_pfn(e))) {
			page = pfn_to_page(model_pte_pfn(e));
			if (page_mapcount(page) == 1 &&
			    !atomic_read(&page->pincount))
				get_page(page);
			else
				page = NULL;
		}
		spin_unlock(&mm->page_table_lock);
	}
	up_read(&mm->rmap_lock);
	return page;
}

/* Switch the pte at @pte from @old to @new; true if it still mapped @old. */
static bool migrate_pte(struct mm_struct *mm, unsigned long addr, u64 *pte,
			struct page *old, struct page *new)
{
	bool moved = false;
	u64 e;

	spin_lock(&mm->page_table_lock);
	e = *pte;
	if ((e & MODEL_PTE_PRESENT) && model_pte_pfn(e) == page_to_pfn(old) &&
	    page_mapcount(old) == 1 && !atomic_read(&old->pincount)) {
		memcpy(page_address(new), page_address(old), PAGE_SIZE);
		model_page_add_anon(new, mm, addr);
		*pte = ((u64)page_to_pfn(new) << PAGE_SHIFT) |
		       (e & MODEL_PTE_FLAGS);
		atomic_dec(&old->_mapcount);
		atomic_long_dec(&mm->rss_anon);
		moved = true;
	}
	spin_unlock(&mm->page_table_lock);
	return moved;
}

/*
 * try_to_migrate_one() and the copy for one isolated frame: a reverse-map
 * walk from the frame's anon_mm and index.  True if @new took its place.
 */
static bool migrate_one(struct page *old, struct page *new)
{
	struct mm_struct *mm = READ_ONCE(old->anon_mm);
	unsigned long addr = READ_ONCE(old->index) << PAGE_SHIFT;
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	bool moved = false;
	u64 *pte = NULL;

	mm = mm ? model_mm_tryget(mm) : NULL;
	if (!mm)
		return false;
	down_read(&mm->rmap_lock);
	vma = model_rmap_vma_lookup(mm, addr);
	if (vma)
		pte = model_pte_slot(mm, addr, false);
	if (pte) {
		mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma, mm,
					addr, addr + PAGE_SIZE);
		mmu_notifier_invalidate_range_start(&range);
		moved = migrate_pte(mm, addr, pte, old, new);
		mmu_notifier_invalidate_range_end(&range);
	}
	up_read(&mm->rmap_lock);
	mmdrop(mm);
	if (moved)
		put_page(old);	/* the pte's reference */
	return moved;
}

/**
 * model_migrate_range() - move the frames of a range to new frames
 * @mm: the mm
 * @start: page-aligned start
 * @end: page-aligned end
 *
 * Each exclusive, unpinned frame mapped in the range is moved by a
 * reverse-map walk of its own, with one MMU_NOTIFY_CLEAR invalidation
 * over its page, as Linux's NUMA balancing and compaction move pages.
 * Frames shared with another mm (after fork) or pinned stay in place.
 *
 * Context: process context, no mmap_lock needed (none is taken); takes
 * @mm's rmap_lock for read; may sleep.
 * Return: frames migrated, -EINVAL, or -ENOMEM if none could be.
 */
long model_migrate_range(struct mm_struct *mm, unsigned long start,
			 unsigned long end)
{
	struct page *new = NULL;
	unsigned long addr;
	long moved = 0;

	might_sleep();
	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || start >= end)
		return -EINVAL;
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		struct page *old = migrate_isolate(mm, addr);

		if (!old)
			continue;
		if (!new) {
			new = model_alloc_page();
			if (!new) {
				put_page(old);
				moved = moved ? moved : -ENOMEM;
				break;
			}
			model_lru_add(new);
		}
		if (migrate_one(old, new)) {
			new = NULL;
			moved++;
		}
		put_page(old);	/* the isolation reference */
	}
	if (new)
		put_page(new);
	return moved;
}
