/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu_mirror_internal.h - private declarations of the mmu_mirror helper
 *
 * This is the one place where the helper names the kernel interfaces it
 * depends on.  The kernel build resolves these includes to the kernel's
 * headers; the userspace model resolves them to tools/include.
 */
#ifndef _MM_MMU_MIRROR_INTERNAL_H
#define _MM_MMU_MIRROR_INTERNAL_H

#include <linux/atomic.h>
#include <linux/backing-dev.h>
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/hmm.h>
#include <linux/highmem.h>
#include <linux/interval_tree.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swap.h>
#include <linux/wait.h>
#include <linux/mmu_mirror.h>

/*
 * Secondary page table geometry: MMU_MIRROR_LEVELS levels of 512 slots;
 * level 0 maps 4 KiB pages, level 1 slots may hold a 2 MiB leaf.
 */
#define MMU_MIRROR_LEVELS	5
#define MMU_MIRROR_FANOUT_SHIFT	9
#define MMU_MIRROR_FANOUT	BIT(MMU_MIRROR_FANOUT_SHIFT)
#define MMU_MIRROR_HUGE_SHIFT	(PAGE_SHIFT + MMU_MIRROR_FANOUT_SHIFT)
#define MMU_MIRROR_HUGE_SIZE	BIT_ULL(MMU_MIRROR_HUGE_SHIFT)
#define MMU_MIRROR_HUGE_PAGES	BIT(MMU_MIRROR_FANOUT_SHIFT)

/*
 * Slot encoding.  A leaf carries the pfn above PAGE_SHIFT and flags below;
 * a table slot carries the page-aligned address of the child node.
 */
#define MMU_MIRROR_E_PRESENT	BIT_ULL(0)	/* valid leaf */
#define MMU_MIRROR_E_WRITE	BIT_ULL(1)	/* device may write */
#define MMU_MIRROR_E_YOUNG	BIT_ULL(2)	/* device accessed */
#define MMU_MIRROR_E_DIRTY	BIT_ULL(3)	/* device wrote */
#define MMU_MIRROR_E_HUGE	BIT_ULL(4)	/* 2 MiB leaf at level 1 */
#define MMU_MIRROR_E_PINNED	BIT_ULL(5)	/* holds a FOLL_PIN per page */
#define MMU_MIRROR_E_TABLE	BIT_ULL(6)	/* pointer to a child node */
#define MMU_MIRROR_E_FLAGS	(BIT_ULL(PAGE_SHIFT) - 1)

/*
 * Fault batch: pages handed to hmm_range_fault() or pinned at once.  At
 * most 512: a batch straddles at most one level 0 node boundary, which
 * MMU_MIRROR_CACHE_MIN counts on.  The model's benchmarks build the helper
 * with smaller values to measure the choice (make -C tools/testing/model
 * bench-batch); the module is always built with 512.
 */
#ifndef MMU_MIRROR_FAULT_BATCH
#define MMU_MIRROR_FAULT_BATCH	512UL
#endif
/*
 * Nodes one batch can need: at most two nodes per level below the root
 * (the batch may straddle a node boundary) plus one for a split.  Faults
 * in notifier mode allocate only what mmu_mirror_pt_nodes_needed() says.
 */
#define MMU_MIRROR_CACHE_MIN	(2 * (MMU_MIRROR_LEVELS - 1) + 1)
#define MMU_MIRROR_CACHE_MAX	16

/**
 * struct mmu_mirror_node_cache - nodes allocated before taking the lock
 * @nr: number of nodes in @nodes
 * @nodes: preallocated, zeroed table nodes
 *
 * The table is only modified under a spinlock that invalidations take, so
 * the fault path allocates before locking (an allocation that entered
 * reclaim could otherwise wait on an invalidation of this very mirror).
 */
struct mmu_mirror_node_cache {
	unsigned int nr;
	u64 *nodes[MMU_MIRROR_CACHE_MAX];
};

/**
 * struct mmu_mirror_pt_cursor - where the last 4 KiB install went
 * @node: the level 0 node it wrote to, or NULL
 * @base: secondary address the node's first slot maps
 *
 * Valid only while mirror->lock stays held and nothing but
 * mmu_mirror_pt_install_4k() changes the table.
 */
struct mmu_mirror_pt_cursor {
	u64 *node;
	u64 base;
};

/**
 * struct mmu_mirror_window - one host range mapped into the mirror
 * @notifier: interval notifier over [hva, hva + size); its sequence count
 *	orders faults against invalidations of the window
 * @hva_node: node in mirror->hva_tree (host addresses, inclusive last)
 * @sva_node: node in mirror->sva_tree (secondary addresses)
 * @list: entry in mirror->windows
 * @mirror: owner
 * @hva: host start address, page aligned
 * @size: length in bytes, page aligned
 * @sva: secondary start address, page aligned
 * @flags: MMU_MIRROR_WINDOW_* flags
 *
 * The trees and list are changed with mirror->windows_sem held for write
 * and mirror->lock held; either lock is enough to read them.
 */
struct mmu_mirror_window {
	struct mmu_interval_notifier notifier;
	struct interval_tree_node hva_node;
	struct interval_tree_node sva_node;
	struct list_head list;
	struct mmu_mirror *mirror;
	unsigned long hva;
	unsigned long size;
	u64 sva;
	unsigned int flags;
};

/**
 * struct mmu_mirror_counters - live counters behind struct mmu_mirror_stats
 * @c: one counter per field of struct mmu_mirror_stats, same order
 */
struct mmu_mirror_counters {
	atomic64_t c[sizeof(struct mmu_mirror_stats) / sizeof(u64)];
};

#define MMU_MIRROR_STAT(field) \
	(offsetof(struct mmu_mirror_stats, field) / sizeof(u64))

/**
 * struct mmu_mirror_deferred - removals an invalidation left to its end
 * @range: the blockable invalidation they belong to, or NULL for none
 * @start: first secondary address of the run still to be removed
 * @end: secondary address after it
 *
 * The windows' callbacks of one blockable invalidation add their
 * secondary ranges to the run while they are contiguous; the mirror's
 * classic invalidate_range_start of the same invalidation, which the
 * core VM calls after all of them, removes the run in bounded holds of
 * mirror->lock before it flushes.
 */
struct mmu_mirror_deferred {
	const struct mmu_notifier_range *range;
	u64 start;
	u64 end;
};

/**
 * struct mmu_mirror - one secondary address space bound to one mm
 * @mn: classic notifier: batched flush, release, aging hooks
 * @mm: the mirrored mm; mmgrab()bed for the mirror's lifetime
 * @ops: driver operations
 * @priv: driver data
 * @flags: MMU_MIRROR_* creation flags
 * @windows_sem: held for read across a fault, for write to add or remove
 *	windows; so a fault's window cannot disappear under it
 * @lock: protects @root and every node below it, @hva_tree, @sva_tree,
 *	@windows (changes also need @windows_sem), @flush_pending,
 *	@deferred, @dead
 *	(written under it, read locklessly with READ_ONCE() too)
 * @root: top table node, never NULL while the mirror lives
 * @hva_tree: windows by host range
 * @sva_tree: windows by secondary range
 * @windows: all windows, for teardown
 * @flush_pending: entries were removed and the driver not yet flushed
 * @deferred: the run of removals one blockable invalidation left to its
 *	classic invalidate_range_start; one invalidation at a time, the
 *	others remove their entries in the windows' callbacks
 * @dead: the mm exited; faults fail with -ESRCH
 * @destroying: mmu_mirror_destroy() runs; @ops->release is not called
 * @age_epoch: bumped under @lock by every aging pass that cleared an
 *	accessed bit; device TLBs (mmu_mirror_tlb.c) read it without the
 *	lock and drop their entries when it moved, so that the device's
 *	next access walks the table and sets the accessed bit again
 * @unpin: pinned mirrors only: MMU_MIRROR_ZAP_CHUNK page pointers where
 *	window removal queues the pins it drops; used with @windows_sem
 *	held for write
 * @dev: the device whose DMA addresses the entries carry, or NULL
 * @node_order: page order of table nodes: 1 in a DMA mirror, whose nodes
 *	keep each leaf's DMA address MMU_MIRROR_FANOUT slots after the leaf
 * @dmaq: DMA mirrors only: mappings of removed entries, undone after the
 *	next flush; under @lock
 * @inflight: device accesses in flight (struct mmu_mirror_inflight);
 *	under @lock
 * @blocked: zaps keeping accesses off their ranges, waiting for those
 *	in flight first (struct mmu_mirror_blocked); under @lock
 * @inflight_wq: where those invalidations wait
 * @stats: counters
 * @debugfs: per-mirror debugfs directory
 * @name: debugfs name
 */
struct mmu_mirror {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	const struct mmu_mirror_ops *ops;
	void *priv;
	unsigned int flags;
	struct rw_semaphore windows_sem;	/* see above */
	spinlock_t lock;		/* see above */
	u64 *root;
	struct rb_root_cached hva_tree;
	struct rb_root_cached sva_tree;
	struct list_head windows;
	bool flush_pending;
	struct mmu_mirror_deferred deferred;
	bool dead;
	bool destroying;
	unsigned long age_epoch;
	struct page **unpin;
	struct device *dev;
	unsigned int node_order;
	struct mmu_mirror_dma_queue *dmaq;
	struct list_head inflight;
	struct list_head blocked;
	wait_queue_head_t inflight_wq;
	struct mmu_mirror_counters stats;
	struct dentry *debugfs;
	char name[48];
};

static inline void mmu_mirror_stat_add(struct mmu_mirror *mirror,
				       unsigned int idx, s64 delta)
{
	atomic64_add(delta, &mirror->stats.c[idx]);
}

static inline bool mmu_mirror_pinned(const struct mmu_mirror *mirror)
{
	return mirror->flags & MMU_MIRROR_PINNED;
}

/*
 * Leaves a blockable zap removes per hold of mirror->lock, and pinned
 * pages it queues for release after dropping it.
 */
#define MMU_MIRROR_ZAP_CHUNK	512UL

/**
 * struct mmu_mirror_zap - what one zap removed
 * @entries: leaves removed
 * @pages: 4 KiB pages those leaves covered
 * @dirty: 4 KiB pages the device had written
 * @unpin: room for @max_unpin pinned pages whose pins must be dropped
 *	once mirror->lock is released and the device flushed: pages to
 *	dirty from the front (@nr_dirty), clean ones from the back
 *	(@nr_clean); NULL where no pinned entry can be met
 * @max_unpin: size of @unpin
 * @nr_dirty: pages queued at the front of @unpin
 * @nr_clean: pages queued at the back of @unpin
 * @run_start: start of the contiguous secondary range removed last and
 *	not yet passed to the driver's unmap operation
 * @run_end: its end; equal to @run_start when there is none
 * @freeing: the pages go with their mappings (an unmap or a discard):
 *	an anonymous page's accessed bit is not passed on, as the core VM
 *	does not pass on its own pte's
 */
struct mmu_mirror_zap {
	unsigned long entries;
	unsigned long pages;
	unsigned long dirty;
	struct page **unpin;
	unsigned int max_unpin;
	unsigned int nr_dirty;
	unsigned int nr_clean;
	u64 run_start;
	u64 run_end;
	bool freeing;
};

/* DMA mappings a DMA mirror undoes per flush at most. */
#define MMU_MIRROR_DMA_QUEUE	512

/**
 * struct mmu_mirror_dma_queue - DMA mappings waiting for a flush
 * @nr: mappings queued
 * @addr: their DMA addresses
 * @huge: whether each one covers 2 MiB rather than 4 KiB
 *
 * The device may use a removed translation until the driver's flush
 * returns, so its DMA mapping must outlive that flush.
 */
struct mmu_mirror_dma_queue {
	unsigned int nr;
	dma_addr_t addr[MMU_MIRROR_DMA_QUEUE];
	bool huge[MMU_MIRROR_DMA_QUEUE];
};

/**
 * struct mmu_mirror_blocked - a zap keeping device accesses off its range
 * @list: entry in mirror->blocked
 * @start: first secondary address it removes
 * @end: secondary address after them
 *
 * mmu_mirror_access_begin() refuses ranges that overlap it, from before
 * the zap waits for the accesses in flight until its last chunk is gone:
 * accesses that keep starting cannot hold it off forever, and none can
 * begin over entries it has yet to remove while it drops mirror->lock
 * between chunks.
 */
struct mmu_mirror_blocked {
	struct list_head list;
	u64 start;
	u64 end;
};

/* Entries one call of the driver's map operation gets at most. */
#define MMU_MIRROR_MAP_BATCH	32

/**
 * struct mmu_mirror_map_batch - new entries waiting for the map operation
 * @sva: secondary address of the first
 * @n: entries gathered
 * @flags: MMU_MIRROR_MAP_* flags they share
 * @addrs: their device addresses
 *
 * Consecutive entries with the same flags go to the driver in one call.
 */
struct mmu_mirror_map_batch {
	u64 sva;
	unsigned int n;
	unsigned int flags;
	u64 addrs[MMU_MIRROR_MAP_BATCH];
};

/* Does the driver own a table, or carry DMA addresses? */
static inline bool mmu_mirror_devtable(const struct mmu_mirror *mirror)
{
	return mirror->ops->map || mirror->dev;
}

/* mmu_mirror_table.c */
u64 *mmu_mirror_node_alloc(struct mmu_mirror *mirror, gfp_t gfp);
void mmu_mirror_node_free(struct mmu_mirror *mirror, u64 *node);
int mmu_mirror_cache_topup(struct mmu_mirror *mirror,
			   struct mmu_mirror_node_cache *cache,
			   unsigned int want);
void mmu_mirror_cache_drain(struct mmu_mirror *mirror,
			    struct mmu_mirror_node_cache *cache);
u64 *mmu_mirror_pt_leaf(struct mmu_mirror *mirror, u64 sva,
			unsigned int *level);
int mmu_mirror_pt_install(struct mmu_mirror *mirror, u64 sva, u64 pfn,
			  u64 eflags, bool huge,
			  struct mmu_mirror_node_cache *cache,
			  struct mmu_mirror_zap *replaced);
int mmu_mirror_pt_install_4k(struct mmu_mirror *mirror,
			     struct mmu_mirror_pt_cursor *cursor, u64 sva,
			     u64 pfn, u64 eflags,
			     struct mmu_mirror_node_cache *cache,
			     struct mmu_mirror_zap *replaced);
unsigned int mmu_mirror_pt_nodes_needed(struct mmu_mirror *mirror,
					u64 start, u64 end);
u64 mmu_mirror_pt_zap(struct mmu_mirror *mirror, u64 start, u64 end,
		      unsigned long budget, struct mmu_mirror_zap *zap);
unsigned long mmu_mirror_pt_age(struct mmu_mirror *mirror, u64 start,
				u64 end, bool clear);
unsigned long mmu_mirror_pt_count(struct mmu_mirror *mirror, u64 start,
				  u64 end, bool write);
void mmu_mirror_pt_mark(struct mmu_mirror *mirror, u64 start, u64 end,
			u64 bits);
void mmu_mirror_pt_set_dma(u64 *slot, dma_addr_t addr);
void mmu_mirror_pt_free_all(struct mmu_mirror *mirror);

/* mmu_mirror_core.c */
struct mmu_mirror_window *mmu_mirror_window_by_sva(struct mmu_mirror *mirror,
						   u64 sva);
void mmu_mirror_account_zap(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap);
void mmu_mirror_flush_locked(struct mmu_mirror *mirror);
void mmu_mirror_unpin_release(struct mmu_mirror *mirror,
			      struct mmu_mirror_zap *zap);
void mmu_mirror_copy_words(void *page_addr, void *buf, size_t len,
			   bool write);

/* mmu_mirror_device.c */
void mmu_mirror_zap_run(struct mmu_mirror *mirror, struct mmu_mirror_zap *zap,
			u64 sva, u64 size);
void mmu_mirror_zap_run_end(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap);
void mmu_mirror_dma_release(struct mmu_mirror *mirror,
			    struct mmu_mirror_zap *zap, dma_addr_t addr,
			    bool huge);
void mmu_mirror_dma_drain(struct mmu_mirror *mirror);
int mmu_mirror_dev_addr(struct mmu_mirror *mirror, struct page *page,
			bool huge, u64 *addr);
void mmu_mirror_dev_addr_drop(struct mmu_mirror *mirror, u64 addr,
			      bool huge);
int mmu_mirror_map_add(struct mmu_mirror *mirror,
		       struct mmu_mirror_map_batch *b, u64 sva, u64 addr,
		       unsigned int flags, struct mmu_mirror_zap *undo);
int mmu_mirror_map_commit(struct mmu_mirror *mirror,
			  struct mmu_mirror_map_batch *b,
			  struct mmu_mirror_zap *undo);
bool mmu_mirror_inflight_overlaps(struct mmu_mirror *mirror, u64 start,
				  u64 end);
void mmu_mirror_block_inflight(struct mmu_mirror *mirror,
			       struct mmu_mirror_blocked *b, u64 start,
			       u64 end);
void mmu_mirror_unblock_locked(struct mmu_mirror *mirror,
			       struct mmu_mirror_blocked *b);
void mmu_mirror_wait_inflight(struct mmu_mirror *mirror, u64 start, u64 end);
bool mmu_mirror_replaces_inflight(struct mmu_mirror *mirror, u64 sva,
				  bool huge, u64 pfn, u64 eflags);

/* mmu_mirror_debugfs.c */
void mmu_mirror_debugfs_init(void);
void mmu_mirror_debugfs_exit(void);
void mmu_mirror_debugfs_add(struct mmu_mirror *mirror);
void mmu_mirror_debugfs_remove(struct mmu_mirror *mirror);

#endif /* _MM_MMU_MIRROR_INTERNAL_H */
