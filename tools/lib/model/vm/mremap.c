// SPDX-License-Identifier: GPL-2.0
/*
 * model_mremap.c - moving a mapping (mremap with MREMAP_MAYMOVE)
 *
 * Counterpart of move_vma() and move_page_tables() in mm/mremap.c, for a
 * move of the same length.  The ptes (present or swap) move under one
 * MMU_NOTIFY_UNMAP invalidation of the old range, as Linux 6.1's
 * move_page_tables() issues it; then the old range is unmapped with
 * do_munmap(), which sends its own MMU_NOTIFY_UNMAP, as in Linux.
 * Secondary MMUs refault the new range.
 */
#include "internal.h"

/* Move the pte at @old to @new; mmap_lock held for write. */
static int move_one_pte(struct mm_struct *mm, unsigned long old,
			unsigned long new)
{
	u64 *src = model_pte_slot(mm, old, false), *dst, e;

	if (!src)
		return 0;
	spin_lock(&mm->page_table_lock);
	e = *src;
	spin_unlock(&mm->page_table_lock);
	if (!e)
		return 0;
	dst = model_pte_slot(mm, new, true);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	spin_lock(&mm->page_table_lock);
	e = *src;
	*src = 0;
	*dst = e;
	if ((e & MODEL_PTE_PRESENT) && !model_is_zero_pfn(model_pte_pfn(e))) {
		struct page *page = pfn_to_page(model_pte_pfn(e));

		if (READ_ONCE(page->anon_mm) == mm &&
		    READ_ONCE(page->index) == old >> PAGE_SHIFT)
			WRITE_ONCE(page->index, new >> PAGE_SHIFT);
	}
	spin_unlock(&mm->page_table_lock);
	return 0;
}

/* move_page_tables(); returns bytes moved. */
static unsigned long move_ptes(struct vm_area_struct *vma,
			       unsigned long old, unsigned long new,
			       unsigned long len)
{
	struct mmu_notifier_range range;
	unsigned long done;

	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, vma, vma->vm_mm,
				old, old + len);
	mmu_notifier_invalidate_range_start(&range);
	for (done = 0; done < len; done += PAGE_SIZE)
		if (move_one_pte(vma->vm_mm, old + done, new + done))
			break;
	mmu_notifier_invalidate_range_end(&range);
	return done;
}

static int mremap_locked(struct mm_struct *mm, unsigned long old,
			 unsigned long len, unsigned long new)
{
	struct vm_area_struct *vma, *nvma;
	unsigned long moved;
	int ret;

	vma = vma_lookup(mm, old);
	if (!vma || old + len > vma->vm_end)
		return -EFAULT;
	nvma = kmalloc(sizeof(*nvma), GFP_KERNEL);
	if (!nvma)
		return -ENOMEM;
	ret = model_do_munmap(mm, new, new + len);
	if (!ret)
		ret = model_vma_split_range(mm, old, old + len);
	if (ret) {
		kfree(nvma);
		return ret;
	}
	vma = vma_lookup(mm, old);
	*nvma = *vma;
	nvma->vm_start = new;
	nvma->vm_end = new + len;
	model_vma_link(mm, nvma);
	moved = move_ptes(vma, old, new, len);
	if (moved < len) {
		/* Out of memory for tables: move back, as move_vma(). */
		move_ptes(nvma, new, old, moved);
		model_do_munmap(mm, new, new + len);
		return -ENOMEM;
	}
	return model_do_munmap(mm, old, old + len);
}

/**
 * model_mremap() - move a mapping to another address
 * @mm: the mm
 * @old_addr: page-aligned start of the range, inside one VMA
 * @len: bytes (the size stays the same)
 * @new_addr: page-aligned destination (replacing what is mapped there,
 *	as MREMAP_FIXED), not overlapping the old range; 0 to pick one
 *
 * Context: process context; takes mmap_lock for write; may sleep.
 * Return: the new address, or a negative errno cast to unsigned long:
 * -EINVAL (bad arguments), -EFAULT (range not inside one VMA), -ENOMEM.
 */
unsigned long model_mremap(struct mm_struct *mm, unsigned long old_addr,
			   unsigned long len, unsigned long new_addr)
{
	int ret;

	len = PAGE_ALIGN(len);
	if (!len || !PAGE_ALIGNED(old_addr) || !PAGE_ALIGNED(new_addr) ||
	    old_addr + len <= old_addr || old_addr + len > TASK_SIZE ||
	    (new_addr && (new_addr + len <= new_addr ||
			  new_addr + len > TASK_SIZE ||
			  (new_addr < old_addr + len &&
			   old_addr < new_addr + len))))
		return -EINVAL;
	mmap_write_lock(mm);
	if (!new_addr)
		new_addr = model_get_unmapped_area(mm, len);
	ret = mremap_locked(mm, old_addr, len, new_addr);
	mmap_write_unlock(mm);
	return ret ? (unsigned long)ret : new_addr;
}
