/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - shared internals of the model core VM (tools/lib/model/vm/)
 *
 * Page tables: four levels of 512 u64 entries (pgd 39, pud 30, pmd 21,
 * pte 12 bits of shift).  A table entry holds the next table's address
 * with MODEL_PTE_PRESENT; a pte holds pfn << PAGE_SHIFT and MODEL_PTE_*
 * flags.  mm->page_table_lock protects every entry; tables are only freed
 * by exit_mmap(), so a walker holding mmap_lock (or, for the CPU, a live
 * mm_users reference) can keep pointers into them.
 */
#ifndef _MM_MODEL_INTERNAL_H
#define _MM_MODEL_INTERNAL_H

#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <model/vm.h>

#define MODEL_PT_LEVELS		4
#define MODEL_PT_SHIFT(l)	(PAGE_SHIFT + 9 * (l))
#define MODEL_PT_ENTRIES	512
#define MODEL_PUD_SIZE		BIT(MODEL_PT_SHIFT(2))

/**
 * struct model_gather - pages unmapped, freed after the invalidation
 * @nr: pages in @pages
 * @pages: references to drop
 *
 * Like the kernel's mmu_gather: ptes are cleared first, the pages'
 * references are dropped after the secondary MMUs and TLBs have let go.
 */
struct model_gather {
	unsigned int nr;
	struct page *pages[64];
};

void model_gather_flush(struct model_gather *tlb);
u64 *model_pte_slot(struct mm_struct *mm, unsigned long addr, bool alloc);
void model_zap_range(struct mm_struct *mm, unsigned long start,
		     unsigned long end, struct model_gather *tlb);
void model_change_protection(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end);
void model_free_pgtables(struct mm_struct *mm);
bool model_pud_populated(struct mm_struct *mm, unsigned long addr);
bool model_is_zero_pfn(unsigned long pfn);
int model_do_munmap(struct mm_struct *mm, unsigned long start,
		    unsigned long end);
void model_vma_link(struct mm_struct *mm, struct vm_area_struct *new);
struct vm_area_struct *model_rmap_vma_lookup(struct mm_struct *mm,
					     unsigned long addr);
int model_vma_split_range(struct mm_struct *mm, unsigned long start,
			  unsigned long end);
unsigned long model_get_unmapped_area(struct mm_struct *mm,
				      unsigned long len);
void model_page_add_anon(struct page *page, struct mm_struct *mm,
			 unsigned long addr);

/* model_vmscan.c: the LRU of anonymous frames */
void model_lru_add(struct page *page);
void model_lru_del_freed(struct page *page);
struct mm_struct *model_mm_tryget(struct mm_struct *mm);

/* model_swap.c: swap slots in a temporary file */
long model_swap_alloc(void);
int model_swap_write(unsigned long slot, const void *data);
int model_swap_read(unsigned long slot, void *data);
void model_swap_dup(unsigned long slot);
void model_swap_free(unsigned long slot);
int model_do_swap_page(struct vm_area_struct *vma, unsigned long addr,
		       u64 *pte, u64 orig);

#endif /* _MM_MODEL_INTERNAL_H */
