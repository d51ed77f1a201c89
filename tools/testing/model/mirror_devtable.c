// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_devtable.c - mmu_mirror for real hardware: driver-owned tables
 * (map, unmap, harvest), DMA mirrors, and device accesses in flight
 *
 * The "device" of these tests keeps its own table, one entry per page of
 * a window that maps host addresses 1:1, in a format of its own; the
 * table is registered with the invariant checker as a source, so a
 * device entry that outlives an invalidation or its page is a violation.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-mapping.h>
#include <linux/mmu_mirror.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"

#define NPAGES	64
#define LEN	(NPAGES * PAGE_SIZE)

/* Device entry: address above PAGE_SHIFT, flags below. */
#define DEV_P	0x1ULL	/* present */
#define DEV_W	0x2ULL	/* writable */
#define DEV_A	0x4ULL	/* accessed, set by the "hardware" */
#define DEV_D	0x8ULL	/* dirty, set by the "hardware" */

struct devtab {
	spinlock_t lock;	/* nests inside mirror->lock */
	unsigned long base;	/* host = secondary address of entry 0 */
	u64 ent[NPAGES];
	struct device *dma;	/* DMA mirror: its device, else NULL */
	bool skip_unmap;	/* broken driver: unmap forgets entries */
	unsigned int fail_map;	/* fail the Nth map call (0: never) */
	unsigned long maps, unmaps, flushes;
	unsigned long unmaps_in_flight;	/* unmap over an access in flight */
	unsigned long overwrites;	/* map found its slot in use */
	long dma_live_at_flush;
	u64 last_unmap_sva, last_unmap_size;
};

static struct devtab *dt_of(struct mmu_mirror *mirror)
{
	return mmu_mirror_priv(mirror);
}

static int dt_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		  unsigned int n, unsigned int flags)
{
	struct devtab *dt = dt_of(mirror);
	unsigned int i;

	if (dt->fail_map && ++dt->maps == dt->fail_map)
		return -EIO;
	if (!dt->fail_map)
		dt->maps++;
	if (flags & MMU_MIRROR_MAP_HUGE)
		return -EINVAL;		/* the model maps 4 KiB pages only */
	spin_lock(&dt->lock);
	for (i = 0; i < n; i++) {
		unsigned long idx = (sva - dt->base) / PAGE_SIZE + i;

		/* An IOMMU programs only empty slots. */
		if (dt->ent[idx] & DEV_P) {
			dt->overwrites++;
			continue;
		}
		dt->ent[idx] = (addrs[i] & PAGE_MASK) | DEV_P |
			       (flags & MMU_MIRROR_MAP_WRITE ? DEV_W : 0);
	}
	spin_unlock(&dt->lock);
	return 0;
}

static void dt_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	struct devtab *dt = dt_of(mirror);
	u64 a;

	dt->unmaps++;
	/* The helper's lock is held: its list of accesses is stable. */
	if (mmu_mirror_inflight_overlaps(mirror, sva, sva + size))
		dt->unmaps_in_flight++;
	dt->last_unmap_sva = sva;
	dt->last_unmap_size = size;
	if (dt->skip_unmap)
		return;
	spin_lock(&dt->lock);
	for (a = sva; a < sva + size; a += PAGE_SIZE)
		dt->ent[(a - dt->base) / PAGE_SIZE] = 0;
	spin_unlock(&dt->lock);
}

static unsigned int dt_harvest(struct mmu_mirror *mirror, u64 sva, u64 size,
			       bool clear)
{
	struct devtab *dt = dt_of(mirror);
	u64 *e = &dt->ent[(sva - dt->base) / PAGE_SIZE];
	unsigned int bits = 0;

	spin_lock(&dt->lock);
	if (*e & DEV_A)
		bits |= MMU_MIRROR_HARVEST_YOUNG;
	if (*e & DEV_D)
		bits |= MMU_MIRROR_HARVEST_DIRTY;
	if (clear)
		*e &= ~DEV_A;
	spin_unlock(&dt->lock);
	return bits;
}

static void dt_flush(struct mmu_mirror *mirror)
{
	struct devtab *dt = dt_of(mirror);

	dt->flushes++;
	dt->dma_live_at_flush = model_dma_live();
}

static const struct mmu_mirror_ops dt_ops = {
	.flush = dt_flush,
	.map = dt_map,
	.unmap = dt_unmap,
	.harvest = dt_harvest,
};

/* The device table as a checker source: entry i maps host base + i. */
static void dt_source(void *ctx, struct mm_struct *mm, unsigned long start,
		      unsigned long end, bool nowait, checker_visit_fn visit,
		      void *arg)
{
	struct devtab *dt = ctx;
	unsigned int i;

	if (!nowait)
		spin_lock(&dt->lock);
	else if (!spin_trylock(&dt->lock))
		return;
	for (i = 0; i < NPAGES; i++) {
		unsigned long hva = dt->base + i * PAGE_SIZE;
		u64 addr = dt->ent[i] & PAGE_MASK;
		struct checker_entry e = { .hva = hva, .npages = 1 };

		if (!(dt->ent[i] & DEV_P) || hva + PAGE_SIZE <= start ||
		    hva >= end)
			continue;
		if (dt->dma)
			addr -= dt->dma->dma_offset;
		e.pfn = addr >> PAGE_SHIFT;
		visit(&e, arg);
	}
	spin_unlock(&dt->lock);
}

struct dt_setup {
	struct devtab dt;
	struct device dev;
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	unsigned long addr;
};

static bool dt_init(struct dt_setup *s, bool dma, unsigned int flags)
{
	static unsigned char buf[LEN];

	memset(s, 0, sizeof(*s));
	spin_lock_init(&s->dt.lock);
	s->mm = model_mm_create();
	KTAP_CHECK(s->mm);
	s->addr = model_mmap(s->mm, 0, LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(s->addr));
	memset(buf, 0x5a, sizeof(buf));
	KTAP_CHECK(!model_cpu_access(s->mm, s->addr, buf, LEN, true));
	s->dt.base = s->addr;
	if (dma) {
		s->dev.init_name = "dt-dev";
		s->dev.dma_offset = 1ULL << 44;
		s->dt.dma = &s->dev;
	}
	s->mirror = mmu_mirror_create_dev(dma ? &s->dev : NULL, s->mm,
					  &dt_ops, flags, "devtable", &s->dt);
	KTAP_CHECK(!IS_ERR(s->mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(s->mirror, s->addr, LEN,
						 s->addr, 0)));
	KTAP_CHECK(!checker_register_source("devtable", dt_source, &s->dt));
	return true;
}

static void dt_fini(struct dt_setup *s)
{
	mmu_mirror_destroy(s->mirror);
	checker_unregister_source(&s->dt);
	mmput(s->mm);
}

static unsigned long dt_present(struct devtab *dt)
{
	unsigned long i, n = 0;

	for (i = 0; i < NPAGES; i++)
		n += !!(dt->ent[i] & DEV_P);
	return n;
}

/* Does device entry @i point at the frame the CPU maps there? */
static bool dt_agrees(struct dt_setup *s, unsigned int i)
{
	u64 pte = model_pte_read(s->mm, s->addr + i * PAGE_SIZE);
	u64 addr = s->dt.ent[i] & PAGE_MASK;

	if (s->dt.dma)
		addr -= s->dev.dma_offset;
	return (s->dt.ent[i] & DEV_P) &&
	       addr >> PAGE_SHIFT == model_pte_pfn(pte);
}

/*
 * Proves: map sees every new entry with the CPU's frame, in batches; an
 * invalidation reaches unmap as one contiguous range before its one
 * flush; the device table and the helper's never disagree.
 */
static bool test_map_unmap(void)
{
	struct mmu_mirror_stats st;
	struct dt_setup s;
	unsigned int i;

	if (!dt_init(&s, false, 0))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	for (i = 0; i < NPAGES; i++)
		KTAP_CHECK(dt_agrees(&s, i));
	KTAP_CHECK(s.dt.maps == NPAGES / MMU_MIRROR_MAP_BATCH);

	/* Faulting again maps nothing new. */
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(s.dt.maps == NPAGES / MMU_MIRROR_MAP_BATCH);

	KTAP_CHECK(!model_madvise_dontneed(s.mm, s.addr + 8 * PAGE_SIZE,
					   16 * PAGE_SIZE));
	KTAP_CHECK(s.dt.unmaps == 1 && s.dt.flushes == 1);
	KTAP_CHECK(s.dt.last_unmap_sva == s.addr + 8 * PAGE_SIZE &&
		   s.dt.last_unmap_size == 16 * PAGE_SIZE);
	KTAP_CHECK(dt_present(&s.dt) == NPAGES - 16);
	KTAP_CHECK(!(s.dt.ent[8] & DEV_P) && !(s.dt.ent[23] & DEV_P));
	KTAP_CHECK(s.dt.ent[7] & DEV_P && s.dt.ent[24] & DEV_P);

	/* The CPU wrote every page: the entries are writable. */
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(s.dt.ent[0] & DEV_W && dt_agrees(&s, 0));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.entries == NPAGES - 16);
	KTAP_CHECK(checker_checkpoint(s.mm) == 0);
	dt_fini(&s);
	KTAP_CHECK(dt_present(&s.dt) == 0);
	return true;
}

/*
 * Proves: when a fault must make a read-only entry writable (a frame a
 * fork shared, exclusive again once the child is gone: the CPU reuses it
 * without an invalidation), unmap hears of the old entry before map is
 * given the new one, so the device table keeps the writable entry.
 */
static bool test_upgrade_keeps_new_entry(void)
{
	struct mm_struct *child;
	struct dt_setup s;

	if (!dt_init(&s, false, 0))
		return false;
	child = model_fork(s.mm);
	KTAP_CHECK(child);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE, 0) == 0);
	KTAP_CHECK((s.dt.ent[0] & DEV_P) && !(s.dt.ent[0] & DEV_W));
	mmput(child);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(s.dt.ent[0] & DEV_P);
	KTAP_CHECK(s.dt.ent[0] & DEV_W);
	KTAP_CHECK(dt_agrees(&s, 0));
	KTAP_CHECK(checker_checkpoint(s.mm) == 0);
	dt_fini(&s);
	return true;
}

/*
 * Proves: the checker sees a driver-owned table: a driver whose unmap
 * forgets entries is reported at the invalidation that should have
 * removed them.
 */
static bool test_checker_sees_skipped_unmap(void)
{
	unsigned long before = checker_count('a');
	unsigned long all = checker_violations();
	struct dt_setup s;
	unsigned long found;

	if (!dt_init(&s, false, 0))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	s.dt.skip_unmap = true;
	checker_set_verbose(false);
	KTAP_CHECK(!model_madvise_dontneed(s.mm, s.addr, 4 * PAGE_SIZE));
	checker_set_verbose(true);
	found = checker_count('a') - before;
	printf("# skipped unmap: %lu (a) violations\n", found);
	checker_expect(checker_violations() - all);
	KTAP_CHECK(found == 4);
	/* Clean up behind the broken driver. */
	memset(s.dt.ent, 0, sizeof(s.dt.ent));
	s.dt.skip_unmap = false;
	dt_fini(&s);
	return true;
}

/*
 * Proves: a map that fails takes its entries out of the helper's table
 * again and fails the fault; a later fault maps everything.
 */
static bool test_map_failure(void)
{
	struct mmu_mirror_stats st;
	struct dt_setup s;
	unsigned long i;

	if (!dt_init(&s, false, 0))
		return false;
	s.dt.fail_map = 2;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == -EIO);
	mmu_mirror_get_stats(s.mirror, &st);
	/* The first batch stays, the failed one is gone from both. */
	KTAP_CHECK(st.entries == MMU_MIRROR_MAP_BATCH);
	KTAP_CHECK(dt_present(&s.dt) == MMU_MIRROR_MAP_BATCH);
	spin_lock(&s.mirror->lock);
	for (i = 0; i < NPAGES; i++) {
		unsigned int level;
		bool helper = mmu_mirror_pt_leaf(s.mirror,
						 s.addr + i * PAGE_SIZE,
						 &level);

		if (helper != !!(s.dt.ent[i] & DEV_P))
			break;
	}
	spin_unlock(&s.mirror->lock);
	KTAP_CHECK(i == NPAGES);
	s.dt.fail_map = 0;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	dt_fini(&s);
	return true;
}

/*
 * Proves: dirty and accessed bits the device keeps in its own table reach
 * the page (set_page_dirty(), mark_page_accessed()) when the entry goes;
 * the aging hooks see and clear the device's accessed bit.
 */
static bool test_harvest(void)
{
	struct mmu_mirror_stats st;
	struct page *page;
	struct dt_setup s;

	if (!dt_init(&s, false, 0))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN,
				    MMU_MIRROR_WRITE) == 0);
	page = pfn_to_page(model_pte_pfn(model_pte_read(s.mm, s.addr)));
	KTAP_CHECK(!PageDirty(page));

	/* Aging: the device's accessed bit answers, and is cleared. */
	s.dt.ent[1] |= DEV_A;
	KTAP_CHECK(mmu_notifier_clear_young(s.mm, s.addr,
					    s.addr + 4 * PAGE_SIZE) == 1);
	KTAP_CHECK(!(s.dt.ent[1] & DEV_A));
	KTAP_CHECK(mmu_notifier_test_young(s.mm, s.addr + PAGE_SIZE) == 0);

	/* The "hardware" wrote page 0; nothing told the helper. */
	s.dt.ent[0] |= DEV_A | DEV_D;
	/* Write-protecting drops the entries but keeps the page. */
	KTAP_CHECK(!model_mprotect(s.mm, s.addr, LEN, VM_READ));
	KTAP_CHECK(PageDirty(page));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.dirty_propagated == 1);
	dt_fini(&s);
	return true;
}

/*
 * Proves: a DMA mirror hands DMA addresses (not physical ones) to map,
 * and undoes each DMA mapping only after the flush that follows the
 * entry's removal; removals beyond one queue flush once per queue full;
 * nothing stays mapped.
 */
static bool test_dma_mirror(void)
{
	struct dt_setup s;
	long live;

	if (!dt_init(&s, true, 0))
		return false;
	live = model_dma_live();
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(model_dma_live() == live + NPAGES);
	KTAP_CHECK(dt_agrees(&s, 0) && dt_agrees(&s, NPAGES - 1));
	KTAP_CHECK((s.dt.ent[0] & PAGE_MASK) >= s.dev.dma_offset);

	KTAP_CHECK(!model_madvise_dontneed(s.mm, s.addr, 16 * PAGE_SIZE));
	/* At the flush all mappings were still there; after it, not. */
	KTAP_CHECK(s.dt.flushes == 1);
	KTAP_CHECK(s.dt.dma_live_at_flush == live + NPAGES);
	KTAP_CHECK(model_dma_live() == live + NPAGES - 16);

	/* A failed DMA mapping fails the fault and leaves nothing behind. */
	s.dev.dma_fail_nth = 3;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, 16 * PAGE_SIZE, 0) ==
		   -ENOMEM);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(model_dma_live() == live + NPAGES);
	dt_fini(&s);
	KTAP_CHECK(model_dma_live() == live);
	return true;
}

static const struct mmu_mirror_ops flush_only_ops = {
	.flush = dt_flush,
};

/* Proves: the DMA queue empties with a flush each time it fills. */
static bool test_dma_queue_overflow(void)
{
	unsigned long n = 2 * MMU_MIRROR_DMA_QUEUE + 8;
	struct device dev = { .init_name = "big", .dma_offset = 1ULL << 44 };
	struct mmu_mirror *mirror;
	struct devtab dt = { };
	struct mm_struct *mm;
	unsigned long addr;
	long live = model_dma_live();

	spin_lock_init(&dt.lock);
	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, n * PAGE_SIZE, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(addr));
	mirror = mmu_mirror_create_dev(&dev, mm, &flush_only_ops, 0, "dmaq",
				       &dt);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, addr, n * PAGE_SIZE,
						 addr, 0)));
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, n * PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(model_dma_live() == live + (long)n);
	KTAP_CHECK(!model_madvise_dontneed(mm, addr, n * PAGE_SIZE));
	printf("# %lu entries removed with %lu flushes\n", n, dt.flushes);
	KTAP_CHECK(dt.flushes == 3);
	KTAP_CHECK(model_dma_live() == live);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/* Proves: the checker reports a frame freed while it is DMA-mapped. */
static bool test_checker_sees_dma_leak(void)
{
	struct device dev = { .init_name = "leak" };
	unsigned long before = checker_count('b');
	struct page *page = model_alloc_page();
	dma_addr_t addr;

	KTAP_CHECK(page);
	addr = dma_map_page(&dev, page, 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	checker_set_verbose(false);
	put_page(page);
	checker_set_verbose(true);
	KTAP_CHECK(checker_count('b') == before + 1);
	checker_expect(1);
	dma_unmap_page(&dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
	return true;
}

struct inflight_arg {
	struct dt_setup *s;
	int ret;
	bool done;
};

static void *dontneed_thread(void *p)
{
	struct inflight_arg *a = p;

	a->ret = model_madvise_dontneed(a->s->mm, a->s->addr, LEN);
	__atomic_store_n(&a->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static double dt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

struct storm_arg {
	struct dt_setup *s;
	bool stop;
};

/* Many small invalidations: one page at a time, as reclaim makes them. */
static void *dontneed_storm(void *p)
{
	struct storm_arg *a = p;
	unsigned int i = 0;

	while (!__atomic_load_n(&a->stop, __ATOMIC_SEQ_CST))
		model_madvise_dontneed(a->s->mm, a->s->addr +
				       (i++ % NPAGES) * PAGE_SIZE, PAGE_SIZE);
	return NULL;
}

/*
 * Proves: no invalidation removes an entry of a range while an access is
 * in flight over it, even one that begins while an invalidation that
 * waited for the previous access finishes.
 */
static bool test_inflight_entries_stay(void)
{
	struct storm_arg a = { };
	struct mmu_mirror_inflight acc;
	unsigned long accesses = 0, lost = 0;
	struct dt_setup s;
	pthread_t t;
	double end;
	int i;

	if (!dt_init(&s, false, 0))
		return false;
	a.s = &s;
	end = dt_now() + 10;
	KTAP_CHECK(!pthread_create(&t, NULL, dontneed_storm, &a));
	/*
	 * Bounded in time too: when the storm wins most rounds, each of them
	 * is a fault, and under TSan 4000000 of those took minutes.
	 */
	for (i = 0; i < 4000000 && accesses < 20000 &&
	     (i % 1024 || dt_now() < end); i++) {
		int ret = mmu_mirror_access_begin(s.mirror, &acc, s.addr, LEN,
						  0);

		/* -EAGAIN: an invalidation waits; try again at once. */
		if (ret == -ENOENT)
			mmu_mirror_fault(s.mirror, s.addr, LEN, 0);
		if (ret)
			continue;
		accesses++;
		sched_yield();
		spin_lock(&s.dt.lock);
		lost += dt_present(&s.dt) != NPAGES;
		spin_unlock(&s.dt.lock);
		mmu_mirror_access_end(s.mirror, &acc);
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_SEQ_CST);
	KTAP_CHECK(!pthread_join(t, NULL));
	printf("# %lu accesses in %d rounds, %lu saw entries removed in flight, %lu unmaps over an access in flight\n",
	       accesses, i, lost, s.dt.unmaps_in_flight);
	KTAP_CHECK(accesses > 0);
	KTAP_CHECK(lost == 0 && s.dt.unmaps_in_flight == 0);
	dt_fini(&s);
	return true;
}

/*
 * Proves: a blockable invalidation waits for a device access in flight
 * over its range, new accesses are refused while it waits, and the
 * access's writes reach the page as dirty.
 */
static bool test_inflight_waits(void)
{
	struct inflight_arg a = { };
	struct mmu_mirror_inflight acc, acc2;
	struct page *page;
	struct dt_setup s;
	pthread_t t;
	int i;

	if (!dt_init(&s, false, 0))
		return false;
	a.s = &s;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN,
				    MMU_MIRROR_WRITE) == 0);
	page = pfn_to_page(model_pte_pfn(model_pte_read(s.mm, s.addr)));
	get_page(page);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr + 100,
					   PAGE_SIZE, MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(!pthread_create(&t, NULL, dontneed_thread, &a));
	/* Until the access ends, the invalidation cannot complete. */
	for (i = 0; i < 50 && !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST);
	     i++)
		sleep_ms(2);
	KTAP_CHECK(!__atomic_load_n(&a.done, __ATOMIC_SEQ_CST));
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	/* It waits: later accesses of its range are turned away. */
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc2, s.addr,
					   PAGE_SIZE, 0) == -EAGAIN);
	mmu_mirror_access_end(s.mirror, &acc);
	pthread_join(t, NULL);
	KTAP_CHECK(a.done && a.ret == 0);
	KTAP_CHECK(dt_present(&s.dt) == 0);
	/* The device wrote: the page was dirtied before it went. */
	KTAP_CHECK(PageDirty(page));
	put_page(page);
	dt_fini(&s);
	return true;
}

struct upgrade_arg {
	struct dt_setup *s;
	int ret;
	bool done;
};

static void *write_fault_thread(void *p)
{
	struct upgrade_arg *a = p;

	a->ret = mmu_mirror_fault(a->s->mirror, a->s->addr, PAGE_SIZE,
				  MMU_MIRROR_WRITE);
	__atomic_store_n(&a->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Proves: a fault that must replace an entry without an invalidation (a
 * read-only entry of an exclusive page the CPU makes writable in place,
 * which a driver-owned table gets anew) waits for a device access in
 * flight over it; the device entry stays until the access ends.
 */
static bool test_inflight_blocks_replacement(void)
{
	struct mmu_mirror_inflight acc;
	struct upgrade_arg a = { };
	struct mm_struct *child;
	struct dt_setup s;
	pthread_t t;
	int i;

	if (!dt_init(&s, false, 0))
		return false;
	a.s = &s;
	/* After a fork whose child is gone the pages are exclusive, read-only. */
	child = model_fork(s.mm);
	KTAP_CHECK(!IS_ERR_OR_NULL(child));
	mmput(child);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE, 0) == 0);
	KTAP_CHECK((s.dt.ent[0] & DEV_P) && !(s.dt.ent[0] & DEV_W));
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr, PAGE_SIZE,
					   0) == 0);
	KTAP_CHECK(!pthread_create(&t, NULL, write_fault_thread, &a));
	for (i = 0; i < 50 && !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST);
	     i++)
		sleep_ms(2);
	KTAP_CHECK(!__atomic_load_n(&a.done, __ATOMIC_SEQ_CST));
	KTAP_CHECK((s.dt.ent[0] & DEV_P) && dt_agrees(&s, 0));
	mmu_mirror_access_end(s.mirror, &acc);
	pthread_join(t, NULL);
	KTAP_CHECK(a.ret == 0 && (s.dt.ent[0] & DEV_W) && dt_agrees(&s, 0));
	dt_fini(&s);
	return true;
}

/*
 * Proves: a non-blockable invalidation (the OOM reaper) that meets an
 * access in flight is refused and counted, touching nothing; once the
 * access ended the reaper gets everything.
 */
static bool test_inflight_nonblock(void)
{
	struct mmu_mirror_inflight acc;
	struct mmu_mirror_stats st;
	struct dt_setup s;

	if (!dt_init(&s, false, 0))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN, 0) == 0);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr, LEN,
					   0) == 0);
	KTAP_CHECK(model_oom_reap(s.mm) == -EAGAIN);
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.nonblock_failed == 1 && st.entries == NPAGES);
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	KTAP_CHECK(model_mm_rss(s.mm) == NPAGES);
	mmu_mirror_access_end(s.mirror, &acc);
	KTAP_CHECK(model_oom_reap(s.mm) == 0);
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.nonblock_failed == 1 && st.entries == 0);
	KTAP_CHECK(model_mm_rss(s.mm) == 0 && dt_present(&s.dt) == 0);
	dt_fini(&s);
	return true;
}

/* Proves: mmu_mirror_access_begin() refuses what it cannot guarantee. */
static bool test_begin_errors(void)
{
	struct mmu_mirror_inflight acc;
	struct dt_setup s;

	if (!dt_init(&s, false, 0))
		return false;
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr, PAGE_SIZE,
					   0) == -ENOENT);
	/* Read-only CPU mappings give read-only entries. */
	KTAP_CHECK(!model_mprotect(s.mm, s.addr, LEN, VM_READ));
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, 4 * PAGE_SIZE, 0) == 0);
	/* One page past the faulted ones. */
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr,
					   4 * PAGE_SIZE + 1, 0) == -ENOENT);
	/* Read-only entries do not carry a write. */
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr, PAGE_SIZE,
					   MMU_MIRROR_WRITE) == -ENOENT);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr, 0, 0) ==
		   -EFAULT);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, ~0ULL - 10, 100,
					   0) == -EFAULT);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc,
					   MMU_MIRROR_SVA_LIMIT - PAGE_SIZE,
					   2 * PAGE_SIZE, 0) == -EFAULT);
	KTAP_CHECK(mmu_mirror_report_access(s.mirror, s.addr, 0, 0) ==
		   -EFAULT);
	KTAP_CHECK(mmu_mirror_access_begin(s.mirror, &acc, s.addr + 5,
					   4 * PAGE_SIZE - 5, 0) == 0);
	mmu_mirror_access_end(s.mirror, &acc);
	dt_fini(&s);
	return true;
}

/*
 * Proves: pinned mode drives a driver-owned table too (the VFIO world):
 * map at pin time, unmap and unpin at window removal, nothing left.
 */
static bool test_pinned_devtable(void)
{
	struct mmu_mirror_stats st;
	struct dt_setup s;

	if (!dt_init(&s, true, MMU_MIRROR_PINNED))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(dt_present(&s.dt) == NPAGES && dt_agrees(&s, 3));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.pages_pinned == NPAGES);
	/* Pinned: the core VM's invalidations do not reach the device. */
	KTAP_CHECK(!model_madvise_dontneed(s.mm, s.addr, LEN));
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	dt_fini(&s);
	KTAP_CHECK(dt_present(&s.dt) == 0 && s.dt.unmaps >= 1);
	return true;
}

/*
 * Proves: an entry a fault replaces (pinned: the CPU maps another page
 * there now) leaves the device table before its successor is mapped, so
 * the device ends up with the CPU's new frame.
 */
static bool test_replaced_entry(void)
{
	unsigned char buf[64];
	struct dt_setup s;

	if (!dt_init(&s, false, MMU_MIRROR_PINNED))
		return false;
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, LEN,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(dt_agrees(&s, 5));
	/* The CPU gets a new page at entry 5; the pinned device does not hear. */
	KTAP_CHECK(!model_madvise_dontneed(s.mm, s.addr + 5 * PAGE_SIZE,
					   PAGE_SIZE));
	memset(buf, 0xa5, sizeof(buf));
	KTAP_CHECK(!model_cpu_access(s.mm, s.addr + 5 * PAGE_SIZE, buf,
				     sizeof(buf), true));
	KTAP_CHECK(!dt_agrees(&s, 5));
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr + 5 * PAGE_SIZE,
				    PAGE_SIZE, MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(s.dt.overwrites == 0);
	KTAP_CHECK(dt_agrees(&s, 5) && (s.dt.ent[5] & DEV_W));
	KTAP_CHECK(dt_present(&s.dt) == NPAGES);
	dt_fini(&s);
	return true;
}

static const struct ktap_case cases[] = {
	{ "map_unmap", test_map_unmap },
	{ "upgrade_keeps_new_entry", test_upgrade_keeps_new_entry },
	{ "checker_sees_skipped_unmap", test_checker_sees_skipped_unmap },
	{ "map_failure", test_map_failure },
	{ "harvest", test_harvest },
	{ "dma_mirror", test_dma_mirror },
	{ "dma_queue_overflow", test_dma_queue_overflow },
	{ "checker_sees_dma_leak", test_checker_sees_dma_leak },
	{ "inflight_waits", test_inflight_waits },
	{ "inflight_entries_stay", test_inflight_entries_stay },
	{ "inflight_nonblock", test_inflight_nonblock },
	{ "inflight_blocks_replacement", test_inflight_blocks_replacement },
	{ "begin_errors", test_begin_errors },
	{ "pinned_devtable", test_pinned_devtable },
	{ "replaced_entry", test_replaced_entry },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       4096, true);
}
