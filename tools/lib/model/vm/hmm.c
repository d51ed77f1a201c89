// SPDX-License-Identifier: GPL-2.0
/*
 * model_hmm.c - hmm_range_fault() and pin_user_pages_remote() of the model
 *
 * Counterparts of mm/hmm.c and mm/gup.c for anonymous VMAs.  Both fault
 * like a CPU access would.  hmm_range_fault() rechecks the interval
 * notifier's sequence before each page and returns -EBUSY once an
 * invalidation has begun after mmu_interval_read_begin().  A test can
 * have a hook of its own run at the start of every hmm_range_fault()
 * (model_set_hmm_fault_hook()), to act at a known point of a fault.
 */
#include <linux/hmm.h>
#include "internal.h"

/* The hook and its argument; set by a test while no fault runs. */
static model_hmm_hook_fn hmm_hook;
static void *hmm_hook_arg;

/**
 * model_set_hmm_fault_hook() - run a test function inside hmm_range_fault()
 * @fn: called at the start of every later hmm_range_fault(), with the
 *	range and @arg, mmap_lock held for read; may sleep; NULL to stop
 * @arg: passed to @fn
 *
 * Context: process context, while no hmm_range_fault() runs.
 */
void model_set_hmm_fault_hook(model_hmm_hook_fn fn, void *arg)
{
	__atomic_store_n(&hmm_hook_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&hmm_hook, fn, __ATOMIC_RELEASE);
}

static u64 model_pte_get(struct mm_struct *mm, unsigned long addr)
{
	u64 *slot = model_pte_slot(mm, addr, false);
	u64 e = 0;

	if (slot) {
		spin_lock(&mm->page_table_lock);
		e = *slot;
		spin_unlock(&mm->page_table_lock);
	}
	return e;
}

/**
 * hmm_range_fault() - report (and fault in) the CPU mappings of a range
 * @range: the range; see struct hmm_range
 *
 * Context: mmap_lock held for read; may sleep.
 * Return: 0; -EBUSY if the notifier sequence moved (restart with
 * mmu_interval_read_begin()); -EFAULT for an address without a usable
 * VMA; -EPERM for a write request on a read-only VMA; -ENOMEM.
 */
int hmm_range_fault(struct hmm_range *range)
{
	struct mm_struct *mm = range->notifier->mm;
	unsigned long addr = range->start;

	model_hmm_hook_fn hook = __atomic_load_n(&hmm_hook, __ATOMIC_ACQUIRE);

	mmap_assert_locked(mm);
	if (hook)
		hook(range, __atomic_load_n(&hmm_hook_arg, __ATOMIC_RELAXED));
	while (addr < range->end) {
		unsigned long i = (addr - range->start) >> PAGE_SHIFT;
		unsigned long req = ((range->hmm_pfns[i] &
				      range->pfn_flags_mask) |
				     range->default_flags) &
				    (HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE);
		struct vm_area_struct *vma;
		u64 e;
		int ret;

		if (mmu_interval_check_retry(range->notifier,
					     range->notifier_seq))
			return -EBUSY;
		vma = vma_lookup(mm, addr);
		if (!vma)
			return -EFAULT;
		if (!(vma->vm_flags & VM_READ)) {
			if (req)
				return -EFAULT;
			range->hmm_pfns[i] = HMM_PFN_ERROR;
			addr += PAGE_SIZE;
			continue;
		}
		e = model_pte_get(mm, addr);
		if ((e & MODEL_PTE_PRESENT) &&
		    (!(req & HMM_PFN_REQ_WRITE) || (e & MODEL_PTE_WRITE))) {
			range->hmm_pfns[i] = model_pte_pfn(e) | HMM_PFN_VALID |
				((e & MODEL_PTE_WRITE) ? HMM_PFN_WRITE : 0);
			addr += PAGE_SIZE;
			continue;
		}
		if (!(req & HMM_PFN_REQ_FAULT)) {
			range->hmm_pfns[i] = 0;
			addr += PAGE_SIZE;
			continue;
		}
		if ((req & HMM_PFN_REQ_WRITE) && !(vma->vm_flags & VM_WRITE))
			return -EPERM;
		ret = model_handle_fault(vma, addr, req & HMM_PFN_REQ_WRITE);
		if (ret)
			return ret;
		/* Look at the same page again. */
	}
	return 0;
}

/* Pin the page at @addr, faulting as needed; returns it or an error. */
static struct page *model_pin_one(struct mm_struct *mm, unsigned long addr,
				  bool write)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	struct page *page;
	int ret;

	if (!vma || !(vma->vm_flags & VM_READ) ||
	    (write && !(vma->vm_flags & VM_WRITE)))
		return ERR_PTR(-EFAULT);
	for (;;) {
		u64 *slot = model_pte_slot(mm, addr, false);

		if (slot) {
			spin_lock(&mm->page_table_lock);
			if ((*slot & MODEL_PTE_PRESENT) &&
			    (!write || (*slot & MODEL_PTE_WRITE))) {
				page = pfn_to_page(model_pte_pfn(*slot));
				get_page(page);
				atomic_inc(&page->pincount);
				spin_unlock(&mm->page_table_lock);
				return page;
			}
			spin_unlock(&mm->page_table_lock);
		}
		ret = model_handle_fault(vma, addr, write);
		if (ret)
			return ERR_PTR(ret);
	}
}

/**
 * pin_user_pages_remote() - pin the pages of a range of another mm
 * @mm: the mm
 * @start: page-aligned start
 * @nr_pages: pages to pin
 * @gup_flags: FOLL_WRITE, FOLL_LONGTERM (accepted, no effect here)
 * @pages: receives the pinned pages
 * @vmas: must be NULL
 * @locked: must be NULL
 *
 * Context: mmap_lock held for read; may sleep.
 * Return: pages pinned (from the start, maybe fewer than asked), or a
 * negative errno if none was.
 */
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, struct vm_area_struct **vmas,
			   int *locked)
{
	unsigned long i;

	mmap_assert_locked(mm);
	WARN_ON(vmas || locked);
	for (i = 0; i < nr_pages; i++) {
		struct page *page = model_pin_one(mm, start + i * PAGE_SIZE,
						  gup_flags & FOLL_WRITE);

		if (IS_ERR(page))
			return i ? (long)i : PTR_ERR(page);
		pages[i] = page;
	}
	return nr_pages;
}

/**
 * unpin_user_page() - drop a pin from pin_user_pages_remote()
 * @page: the page
 *
 * Context: any context.
 */
void unpin_user_page(struct page *page)
{
	WARN_ON(atomic_dec_return(&page->pincount) < 0);
	put_page(page);
}

void unpin_user_pages(struct page **pages, unsigned long npages)
{
	while (npages)
		unpin_user_page(pages[--npages]);
}

void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	might_sleep();
	while (npages) {
		struct page *page = pages[--npages];

		if (make_dirty)
			set_page_dirty(page);
		unpin_user_page(page);
	}
}
