// SPDX-License-Identifier: GPL-2.0
/*
 * model_memory.c - page tables, faults and CPU accesses of the model
 *
 * Counterpart of mm/memory.c: walking and populating the 4-level tables,
 * zapping ranges into a gather, anonymous faults (zero page on read, new
 * frame on write, copy-on-write from the zero page or a shared frame with
 * an MMU_NOTIFY_CLEAR invalidation, reuse of an exclusive frame without
 * one), change_protection for mprotect, and the "CPU" doing loads and
 * stores through the tables.  A new anonymous frame goes on the LRU
 * before its pte is published and gets its reverse map (anon_mm, index)
 * with the pte; mm->rss_anon counts mapped frames, mm->swap_ents swap
 * ptes.
 */
#include "internal.h"

static inline unsigned int pt_index(unsigned long addr, unsigned int level)
{
	return (addr >> MODEL_PT_SHIFT(level)) & (MODEL_PT_ENTRIES - 1);
}

static inline u64 *pt_table(u64 e)
{
	return (u64 *)(unsigned long)(e & PAGE_MASK);
}

/* Link a new table below @slot unless someone else did; ptl not held. */
static int pt_populate(struct mm_struct *mm, u64 *slot)
{
	unsigned long table = get_zeroed_page(GFP_KERNEL);

	if (!table)
		return -ENOMEM;
	spin_lock(&mm->page_table_lock);
	if (!*slot) {
		*slot = table | MODEL_PTE_PRESENT;
		table = 0;
	}
	spin_unlock(&mm->page_table_lock);
	if (table)
		free_page(table);
	return 0;
}

/**
 * model_pte_slot() - find (and optionally create) the pte of an address
 * @mm: the mm
 * @addr: user address
 * @alloc: create missing tables (may sleep)
 *
 * Context: mmap_lock held, or a CPU access on a live mm; the pte's
 * contents must then be read and written under mm->page_table_lock.
 * Return: the pte slot, NULL if a table is missing and !@alloc,
 * ERR_PTR(-ENOMEM).
 */
u64 *model_pte_slot(struct mm_struct *mm, unsigned long addr, bool alloc)
{
	u64 *table = mm->pgd;
	unsigned int level;

	for (level = MODEL_PT_LEVELS - 1; level > 0; level--) {
		u64 *slot = &table[pt_index(addr, level)];
		u64 e;

		spin_lock(&mm->page_table_lock);
		e = *slot;
		spin_unlock(&mm->page_table_lock);
		if (!e) {
			if (!alloc)
				return NULL;
			if (pt_populate(mm, slot))
				return ERR_PTR(-ENOMEM);
			spin_lock(&mm->page_table_lock);
			e = *slot;
			spin_unlock(&mm->page_table_lock);
		}
		table = pt_table(e);
	}
	return &table[pt_index(addr, 0)];
}

/**
 * model_pte_read() - the pte of an address, for tests
 * @mm: the mm
 * @addr: user address
 *
 * Context: the mm is live.
 * Return: the pte value, 0 if none.
 */
u64 model_pte_read(struct mm_struct *mm, unsigned long addr)
{
	u64 *slot = model_pte_slot(mm, addr, false);
	u64 e;

	if (!slot)
		return 0;
	spin_lock(&mm->page_table_lock);
	e = *slot;
	spin_unlock(&mm->page_table_lock);
	return e;
}

/**
 * model_page_add_anon() - account a frame's first mapping
 * @page: the frame, exclusive to @mm
 * @mm: the mm mapping it
 * @addr: the address it is mapped at
 *
 * Context: page-table lock of @mm held.
 */
void model_page_add_anon(struct page *page, struct mm_struct *mm,
			 unsigned long addr)
{
	lockdep_assert_held(&mm->page_table_lock);
	atomic_set(&page->_mapcount, 1);
	WRITE_ONCE(page->anon_mm, mm);
	WRITE_ONCE(page->index, addr >> PAGE_SHIFT);
	atomic_long_inc(&mm->rss_anon);
}

/**
 * model_gather_flush() - drop the references of gathered pages
 * @tlb: the gather
 *
 * Context: after mmu_notifier_invalidate_range_start() for the pages.
 */
void model_gather_flush(struct model_gather *tlb)
{
	while (tlb->nr)
		put_page(tlb->pages[--tlb->nr]);
}

static void pt_zap_pte(struct mm_struct *mm, u64 *pte,
		       struct model_gather *tlb)
{
	u64 e = *pte;
	struct page *page;

	if (model_pte_is_swap(e)) {
		*pte = 0;
		atomic_long_dec(&mm->swap_ents);
		model_swap_free(model_pte_slot_nr(e));
		return;
	}
	if (!(e & MODEL_PTE_PRESENT))
		return;
	*pte = 0;
	if (model_is_zero_pfn(model_pte_pfn(e)))
		return;
	page = pfn_to_page(model_pte_pfn(e));
	if (e & MODEL_PTE_DIRTY)
		set_page_dirty(page);
	if (e & MODEL_PTE_YOUNG)
		mark_page_accessed(page);
	atomic_dec(&page->_mapcount);
	atomic_long_dec(&mm->rss_anon);
	if (tlb->nr == ARRAY_SIZE(tlb->pages)) {
		/* Gather full: ptes are gone, notifiers ran; free early. */
		spin_unlock(&mm->page_table_lock);
		model_gather_flush(tlb);
		spin_lock(&mm->page_table_lock);
	}
	tlb->pages[tlb->nr++] = page;
}

enum pt_walk_op { PT_ZAP, PT_WRPROTECT, PT_FREE };

/* Visit [start, end) below @table at @level; ptl held except for PT_FREE. */
static void pt_walk(struct mm_struct *mm, u64 *table, unsigned int level,
		    unsigned long base, unsigned long start,
		    unsigned long end, enum pt_walk_op op,
		    struct model_gather *tlb)
{
	unsigned long span = 1UL << MODEL_PT_SHIFT(level);
	unsigned int i;

	for (i = 0; i < MODEL_PT_ENTRIES; i++) {
		unsigned long lo = base + i * span;
		unsigned long hi = lo + span;

		if (hi <= start || lo >= end || !table[i])
			continue;
		if (level == 0) {
			if (op == PT_ZAP)
				pt_zap_pte(mm, &table[i], tlb);
			else if (op == PT_WRPROTECT)
				table[i] &= ~MODEL_PTE_WRITE;
			continue;
		}
		pt_walk(mm, pt_table(table[i]), level - 1, lo, start, end, op,
			tlb);
		if (op == PT_FREE) {
			free_page((unsigned long)pt_table(table[i]));
			table[i] = 0;
		}
	}
}

/**
 * model_zap_range() - clear the ptes of a range into a gather
 * @mm: the mm
 * @start: first address
 * @end: address after the range
 * @tlb: receives the unmapped pages
 *
 * Dirty and young pte bits move to the pages.
 *
 * Context: mmap_lock held; between invalidate_range_start and _end.
 */
void model_zap_range(struct mm_struct *mm, unsigned long start,
		     unsigned long end, struct model_gather *tlb)
{
	mmap_assert_locked(mm);
	spin_lock(&mm->page_table_lock);
	pt_walk(mm, mm->pgd, MODEL_PT_LEVELS - 1, 0, start, end, PT_ZAP, tlb);
	spin_unlock(&mm->page_table_lock);
}

/**
 * model_pud_populated() - does a 1 GiB span have a pmd table?
 * @mm: the mm
 * @addr: any address in the span
 *
 * Context: mmap_lock held.
 * Return: true if tables exist below the span's pud entry.
 */
bool model_pud_populated(struct mm_struct *mm, unsigned long addr)
{
	u64 *pgd = &mm->pgd[pt_index(addr, 3)];
	bool ret = false;

	spin_lock(&mm->page_table_lock);
	if (*pgd)
		ret = pt_table(*pgd)[pt_index(addr, 2)] != 0;
	spin_unlock(&mm->page_table_lock);
	return ret;
}

/**
 * model_change_protection() - apply a VMA's new protection to its ptes
 * @vma: the VMA, flags already updated
 * @start: first address
 * @end: address after the range
 *
 * As Linux 6.1's change_pmd_range(), one MMU_NOTIFY_PROTECTION_VMA
 * invalidation per 1 GiB span that has page tables (the model uses the
 * span clipped to the range, Linux starts at the first populated pmd).
 * Ptes lose write permission; a later write fault restores it if the VMA
 * allows.
 *
 * Context: mmap_lock held for write.
 */
void model_change_protection(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long addr, next;

	mmap_assert_write_locked(mm);
	for (addr = start; addr < end; addr = next) {
		struct mmu_notifier_range range;

		next = min((addr & ~(MODEL_PUD_SIZE - 1)) + MODEL_PUD_SIZE,
			   end);
		if (!model_pud_populated(mm, addr))
			continue;
		mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_VMA, 0,
					vma, mm, addr, next);
		mmu_notifier_invalidate_range_start(&range);
		spin_lock(&mm->page_table_lock);
		pt_walk(mm, mm->pgd, MODEL_PT_LEVELS - 1, 0, addr, next,
			PT_WRPROTECT, NULL);
		spin_unlock(&mm->page_table_lock);
		mmu_notifier_invalidate_range_end(&range);
	}
}

/**
 * model_free_pgtables() - free every table below the pgd
 * @mm: the mm, with no ptes left
 *
 * Context: exit_mmap(), mmap_lock and rmap_lock held for write.
 */
void model_free_pgtables(struct mm_struct *mm)
{
	mmap_assert_write_locked(mm);
	lockdep_assert_held_write(&mm->rmap_lock);
	pt_walk(mm, mm->pgd, MODEL_PT_LEVELS - 1, 0, 0, ~0UL, PT_FREE, NULL);
}

/* Write fault on a present read-only pte: reuse the frame or copy it. */
static int model_wp_fault(struct vm_area_struct *vma, unsigned long addr,
			  u64 *pte, u64 orig)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long pfn = model_pte_pfn(orig);
	struct mmu_notifier_range range;
	struct page *old = pfn_to_page(pfn), *new;
	bool replaced = false;

	if (!model_is_zero_pfn(pfn) && page_mapcount(old) == 1) {
		/*
		 * Exclusive anonymous frame: no copy, no notifier.  After a
		 * fork the last mapper may be the child: the reverse map
		 * moves to the writer, as page_move_anon_rmap().
		 */
		WRITE_ONCE(old->anon_mm, mm);
		WRITE_ONCE(old->index, addr >> PAGE_SHIFT);
		*pte |= MODEL_PTE_WRITE | MODEL_PTE_DIRTY | MODEL_PTE_YOUNG;
		spin_unlock(&mm->page_table_lock);
		return 0;
	}
	get_page(old);
	spin_unlock(&mm->page_table_lock);

	new = model_alloc_page();
	if (!new) {
		put_page(old);
		return -ENOMEM;
	}
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	model_lru_add(new);
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma, mm,
				addr & PAGE_MASK,
				(addr & PAGE_MASK) + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(&range);
	spin_lock(&mm->page_table_lock);
	if (*pte == orig) {
		model_page_add_anon(new, mm, addr);
		*pte = ((u64)page_to_pfn(new) << PAGE_SHIFT) |
		       MODEL_PTE_PRESENT | MODEL_PTE_WRITE |
		       MODEL_PTE_DIRTY | MODEL_PTE_YOUNG;
		if (!model_is_zero_pfn(pfn)) {
			atomic_dec(&old->_mapcount);
			atomic_long_dec(&mm->rss_anon);
		}
		replaced = true;
	}
	spin_unlock(&mm->page_table_lock);
	mmu_notifier_invalidate_range_end(&range);
	if (!replaced)
		put_page(new);
	else if (!model_is_zero_pfn(pfn))
		put_page(old);	/* the pte's reference */
	put_page(old);		/* ours */
	return 0;
}

/**
 * model_handle_fault() - resolve a CPU fault in an anonymous VMA
 * @vma: the VMA holding @addr
 * @addr: faulting address
 * @write: the access is a write
 *
 * Context: mmap_lock held for read; may sleep.
 * Return: 0 (the pte now allows the access), -EFAULT if the VMA forbids
 * it (SIGSEGV), -ENOMEM.
 */
int model_handle_fault(struct vm_area_struct *vma, unsigned long addr,
		       bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	u64 *pte, e;

	mmap_assert_locked(mm);
	might_sleep();
	if (!(vma->vm_flags & VM_READ) ||
	    (write && !(vma->vm_flags & VM_WRITE)))
		return -EFAULT;
	pte = model_pte_slot(mm, addr, true);
	if (IS_ERR(pte))
		return PTR_ERR(pte);

	spin_lock(&mm->page_table_lock);
	e = *pte;
	if (e & MODEL_PTE_PRESENT) {
		if (!write || (e & MODEL_PTE_WRITE)) {
			*pte |= MODEL_PTE_YOUNG;
			spin_unlock(&mm->page_table_lock);
			return 0;
		}
		return model_wp_fault(vma, addr, pte, e);
	}
	if (model_pte_is_swap(e)) {
		spin_unlock(&mm->page_table_lock);
		return model_do_swap_page(vma, addr, pte, e);
	}
	if (!write) {
		*pte = MODEL_PTE_PRESENT | MODEL_PTE_YOUNG;	/* zero pfn */
		spin_unlock(&mm->page_table_lock);
		return 0;
	}
	spin_unlock(&mm->page_table_lock);

	page = model_alloc_page();
	if (!page)
		return -ENOMEM;
	model_lru_add(page);
	spin_lock(&mm->page_table_lock);
	if (!*pte) {
		model_page_add_anon(page, mm, addr);
		*pte = ((u64)page_to_pfn(page) << PAGE_SHIFT) |
		       MODEL_PTE_PRESENT | MODEL_PTE_WRITE |
		       MODEL_PTE_DIRTY | MODEL_PTE_YOUNG;
		page = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (page)
		put_page(page);	/* raced: retried by the caller */
	return 0;
}

/* Copy within one page if the pte allows; true when done. */
static bool model_cpu_try(struct mm_struct *mm, unsigned long addr,
			  void *buf, size_t len, bool write)
{
	u64 *pte = model_pte_slot(mm, addr, false);
	bool done = false;
	void *kaddr;
	u64 e;

	if (!pte)
		return false;
	spin_lock(&mm->page_table_lock);
	e = *pte;
	if ((e & MODEL_PTE_PRESENT) && (!write || (e & MODEL_PTE_WRITE))) {
		*pte |= MODEL_PTE_YOUNG | (write ? MODEL_PTE_DIRTY : 0);
		kaddr = page_address(pfn_to_page(model_pte_pfn(e))) +
			offset_in_page(addr);
		if (write)
			memcpy(kaddr, buf, len);
		else
			memcpy(buf, kaddr, len);
		done = true;
	}
	spin_unlock(&mm->page_table_lock);
	return done;
}

/**
 * model_cpu_access() - a CPU load or store through the page tables
 * @mm: the address space the CPU runs in; the caller holds mm_users
 * @addr: user address, any alignment
 * @buf: data to store or buffer for the load
 * @len: bytes
 * @write: store instead of load
 *
 * The TLB is not modelled: each access walks the tables under the
 * page-table lock, sets young (and dirty) and copies; a missing or
 * read-only pte faults under mmap_lock for read.
 *
 * Context: process context, no locks held; may sleep.
 * Return: 0, -EFAULT (SIGSEGV), -ENOMEM.
 */
int model_cpu_access(struct mm_struct *mm, unsigned long addr, void *buf,
		     size_t len, bool write)
{
	size_t done = 0;

	might_sleep();
	while (done < len) {
		unsigned long a = addr + done;
		size_t n = min_t(size_t, len - done,
				 PAGE_SIZE - offset_in_page(a));
		struct vm_area_struct *vma;
		int ret;

		if (model_cpu_try(mm, a, (char *)buf + done, n, write)) {
			done += n;
			continue;
		}
		mmap_read_lock(mm);
		vma = vma_lookup(mm, a);
		ret = vma ? model_handle_fault(vma, a, write) : -EFAULT;
		mmap_read_unlock(mm);
		if (ret)
			return ret;
	}
	return 0;
}
