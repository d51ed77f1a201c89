// SPDX-License-Identifier: GPL-2.0
/*
 * checker.c - invariant checker of the userspace model
 *
 * Sources enumerate secondary entries; the hooks in the notifier core and
 * the frame allocator run the checks of <model/checker.h> against them.
 * The mmu_mirror source finds every live mirror through the debugfs
 * registry, where mmu_mirror_debugfs_add() left the mirror as the private
 * data of its "stats" file; the registry lock keeps the mirror alive
 * while its table is walked under mirror->lock.  A check over all host
 * addresses walks the whole table, not just the windows' parts of it, and
 * maps each leaf back through the window that holds its secondary
 * address: a leaf that no window holds is an orphan, invariant (e).
 * The device TLB source finds every struct mmu_mirror_tlb the same way
 * (mmu_mirror_tlb_init() publishes it as a "tlb-<n>" file of its
 * mirror's directory) and reports each cached translation as an entry
 * of one page, so every invariant holds for what devices cache too.
 *
 * Lock order: sources_lock (a pthread rwlock, read side in the checks) ->
 * the debugfs tree lock -> mirror->lock -> a TLB's lock.  Contexts that
 * may not sleep use trylocks only and skip what they cannot lock.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"

#define CHECKER_MAX_SOURCES	16
#define CHECKER_MAX_REPORTS	20

struct checker_source {
	const char *name;
	checker_source_fn fn;
	void *ctx;
};

/* sources_lock protects sources[] and nr_sources. */
static pthread_rwlock_t sources_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct checker_source sources[CHECKER_MAX_SOURCES];
static unsigned int nr_sources;
static bool checker_on;
static bool checker_verbose = true;
static atomic_long_t violations;
static atomic_long_t expected;
static atomic_long_t reports;
static atomic_long_t by_kind[5];	/* violations of (a)..(e); (d) unused */

static void checker_rdlock(void)
{
	if (pthread_rwlock_rdlock(&sources_lock))
		model_bug(__FILE__, __LINE__, "checker: rdlock");
}

static void checker_wrlock(void)
{
	if (pthread_rwlock_wrlock(&sources_lock))
		model_bug(__FILE__, __LINE__, "checker: wrlock");
}

static void checker_unlock(void)
{
	if (pthread_rwlock_unlock(&sources_lock))
		model_bug(__FILE__, __LINE__, "checker: unlock");
}

static void __printf(4, 5)
checker_report(char kind, const char *src, const struct checker_entry *e,
	       const char *fmt, ...)
{
	va_list ap;
	char msg[160];

	atomic_long_inc(&violations);
	atomic_long_inc(&by_kind[kind - 'a']);
	if (!READ_ONCE(checker_verbose) ||
	    atomic64_inc_return(&reports) > CHECKER_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# checker: VIOLATION (%c) %s: source %s,", kind, msg, src);
	printf(" entry %s %#lx pfn %lu (%lu page%s%s)\n",
	       e->orphan ? "sva" : "hva", e->hva, e->pfn, e->npages,
	       e->npages == 1 ? "" : "s", e->pinned ? ", pinned" : "");
	fflush(stdout);
}

/**
 * checker_register_source() - add an enumerator of secondary entries
 * @name: name printed in diagnostics; must outlive the registration
 * @fn: the enumerator
 * @ctx: passed to @fn; identifies the source for unregistering
 *
 * Context: process context; takes the sources lock.
 * Return: 0, or -ENOSPC when too many sources are registered.
 */
int checker_register_source(const char *name, checker_source_fn fn,
			    void *ctx)
{
	int ret = -ENOSPC;

	checker_wrlock();
	if (nr_sources < CHECKER_MAX_SOURCES) {
		sources[nr_sources].name = name;
		sources[nr_sources].fn = fn;
		sources[nr_sources].ctx = ctx;
		nr_sources++;
		ret = 0;
	}
	checker_unlock();
	return ret;
}

/**
 * checker_unregister_source() - remove a source
 * @ctx: the context it was registered with
 *
 * Waits for running checks, so the source may be freed on return.
 *
 * Context: process context; takes the sources lock.
 */
void checker_unregister_source(void *ctx)
{
	unsigned int i;

	checker_wrlock();
	for (i = 0; i < nr_sources; i++) {
		if (sources[i].ctx != ctx)
			continue;
		sources[i] = sources[--nr_sources];
		break;
	}
	checker_unlock();
}

/* Run every source over @mm; the visitor's arg gets the source name. */
struct checker_walk {
	const char *src;
	unsigned long start;
	unsigned long end;
	unsigned long pfn;
	void *priv;
	checker_visit_fn visit;
};

/* (e) for every orphan a source reports, then the check's own visitor. */
static void checker_visit(const struct checker_entry *e, void *arg)
{
	struct checker_walk *w = arg;

	if (e->orphan)
		checker_report('e', w->src, e,
			       "lies in no window: no invalidation can reach it");
	w->visit(e, w);
}

static void checker_for_each(struct mm_struct *mm, unsigned long start,
			     unsigned long end, checker_visit_fn visit,
			     struct checker_walk *w)
{
	bool nowait = !model_may_sleep();
	unsigned int i;

	if (!READ_ONCE(checker_on))
		return;
	w->visit = visit;
	checker_rdlock();
	for (i = 0; i < nr_sources; i++) {
		w->src = sources[i].name;
		sources[i].fn(sources[i].ctx, mm, start, end, nowait,
			      checker_visit, w);
	}
	checker_unlock();
}

/* (a): called from the notifier core once every subscriber has run. */
static void visit_mapped_in_range(const struct checker_entry *e, void *arg)
{
	struct checker_walk *w = arg;
	unsigned long end = e->hva + e->npages * PAGE_SIZE;

	/* An orphan translates no known host address; (e) reported it. */
	if (e->orphan || e->pinned || end <= w->start || e->hva >= w->end)
		return;
	checker_report('a', w->src, e,
		       "maps a page of [%#lx, %#lx) after invalidate_range_start returned",
		       w->start, w->end);
}

/*
 * Invariant (a), when an invalidation's start is about to return
 * successfully (the notifier core's observer hook, after all subscribers
 * ran, in the invalidating thread).
 */
static void checker_invalidate_start(const struct mmu_notifier_range *range)
{
	struct checker_walk w = { .start = range->start, .end = range->end };

	checker_for_each(range->mm, range->start, range->end,
			 visit_mapped_in_range, &w);
}

/* (b): no page of the entry may be free, nor reused since it was seen. */
static void visit_frames_live(const struct checker_entry *e, void *arg)
{
	struct checker_walk *w = arg;
	unsigned long i;

	for (i = 0; i < e->npages; i++) {
		struct page *page = pfn_to_page(e->pfn + i);

		if (!atomic_read(&page->_refcount)) {
			checker_report('b', w->src, e,
				       "references freed frame %lu",
				       e->pfn + i);
			return;
		}
		if (e->has_gen && !i &&
		    atomic64_read(&page->generation) != e->gen) {
			checker_report('b', w->src, e,
				       "frame %lu was freed and reused since it was mapped",
				       e->pfn);
			return;
		}
	}
}

/* Invariant (b) for an mm, when an invalidation has ended (observer). */
static void checker_invalidate_end(const struct mmu_notifier_range *range)
{
	struct checker_walk w = { };

	checker_for_each(range->mm, 0, ULONG_MAX, visit_frames_live, &w);
}

static void visit_maps_pfn(const struct checker_entry *e, void *arg)
{
	struct checker_walk *w = arg;

	if (w->pfn >= e->pfn && w->pfn < e->pfn + e->npages)
		checker_report('b', w->src, e,
			       "frame %lu freed while mapped", w->pfn);
}

/**
 * checker_frame_free() - check that no entry maps a frame being freed
 * @page: the frame, whose last reference was just dropped
 *
 * Context: any; the frame is not yet poisoned or on the free list.
 */
void checker_frame_free(struct page *page)
{
	struct checker_walk w = { .pfn = page_to_pfn(page) };
	long maps = model_dma_frame_maps(w.pfn);

	checker_for_each(NULL, 0, ULONG_MAX, visit_maps_pfn, &w);
	/* A device may still reach a frame that is DMA-mapped. */
	if (maps) {
		struct checker_entry e = { .pfn = w.pfn, .npages = 1 };

		checker_report('b', "dma-api", &e,
			       "frame freed with %ld DMA mappings alive", maps);
	}
}

/* Entries copied out of the sources, checked without their locks. */
struct checker_found {
	struct checker_entry e;
	const char *src;
};

struct checker_list {
	const char *only;
	struct checker_found *v;
	size_t nr;
	size_t cap;
};

static void visit_collect(const struct checker_entry *e, void *arg)
{
	struct checker_walk *w = arg;
	struct checker_list *l = w->priv;

	if (l->only && strcmp(l->only, w->src))
		return;
	if (l->nr == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			model_bug(__FILE__, __LINE__, "checker: out of memory");
	}
	l->v[l->nr++] = (struct checker_found){ *e, w->src };
}

static void checker_collect(struct mm_struct *mm, struct checker_list *l)
{
	struct checker_walk w = { .priv = l };

	checker_for_each(mm, 0, ULONG_MAX, visit_collect, &w);
}

/* A coherent entry must translate to the frame the CPU maps. */
static unsigned long checker_pte_agrees(struct mm_struct *mm,
					const struct checker_found *f)
{
	unsigned long i, bad = 0;

	for (i = 0; i < f->e.npages; i++) {
		u64 pte = model_pte_read(mm, f->e.hva + i * PAGE_SIZE);

		if ((pte & MODEL_PTE_PRESENT) &&
		    model_pte_pfn(pte) == f->e.pfn + i)
			continue;
		checker_report('b', f->src, &f->e,
			       "stale: the CPU maps %s at %#lx",
			       pte & MODEL_PTE_PRESENT ? "another frame" :
							 "nothing",
			       f->e.hva + i * PAGE_SIZE);
		bad++;
		break;
	}
	return bad;
}

/**
 * checker_checkpoint() - check invariant (b) thoroughly at a quiet point
 * @mm: the mm whose entries are checked
 *
 * Every entry must reference a live frame and, unless pinned, the very
 * frame the CPU page table maps at its address: a frame that was freed
 * and reused since the entry was made fails the second test.  The caller
 * makes sure nothing changes @mm or the sources meanwhile.
 *
 * Context: process context, may sleep; takes @mm's mmap_lock for read.
 * Return: the number of violations found.
 */
unsigned long checker_checkpoint(struct mm_struct *mm)
{
	unsigned long before = atomic_long_read(&violations);
	struct checker_list l = { };
	struct checker_walk w = { };
	size_t i;

	might_sleep();
	checker_collect(mm, &l);
	for (i = 0; i < l.nr; i++) {
		w.src = l.v[i].src;
		visit_frames_live(&l.v[i].e, &w);
	}
	if (l.nr && mmget_not_zero(mm)) {
		mmap_read_lock(mm);
		for (i = 0; i < l.nr; i++)
			if (!l.v[i].e.pinned && !l.v[i].e.orphan)
				checker_pte_agrees(mm, &l.v[i]);
		mmap_read_unlock(mm);
		mmput(mm);
	}
	free(l.v);
	return atomic_long_read(&violations) - before;
}

/**
 * checker_compare() - check invariant (c): secondary data equals the CPU's
 * @mm: the mm
 * @source: name of the source to check, or NULL for all
 *
 * Reads each page through the frame of every entry and through the CPU
 * (model_cpu_access()); any difference is a violation.  The caller makes
 * sure nothing changes @mm or the sources meanwhile.
 *
 * Context: process context, may sleep.
 * Return: the number of pages that differ.
 */
unsigned long checker_compare(struct mm_struct *mm, const char *source)
{
	static __thread unsigned char cpu[PAGE_SIZE];
	struct checker_list l = { .only = source };
	unsigned long bad = 0;
	size_t i, j;

	might_sleep();
	checker_collect(mm, &l);
	for (i = 0; i < l.nr; i++) {
		const struct checker_entry *e = &l.v[i].e;

		if (e->orphan)
			continue;
		for (j = 0; j < e->npages; j++) {
			void *dev = page_address(pfn_to_page(e->pfn + j));
			unsigned long hva = e->hva + j * PAGE_SIZE;

			if (!model_cpu_access(mm, hva, cpu, PAGE_SIZE, false) &&
			    !memcmp(dev, cpu, PAGE_SIZE))
				continue;
			checker_report('c', l.v[i].src, e,
				       "data at %#lx differs from the CPU's",
				       hva);
			bad++;
		}
	}
	free(l.v);
	return bad;
}

/**
 * checker_teardown_ok() - check invariant (d) at the end of a program
 *
 * Context: process context, after every test; prints what is wrong.
 * Return: true if no allocation, frame, held lock or unexpected violation
 * is left.
 */
bool checker_teardown_ok(void)
{
	bool ok = true;

	if (model_slab_live()) {
		printf("# checker: %ld allocations still live\n",
		       model_slab_live());
		ok = false;
	}
	if (model_frames_used()) {
		printf("# checker: %lu frames still in use\n",
		       model_frames_used());
		ok = false;
	}
	if (model_locks_held()) {
		printf("# checker: %u locks still held\n", model_locks_held());
		ok = false;
	}
	if (checker_unexpected()) {
		printf("# checker: %lu unexpected violations\n",
		       checker_unexpected());
		ok = false;
	}
	return ok;
}

/**
 * checker_violations() - violations found so far
 *
 * Context: any.
 * Return: the count, including expected ones.
 */
unsigned long checker_violations(void)
{
	return atomic_long_read(&violations);
}

/**
 * checker_count() - violations of one invariant found so far
 * @inv: 'a', 'b', 'c' or 'e'
 *
 * Context: any.
 * Return: the count, including expected ones.
 */
unsigned long checker_count(char inv)
{
	if (inv < 'a' || inv > 'e')
		return 0;
	return atomic_long_read(&by_kind[inv - 'a']);
}

/**
 * checker_unexpected() - violations that no test declared expected
 *
 * Context: any.
 * Return: the count.
 */
unsigned long checker_unexpected(void)
{
	return atomic_long_read(&violations) - atomic_long_read(&expected);
}

/**
 * checker_expect() - declare violations a negative test provoked on purpose
 * @n: how many of the violations counted so far were expected
 *
 * Context: any.
 */
void checker_expect(unsigned long n)
{
	atomic_long_add(n, &expected);
}

/**
 * checker_set_verbose() - print diagnostics or only count violations
 * @verbose: print (the default)
 *
 * Context: any.
 */
void checker_set_verbose(bool verbose)
{
	WRITE_ONCE(checker_verbose, verbose);
}

struct mirror_walk {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	bool nowait;
	checker_visit_fn visit;
	void *arg;
};

/*
 * One leaf at secondary address @sva: its host address comes from the
 * window holding @sva, which must hold the whole leaf; otherwise it is an
 * orphan (its hva field then carries @sva).  mirror->lock held.
 */
static void mirror_visit_leaf(struct mmu_mirror *mirror, u64 sva, u64 e,
			      unsigned long npages, struct mirror_walk *w)
{
	struct mmu_mirror_window *win = mmu_mirror_window_by_sva(mirror, sva);
	u64 send = sva + npages * PAGE_SIZE;
	struct checker_entry ce = {
		.hva = (unsigned long)sva,
		.pfn = e >> PAGE_SHIFT,
		.npages = npages,
		.pinned = e & MMU_MIRROR_E_PINNED,
	};

	if (!win || send > win->sva + win->size) {
		ce.orphan = true;
	} else {
		ce.hva = win->hva + (unsigned long)(sva - win->sva);
		if (ce.hva >= w->end || ce.hva + npages * PAGE_SIZE <= w->start)
			return;
	}
	w->visit(&ce, w->arg);
}

/* Walk the leaves of a mirror's table that overlap secondary [lo, hi). */
static void mirror_walk_node(struct mmu_mirror *mirror, const u64 *node,
			     unsigned int level, u64 base, u64 lo, u64 hi,
			     struct mirror_walk *w)
{
	unsigned int shift = PAGE_SHIFT + level * MMU_MIRROR_FANOUT_SHIFT;
	u64 span = 1ULL << shift;
	unsigned int i = lo > base ? (lo - base) >> shift : 0;

	for (; i < MMU_MIRROR_FANOUT && base + i * span < hi; i++) {
		u64 sbase = base + i * span, e = node[i];

		if (!e)
			continue;
		if (e & MMU_MIRROR_E_TABLE) {
			const u64 *child = (const u64 *)(unsigned long)
					   (e & ~MMU_MIRROR_E_FLAGS);

			if (level)
				mirror_walk_node(mirror, child, level - 1,
						 sbase, lo, hi, w);
			continue;
		}
		if (e & MMU_MIRROR_E_PRESENT)
			mirror_visit_leaf(mirror, sbase, e,
					  level ? MMU_MIRROR_HUGE_PAGES : 1, w);
	}
}

/*
 * Every leaf that may translate a host address in [w->start, w->end).  A
 * check over all host addresses walks the whole table, so that it also
 * finds leaves no window holds; a narrower one only the windows' parts.
 */
static void mirror_walk_one(void *data, void *arg)
{
	struct mmu_mirror *mirror = data;
	struct mirror_walk *w = arg;
	struct mmu_mirror_window *win;
	bool held = model_lock_held(&mirror->lock);

	if (w->mm && mirror->mm != w->mm)
		return;
	if (!held) {
		if (!w->nowait)
			spin_lock(&mirror->lock);
		else if (!spin_trylock(&mirror->lock))
			return;
	}
	if (!mirror->root)
		goto out;
	if (!w->start && w->end == ULONG_MAX) {
		mirror_walk_node(mirror, mirror->root, MMU_MIRROR_LEVELS - 1, 0,
				 0, 1ULL << MMU_MIRROR_SVA_BITS, w);
		goto out;
	}
	list_for_each_entry(win, &mirror->windows, list) {
		unsigned long lo = max(w->start, win->hva);
		unsigned long hi = min(w->end, win->hva + win->size);

		if (lo >= hi)
			continue;
		mirror_walk_node(mirror, mirror->root, MMU_MIRROR_LEVELS - 1, 0,
				 win->sva + (lo - win->hva),
				 win->sva + (hi - win->hva), w);
	}
out:
	if (!held)
		spin_unlock(&mirror->lock);
}

/* The mmu_mirror source: every mirror published in debugfs. */
static void mirror_source(void *ctx, struct mm_struct *mm,
			  unsigned long start, unsigned long end, bool nowait,
			  checker_visit_fn visit, void *arg)
{
	struct mirror_walk w = { mm, start, end, nowait, visit, arg };

	model_debugfs_for_each("mmu_mirror", "stats", nowait,
			       mirror_walk_one, &w);
}

/*
 * Take @lock unless this thread holds it already; with @nowait only try.
 * Returns whether the caller may go on (and must call checker_unlock_if()
 * with the same @held).
 */
static bool checker_lock_if(spinlock_t *lock, bool held, bool nowait)
{
	if (held)
		return true;
	if (!nowait) {
		spin_lock(lock);
		return true;
	}
	return spin_trylock(lock);
}

static void checker_unlock_if(spinlock_t *lock, bool held)
{
	if (!held)
		spin_unlock(lock);
}

/*
 * One device TLB: every valid entry is a translation of one page, at the
 * host address of the window holding its secondary address (an orphan
 * when none does, as for a table leaf).  Taken as the flush takes them:
 * mirror->lock (for the window trees), then the TLB's lock.
 */
static void tlb_walk_one(void *data, void *arg)
{
	struct mmu_mirror_tlb *tlb = data;
	struct mmu_mirror *mirror = tlb->mirror;
	bool mheld = model_lock_held(&mirror->lock);
	bool theld = model_lock_held(&tlb->lock);
	struct mirror_walk *w = arg;
	unsigned int i;

	if (w->mm && mirror->mm != w->mm)
		return;
	if (!checker_lock_if(&mirror->lock, mheld, w->nowait))
		return;
	if (!checker_lock_if(&tlb->lock, theld, w->nowait))
		goto out;
	for (i = 0; i < MMU_MIRROR_TLB_ENTRIES; i++) {
		const struct mmu_mirror_tlb_entry *te = &tlb->entries[i];
		u64 sva = te->tag & PAGE_MASK;
		struct mmu_mirror_window *win;
		struct checker_entry ce = {
			.hva = (unsigned long)sva,
			.pfn = PHYS_PFN(te->addr),
			.npages = 1,
			.pinned = mmu_mirror_pinned(mirror),
		};

		if (!(te->tag & MMU_MIRROR_TLB_VALID))
			continue;
		win = mmu_mirror_window_by_sva(mirror, sva);
		if (!win) {
			ce.orphan = true;
		} else {
			ce.hva = win->hva + (unsigned long)(sva - win->sva);
			if (ce.hva >= w->end || ce.hva + PAGE_SIZE <= w->start)
				continue;
		}
		w->visit(&ce, w->arg);
	}
	checker_unlock_if(&tlb->lock, theld);
out:
	checker_unlock_if(&mirror->lock, mheld);
}

/* The device TLB source: every struct mmu_mirror_tlb in debugfs. */
static void tlb_source(void *ctx, struct mm_struct *mm, unsigned long start,
		       unsigned long end, bool nowait, checker_visit_fn visit,
		       void *arg)
{
	struct mirror_walk w = { mm, start, end, nowait, visit, arg };

	model_debugfs_for_each("mmu_mirror", "tlb-*", nowait, tlb_walk_one,
			       &w);
}

/**
 * checker_init() - turn the checker on, with the mmu_mirror sources
 *
 * Called by the KTAP harness before the first test; repeated calls do
 * nothing.
 *
 * Context: process context.
 */
void checker_init(void)
{
	static const struct mmu_notifier_observer observer = {
		.invalidate_start = checker_invalidate_start,
		.invalidate_end = checker_invalidate_end,
	};

	if (READ_ONCE(checker_on))
		return;
	if (checker_register_source("mmu_mirror", mirror_source, NULL) ||
	    checker_register_source("mmu_mirror_tlb", tlb_source, NULL))
		model_bug(__FILE__, __LINE__, "checker: no source slot");
	mmu_notifier_set_observer(&observer);
	WRITE_ONCE(checker_on, true);
}
