/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the core-VM interface the shared code uses, implemented by
 * the model core VM in tools/lib/model/vm/.
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/pfn.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(a)	ALIGN(a, PAGE_SIZE)
#define PAGE_ALIGNED(a)	IS_ALIGNED((unsigned long)(a), PAGE_SIZE)
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)
#define PMD_SHIFT	21
#define PUD_SHIFT	30

/* 4-level x86-64 geometry: 48-bit user addresses. */
#define TASK_SIZE_MAX	((1UL << 47) - PAGE_SIZE)
#define TASK_SIZE	TASK_SIZE_MAX

#define VM_NONE		0x0UL
#define VM_READ		0x1UL
#define VM_WRITE	0x2UL
#define VM_EXEC		0x4UL
#define VM_SHARED	0x8UL
#define VM_MAYREAD	0x10UL
#define VM_MAYWRITE	0x20UL

#define FOLL_WRITE	0x01U
#define FOLL_GET	0x04U
#define FOLL_FORCE	0x10U
#define FOLL_PIN	0x40000U
#define FOLL_LONGTERM	0x10000U

/* Page flags (bit numbers in page->flags). */
enum pageflags {
	PG_dirty,
	PG_referenced,
	PG_reserved,
	PG_lru,
};

static inline bool PageDirty(const struct page *page)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED) &
	       BIT(PG_dirty);
}

static inline bool PageReferenced(const struct page *page)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED) &
	       BIT(PG_referenced);
}

static inline bool PageReserved(const struct page *page)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED) &
	       BIT(PG_reserved);
}

static inline int page_count(const struct page *page)
{
	return atomic_read(&page->_refcount);
}

static inline int page_mapcount(const struct page *page)
{
	return atomic_read(&page->_mapcount);
}

bool model_is_zero_pfn(unsigned long pfn);

static inline bool is_zero_pfn(unsigned long pfn)
{
	return model_is_zero_pfn(pfn);
}

struct page *pfn_to_page(unsigned long pfn);
unsigned long page_to_pfn(const struct page *page);
void *page_address(const struct page *page);
void get_page(struct page *page);
void put_page(struct page *page);
bool set_page_dirty(struct page *page);
void mark_page_accessed(struct page *page);

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);

long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages, struct vm_area_struct **vmas,
			   int *locked);
void unpin_user_page(struct page *page);
void unpin_user_pages(struct page **pages, unsigned long npages);
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);

/* The model has neither device memory nor file-backed memory. */
static inline bool is_zone_device_page(const struct page *page)
{
	return false;
}

static inline bool PageAnon(const struct page *page)
{
	return READ_ONCE(page->anon_mm);
}

static inline struct address_space *page_mapping(struct page *page)
{
	return NULL;
}

#endif /* _LINUX_MM_H */
