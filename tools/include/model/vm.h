/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model/vm.h - entry points of the model core VM (tools/lib/model/vm/)
 * for tests and drivers
 *
 * The model stands in for the kernel's core VM: physical frames, address
 * spaces with anonymous private VMAs, 4-level page tables, CPU accesses
 * with faults, munmap/mprotect/MADV_DONTNEED/MADV_PAGEOUT, LRU reclaim
 * with swap to a real file, fork, mremap, page migration and OOM reaping,
 * with the MMU notifier calls Linux makes at the same places.
 * Kernel-API functions (hmm_range_fault, pin_user_pages_remote, mmput,
 * ...) are declared in the shim's
 * <linux/...> headers; this header holds what a process or the test
 * itself would do.
 */
#ifndef _MODEL_VM_H
#define _MODEL_VM_H

#include <linux/mm.h>

/* Physical memory (vm/page_alloc.c). */
int model_phys_init(unsigned long nr_frames);
void model_phys_exit(void);
unsigned long model_frames_used(void);
struct page *model_alloc_page(void);
struct page *model_zero_page(void);

/* Address spaces (vm/mmap.c). */
struct mm_struct *model_mm_create(void);
unsigned long model_mmap(struct mm_struct *mm, unsigned long addr,
			 unsigned long len, unsigned long vm_prot);
int model_munmap(struct mm_struct *mm, unsigned long addr,
		 unsigned long len);
int model_mprotect(struct mm_struct *mm, unsigned long addr,
		   unsigned long len, unsigned long vm_prot);
int model_madvise_dontneed(struct mm_struct *mm, unsigned long addr,
			   unsigned long len);
struct mm_struct *model_fork(struct mm_struct *mm);
unsigned long model_mremap(struct mm_struct *mm, unsigned long old_addr,
			   unsigned long len, unsigned long new_addr);

/* Reclaim and swap (vm/vmscan.c, vm/swap.c). */
int model_madvise_pageout(struct mm_struct *mm, unsigned long addr,
			  unsigned long len);
unsigned long model_reclaim(unsigned long nr_to_scan);
unsigned long model_lru_size(void);
unsigned long model_swap_used(void);
void model_swap_exit(void);

/*
 * Migration and OOM (vm/migrate.c, vm/oom_kill.c).  Reclaim and migration
 * walk the reverse map and take no mmap_lock.
 */
long model_migrate_range(struct mm_struct *mm, unsigned long start,
			 unsigned long end);
int model_oom_reap(struct mm_struct *mm);

static inline long model_mm_rss(struct mm_struct *mm)
{
	return atomic_long_read(&mm->rss_anon);
}

static inline long model_mm_swap(struct mm_struct *mm)
{
	return atomic_long_read(&mm->swap_ents);
}

/* Test hook of hmm_range_fault() (vm/hmm.c). */
struct hmm_range;
typedef void (*model_hmm_hook_fn)(struct hmm_range *range, void *arg);
void model_set_hmm_fault_hook(model_hmm_hook_fn fn, void *arg);

/* CPU and page tables (vm/memory.c). */
int model_cpu_access(struct mm_struct *mm, unsigned long addr, void *buf,
		     size_t len, bool write);
int model_handle_fault(struct vm_area_struct *vma, unsigned long addr,
		       bool write);
u64 model_pte_read(struct mm_struct *mm, unsigned long addr);

#define MODEL_PTE_PRESENT	BIT_ULL(0)
#define MODEL_PTE_WRITE		BIT_ULL(1)
#define MODEL_PTE_YOUNG		BIT_ULL(5)
#define MODEL_PTE_DIRTY		BIT_ULL(6)
#define MODEL_PTE_SWAP		BIT_ULL(9)	/* not present: swap slot */
#define MODEL_PTE_FLAGS		(BIT_ULL(PAGE_SHIFT) - 1)

static inline unsigned long model_pte_pfn(u64 pte)
{
	return pte >> PAGE_SHIFT;
}

/* A swap entry keeps the slot number where a present pte has the pfn. */
static inline bool model_pte_is_swap(u64 pte)
{
	return (pte & (MODEL_PTE_PRESENT | MODEL_PTE_SWAP)) == MODEL_PTE_SWAP;
}

static inline unsigned long model_pte_slot_nr(u64 pte)
{
	return pte >> PAGE_SHIFT;
}

static inline u64 model_swap_pte(unsigned long slot)
{
	return ((u64)slot << PAGE_SHIFT) | MODEL_PTE_SWAP;
}

#endif /* _MODEL_VM_H */
