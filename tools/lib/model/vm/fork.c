// SPDX-License-Identifier: GPL-2.0
/*
 * model_fork.c - fork of a model address space
 *
 * Counterpart of dup_mmap() in kernel/fork.c and copy_page_range() in
 * mm/memory.c.  Every model VMA is a private writable-capable mapping, so
 * every one is copied copy-on-write: for each parent VMA one
 * MMU_NOTIFY_PROTECTION_PAGE invalidation over the VMA, as Linux 6.1
 * issues before write-protecting the parent's ptes (a secondary MMU must
 * not keep writing a frame the child now shares).  Frames are shared
 * read-only with the child; swap entries are shared by duplicating the
 * slot; a pinned frame is copied for the child at once, as
 * page_try_dup_anon_rmap() refuses to share it.
 */
#include "internal.h"

/* Give the child its own copy of a pinned frame; mmap_locks held. */
static int copy_pinned(struct vm_area_struct *dst_vma, unsigned long addr,
		       u64 *dst, struct page *page)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct page *copy = model_alloc_page();

	if (!copy)
		return -ENOMEM;
	memcpy(page_address(copy), page_address(page), PAGE_SIZE);
	model_lru_add(copy);
	spin_lock(&dst_mm->page_table_lock);
	model_page_add_anon(copy, dst_mm, addr);
	*dst = ((u64)page_to_pfn(copy) << PAGE_SHIFT) | MODEL_PTE_PRESENT |
	       MODEL_PTE_DIRTY |
	       ((dst_vma->vm_flags & VM_WRITE) ? MODEL_PTE_WRITE : 0);
	spin_unlock(&dst_mm->page_table_lock);
	return 0;
}

/* copy_present_pte()/copy_nonpresent_pte() for one address. */
static int copy_one_pte(struct vm_area_struct *dst_vma,
			struct vm_area_struct *src_vma, unsigned long addr)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct mm_struct *src_mm = src_vma->vm_mm;
	u64 *src = model_pte_slot(src_mm, addr, false), *dst, e;
	struct page *page = NULL;
	int ret = 0;

	if (!src)
		return 0;
	spin_lock(&src_mm->page_table_lock);
	e = *src;
	spin_unlock(&src_mm->page_table_lock);
	if (!e)
		return 0;
	dst = model_pte_slot(dst_mm, addr, true);
	if (IS_ERR(dst))
		return PTR_ERR(dst);

	spin_lock(&src_mm->page_table_lock);
	e = *src;
	if (model_pte_is_swap(e)) {
		model_swap_dup(model_pte_slot_nr(e));
		atomic_long_inc(&dst_mm->swap_ents);
	} else if ((e & MODEL_PTE_PRESENT) &&
		   !model_is_zero_pfn(model_pte_pfn(e))) {
		page = pfn_to_page(model_pte_pfn(e));
		get_page(page);
		if (atomic_read(&page->pincount)) {
			e = 0;	/* copied below */
		} else {
			atomic_inc(&page->_mapcount);
			atomic_long_inc(&dst_mm->rss_anon);
			*src &= ~MODEL_PTE_WRITE;
			e = *src & ~MODEL_PTE_YOUNG;
			page = NULL;
		}
	}
	spin_unlock(&src_mm->page_table_lock);

	if (page) {
		ret = copy_pinned(dst_vma, addr, dst, page);
		put_page(page);
		return ret;
	}
	spin_lock(&dst_mm->page_table_lock);
	*dst = e;
	spin_unlock(&dst_mm->page_table_lock);
	return 0;
}

/* Copy one VMA and its ptes; both mmap_locks held for write. */
static int dup_vma(struct mm_struct *child, struct vm_area_struct *vma)
{
	struct mmu_notifier_range range;
	struct vm_area_struct *new;
	unsigned long addr;
	int ret = 0;

	new = kmalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	*new = *vma;
	new->vm_mm = child;
	/* The child's frames are on the LRU: reclaim may walk its VMAs. */
	down_write(&child->rmap_lock);
	list_add_tail(&new->vm_list, &child->vmas);
	up_write(&child->rmap_lock);

	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, 0, vma,
				vma->vm_mm, vma->vm_start, vma->vm_end);
	mmu_notifier_invalidate_range_start(&range);
	for (addr = vma->vm_start; addr < vma->vm_end && !ret;
	     addr += PAGE_SIZE)
		ret = copy_one_pte(new, vma, addr);
	mmu_notifier_invalidate_range_end(&range);
	return ret;
}

/**
 * model_fork() - duplicate an address space copy-on-write
 * @mm: the parent's mm
 *
 * The child gets the parent's VMAs and shares its frames read-only;
 * the first write in either process copies (model_memory.c).  Notifier
 * subscriptions are not inherited: they belong to the parent's mm.
 *
 * Context: process context; takes both mmap_locks for write; may sleep.
 * Return: the child's mm (one mm_users reference), or ERR_PTR(-ENOMEM).
 */
struct mm_struct *model_fork(struct mm_struct *mm)
{
	struct mm_struct *child = model_mm_create();
	struct vm_area_struct *vma;
	int ret = 0;

	if (!child)
		return ERR_PTR(-ENOMEM);
	mmap_write_lock(mm);
	mmap_write_lock(child);
	child->mmap_base = mm->mmap_base;
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		ret = dup_vma(child, vma);
		if (ret)
			break;
	}
	mmap_write_unlock(child);
	mmap_write_unlock(mm);
	if (ret) {
		mmput(child);
		return ERR_PTR(ret);
	}
	return child;
}
