// SPDX-License-Identifier: GPL-2.0
/*
 * model_migrate.c - migrating the frames of a range to new frames
 *
 * Counterpart of migrate_vma_setup()/migrate_vma_pages() in
 * mm/migrate_device.c with a system-memory destination: one
 * MMU_NOTIFY_MIGRATE invalidation (owner NULL) per VMA over the range,
 * then each exclusive, unpinned frame is copied to a new frame under the
 * page-table lock and the old one freed (and poisoned by the allocator).
 * Linux's NUMA and compaction migration go through try_to_migrate_one()
 * with MMU_NOTIFY_CLEAR per page instead; a subscriber treats both the
 * same.
 */
#include "model_internal.h"

/* Move the frame at @addr to @new; true if @new was used. */
static bool migrate_one(struct mm_struct *mm, unsigned long addr,
			struct page *new)
{
	u64 *pte = model_pte_slot(mm, addr, false);
	struct page *old = NULL;
	u64 e;

	if (!pte)
		return false;
	spin_lock(&mm->page_table_lock);
	e = *pte;
	if ((e & MODEL_PTE_PRESENT) && !model_is_zero_pfn(model_pte_pfn(e))) {
		old = pfn_to_page(model_pte_pfn(e));
		if (page_mapcount(old) != 1 || atomic_read(&old->pincount))
			old = NULL;
	}
	if (old) {
		memcpy(page_address(new), page_address(old), PAGE_SIZE);
		model_page_add_anon(new, mm, addr);
		*pte = ((u64)page_to_pfn(new) << PAGE_SHIFT) |
		       (e & MODEL_PTE_FLAGS);
		atomic_dec(&old->_mapcount);
		atomic_long_dec(&mm->rss_anon);
	}
	spin_unlock(&mm->page_table_lock);
	if (old)
		put_page(old);	/* the pte's reference: frees the frame */
	return old;
}

/* Migrate [start, end) of @vma; returns frames moved or -ENOMEM. */
static long migrate_vma_range(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	struct mmu_notifier_range range;
	struct page *new = NULL;
	unsigned long addr;
	long moved = 0;

	mmu_notifier_range_init_owner(&range, MMU_NOTIFY_MIGRATE, 0, vma, mm,
				      start, end, NULL);
	mmu_notifier_invalidate_range_start(&range);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		if (!new) {
			new = model_alloc_page();
			if (!new) {
				moved = moved ? moved : -ENOMEM;
				break;
			}
			model_lru_add(new);
		}
		if (migrate_one(mm, addr, new)) {
			new = NULL;
			moved++;
		}
	}
	mmu_notifier_invalidate_range_end(&range);
	if (new)
		put_page(new);
	return moved;
}

/**
 * model_migrate_range() - move the frames of a range to new frames
 * @mm: the mm
 * @start: page-aligned start
 * @end: page-aligned end
 *
 * Frames shared with another mm (after fork) or pinned stay in place.
 *
 * Context: process context; takes mmap_lock for read; may sleep.
 * Return: frames migrated, -EINVAL, or -ENOMEM if none could be.
 */
long model_migrate_range(struct mm_struct *mm, unsigned long start,
			 unsigned long end)
{
	struct vm_area_struct *vma;
	long moved = 0, ret;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) || start >= end)
		return -EINVAL;
	mmap_read_lock(mm);
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		unsigned long s = max(start, vma->vm_start);
		unsigned long e = min(end, vma->vm_end);

		if (s >= e)
			continue;
		ret = migrate_vma_range(vma, s, e);
		if (ret < 0) {
			moved = moved ? moved : ret;
			break;
		}
		moved += ret;
	}
	mmap_read_unlock(mm);
	return moved;
}
