/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu_mirror - shared invalidation helper for secondary MMUs
 *
 * A secondary MMU (a hypervisor's nested page table, an RDMA NIC's
 * on-demand-paging table, a GPU page table) caches translations of a
 * process's memory.  The helper owns that cache for the driver: a
 * multi-level secondary page table, the MMU-notifier subscriptions that
 * keep it coherent with the CPU page tables, the fault path with its
 * sequence-count retry, the batched invalidation with one device flush,
 * dirty and accessed-bit propagation, teardown and statistics.
 *
 * Objects:
 *  - a *mirror* is one secondary address space bound to one mm;
 *  - a *window* maps the host range [hva, hva + size) of that mm linearly
 *    onto the secondary range [sva, sva + size) of the mirror.  Several
 *    windows may map the same host range; secondary ranges never overlap.
 *
 * Lock order (outermost first), the same everywhere in the helper:
 *
 *	mirror->windows_sem	(rw_semaphore; window add/remove vs. faults)
 *	  mm->mmap_lock		(read, taken by the fault path)
 *	    mirror->lock	(spinlock; table, window trees, flush state)
 *
 * Invalidation callbacks take only mirror->lock and never allocate; they
 * yield between bounded chunks of work only when the range is blockable,
 * so non-blockable invalidations (the OOM reaper) always succeed.
 * Documentation/mm/mmu_mirror.rst has the full picture.
 */
#ifndef _LINUX_MMU_MIRROR_H
#define _LINUX_MMU_MIRROR_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

struct device;
struct mm_struct;
struct mmu_mirror;
struct mmu_mirror_window;

/* mmu_mirror_create() flags */
#define MMU_MIRROR_PINNED		0x1U	/* pin pages, no notifiers */

/* mmu_mirror_window_add() flags */
#define MMU_MIRROR_WINDOW_READONLY	0x1U	/* refuse write faults */

/* access flags of mmu_mirror_fault() and mmu_mirror_access() */
#define MMU_MIRROR_WRITE		0x1U

/* Number of MMU_NOTIFY_* events counted per mirror. */
#define MMU_MIRROR_NR_EVENTS		8

/*
 * Secondary addresses the table can hold: [0, MMU_MIRROR_SVA_LIMIT), five
 * levels of 512 entries above 4 KiB pages.  Every entry point that takes
 * a secondary address rejects what lies at or above the limit.
 */
#define MMU_MIRROR_SVA_BITS		57
#define MMU_MIRROR_SVA_LIMIT		BIT_ULL(MMU_MIRROR_SVA_BITS)

/**
 * struct mmu_mirror_stats - snapshot of a mirror's counters
 * @faults: calls of mmu_mirror_fault() that installed entries
 * @pages_mapped: 4 KiB pages installed in the secondary table
 * @retries: fault rounds repeated because an invalidation raced them
 * @invalidations: invalidations overlapping a window, by MMU_NOTIFY_* event
 * @entries_zapped: secondary entries removed by invalidations
 * @pages_zapped: 4 KiB pages covered by the removed entries
 * @flushes: calls of the driver's flush operation
 * @dirty_propagated: 4 KiB pages marked dirty because the device wrote them
 * @young_cleared: entries whose accessed bit an aging hook cleared
 * @nonblock_invalidations: invalidations that were not allowed to sleep
 * @nonblock_flushes: flushes issued from a window's callback because the
 *	range was not blockable (the core VM may never call the mirror's
 *	invalidate_range_start then; see &struct mmu_mirror_ops)
 * @pages_pinned: pages currently pinned (pinned mirrors only)
 * @entries: entries currently present in the table
 * @table_nodes: table nodes currently allocated
 * @nonblock_failed: non-blockable invalidations refused because they met
 *	a device access in flight (mmu_mirror_access_begin()); the only
 *	case in which the helper refuses one
 */
struct mmu_mirror_stats {
	u64 faults;
	u64 pages_mapped;
	u64 retries;
	u64 invalidations[MMU_MIRROR_NR_EVENTS];
	u64 entries_zapped;
	u64 pages_zapped;
	u64 flushes;
	u64 dirty_propagated;
	u64 young_cleared;
	u64 nonblock_invalidations;
	u64 nonblock_flushes;
	u64 pages_pinned;
	u64 entries;
	u64 table_nodes;
	u64 nonblock_failed;
};

/**
 * MMU_MIRROR_STATS_ASSERT_PREFIX - check a UAPI copy of the counters
 * @type: a UAPI structure that must begin with the fields of
 *	struct mmu_mirror_stats, same names, same order, all 64-bit
 *
 * Lets a driver export the counters with one memcpy() of a
 * struct mmu_mirror_stats into the start of its own structure; the build
 * fails if the two layouts ever drift apart.
 */
#define MMU_MIRROR_STATS_ASSERT_PREFIX(type)				\
	static_assert(offsetof(type, faults) == 0 &&			\
		      offsetof(type, invalidations) ==			\
		      offsetof(struct mmu_mirror_stats, invalidations) && \
		      offsetof(type, entries_zapped) ==			\
		      offsetof(struct mmu_mirror_stats, entries_zapped) && \
		      offsetof(type, pages_pinned) ==			\
		      offsetof(struct mmu_mirror_stats, pages_pinned) && \
		      offsetof(type, nonblock_failed) + 8 ==		\
		      sizeof(struct mmu_mirror_stats))

/* mmu_mirror_ops->map() flags */
#define MMU_MIRROR_MAP_WRITE		0x1U	/* the device may write */
#define MMU_MIRROR_MAP_HUGE		0x2U	/* 2 MiB entries, not 4 KiB */

/* mmu_mirror_ops->harvest() result bits */
#define MMU_MIRROR_HARVEST_YOUNG	0x1U	/* the device accessed it */
#define MMU_MIRROR_HARVEST_DIRTY	0x2U	/* the device wrote it */

/**
 * struct mmu_mirror_ops - what a driver supplies to the helper
 * @flush: make the device forget every translation removed from the
 *	secondary table so far (its TLB, its own table's caches).  Called
 *	exactly once per mirror for each blockable invalidation that removed
 *	at least one entry, after all entries of the invalidated range were
 *	removed (and @unmap called for them) and before the invalidation
 *	returns to the core VM.  For a non-blockable one, called by each
 *	window that removed entries, right after its zap (the core VM may
 *	end such an invalidation before the mirror's last callback).  Also
 *	after window removal and release, in pinned mode before any pin is
 *	dropped, and in a DMA mirror before any DMA mapping is undone.
 *	Called with mirror->lock (a spinlock) held: it must not sleep, must
 *	not allocate and must not call back into the helper.  When it
 *	returns, the device no longer uses any removed translation.  It
 *	cannot fail.  Mandatory.
 * @release: optional.  The mm is exiting: every entry has been removed
 *	and later faults fail with -ESRCH.  Called with no helper lock held,
 *	from the MMU notifier release path (possibly inside the mmput() of
 *	the helper's own fault path, which drops every helper lock first);
 *	may sleep but must not call mmu_mirror_destroy().  Not called for a
 *	mirror being destroyed.
 * @map: optional, for a driver that keeps its own table in the device's
 *	format.  Program @n entries at @sva, @sva + size, ... where size is
 *	4 KiB, or 2 MiB with MMU_MIRROR_MAP_HUGE; @addrs[i] is the address
 *	the device must use for entry i: its DMA address in a mirror made
 *	by mmu_mirror_create_dev(), its physical address otherwise.
 *	MMU_MIRROR_MAP_WRITE allows device writes.  Called after the fault's
 *	sequence check succeeded, for entries just added to the helper's
 *	table (never for one that was already there; an entry one of them
 *	replaced has been passed to @unmap before), with mirror->lock
 *	held: must not sleep (GFP_ATOMIC allocations are allowed) and must
 *	not call back into the helper.  Returns 0, or a negative errno: the
 *	helper then removes the entries of this call again (calling @unmap
 *	for the whole range, which must tolerate entries that were never
 *	programmed, and @flush) and the fault fails with that errno.
 * @unmap: optional; mandatory with @map.  Remove the device's entries of
 *	[@sva, @sva + @size), one contiguous range the helper just removed
 *	from its table.  Called with mirror->lock held before the @flush
 *	that covers the removal: it must not sleep, allocate or fail, and
 *	need not flush (batch the invalidation, as iommu_unmap_fast() with
 *	a gather does; @flush completes it).
 * @harvest: optional.  Read the accessed and dirty bits the device keeps
 *	for the entry at @sva of @size (4 KiB or 2 MiB) and return them as
 *	MMU_MIRROR_HARVEST_* bits; with @clear, also clear the accessed bit
 *	(aging; no flush is required).  Called with mirror->lock held, for
 *	each entry before the helper removes it (so the device's dirty bit
 *	becomes set_page_dirty() before the core VM decides) and for each
 *	entry the aging hooks test or clear.  Must not sleep or allocate.
 *	Drivers that learn of accesses otherwise (at the completion of a
 *	transfer) call mmu_mirror_report_access() instead.
 *
 * Software devices that read and write pages through mmu_mirror_access()
 * need only @flush: the helper's table is their table.  One that caches
 * translations in a struct mmu_mirror_tlb empties it in @flush with
 * mmu_mirror_tlb_flush().
 */
struct mmu_mirror_ops {
	void (*flush)(struct mmu_mirror *mirror);
	void (*release)(struct mmu_mirror *mirror);
	int (*map)(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		   unsigned int n, unsigned int flags);
	void (*unmap)(struct mmu_mirror *mirror, u64 sva, u64 size);
	unsigned int (*harvest)(struct mmu_mirror *mirror, u64 sva, u64 size,
				bool clear);
};

/**
 * struct mmu_mirror_inflight - one device access in flight
 * @list: entry in the mirror's list of accesses in flight
 * @start: first secondary address of the access, page aligned
 * @end: secondary address after the access, page aligned
 * @access: 0 or MMU_MIRROR_WRITE
 *
 * Owned by the caller of mmu_mirror_access_begin() (on its stack or in
 * its request) until mmu_mirror_access_end(); the helper fills it in.
 */
struct mmu_mirror_inflight {
	struct list_head list;
	u64 start;
	u64 end;
	unsigned int access;
};

/**
 * struct mmu_mirror_span - how much a device faults at a miss
 * @bytes: bytes faulted at the last miss
 * @end: secondary address after the last fault's range; 0 before the
 *	first fault
 *
 * State of one device transfer (a command, a vCPU access) that copies
 * with mmu_mirror_access() and faults at each miss, zeroed before the
 * transfer begins; see mmu_mirror_span_next().
 */
struct mmu_mirror_span {
	u64 bytes;
	u64 end;
};

struct mmu_mirror *mmu_mirror_create(struct mm_struct *mm,
				     const struct mmu_mirror_ops *ops,
				     unsigned int flags, const char *name,
				     void *priv);
struct mmu_mirror *mmu_mirror_create_dev(struct device *dev,
					 struct mm_struct *mm,
					 const struct mmu_mirror_ops *ops,
					 unsigned int flags, const char *name,
					 void *priv);
void mmu_mirror_destroy(struct mmu_mirror *mirror);
void *mmu_mirror_priv(const struct mmu_mirror *mirror);
struct mm_struct *mmu_mirror_mm(const struct mmu_mirror *mirror);

struct mmu_mirror_window *mmu_mirror_window_add(struct mmu_mirror *mirror,
						unsigned long hva,
						unsigned long size, u64 sva,
						unsigned int flags);
void mmu_mirror_window_remove(struct mmu_mirror *mirror,
			      struct mmu_mirror_window *win);

int mmu_mirror_fault(struct mmu_mirror *mirror, u64 sva, u64 len,
		     unsigned int access);
int mmu_mirror_access(struct mmu_mirror *mirror, u64 sva, void *buf,
		      size_t len, unsigned int access, size_t *done);
u64 mmu_mirror_span_next(struct mmu_mirror_span *span, u64 sva, u64 end);
int mmu_mirror_snapshot(struct mmu_mirror *mirror, unsigned long hva,
			unsigned long npages, unsigned long *hmm_pfns);
void mmu_mirror_get_stats(struct mmu_mirror *mirror,
			  struct mmu_mirror_stats *stats);

int mmu_mirror_access_begin(struct mmu_mirror *mirror,
			    struct mmu_mirror_inflight *acc, u64 sva, u64 len,
			    unsigned int access);
void mmu_mirror_access_end(struct mmu_mirror *mirror,
			   struct mmu_mirror_inflight *acc);
int mmu_mirror_report_access(struct mmu_mirror *mirror, u64 sva, u64 len,
			     unsigned int access);
int mmu_mirror_translate(struct mmu_mirror *mirror, u64 sva,
			 unsigned int access, u64 *addr);

/*
 * Device TLB (mm/mmu_mirror_tlb.c): a small cache of translations that a
 * software device consults before the helper's table, filled from
 * mmu_mirror_translate() and emptied only by the driver's flush.
 */

/* Entries of a device TLB, direct-mapped by secondary page number. */
#define MMU_MIRROR_TLB_ENTRIES		32

/* struct mmu_mirror_tlb_entry tag bits, below the page address */
#define MMU_MIRROR_TLB_VALID		0x1ULL	/* the entry translates */
#define MMU_MIRROR_TLB_WRITE		0x2ULL	/* filled for a write */

/**
 * struct mmu_mirror_tlb_entry - one cached translation
 * @tag: the secondary page address it translates, with
 *	MMU_MIRROR_TLB_VALID, and MMU_MIRROR_TLB_WRITE when it was filled
 *	by a write (the table entry then allowed writes and was marked
 *	dirty); 0 when empty
 * @addr: physical address of the page, from mmu_mirror_translate()
 */
struct mmu_mirror_tlb_entry {
	u64 tag;
	u64 addr;
};

/**
 * struct mmu_mirror_tlb_stats - counters of one device TLB
 * @hits: page accesses served from an entry, without the helper's table
 * @misses: page accesses that had to look the helper's table up (no
 *	entry, or a write meeting an entry filled by a read)
 * @emptied: calls of mmu_mirror_tlb_flush()
 * @dropped: valid entries those flushes dropped
 * @fill_races: fills given up because a flush ran between the table
 *	lookup and the fill (the access then went through the table)
 * @age_resets: times the TLB dropped its entries because an aging pass
 *	cleared accessed bits in the helper's table
 */
struct mmu_mirror_tlb_stats {
	u64 hits;
	u64 misses;
	u64 emptied;
	u64 dropped;
	u64 fill_races;
	u64 age_resets;
};

/**
 * struct mmu_mirror_tlb - a device TLB in front of a mirror's table
 * @lock: spinlock protecting everything below.  A hit holds it while it
 *	copies through the entry, and mmu_mirror_tlb_flush() takes it (from
 *	the driver's flush, under mirror->lock): so when the flush returns,
 *	no copy through a dropped entry is still running.  Lock order:
 *	mirror->lock, then @lock; never the other way round.
 * @mirror: the mirror whose table fills the TLB
 * @gen: bumped by every flush (and aging reset); a fill whose table
 *	lookup started under an older value is given up, so an answer that
 *	a flush made stale is never cached
 * @age_epoch: the mirror's aging epoch when the entries were last
 *	dropped for aging
 * @entries: the entries, indexed by secondary page number modulo
 *	MMU_MIRROR_TLB_ENTRIES
 * @stats: counters
 *
 * Embedded in the driver's device context.  Initialise it with
 * mmu_mirror_tlb_init() right after mmu_mirror_create(); keep it until
 * mmu_mirror_destroy() has returned, since the mirror's last flushes use
 * it.  A hit copies without the helper's table: the driver's
 * &mmu_mirror_ops.flush must call mmu_mirror_tlb_flush(), or the device
 * reads and writes pages the process no longer maps.
 */
struct mmu_mirror_tlb {
	spinlock_t lock;		/* see above */
	struct mmu_mirror *mirror;
	u64 gen;
	unsigned long age_epoch;
	struct mmu_mirror_tlb_entry entries[MMU_MIRROR_TLB_ENTRIES];
	struct mmu_mirror_tlb_stats stats;
};

void mmu_mirror_tlb_init(struct mmu_mirror_tlb *tlb,
			 struct mmu_mirror *mirror);
int mmu_mirror_tlb_access(struct mmu_mirror_tlb *tlb, u64 sva, void *buf,
			  size_t len, unsigned int access, size_t *done);
void mmu_mirror_tlb_flush(struct mmu_mirror_tlb *tlb);
void mmu_mirror_tlb_revoke_writes(struct mmu_mirror_tlb *tlb);
void mmu_mirror_tlb_get_stats(struct mmu_mirror_tlb *tlb,
			      struct mmu_mirror_tlb_stats *stats);

#endif /* _LINUX_MMU_MIRROR_H */
