// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_table.c - the secondary page table of a mirror
 *
 * A radix table of MMU_MIRROR_LEVELS levels, 512 slots per node, indexed
 * by secondary address.  Level 0 slots map 4 KiB pages; a level 1 slot
 * may hold a 2 MiB leaf.  Every function here runs with mirror->lock held
 * (lockdep checks it) and never sleeps or allocates: new nodes come from a
 * cache the fault path filled before taking the lock.
 */
#include "mmu_mirror_internal.h"

static inline unsigned int pt_shift(unsigned int level)
{
	return PAGE_SHIFT + level * MMU_MIRROR_FANOUT_SHIFT;
}

static inline unsigned int pt_index(u64 sva, unsigned int level)
{
	return (sva >> pt_shift(level)) & (MMU_MIRROR_FANOUT - 1);
}

static inline u64 *pt_child(u64 e)
{
	return (u64 *)(unsigned long)(e & ~MMU_MIRROR_E_FLAGS);
}

static inline u64 pt_pfn(u64 e)
{
	return e >> PAGE_SHIFT;
}

/**
 * mmu_mirror_node_alloc() - allocate one zeroed table node
 * @gfp: allocation flags
 *
 * Context: any context @gfp allows.
 * Return: the node, or NULL.
 */
u64 *mmu_mirror_node_alloc(gfp_t gfp)
{
	return (u64 *)get_zeroed_page(gfp);
}

/**
 * mmu_mirror_node_free() - free a node from mmu_mirror_node_alloc()
 * @node: the node, or NULL
 *
 * Context: any context.
 */
void mmu_mirror_node_free(u64 *node)
{
	if (node)
		free_page((unsigned long)node);
}

/**
 * mmu_mirror_cache_topup() - fill a node cache for one fault batch
 * @cache: the cache
 *
 * Context: process context, may sleep; no helper lock held.
 * Return: 0, or -ENOMEM if fewer than MMU_MIRROR_CACHE_MIN nodes could be
 * allocated.
 */
int mmu_mirror_cache_topup(struct mmu_mirror_node_cache *cache)
{
	might_sleep();
	while (cache->nr < MMU_MIRROR_CACHE_MIN) {
		u64 *node = mmu_mirror_node_alloc(GFP_KERNEL_ACCOUNT);

		if (!node)
			return -ENOMEM;
		cache->nodes[cache->nr++] = node;
	}
	return 0;
}

/**
 * mmu_mirror_cache_drain() - free the nodes a cache still holds
 * @cache: the cache
 *
 * Context: any context.
 */
void mmu_mirror_cache_drain(struct mmu_mirror_node_cache *cache)
{
	while (cache->nr)
		mmu_mirror_node_free(cache->nodes[--cache->nr]);
}

static u64 *pt_cache_take(struct mmu_mirror *mirror,
			  struct mmu_mirror_node_cache *cache)
{
	if (WARN_ON_ONCE(!cache || !cache->nr))
		return NULL;
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(table_nodes), 1);
	return cache->nodes[--cache->nr];
}

static void pt_node_release(struct mmu_mirror *mirror, u64 *node)
{
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(table_nodes), -1);
	mmu_mirror_node_free(node);
}

/* Remove one leaf: propagate the device's dirty and young bits, unpin. */
static void pt_zap_leaf(struct mmu_mirror *mirror, u64 *slot,
			unsigned int level, struct mmu_mirror_zap *zap)
{
	u64 e = *slot;
	unsigned long pages = level ? MMU_MIRROR_HUGE_PAGES : 1;
	struct page *page = pfn_to_page(pt_pfn(e));

	*slot = 0;
	zap->entries++;
	zap->pages += pages;
	/*
	 * The device wrote through this entry, so the page is dirty the way
	 * a CPU pte dirty bit would have made it: writeback and swap-out
	 * must see it before the core VM drops the mapping.
	 */
	if (e & MMU_MIRROR_E_DIRTY) {
		set_page_dirty(page);
		zap->dirty += pages;
	}
	/*
	 * Likewise the accessed bit: a page the device used stays hot for
	 * the LRU after its entry is gone, as a CPU young bit would keep it.
	 */
	if ((e & MMU_MIRROR_E_YOUNG) && !is_zero_pfn(pt_pfn(e)))
		mark_page_accessed(page);
	if (e & MMU_MIRROR_E_PINNED) {
		unpin_user_page(page);
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(pages_pinned), -1);
	}
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries), -1);
}

enum pt_walk_op {
	PT_ZAP,		/* remove leaves, free fully covered nodes */
	PT_TEST_YOUNG,	/* count young leaves */
	PT_CLEAR_YOUNG,	/* count and clear young leaves */
};

struct pt_walk {
	enum pt_walk_op op;
	u64 start;
	u64 end;
	struct mmu_mirror_zap *zap;
	unsigned long young;
};

static void pt_walk_leaf(struct mmu_mirror *mirror, u64 *slot,
			 unsigned int level, struct pt_walk *w)
{
	if (w->op == PT_ZAP) {
		pt_zap_leaf(mirror, slot, level, w->zap);
	} else if (*slot & MMU_MIRROR_E_YOUNG) {
		w->young++;
		if (w->op == PT_CLEAR_YOUNG)
			*slot &= ~MMU_MIRROR_E_YOUNG;
	}
}

/*
 * Visit the slots of @node (at @level, covering secondary addresses from
 * @base) that overlap [w->start, w->end).  A leaf that overlaps only in
 * part is handled whole: a 2 MiB leaf is zapped entirely when any of its
 * pages is invalidated.
 */
static void pt_walk_node(struct mmu_mirror *mirror, u64 *node,
			 unsigned int level, u64 base, struct pt_walk *w)
{
	u64 span = 1ULL << pt_shift(level);
	u64 node_end = base + (span << MMU_MIRROR_FANOUT_SHIFT);
	u64 lo = max(w->start, base);
	u64 hi = min(w->end, node_end);
	unsigned int i;

	if (lo >= hi)
		return;
	for (i = (lo - base) >> pt_shift(level);
	     i < MMU_MIRROR_FANOUT && base + i * span < hi; i++) {
		u64 sbase = base + i * span;
		u64 e = node[i];

		if (!e)
			continue;
		if (!(e & MMU_MIRROR_E_TABLE)) {
			pt_walk_leaf(mirror, &node[i], level, w);
			continue;
		}
		pt_walk_node(mirror, pt_child(e), level - 1, sbase, w);
		if (w->op == PT_ZAP && w->start <= sbase &&
		    w->end >= sbase + span) {
			node[i] = 0;
			pt_node_release(mirror, pt_child(e));
		}
	}
}

static void pt_walk(struct mmu_mirror *mirror, struct pt_walk *w)
{
	lockdep_assert_held(&mirror->lock);
	pt_walk_node(mirror, mirror->root, MMU_MIRROR_LEVELS - 1, 0, w);
}

/**
 * mmu_mirror_pt_leaf() - find the leaf that maps a secondary address
 * @mirror: the mirror
 * @sva: secondary address
 * @level: set to the leaf's level (0, or 1 for a 2 MiB leaf)
 *
 * Context: mirror->lock held.
 * Return: pointer to the leaf slot, or NULL if @sva is not mapped.
 */
u64 *mmu_mirror_pt_leaf(struct mmu_mirror *mirror, u64 sva,
			unsigned int *level)
{
	u64 *node = mirror->root;
	unsigned int l;

	lockdep_assert_held(&mirror->lock);
	for (l = MMU_MIRROR_LEVELS - 1; ; l--) {
		u64 *slot = &node[pt_index(sva, l)];

		if (*slot & MMU_MIRROR_E_PRESENT) {
			*level = l;
			return slot;
		}
		if (!(*slot & MMU_MIRROR_E_TABLE) || l == 0)
			return NULL;
		node = pt_child(*slot);
	}
}

/**
 * mmu_mirror_pt_install() - install one leaf
 * @mirror: the mirror
 * @sva: secondary address, aligned to the leaf size
 * @pfn: first pfn the leaf maps
 * @eflags: MMU_MIRROR_E_WRITE and MMU_MIRROR_E_PINNED as wanted
 * @huge: install a 2 MiB leaf at level 1 instead of a 4 KiB one
 * @cache: nodes to build missing levels from
 * @replaced: accumulates leaves this install had to remove
 *
 * An existing leaf for the same pfn keeps its young and dirty bits.  A
 * leaf of another size or pfn in the way is removed into @replaced, so the
 * caller must have the driver flush when @replaced->entries grows.
 *
 * Context: mirror->lock held.
 * Return: 0 if a new leaf was made, 1 if a leaf for @pfn was already there
 * (the caller drops the extra pin it took, if any), -ENOMEM if @cache ran
 * out (a bug: the cache is sized for the worst case).
 */
int mmu_mirror_pt_install(struct mmu_mirror *mirror, u64 sva, u64 pfn,
			  u64 eflags, bool huge,
			  struct mmu_mirror_node_cache *cache,
			  struct mmu_mirror_zap *replaced)
{
	unsigned int target = huge ? 1 : 0;
	u64 *node = mirror->root;
	unsigned int level;
	u64 *slot, old;

	lockdep_assert_held(&mirror->lock);
	for (level = MMU_MIRROR_LEVELS - 1; level > target; level--) {
		u64 *child;

		slot = &node[pt_index(sva, level)];
		if (*slot & MMU_MIRROR_E_TABLE) {
			node = pt_child(*slot);
			continue;
		}
		if (*slot & MMU_MIRROR_E_PRESENT)
			pt_zap_leaf(mirror, slot, level, replaced);
		child = pt_cache_take(mirror, cache);
		if (!child)
			return -ENOMEM;
		*slot = (u64)(unsigned long)child | MMU_MIRROR_E_TABLE;
		node = child;
	}

	slot = &node[pt_index(sva, target)];
	if (*slot & MMU_MIRROR_E_TABLE) {
		struct pt_walk w = {
			.op = PT_ZAP,
			.start = sva,
			.end = sva + MMU_MIRROR_HUGE_SIZE,
			.zap = replaced,
		};
		u64 *child = pt_child(*slot);

		pt_walk_node(mirror, child, 0, sva, &w);
		*slot = 0;
		pt_node_release(mirror, child);
	}

	old = *slot;
	if ((old & MMU_MIRROR_E_PRESENT) && pt_pfn(old) == pfn &&
	    !(old & MMU_MIRROR_E_HUGE) == !huge) {
		*slot = old | (eflags & MMU_MIRROR_E_WRITE);
		return 1;
	}
	if (old & MMU_MIRROR_E_PRESENT)
		pt_zap_leaf(mirror, slot, target, replaced);

	*slot = (pfn << PAGE_SHIFT) | eflags | MMU_MIRROR_E_PRESENT |
		(huge ? MMU_MIRROR_E_HUGE : 0);
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries), 1);
	return 0;
}

/**
 * mmu_mirror_pt_zap() - remove every leaf overlapping a secondary range
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range
 * @zap: accumulates what was removed
 *
 * Nodes whose whole span lies inside the range are freed.
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_pt_zap(struct mmu_mirror *mirror, u64 start, u64 end,
		       struct mmu_mirror_zap *zap)
{
	struct pt_walk w = { .op = PT_ZAP, .start = start, .end = end,
			     .zap = zap };

	pt_walk(mirror, &w);
}

/**
 * mmu_mirror_pt_age() - test or clear accessed bits in a secondary range
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range
 * @clear: clear the bits found set
 *
 * Context: mirror->lock held; never sleeps.
 * Return: number of leaves that had their accessed bit set.
 */
unsigned long mmu_mirror_pt_age(struct mmu_mirror *mirror, u64 start,
				u64 end, bool clear)
{
	struct pt_walk w = {
		.op = clear ? PT_CLEAR_YOUNG : PT_TEST_YOUNG,
		.start = start,
		.end = end,
	};

	pt_walk(mirror, &w);
	return w.young;
}

/**
 * mmu_mirror_pt_free_all() - empty the table and free every node
 * @mirror: the mirror, no longer reachable by anyone else
 *
 * Pins are dropped and dirty bits propagated as for an invalidation.
 *
 * Context: mirror->lock held.
 */
void mmu_mirror_pt_free_all(struct mmu_mirror *mirror)
{
	struct mmu_mirror_zap zap = { };

	mmu_mirror_pt_zap(mirror, 0, 1ULL << MMU_MIRROR_SVA_BITS, &zap);
	mmu_mirror_node_free(mirror->root);
	mirror->root = NULL;
}
