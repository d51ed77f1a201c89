/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the core VM's objects as the model (tools/lib/model/vm/) builds
 * them.  Only fields the model or the shared code use exist.
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>

/**
 * struct page - one physical frame of the model
 * @flags: PG_* bits, changed atomically
 * @_refcount: references; 0 means the frame is free
 * @_mapcount: CPU ptes mapping the frame (0-based, unlike the kernel)
 * @pincount: FOLL_PIN references, each also counted in @_refcount
 * @generation: incremented each time the frame is freed, so a stale user
 *	can be told from the current one
 * @lru: link on the free list while free, on the LRU while PG_lru
 * @anon_mm: reverse map of an anonymous frame: the mm that faulted it in
 *	(moved to the writer on a COW reuse, as page_move_anon_rmap());
 *	only trusted while the pte at @index in it maps the frame
 * @index: virtual page number the frame is mapped at in @anon_mm
 */
struct page {
	unsigned long flags;
	atomic_t _refcount;
	atomic_t _mapcount;
	atomic_t pincount;
	atomic64_t generation;
	struct list_head lru;
	struct mm_struct *anon_mm;
	unsigned long index;
};

/**
 * struct vm_area_struct - one mapping of an mm
 * @vm_start: first address
 * @vm_end: address after the last
 * @vm_flags: VM_* flags
 * @vm_mm: owner
 * @vm_file: always NULL: the model maps anonymous memory only
 * @vm_list: entry in mm->vmas, sorted by address
 */
struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	struct mm_struct *vm_mm;
	struct file *vm_file;
	struct list_head vm_list;
};

struct mmu_notifier_subscriptions;

/**
 * struct mm_struct - a model address space
 * @mmap_lock: protects @vmas and @mmap_base; read for faults, write for
 *	changes of the VMA layout and notifier registration
 * @rmap_lock: stands for the anon_vma and i_mmap locks of all the mm's
 *	VMAs: reverse-map walkers (reclaim, migration) hold it for read
 *	instead of @mmap_lock; VMA list changes and page-table freeing hold
 *	it for write inside @mmap_lock, and so does notifier registration,
 *	as mm_take_all_locks() does in Linux.  A walker under it may look up
 *	VMAs and keep pointers into the page tables.
 * @mm_users: users of the address space; dropping the last one tears the
 *	mappings down (exit_mmap)
 * @mm_count: references to the structure; the users together hold one
 * @notifier_subscriptions: MMU notifier state, NULL until the first
 *	registration; freed with the mm
 * @page_table_lock: protects the page-table entries and links below @pgd
 * @pgd: top page-table level, 512 entries
 * @vmas: VMAs by address
 * @mmap_base: next address a model_mmap() without a hint uses
 * @rss_anon: anonymous frames mapped (MM_ANONPAGES), zero page excluded
 * @swap_ents: swap entries in the page tables (MM_SWAPENTS)
 * @pinned_vm: pages long-term pinned by drivers and charged to this mm
 * @mm_list: entry in the model's list of live mms (reverse-map lookups)
 */
struct mm_struct {
	struct rw_semaphore mmap_lock;
	struct rw_semaphore rmap_lock;
	atomic_t mm_users;
	atomic_t mm_count;
	struct mmu_notifier_subscriptions *notifier_subscriptions;
	spinlock_t page_table_lock;
	u64 *pgd;
	struct list_head vmas;
	unsigned long mmap_base;
	atomic_long_t rss_anon;
	atomic_long_t swap_ents;
	atomic64_t pinned_vm;
	struct list_head mm_list;
};

#endif /* _LINUX_MM_TYPES_H */
