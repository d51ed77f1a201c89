// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench.c - what one device fault costs per page, in the model
 *
 * The helper's fault path, built unchanged against the model core VM, is
 * timed per page against the parts it cannot avoid: hmm_range_fault()
 * over the same populated pages (the walk) and the helper's snapshot.
 * Run it under valgrind --tool=callgrind to count instructions per page
 * by function (scripts in Documentation/dev-tools/testing.rst); its own
 * timings are medians over ROUNDS rounds of the thread's CPU time, the
 * last line ("fault| ...") for scripts.  Not a test: it prints figures.
 * fault_bench_b<N> (make bench-batch) is the same program with the helper
 * built for a fault batch (MMU_MIRROR_FAULT_BATCH) of N pages.
 *
 * Usage: fault_bench [PAGES [ROUNDS [BATCH]]]
 *   PAGES   pages mapped and faulted per round (default 4096)
 *   ROUNDS  rounds (default 21)
 *   BATCH   pages per mmu_mirror_fault() call (default PAGES)
 */
#include <linux/hmm.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../../../../mm/mmu_mirror_internal.h"

static void bench_flush(struct mmu_mirror *mirror)
{
}

static const struct mmu_mirror_ops bench_ops = {
	.flush = bench_flush,
};

/* The calling thread's CPU time: a busy host does not stretch it. */
static double now_ns(void)
{
	return model_thread_cpu_ns();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print the median of @v (reordered) per page with its quartiles. */
static void report(const char *what, double *v, int n, unsigned long pages)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%-34s %8.1f ns/page (q1 %.1f, q3 %.1f)\n", what,
	       v[n / 2] / pages, v[n / 4] / pages, v[3 * n / 4] / pages);
}

/* " MEDIAN Q1 Q3" per page of the sorted @v, for the "fault|" line. */
static void quartiles(const double *v, int n, unsigned long pages)
{
	printf(" %.1f %.1f %.1f", v[n / 2] / pages, v[n / 4] / pages,
	       v[3 * n / 4] / pages);
}

static bool walk_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops walk_ops = {
	.invalidate = walk_invalidate,
};

/* The bare walk: hmm_range_fault() over populated pages, no notifier. */
static double walk(struct mm_struct *mm, unsigned long addr,
		   unsigned long pages, unsigned long *pfns)
{
	struct mmu_interval_notifier mni = { };
	struct hmm_range range = {
		.notifier = &mni,
		.start = addr,
		.end = addr + pages * PAGE_SIZE,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT,
	};
	double t;
	int ret;

	if (mmu_interval_notifier_insert(&mni, mm, addr, pages * PAGE_SIZE,
					 &walk_ops))
		exit(2);
	t = now_ns();
	range.notifier_seq = mmu_interval_read_begin(&mni);
	mmap_read_lock(mm);
	ret = hmm_range_fault(&range);
	mmap_read_unlock(mm);
	t = now_ns() - t;
	mmu_interval_notifier_remove(&mni);
	if (ret)
		exit(2);
	return t;
}

int main(int argc, char **argv)
{
	unsigned long pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 4096;
	int rounds = argc > 2 ? atoi(argv[2]) : 21;
	unsigned long batch = argc > 3 ? strtoul(argv[3], NULL, 0) : pages;
	double *tf, *tw, *ts, *tr;
	struct mmu_mirror_window *win;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr, *pfns, off;
	int r;

	if (!pages || rounds < 1 || !batch || pages > (1UL << 20))
		return 2;
	tf = calloc(rounds, sizeof(*tf));
	tw = calloc(rounds, sizeof(*tw));
	ts = calloc(rounds, sizeof(*ts));
	tr = calloc(rounds, sizeof(*tr));
	pfns = calloc(pages, sizeof(*pfns));
	if (!tf || !tw || !ts || !tr || !pfns || model_phys_init(pages + 1024) ||
	    model_modules_init())
		return 2;
	mm = model_mm_create();
	addr = model_mmap(mm, 0, pages * PAGE_SIZE, VM_READ | VM_WRITE);
	if (!mm || IS_ERR_VALUE(addr))
		return 2;
	for (off = 0; off < pages * PAGE_SIZE; off += PAGE_SIZE)
		if (model_cpu_access(mm, addr + off, &off, 1, true))
			return 2;
	mirror = mmu_mirror_create(mm, &bench_ops, 0, "bench", NULL);
	if (IS_ERR(mirror))
		return 2;

	for (r = 0; r < rounds; r++) {
		double t;

		win = mmu_mirror_window_add(mirror, addr, pages * PAGE_SIZE,
					    addr, 0);
		if (IS_ERR(win))
			return 2;
		t = now_ns();
		for (off = 0; off < pages; off += batch)
			if (mmu_mirror_fault(mirror, addr + off * PAGE_SIZE,
					     min(batch, pages - off) *
					     PAGE_SIZE, 0))
				return 2;
		tf[r] = now_ns() - t;
		mmu_mirror_window_remove(mirror, win);
		tw[r] = walk(mm, addr, pages, pfns);
		t = now_ns();
		if (mmu_mirror_snapshot(mirror, addr, pages, pfns))
			return 2;
		ts[r] = now_ns() - t;
		tr[r] = tf[r] / tw[r];
	}
	printf("# %lu pages, %d rounds, %lu pages per fault call, fault batch %lu\n",
	       pages, rounds, batch, MMU_MIRROR_FAULT_BATCH);
	report("mmu_mirror_fault()", tf, rounds, pages);
	report("hmm_range_fault() alone", tw, rounds, pages);
	report("mmu_mirror_snapshot()", ts, rounds, pages);
	/*
	 * fault| BATCH fault MED Q1 Q3 walk MED Q1 Q3 (ns/page) ratio MED Q1
	 * Q3 (fault / walk of the same round)
	 */
	printf("fault| %lu fault", MMU_MIRROR_FAULT_BATCH);
	quartiles(tf, rounds, pages);
	printf(" walk");
	quartiles(tw, rounds, pages);
	qsort(tr, rounds, sizeof(*tr), cmp_double);
	printf(" ratio %.3f %.3f %.3f\n", tr[rounds / 2], tr[rounds / 4],
	       tr[3 * rounds / 4]);

	mmu_mirror_destroy(mirror);
	mmput(mm);
	model_modules_exit();
	model_phys_exit();
	free(tf);
	free(tw);
	free(ts);
	free(tr);
	free(pfns);
	return 0;
}
