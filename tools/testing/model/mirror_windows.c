// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_windows.c - invalidations that cross many windows of one mirror
 *
 * A blockable invalidation leaves the removal of adjacent windows' ranges
 * to the mirror's classic invalidate_range_start, which removes them as
 * one run; the table frees a node when its last entry goes.  These cases
 * check that nothing is lost on the way: every entry of the range is gone
 * when the invalidation returns (the checker's invariant (a) watches every
 * invalidation), every other entry still reads the right data, one flush
 * per invalidation, and the table shrinks back to its root.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"

#define BASE		(1UL << 40)	/* aligned far above any node boundary */
#define WIN_PAGES	4UL
#define NWIN		64UL

static unsigned long flushes;

static void count_flush(struct mmu_mirror *mirror)
{
	__atomic_add_fetch(&flushes, 1, __ATOMIC_SEQ_CST);
}

static const struct mmu_mirror_ops windows_ops = {
	.flush = count_flush,
};

static struct mmu_mirror_stats stats(struct mmu_mirror *mirror)
{
	struct mmu_mirror_stats st;

	mmu_mirror_get_stats(mirror, &st);
	return st;
}

/* The byte the CPU wrote into page @i of the region at BASE. */
static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 7 + 1);
}

/* @pages CPU-written pages at BASE in a new mm, and a mirror of it. */
static bool region(struct mm_struct **mm, struct mmu_mirror **mirror,
		   unsigned long pages, const char *name)
{
	static unsigned char buf[PAGE_SIZE];
	unsigned long i;

	*mm = model_mm_create();
	KTAP_CHECK(*mm);
	KTAP_CHECK(model_mmap(*mm, BASE, pages * PAGE_SIZE,
			      VM_READ | VM_WRITE) == BASE);
	for (i = 0; i < pages; i++) {
		memset(buf, pattern(i), sizeof(buf));
		KTAP_CHECK(!model_cpu_access(*mm, BASE + i * PAGE_SIZE, buf,
					     PAGE_SIZE, true));
	}
	*mirror = mmu_mirror_create(*mm, &windows_ops, 0, name, NULL);
	KTAP_CHECK(!IS_ERR(*mirror));
	return true;
}

/* Does the device read page @i of the region at secondary @sva? */
static bool device_reads(struct mmu_mirror *mirror, u64 sva, unsigned long i)
{
	unsigned char v;
	size_t done;

	return !mmu_mirror_access(mirror, sva, &v, 1, 0, &done) &&
	       v == pattern(i);
}

/* Proves: a munmap across 64 adjacent small windows removes their entries, keeps the rest, flushes once. */
static bool test_split_range(void)
{
	unsigned long pages = NWIN * WIN_PAGES, first = 2, last = pages - 2;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long i, f;

	KTAP_CHECK(region(&mm, &mirror, pages, "split"));
	for (i = 0; i < NWIN; i++) {
		unsigned long a = BASE + i * WIN_PAGES * PAGE_SIZE;

		KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, a,
							 WIN_PAGES * PAGE_SIZE,
							 a, 0)));
	}
	KTAP_CHECK(!mmu_mirror_fault(mirror, BASE, pages * PAGE_SIZE, 0));
	flushes = 0;
	/* From inside the first window to inside the last one. */
	KTAP_CHECK(!model_munmap(mm, BASE + first * PAGE_SIZE,
				 (last - first) * PAGE_SIZE));
	f = flushes;
	printf("# %lu flushes, %llu entries left\n", f,
	       stats(mirror).entries);
	KTAP_CHECK(f == 1);
	KTAP_CHECK(stats(mirror).entries == pages - (last - first));
	for (i = 0; i < pages; i++)
		if (i < first || i >= last)
			KTAP_CHECK(device_reads(mirror, BASE + i * PAGE_SIZE,
						i));
	KTAP_CHECK(checker_compare(mm, "mmu_mirror") == 0);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/* Proves: windows with scattered secondary ranges, and aliases of one host range, all lose the range's entries. */
static bool test_scattered_windows(void)
{
	/*
	 * Window i maps host chunk i at secondary chunk NWIN - 1 - i, so no
	 * two windows the invalidation meets in host order are adjacent in
	 * the table; a second window aliases the host range of window 5.
	 */
	unsigned long pages = NWIN * WIN_PAGES, len = WIN_PAGES * PAGE_SIZE;
	u64 sbase = BASE + (1UL << 30), alias = sbase + 2 * NWIN * len;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long i, f;

	KTAP_CHECK(region(&mm, &mirror, pages, "scattered"));
	for (i = 0; i < NWIN; i++)
		KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror,
							 BASE + i * len, len,
							 sbase + (NWIN - 1 - i) * len,
							 0)));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, BASE + 5 * len, len,
						 alias, 0)));
	KTAP_CHECK(!mmu_mirror_fault(mirror, sbase, NWIN * len, 0));
	KTAP_CHECK(!mmu_mirror_fault(mirror, alias, len, 0));
	KTAP_CHECK(stats(mirror).entries == pages + WIN_PAGES);
	flushes = 0;
	/* Every window but the first and the last. */
	KTAP_CHECK(!model_madvise_dontneed(mm, BASE + len, (NWIN - 2) * len));
	f = flushes;
	printf("# %lu flushes, %llu entries left\n", f,
	       stats(mirror).entries);
	KTAP_CHECK(f == 1);
	KTAP_CHECK(stats(mirror).entries == 2 * WIN_PAGES);
	for (i = 0; i < WIN_PAGES; i++) {
		KTAP_CHECK(device_reads(mirror, sbase + (NWIN - 1) * len +
					i * PAGE_SIZE, i));
		KTAP_CHECK(device_reads(mirror, sbase + i * PAGE_SIZE,
					pages - WIN_PAGES + i));
	}
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/* An interval subscriber that holds one invalidation up until told. */
static int gate_armed, gate_entered, gate_go;

static bool gate_invalidate(struct mmu_interval_notifier *sub,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	mmu_interval_set_seq(sub, cur_seq);
	if (!mmu_notifier_range_blockable(range) ||
	    !__atomic_exchange_n(&gate_armed, 0, __ATOMIC_SEQ_CST))
		return true;
	__atomic_store_n(&gate_entered, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&gate_go, __ATOMIC_ACQUIRE))
		usleep(1000);
	return true;
}

static const struct mmu_interval_notifier_ops gate_ops = {
	.invalidate = gate_invalidate,
};

struct dontneed_arg {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
	int ret;
};

static void *dontneed_thread(void *p)
{
	struct dontneed_arg *a = p;

	a->ret = model_madvise_dontneed(a->mm, a->addr, a->len);
	return NULL;
}

/* Proves: an invalidation that runs while another one's removals wait for its end still removes its own entries before it returns. */
static bool test_concurrent_invalidations(void)
{
	/*
	 * The first DONTNEED (of region A) stops in the gate, an interval
	 * subscriber after A's windows, so A's windows' ranges wait as the
	 * mirror's deferred run.  A second DONTNEED (of region B, other
	 * windows) runs meanwhile and must not leave its entries to a run
	 * it does not own.
	 */
	unsigned long half = NWIN / 2 * WIN_PAGES, len = WIN_PAGES * PAGE_SIZE;
	struct dontneed_arg a = { .addr = BASE, .len = half * PAGE_SIZE };
	struct mmu_interval_notifier gate;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long i;
	pthread_t t;
	u64 left_b;

	KTAP_CHECK(region(&mm, &mirror, 2 * half, "concurrent"));
	for (i = 0; i < NWIN; i++)
		KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror,
							 BASE + i * len, len,
							 BASE + i * len, 0)));
	KTAP_CHECK(!mmu_interval_notifier_insert(&gate, mm,
						 BASE + (half - 1) * PAGE_SIZE,
						 PAGE_SIZE, &gate_ops));
	KTAP_CHECK(!mmu_mirror_fault(mirror, BASE, 2 * half * PAGE_SIZE, 0));
	a.mm = mm;
	gate_entered = 0;
	gate_go = 0;
	__atomic_store_n(&gate_armed, 1, __ATOMIC_SEQ_CST);
	KTAP_CHECK(!pthread_create(&t, NULL, dontneed_thread, &a));
	for (i = 0; i < 5000 && !__atomic_load_n(&gate_entered,
						 __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	KTAP_CHECK(gate_entered);
	KTAP_CHECK(!model_madvise_dontneed(mm, BASE + half * PAGE_SIZE,
					   half * PAGE_SIZE));
	/* B's entries are gone; A's still wait for A's classic start. */
	left_b = stats(mirror).entries;
	__atomic_store_n(&gate_go, 1, __ATOMIC_RELEASE);
	KTAP_CHECK(!pthread_join(t, NULL));
	printf("# entries while A waited: %llu, after A: %llu\n", left_b,
	       stats(mirror).entries);
	KTAP_CHECK(a.ret == 0);
	KTAP_CHECK(left_b == half);
	KTAP_CHECK(stats(mirror).entries == 0);
	mmu_interval_notifier_remove(&gate);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

#define NODE_PAGES	1200UL	/* three level 0 nodes */

/* Table nodes a region at BASE needs when @live says which pages are mapped. */
static unsigned long nodes_expected(const bool *live)
{
	unsigned long i, n = 1, leaves = 0;
	bool any = false;

	for (i = 0; i < NODE_PAGES; i += MMU_MIRROR_FANOUT) {
		unsigned long j;

		for (j = i; j < NODE_PAGES && j < i + MMU_MIRROR_FANOUT; j++)
			if (live[j])
				break;
		if (j < NODE_PAGES && j < i + MMU_MIRROR_FANOUT) {
			leaves++;
			any = true;
		}
	}
	/* The root, and one node per level 1 to 3 above the leaves. */
	return n + (any ? MMU_MIRROR_LEVELS - 2 : 0) + leaves;
}

/* Proves: zapping single pages in random order keeps every other entry and frees each node with its last entry. */
static bool test_single_page_zaps(void)
{
	static unsigned long order[NODE_PAGES];
	static bool live[NODE_PAGES];
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long i, j;
	unsigned int seed = 12345;

	KTAP_CHECK(region(&mm, &mirror, NODE_PAGES, "single"));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, BASE,
						 NODE_PAGES * PAGE_SIZE, BASE,
						 0)));
	KTAP_CHECK(!mmu_mirror_fault(mirror, BASE, NODE_PAGES * PAGE_SIZE, 0));
	for (i = 0; i < NODE_PAGES; i++) {
		order[i] = i;
		live[i] = true;
	}
	for (i = NODE_PAGES - 1; i > 0; i--) {
		unsigned long k = rand_r(&seed) % (i + 1), tmp = order[i];

		order[i] = order[k];
		order[k] = tmp;
	}
	KTAP_CHECK(stats(mirror).table_nodes == nodes_expected(live));
	for (i = 0; i < NODE_PAGES; i++) {
		unsigned long p = order[i];

		KTAP_CHECK(!model_madvise_dontneed(mm, BASE + p * PAGE_SIZE,
						   PAGE_SIZE));
		live[p] = false;
		KTAP_CHECK(stats(mirror).entries == NODE_PAGES - i - 1);
		KTAP_CHECK(stats(mirror).table_nodes == nodes_expected(live));
		/* Now and then, every page still mapped reads its data. */
		if (i % 100)
			continue;
		for (j = 0; j < NODE_PAGES; j++)
			if (live[j])
				KTAP_CHECK(device_reads(mirror,
							BASE + j * PAGE_SIZE,
							j));
	}
	printf("# %llu table nodes left\n", stats(mirror).table_nodes);
	KTAP_CHECK(stats(mirror).table_nodes == 1);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

#define CHUNK_PAGES	(4 * MMU_MIRROR_ZAP_CHUNK)	/* a zap of four holds */

/*
 * A device with a table of its own that only records what it is told:
 * whether the helper removed an entry of an access in flight.
 */
static struct {
	int first_unmap;	/* the zap has dropped the lock once */
	int zap_done;		/* the munmap returned */
	int open;		/* a bracket over @sva is open */
	u64 sva;		/* the page that bracket covers */
	unsigned long violations;	/* unmaps of it while open */
} bk;

static int brk_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		   unsigned int n, unsigned int flags)
{
	return 0;
}

static void brk_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	u64 page = __atomic_load_n(&bk.sva, __ATOMIC_SEQ_CST);

	__atomic_store_n(&bk.first_unmap, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&bk.open, __ATOMIC_SEQ_CST) && page >= sva &&
	    page < sva + size)
		bk.violations++;
}

static const struct mmu_mirror_ops brk_ops = {
	.flush = count_flush,
	.map = brk_map,
	.unmap = brk_unmap,
};

/* Try to open a bracket over the last page as soon as the zap began. */
static void *bracket_thread(void *p)
{
	struct mmu_mirror *mirror = p;
	struct mmu_mirror_inflight acc;
	u64 sva = BASE + (CHUNK_PAGES - 1) * PAGE_SIZE;

	__atomic_store_n(&bk.sva, sva, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&bk.first_unmap, __ATOMIC_SEQ_CST))
		sched_yield();
	while (!__atomic_load_n(&bk.zap_done, __ATOMIC_SEQ_CST)) {
		if (mmu_mirror_access_begin(mirror, &acc, sva, PAGE_SIZE, 0))
			continue;
		__atomic_store_n(&bk.open, 1, __ATOMIC_SEQ_CST);
		usleep(20000);
		__atomic_store_n(&bk.open, 0, __ATOMIC_SEQ_CST);
		mmu_mirror_access_end(mirror, &acc);
		break;
	}
	return NULL;
}

/* Proves: an access begun while a zap of its range drops the lock between chunks cannot lose its entry. */
static bool test_access_during_chunked_zap(void)
{
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	pthread_t t;
	u64 left;

	memset(&bk, 0, sizeof(bk));
	mm = model_mm_create();
	KTAP_CHECK(mm);
	KTAP_CHECK(model_mmap(mm, BASE, CHUNK_PAGES * PAGE_SIZE,
			      VM_READ | VM_WRITE) == BASE);
	mirror = mmu_mirror_create(mm, &brk_ops, 0, "bracket", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, BASE,
						 CHUNK_PAGES * PAGE_SIZE,
						 BASE, 0)));
	KTAP_CHECK(!mmu_mirror_fault(mirror, BASE, CHUNK_PAGES * PAGE_SIZE,
				     0));
	KTAP_CHECK(!pthread_create(&t, NULL, bracket_thread, mirror));
	KTAP_CHECK(!model_munmap(mm, BASE, CHUNK_PAGES * PAGE_SIZE));
	__atomic_store_n(&bk.zap_done, 1, __ATOMIC_SEQ_CST);
	KTAP_CHECK(!pthread_join(t, NULL));
	printf("# entries removed under an open bracket: %lu\n",
	       bk.violations);
	left = stats(mirror).entries;
	mmu_mirror_destroy(mirror);
	mmput(mm);
	KTAP_CHECK(bk.violations == 0);
	KTAP_CHECK(left == 0);
	return true;
}

static const struct ktap_case cases[] = {
	{ "split_range", test_split_range },
	{ "scattered_windows", test_scattered_windows },
	{ "concurrent_invalidations", test_concurrent_invalidations },
	{ "single_page_zaps", test_single_page_zaps },
	{ "access_during_chunked_zap", test_access_during_chunked_zap },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases), 8192,
			       true);
}
