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
 * @mirror: the mirror; its node order says how large a node is
 * @gfp: allocation flags
 *
 * Context: any context @gfp allows.
 * Return: the node, or NULL.
 */
u64 *mmu_mirror_node_alloc(struct mmu_mirror *mirror, gfp_t gfp)
{
	return (u64 *)__get_free_pages(gfp | __GFP_ZERO, mirror->node_order);
}

/**
 * mmu_mirror_node_free() - free a node from mmu_mirror_node_alloc()
 * @mirror: the mirror the node belongs to
 * @node: the node, or NULL
 *
 * Context: any context.
 */
void mmu_mirror_node_free(struct mmu_mirror *mirror, u64 *node)
{
	if (node)
		free_pages((unsigned long)node, mirror->node_order);
}

/**
 * mmu_mirror_cache_topup() - fill a node cache for one fault batch
 * @mirror: the mirror the nodes are for
 * @cache: the cache
 * @want: nodes the batch may need; at most MMU_MIRROR_CACHE_MAX
 *
 * Context: process context, may sleep; no helper lock held.
 * Return: 0, or -ENOMEM if fewer than @want nodes could be allocated.
 */
int mmu_mirror_cache_topup(struct mmu_mirror *mirror,
			   struct mmu_mirror_node_cache *cache,
			   unsigned int want)
{
	might_sleep();
	want = min_t(unsigned int, want, MMU_MIRROR_CACHE_MAX);
	while (cache->nr < want) {
		u64 *node = mmu_mirror_node_alloc(mirror, GFP_KERNEL_ACCOUNT);

		if (!node)
			return -ENOMEM;
		cache->nodes[cache->nr++] = node;
	}
	return 0;
}

/**
 * mmu_mirror_cache_drain() - free the nodes a cache still holds
 * @mirror: the mirror the nodes were for
 * @cache: the cache
 *
 * Context: any context.
 */
void mmu_mirror_cache_drain(struct mmu_mirror *mirror,
			    struct mmu_mirror_node_cache *cache)
{
	while (cache->nr)
		mmu_mirror_node_free(mirror, cache->nodes[--cache->nr]);
}

/*
 * The fault path counts the nodes a batch needs before it drops the lock
 * for hmm_range_fault(); a zap that ran meanwhile may have freed nodes of
 * the path, so running out here is rare but no bug: the caller installs
 * the rest in another round.
 */
static u64 *pt_cache_take(struct mmu_mirror *mirror,
			  struct mmu_mirror_node_cache *cache)
{
	if (!cache || !cache->nr)
		return NULL;
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(table_nodes), 1);
	return cache->nodes[--cache->nr];
}

static void pt_node_release(struct mmu_mirror *mirror, u64 *node)
{
	mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(table_nodes), -1);
	mmu_mirror_node_free(mirror, node);
}

/*
 * Only pages the LRU can hold have an accessed state to pass on: not the
 * zero pages, device memory or driver pages without a mapping.
 */
static bool pt_page_ages(struct page *page)
{
	return !is_zone_device_page(page) &&
	       (PageAnon(page) || page_mapping(page));
}

/*
 * Queue a pinned page for mmu_mirror_unpin_release(): pages the device
 * wrote fill @zap->unpin from the front, clean ones from the back.
 */
static void pt_queue_unpin(struct mmu_mirror_zap *zap, struct page *page,
			   bool dirty)
{
	if (WARN_ON_ONCE(!zap->unpin || zap->nr_dirty + zap->nr_clean >=
			 zap->max_unpin)) {
		/* Not reachable: every pinned zap brings room for its pins. */
		unpin_user_page(page);
		return;
	}
	if (dirty)
		zap->unpin[zap->nr_dirty++] = page;
	else
		zap->unpin[zap->max_unpin - ++zap->nr_clean] = page;
}

/*
 * The accessed and dirty bits a driver-owned table keeps for the leaf at
 * @sva, merged into the helper's copy @e of the leaf.
 */
static u64 pt_harvest(struct mmu_mirror *mirror, u64 e, u64 sva,
		      unsigned int level, bool clear)
{
	u64 size = level ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE;
	unsigned int bits = mirror->ops->harvest(mirror, sva, size, clear);

	if (bits & MMU_MIRROR_HARVEST_YOUNG)
		e |= MMU_MIRROR_E_YOUNG;
	if (bits & MMU_MIRROR_HARVEST_DIRTY)
		e |= MMU_MIRROR_E_DIRTY;
	return e;
}

/*
 * Remove one leaf: propagate the device's dirty and young bits, unpin,
 * and tell a driver-owned table (unmap, DMA unmapping after the flush).
 */
static void pt_zap_leaf(struct mmu_mirror *mirror, u64 *slot,
			unsigned int level, u64 sva,
			struct mmu_mirror_zap *zap)
{
	u64 e = *slot;
	unsigned long pages = level ? MMU_MIRROR_HUGE_PAGES : 1;
	struct page *page = pfn_to_page(pt_pfn(e));
	bool dirty;

	if (mirror->ops->harvest)
		e = pt_harvest(mirror, e, sva, level, false);
	dirty = e & MMU_MIRROR_E_DIRTY;
	*slot = 0;
	if (mmu_mirror_devtable(mirror)) {
		mmu_mirror_zap_run(mirror, zap, sva, pages << PAGE_SHIFT);
		if (mirror->dev) {
			dma_addr_t addr = slot[MMU_MIRROR_FANOUT];

			slot[MMU_MIRROR_FANOUT] = 0;
			mmu_mirror_dma_release(mirror, zap, addr, level);
		}
	}
	zap->entries++;
	zap->pages += pages;
	if (dirty)
		zap->dirty += pages;
	/*
	 * Likewise the accessed bit: a page the device used stays hot for
	 * the LRU after its entry is gone, as zap_pte_range() keeps a file
	 * page's young pte.  Not an anonymous page that an unmap or discard
	 * frees or leaves to other mappings: the core VM drops its own young
	 * bit there, and the device's use has reached reclaim through the
	 * aging hooks while the entry lived.
	 */
	if ((e & MMU_MIRROR_E_YOUNG) && !(zap->freeing && PageAnon(page)) &&
	    pt_page_ages(page))
		mark_page_accessed(page);
	/*
	 * A pinned page may no longer be mapped by the CPU, and a file page
	 * can only be dirtied under its page lock then: both the dirtying
	 * and the unpin wait until the lock is dropped.
	 */
	if (e & MMU_MIRROR_E_PINNED) {
		pt_queue_unpin(zap, page, dirty);
		return;
	}
	/*
	 * The device wrote through this entry, so the page is dirty the way
	 * a CPU pte dirty bit would have made it: writeback and swap-out
	 * must see it before the core VM drops the mapping.  The CPU still
	 * maps the page (every unmap invalidates first, and invalidations
	 * wait for mirror->lock), as zap_pte_range() has it.
	 */
	if (dirty)
		set_page_dirty(page);
}

enum pt_walk_op {
	PT_ZAP,		/* remove leaves, free nodes that become empty */
	PT_TEST_YOUNG,	/* count young leaves */
	PT_CLEAR_YOUNG,	/* count and clear young leaves */
	PT_COUNT,	/* count the pages of the range leaves map */
	PT_MARK,	/* set bits in leaves */
};

/**
 * struct pt_walk - one walk over a secondary range
 * @op: what to do with the leaves
 * @start: first secondary address
 * @end: secondary address after the range
 * @zap: accumulates what PT_ZAP removed
 * @young: young leaves PT_TEST_YOUNG or PT_CLEAR_YOUNG found; pages of
 *	the range PT_COUNT found mapped (writable, with @bits set)
 * @budget: leaves PT_ZAP may still remove before it stops
 * @next: where a stopped PT_ZAP walk resumes; @end once it completed
 * @bits: PT_MARK: leaf bits to set; PT_COUNT: MMU_MIRROR_E_WRITE to count
 *	only writable leaves
 */
struct pt_walk {
	enum pt_walk_op op;
	u64 start;
	u64 end;
	struct mmu_mirror_zap *zap;
	unsigned long young;
	unsigned long budget;
	u64 next;
	u64 bits;
};

/* Test or clear the accessed bit, the device's own one included. */
static void pt_age_leaf(struct mmu_mirror *mirror, u64 *slot,
			unsigned int level, u64 sva, struct pt_walk *w)
{
	bool clear = w->op == PT_CLEAR_YOUNG;
	u64 e = *slot;

	if (mirror->ops->harvest) {
		/* A dirty bit seen now must still reach the page at zap. */
		e = pt_harvest(mirror, e, sva, level, clear);
		*slot |= e & MMU_MIRROR_E_DIRTY;
	}
	if (e & MMU_MIRROR_E_YOUNG) {
		w->young++;
		if (clear)
			*slot &= ~MMU_MIRROR_E_YOUNG;
	}
}

static void pt_walk_leaf(struct mmu_mirror *mirror, u64 *slot,
			 unsigned int level, u64 sva, struct pt_walk *w)
{
	u64 span = level ? MMU_MIRROR_HUGE_SIZE : PAGE_SIZE;

	switch (w->op) {
	case PT_ZAP:
		pt_zap_leaf(mirror, slot, level, sva, w->zap);
		w->budget--;
		break;
	case PT_COUNT:
		if ((*slot & w->bits) == w->bits)
			w->young += (min(w->end, sva + span) -
				     max(w->start, sva)) >> PAGE_SHIFT;
		break;
	case PT_MARK:
		*slot |= w->bits;
		break;
	default:
		pt_age_leaf(mirror, slot, level, sva, w);
	}
}

/*
 * Is @node empty, given that a completed zap emptied its slots strictly
 * between @lo and @hi - 1?  The edge slots may still hold a child the
 * zap covered in part.  The slots next to the zapped ones are looked at
 * first: zapping the small windows of a full node one after the other
 * then finds a live neighbour at once, instead of scanning every slot
 * the earlier zaps emptied.  Otherwise a plain scan decides.
 */
static bool pt_node_empty(const u64 *node, unsigned int lo, unsigned int hi)
{
	unsigned int i;

	if (node[lo] || node[hi - 1] ||
	    (hi < MMU_MIRROR_FANOUT && node[hi]) || (lo && node[lo - 1]))
		return false;
	for (i = 0; i < MMU_MIRROR_FANOUT; i++)
		if (node[i])
			return false;
	return true;
}

static void pt_walk_node(struct mmu_mirror *mirror, u64 *node,
			 unsigned int level, u64 base, struct pt_walk *w);

/*
 * After PT_ZAP walked the child of the table slot @slot at @level, which
 * covers [@sbase, @sbase + @span): free the child if it is empty, so the
 * table shrinks back as entries go.  A child the range covers whole is
 * empty once its walk completed; one covered in part is checked only if
 * the walk removed something (@before: the zap's entries before it).
 * Return: whether the child was freed.
 */
static bool pt_zap_prune(struct mmu_mirror *mirror, u64 *slot,
			 unsigned int level, u64 sbase, u64 span,
			 struct pt_walk *w, unsigned long before)
{
	u64 *child = pt_child(*slot);
	bool whole = w->start <= sbase && w->end >= sbase + span;
	unsigned int cshift = pt_shift(level - 1);
	unsigned int lo, hi;

	if (w->next != w->end && w->next < sbase + span)
		return false;	/* stopped inside this child */
	/* The child's slots the range overlapped: [lo, hi). */
	lo = (max(w->start, sbase) - sbase) >> cshift;
	hi = (min(w->end, sbase + span) - sbase + (1ULL << cshift) - 1) >>
	     cshift;
	if (!whole &&
	    (w->zap->entries == before || !pt_node_empty(child, lo, hi)))
		return false;
	*slot = 0;
	pt_node_release(mirror, child);
	return true;
}

/* PT_ZAP below the table slot @slot, then free its child if emptied. */
static void pt_zap_child(struct mmu_mirror *mirror, u64 *slot,
			 unsigned int level, u64 sbase, u64 span,
			 struct pt_walk *w)
{
	unsigned long before = w->zap->entries;

	pt_walk_node(mirror, pt_child(*slot), level - 1, sbase, w);
	pt_zap_prune(mirror, slot, level, sbase, span, w, before);
}

/*
 * Visit the slots of @node (at @level, covering secondary addresses from
 * @base) that overlap [w->start, w->end).  A leaf that overlaps only in
 * part is handled whole: a 2 MiB leaf is zapped entirely when any of its
 * pages is invalidated.  PT_ZAP stops at a slot boundary when its budget
 * is spent and records where to resume in w->next.
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

		if (w->next != w->end)
			return;		/* stopped further down */
		if (!e)
			continue;
		if (w->op == PT_ZAP && !w->budget) {
			w->next = max(sbase, w->start);
			return;
		}
		if (!(e & MMU_MIRROR_E_TABLE))
			pt_walk_leaf(mirror, &node[i], level, sbase, w);
		else if (w->op == PT_ZAP)
			pt_zap_child(mirror, &node[i], level, sbase, span, w);
		else
			pt_walk_node(mirror, pt_child(e), level - 1, sbase, w);
	}
}

/*
 * The walk covers only what the table can hold.  It starts at the lowest
 * node one of whose slots holds the whole range, reached by a plain
 * descent: a small range (a window of a few pages) then costs one visit
 * of the slots it covers, not a visit of every level on the way.  A zap
 * frees the nodes of the descent it emptied on the way back up.
 */
static void pt_walk(struct mmu_mirror *mirror, struct pt_walk *w)
{
	u64 *path[MMU_MIRROR_LEVELS];
	unsigned int level = MMU_MIRROR_LEVELS - 1;
	u64 *node = mirror->root, base = 0;
	unsigned long before = w->zap ? w->zap->entries : 0;

	lockdep_assert_held(&mirror->lock);
	w->end = min_t(u64, w->end, MMU_MIRROR_SVA_LIMIT);
	w->next = w->end;
	if (w->start >= w->end)
		return;
	while (level) {
		unsigned int i = pt_index(w->start, level);

		if (pt_index(w->end - 1, level) != i ||
		    !(node[i] & MMU_MIRROR_E_TABLE))
			break;
		path[level] = node;
		base += (u64)i << pt_shift(level);
		node = pt_child(node[i]);
		level--;
	}
	pt_walk_node(mirror, node, level, base, w);
	if (w->op != PT_ZAP)
		return;
	for (; level < MMU_MIRROR_LEVELS - 1; level++) {
		u64 span = 1ULL << pt_shift(level + 1);
		u64 *slot = &path[level + 1][pt_index(base, level + 1)];

		if (!pt_zap_prune(mirror, slot, level + 1, base, span, w,
				  before))
			break;
		base &= ~((span << MMU_MIRROR_FANOUT_SHIFT) - 1);
	}
}

/**
 * mmu_mirror_pt_leaf() - find the leaf that maps a secondary address
 * @mirror: the mirror
 * @sva: secondary address
 * @level: set to the leaf's level (0, or 1 for a 2 MiB leaf)
 *
 * Context: mirror->lock held.
 * Return: pointer to the leaf slot, or NULL if @sva is not mapped (or
 * lies at or above MMU_MIRROR_SVA_LIMIT).
 */
u64 *mmu_mirror_pt_leaf(struct mmu_mirror *mirror, u64 sva,
			unsigned int *level)
{
	u64 *node = mirror->root;
	unsigned int l;

	lockdep_assert_held(&mirror->lock);
	/* Above the table's reach, the index bits would alias lower slots. */
	if (sva >= MMU_MIRROR_SVA_LIMIT)
		return NULL;
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

/*
 * The node holding the level @target slot of @sva, building missing
 * levels from @cache; a leaf in the way of a missing level is removed
 * into @replaced.  NULL when @cache ran out.
 */
static u64 *pt_walk_down(struct mmu_mirror *mirror, u64 sva,
			 unsigned int target,
			 struct mmu_mirror_node_cache *cache,
			 struct mmu_mirror_zap *replaced)
{
	u64 *node = mirror->root;
	unsigned int level;

	for (level = MMU_MIRROR_LEVELS - 1; level > target; level--) {
		u64 *slot = &node[pt_index(sva, level)];
		u64 *child;

		if (*slot & MMU_MIRROR_E_TABLE) {
			node = pt_child(*slot);
			continue;
		}
		child = pt_cache_take(mirror, cache);
		if (!child)
			return NULL;
		if (*slot & MMU_MIRROR_E_PRESENT)
			pt_zap_leaf(mirror, slot, level,
				    sva & ~((1ULL << pt_shift(level)) - 1),
				    replaced);
		*slot = (u64)(unsigned long)child | MMU_MIRROR_E_TABLE;
		node = child;
	}
	return node;
}

/*
 * Write a leaf into @slot at @level: an existing leaf for the same pfn
 * and size keeps its young and dirty bits (returns 1), any other is
 * removed into @replaced first (returns 0).
 */
static int pt_set_leaf(struct mmu_mirror *mirror, u64 *slot,
		       unsigned int level, u64 sva, u64 pfn, u64 eflags,
		       struct mmu_mirror_zap *replaced)
{
	bool huge = level;
	u64 old = *slot;

	if (old & MMU_MIRROR_E_PRESENT) {
		/*
		 * A driver-owned table learns of entries only through map, so
		 * a read-only entry made writable is replaced, not upgraded.
		 */
		bool upgrade = (eflags & ~old & MMU_MIRROR_E_WRITE) &&
			       mmu_mirror_devtable(mirror);

		if (pt_pfn(old) == pfn && !(old & MMU_MIRROR_E_HUGE) == !huge &&
		    !upgrade) {
			*slot = old | (eflags & MMU_MIRROR_E_WRITE);
			return 1;
		}
		pt_zap_leaf(mirror, slot, level, sva, replaced);
	}
	*slot = (pfn << PAGE_SHIFT) | eflags | MMU_MIRROR_E_PRESENT |
		(huge ? MMU_MIRROR_E_HUGE : 0);
	return 0;
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
 * Counts the new leaf in the entries statistic; mmu_mirror_pt_install_4k()
 * is the cheaper way to install runs of 4 KiB leaves.
 *
 * Context: mirror->lock held.
 * Return: 0 if a new leaf was made, 1 if a leaf for @pfn was already there
 * (the caller drops the extra pin it took, if any), -ENOMEM if @cache ran
 * out (the caller tops it up and tries again).
 */
int mmu_mirror_pt_install(struct mmu_mirror *mirror, u64 sva, u64 pfn,
			  u64 eflags, bool huge,
			  struct mmu_mirror_node_cache *cache,
			  struct mmu_mirror_zap *replaced)
{
	unsigned int target = huge ? 1 : 0;
	u64 *node, *slot;
	int ret;

	lockdep_assert_held(&mirror->lock);
	/* Callers install inside windows, which lie below the limit. */
	if (WARN_ON_ONCE(sva >= MMU_MIRROR_SVA_LIMIT))
		return -EFAULT;
	node = pt_walk_down(mirror, sva, target, cache, replaced);
	if (!node)
		return -ENOMEM;

	slot = &node[pt_index(sva, target)];
	if (*slot & MMU_MIRROR_E_TABLE) {
		struct pt_walk w = {
			.op = PT_ZAP,
			.start = sva,
			.end = sva + MMU_MIRROR_HUGE_SIZE,
			.zap = replaced,
			.budget = ULONG_MAX,
			.next = sva + MMU_MIRROR_HUGE_SIZE,
		};
		u64 *child = pt_child(*slot);

		pt_walk_node(mirror, child, 0, sva, &w);
		*slot = 0;
		pt_node_release(mirror, child);
	}
	ret = pt_set_leaf(mirror, slot, target, sva, pfn, eflags, replaced);
	if (!ret)
		mmu_mirror_stat_add(mirror, MMU_MIRROR_STAT(entries), 1);
	return ret;
}

/**
 * mmu_mirror_pt_install_4k() - install a 4 KiB leaf through a cursor
 * @mirror: the mirror
 * @cursor: the level 0 node of the previous call and the secondary
 *	address it starts at; zeroed before the first call, and again after
 *	anything else changed the table (mirror->lock dropped, a 2 MiB leaf
 *	installed)
 * @sva: page-aligned secondary address below MMU_MIRROR_SVA_LIMIT
 * @pfn: the pfn to map
 * @eflags: MMU_MIRROR_E_WRITE and MMU_MIRROR_E_PINNED as wanted
 * @cache: nodes to build missing levels from
 * @replaced: accumulates leaves this install had to remove
 *
 * As mmu_mirror_pt_install() for a 4 KiB leaf, but the table is walked
 * from the root only once per 2 MiB the installs move through, and the
 * entries statistic is left to the caller, which counts the calls that
 * returned 0 and adds them once.
 *
 * Context: mirror->lock held.
 * Return: 0 for a new leaf, 1 if it was there already, -ENOMEM if @cache
 * ran out.
 */
int mmu_mirror_pt_install_4k(struct mmu_mirror *mirror,
			     struct mmu_mirror_pt_cursor *cursor, u64 sva,
			     u64 pfn, u64 eflags,
			     struct mmu_mirror_node_cache *cache,
			     struct mmu_mirror_zap *replaced)
{
	u64 base = sva & ~(MMU_MIRROR_HUGE_SIZE - 1);

	/* Checked as the cursor moves: a run holds the lock throughout. */
	if (!cursor->node || cursor->base != base) {
		lockdep_assert_held(&mirror->lock);
		cursor->node = pt_walk_down(mirror, sva, 0, cache, replaced);
		if (!cursor->node)
			return -ENOMEM;
		cursor->base = base;
	}
	return pt_set_leaf(mirror, &cursor->node[pt_index(sva, 0)], 0, sva,
			   pfn, eflags, replaced);
}

/**
 * mmu_mirror_pt_nodes_needed() - nodes installing 4 KiB leaves would add
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range, at most 2 MiB after @start
 *
 * An upper bound on the nodes mmu_mirror_pt_install_4k() and
 * mmu_mirror_pt_install() need for [@start, @end) as the table is now,
 * so that the fault path allocates only what it may use.
 *
 * Context: mirror->lock held.
 * Return: the number of nodes, at most 2 * (MMU_MIRROR_LEVELS - 1).
 */
unsigned int mmu_mirror_pt_nodes_needed(struct mmu_mirror *mirror,
					u64 start, u64 end)
{
	u64 addr[2] = { start, end - 1 };
	unsigned int i, n = 0;

	lockdep_assert_held(&mirror->lock);
	for (i = 0; i < 2; i++) {
		u64 *node = mirror->root;
		unsigned int level;

		if (i && (addr[1] ^ addr[0]) < MMU_MIRROR_HUGE_SIZE)
			break;	/* same level 0 node */
		for (level = MMU_MIRROR_LEVELS - 1; level > 0; level--) {
			u64 e = node[pt_index(addr[i], level)];

			if (!(e & MMU_MIRROR_E_TABLE)) {
				n += level;
				break;
			}
			node = pt_child(e);
		}
	}
	return n;
}

/**
 * mmu_mirror_pt_zap() - remove leaves overlapping a secondary range
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range
 * @budget: remove at most this many leaves, then stop
 * @zap: accumulates what was removed; pinned pages are queued in
 *	@zap->unpin, whose free room must be at least @budget
 *
 * Nodes that become empty are freed.  A caller that must not hold
 * mirror->lock for long passes a bounded @budget and calls again from
 * the returned address after dropping the lock.
 *
 * Context: mirror->lock held; never sleeps.
 * Return: @end (or MMU_MIRROR_SVA_LIMIT if @end is above it) when the
 * whole range was zapped, else where to resume.
 */
u64 mmu_mirror_pt_zap(struct mmu_mirror *mirror, u64 start, u64 end,
		      unsigned long budget, struct mmu_mirror_zap *zap)
{
	struct pt_walk w = { .op = PT_ZAP, .start = start, .end = end,
			     .zap = zap, .budget = budget };

	pt_walk(mirror, &w);
	return w.next;
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
	/* Device TLBs drop their entries, see struct mmu_mirror_tlb. */
	if (clear && w.young)
		WRITE_ONCE(mirror->age_epoch, mirror->age_epoch + 1);
	return w.young;
}

/**
 * mmu_mirror_pt_count() - pages of a secondary range the table maps
 * @mirror: the mirror
 * @start: first secondary address, page aligned
 * @end: secondary address after the range, page aligned
 * @write: count only pages mapped writable
 *
 * Context: mirror->lock held; never sleeps.
 * Return: the number of 4 KiB pages of [@start, @end) with an entry.
 */
unsigned long mmu_mirror_pt_count(struct mmu_mirror *mirror, u64 start,
				  u64 end, bool write)
{
	struct pt_walk w = {
		.op = PT_COUNT,
		.start = start,
		.end = end,
		.bits = MMU_MIRROR_E_PRESENT | (write ? MMU_MIRROR_E_WRITE : 0),
	};

	pt_walk(mirror, &w);
	return w.young;
}

/**
 * mmu_mirror_pt_mark() - set bits in the leaves of a secondary range
 * @mirror: the mirror
 * @start: first secondary address
 * @end: secondary address after the range
 * @bits: MMU_MIRROR_E_YOUNG and MMU_MIRROR_E_DIRTY as wanted
 *
 * Context: mirror->lock held; never sleeps.
 */
void mmu_mirror_pt_mark(struct mmu_mirror *mirror, u64 start, u64 end,
			u64 bits)
{
	struct pt_walk w = { .op = PT_MARK, .start = start, .end = end,
			     .bits = bits };

	pt_walk(mirror, &w);
}

/**
 * mmu_mirror_pt_set_dma() - record the DMA address of a DMA mirror's leaf
 * @slot: the leaf, in a node of a mirror made by mmu_mirror_create_dev()
 * @addr: the DMA address of the memory the leaf maps
 *
 * Context: mirror->lock held.
 */
void mmu_mirror_pt_set_dma(u64 *slot, dma_addr_t addr)
{
	slot[MMU_MIRROR_FANOUT] = addr;
}

/**
 * mmu_mirror_pt_free_all() - free every node of an empty table
 * @mirror: the mirror, no longer reachable by anyone else, every window
 *	removed (so no entry is left: entries only exist inside windows)
 *
 * Context: mirror->lock held.
 */
void mmu_mirror_pt_free_all(struct mmu_mirror *mirror)
{
	struct mmu_mirror_zap zap = { };

	mmu_mirror_pt_zap(mirror, 0, MMU_MIRROR_SVA_LIMIT, ULONG_MAX, &zap);
	WARN_ON_ONCE(zap.entries);
	mmu_mirror_node_free(mirror, mirror->root);
	mirror->root = NULL;
}
