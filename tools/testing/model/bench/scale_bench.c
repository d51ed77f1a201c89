// SPDX-License-Identifier: GPL-2.0
/*
 * scale_bench.c - how the helper scales, in the model
 *
 * The helper's sources, built unchanged against the model core VM, timed
 * where the kernel clients cannot go: the KVM-style client allows
 * KVMM_MAX_SLOTS (32) memslots, the GPU-style device one window per open,
 * so 10,000 windows in one mirror are only reachable here, through
 * mmu_mirror_window_add() directly.  Every entry maps the zero page (read
 * faults of untouched anonymous memory), so no frame is needed for them.
 *
 *   windows  MADV_DONTNEED and fault of one range split into 1, 100 and
 *            10,000 windows; MADV_DONTNEED of 1 MiB inside window 0
 *   mirrors  MADV_DONTNEED of a range that 0, 1, 8 and 64 mirrors map
 *   hold     the longest mirror->lock hold during a 64 MiB and a 1 GiB
 *            munmap (CPU time of the holder, model_lock_hold_max_ns())
 *   threads  fault throughput of 1, 2 and 4 threads faulting disjoint
 *            ranges of one mirror while another thread maps, faults and
 *            munmaps a range of the same mirror elsewhere
 *
 * Prints "scale| FIGURE MEDIAN Q1 Q3 UNIT" lines (medians over ROUNDS
 * rounds with their interquartile range) and "scale| FIGURE = RATIO"
 * lines.  Not a test: it prints figures.
 *
 * Usage: scale_bench [ROUNDS [windows|mirrors|hold|threads|all]]
 */
#include <linux/mmu_mirror.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../../../mm/mmu_mirror_internal.h"

#define WIN_PAGES	40000UL		/* 4 pages per window at 10,000 */
#define SMALL_PAGES	256UL		/* 1 MiB */
#define MAX_MIRRORS	64
#define THREAD_PAGES	4096UL		/* 16 MiB per faulting thread */
#define MAX_THREADS	4

static int rounds = 21;

static void bench_flush(struct mmu_mirror *mirror)
{
}

static const struct mmu_mirror_ops bench_ops = {
	.flush = bench_flush,
};

static void die(const char *what)
{
	fprintf(stderr, "scale_bench: %s failed\n", what);
	exit(2);
}

/* The calling thread's CPU time: a busy host does not stretch it. */
static double now_ns(void)
{
	return model_thread_cpu_ns();
}

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print the median of @v[0..n) over @div with its quartiles; return it. */
static double report(const char *what, double *v, int n, double div,
		     const char *unit)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("scale| %s %.1f %.1f %.1f %s\n", what, v[n / 2] / div,
	       v[n / 4] / div, v[3 * n / 4] / div, unit);
	return v[n / 2] / div;
}

static void ratio(const char *what, double num, double den)
{
	printf("scale| %s = %.2f\n", what, den ? num / den : 0);
	fflush(stdout);
}

/* An mm with @pages of anonymous memory mapped at *@addr. */
static struct mm_struct *bench_mm(unsigned long pages, unsigned long *addr)
{
	struct mm_struct *mm = model_mm_create();

	if (!mm)
		die("mm");
	*addr = model_mmap(mm, 0, pages * PAGE_SIZE, VM_READ | VM_WRITE);
	if (IS_ERR_VALUE(*addr))
		die("mmap");
	return mm;
}

/* @nwin windows splitting [addr, addr + pages pages) evenly. */
static void add_windows(struct mmu_mirror *mirror, unsigned long addr,
			unsigned long pages, unsigned long nwin)
{
	unsigned long i, len = pages / nwin * PAGE_SIZE;

	for (i = 0; i < nwin; i++)
		if (IS_ERR(mmu_mirror_window_add(mirror, addr + i * len, len,
						 addr + i * len, 0)))
			die("window_add");
}

static void fault(struct mmu_mirror *mirror, unsigned long addr,
		  unsigned long pages)
{
	if (mmu_mirror_fault(mirror, addr, pages * PAGE_SIZE, 0))
		die("fault");
}

/*
 * With @nwin windows splitting WIN_PAGES, plus one 1 MiB window before
 * them: DONTNEED and fault of the split range (per-window work at its
 * worst: 4 pages a window at 10,000), then of the 1 MiB window alone
 * (finding the one window among many).
 */
static void windows_one(unsigned long nwin, double med[4])
{
	static const char *const what[] = { "dontneed_split", "fault_split",
					    "dontneed_1win", "fault_1win" };
	unsigned long addr, split, len[4];
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	double *v[4], t;
	char name[64];
	int i, r;

	mm = bench_mm(SMALL_PAGES + WIN_PAGES, &addr);
	mirror = mmu_mirror_create(mm, &bench_ops, 0, "scale", NULL);
	if (IS_ERR(mirror))
		die("mirror");
	split = addr + SMALL_PAGES * PAGE_SIZE;
	add_windows(mirror, addr, SMALL_PAGES, 1);
	add_windows(mirror, split, WIN_PAGES, nwin);
	fault(mirror, addr, SMALL_PAGES + WIN_PAGES);
	for (i = 0; i < 4; i++) {
		v[i] = calloc(rounds, sizeof(double));
		if (!v[i])
			die("calloc");
		len[i] = i < 2 ? WIN_PAGES : SMALL_PAGES;
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 4; i += 2) {
			unsigned long a = i ? addr : split;

			t = now_ns();
			model_madvise_dontneed(mm, a, len[i] * PAGE_SIZE);
			v[i][r] = now_ns() - t;
			t = now_ns();
			fault(mirror, a, len[i]);
			v[i + 1][r] = now_ns() - t;
		}
	}
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "win%lu_%s", nwin, what[i]);
		med[i] = report(name, v[i], rounds, len[i], "ns/page");
		free(v[i]);
	}
	mmu_mirror_destroy(mirror);
	mmput(mm);
}

static void bench_windows(void)
{
	static const char *const what[] = { "dontneed_split", "fault_split",
					    "dontneed_1win", "fault_1win" };
	static const unsigned long nwins[] = { 1, 100, 10000 };
	double base[4], med[4];
	char name[64];
	int i, j;

	printf("# windows: %lu pages split into 1, 100, 10000 windows of one mirror (_split), and a 1 MiB window beside them (_1win)\n",
	       WIN_PAGES);
	for (i = 0; i < 3; i++) {
		windows_one(nwins[i], i ? med : base);
		for (j = 0; i && j < 4; j++) {
			snprintf(name, sizeof(name), "win%lu/win1 %s",
				 nwins[i], what[j]);
			ratio(name, med[j], base[j]);
		}
	}
}

/* DONTNEED of a range that @n mirrors (one window each) map. */
static double mirrors_one(int n)
{
	struct mmu_mirror *mirror[MAX_MIRRORS];
	double *tz = calloc(rounds, sizeof(double));
	struct mm_struct *mm;
	unsigned long addr;
	char name[64];
	double t, med;
	int i, r;

	mm = bench_mm(WIN_PAGES, &addr);
	for (i = 0; i < n; i++) {
		mirror[i] = mmu_mirror_create(mm, &bench_ops, 0, "scale",
					      NULL);
		if (IS_ERR(mirror[i]))
			die("mirror");
		add_windows(mirror[i], addr, WIN_PAGES, 1);
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++)
			fault(mirror[i], addr, WIN_PAGES);
		/* The faults populated the CPU side with the zero page. */
		t = now_ns();
		model_madvise_dontneed(mm, addr, WIN_PAGES * PAGE_SIZE);
		tz[r] = now_ns() - t;
	}
	snprintf(name, sizeof(name), "mirrors%d_dontneed", n);
	med = report(name, tz, rounds, WIN_PAGES, "ns/page");
	for (i = 0; i < n; i++)
		mmu_mirror_destroy(mirror[i]);
	mmput(mm);
	free(tz);
	return med;
}

static void bench_mirrors(void)
{
	static const int ns[] = { 1, 8, 64 };
	double base, med;
	char name[64];
	int i;

	printf("# mirrors: DONTNEED of %lu zero-page entries mapped by each of 1, 8, 64 mirrors of one mm\n",
	       WIN_PAGES);
	base = mirrors_one(1);
	for (i = 1; i < 3; i++) {
		med = mirrors_one(ns[i]);
		snprintf(name, sizeof(name), "mirrors%d/mirrors1 dontneed",
			 ns[i]);
		ratio(name, med, base);
		snprintf(name, sizeof(name),
			 "mirrors%d/mirrors1 dontneed per mirror", ns[i]);
		ratio(name, med / ns[i], base);
	}
}

/* The longest mirror->lock hold (ns) while @pages mapped pages go. */
static double hold_one(unsigned long pages, double *total)
{
	struct model_lock_hold hold = { };
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;
	double max;
	u64 t0;

	mm = bench_mm(pages, &addr);
	mirror = mmu_mirror_create(mm, &bench_ops, 0, "scale", NULL);
	if (IS_ERR(mirror))
		die("mirror");
	add_windows(mirror, addr, pages, 1);
	fault(mirror, addr, pages);
	model_spin_hold_track(&mirror->lock, &hold);
	model_lock_hold_reset(&hold);
	t0 = model_thread_cpu_ns();
	if (model_munmap(mm, addr, pages * PAGE_SIZE))
		die("munmap");
	*total = model_thread_cpu_ns() - t0;
	max = model_lock_hold_max_ns(&hold);
	model_spin_hold_track(&mirror->lock, NULL);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return max;
}

static void bench_hold(void)
{
	static const unsigned long mib[] = { 64, 1024 };
	double *max = calloc(rounds, sizeof(double));
	double *tot = calloc(rounds, sizeof(double));
	double med[2];
	char name[64];
	int i, r;

	if (!max || !tot)
		die("calloc");
	printf("# hold: longest mirror->lock hold during munmap of a fully mirrored 64 MiB and 1 GiB range\n");
	for (i = 0; i < 2; i++) {
		for (r = 0; r < rounds; r++)
			max[r] = hold_one(mib[i] << (20 - PAGE_SHIFT),
					  &tot[r]);
		snprintf(name, sizeof(name), "hold_max_%luM", mib[i]);
		med[i] = report(name, max, rounds, 1000, "us");
		snprintf(name, sizeof(name), "hold_munmap_%luM", mib[i]);
		report(name, tot, rounds, 1000, "us");
	}
	ratio("hold_max 1G/64M", med[1], med[0]);
	free(max);
	free(tot);
}

struct worker {
	pthread_t tid;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;
	double ns;		/* time in mmu_mirror_fault() */
	unsigned long pages;	/* pages faulted */
};

static volatile int stop_unmapper;

/* Fault the worker's range, drop it again (untimed), until told. */
static void *fault_worker(void *arg)
{
	struct worker *w = arg;
	int i;
	double t;

	for (i = 0; i < rounds; i++) {
		t = wall_ns();
		fault(w->mirror, w->addr, THREAD_PAGES);
		w->ns += wall_ns() - t;
		w->pages += THREAD_PAGES;
		model_madvise_dontneed(w->mm, w->addr,
				       THREAD_PAGES * PAGE_SIZE);
	}
	return NULL;
}

/* Map, fault and munmap one range of the mirror, over and over. */
static void *unmap_worker(void *arg)
{
	struct worker *w = arg;

	while (!stop_unmapper) {
		if (IS_ERR_VALUE(model_mmap(w->mm, w->addr,
					    THREAD_PAGES * PAGE_SIZE,
					    VM_READ | VM_WRITE)))
			die("mmap");
		fault(w->mirror, w->addr, THREAD_PAGES);
		if (model_munmap(w->mm, w->addr, THREAD_PAGES * PAGE_SIZE))
			die("munmap");
		w->pages++;
	}
	return NULL;
}

/* Pages per second per faulting thread, summed, with @n of them. */
static double threads_one(int n, unsigned long *unmaps)
{
	unsigned long addr, total = (MAX_THREADS + 1) * THREAD_PAGES;
	struct worker w[MAX_THREADS + 1] = { };
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	double rate = 0;
	int i;

	mm = bench_mm(total, &addr);
	mirror = mmu_mirror_create(mm, &bench_ops, 0, "scale", NULL);
	if (IS_ERR(mirror))
		die("mirror");
	add_windows(mirror, addr, total, 1);
	stop_unmapper = 0;
	for (i = 0; i <= n; i++) {
		w[i].mirror = mirror;
		w[i].mm = mm;
		w[i].addr = addr + i * THREAD_PAGES * PAGE_SIZE;
		if (pthread_create(&w[i].tid, NULL,
				   i == n ? unmap_worker : fault_worker, &w[i]))
			die("pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		rate += w[i].pages / w[i].ns * 1e9;
	}
	stop_unmapper = 1;
	pthread_join(w[n].tid, NULL);
	*unmaps = w[n].pages;
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return rate;
}

static void bench_threads(void)
{
	static const int ns[] = { 1, 2, 4 };
	double *v = calloc(5, sizeof(double)), base = 0, med;
	unsigned long unmaps;
	char name[64];
	int i, r;

	if (!v)
		die("calloc");
	printf("# threads: %lu-page faults by 1, 2, 4 threads (disjoint ranges, one mirror, %d faults each) while a thread munmaps another range; pages/s summed over the faulting threads, median of 5 runs\n",
	       THREAD_PAGES, rounds);
	for (i = 0; i < 3; i++) {
		for (r = 0; r < 5; r++)
			v[r] = threads_one(ns[i], &unmaps);
		snprintf(name, sizeof(name), "threads%d_fault_rate", ns[i]);
		med = report(name, v, 5, 1e6, "Mpages/s");
		printf("# (last run: %lu munmaps alongside)\n", unmaps);
		if (!i)
			base = med;
		snprintf(name, sizeof(name), "threads%d/threads1 fault_rate",
			 ns[i]);
		ratio(name, med, base);
	}
	free(v);
}

int main(int argc, char **argv)
{
	const char *what = argc > 2 ? argv[2] : "all";
	bool all = !strcmp(what, "all");

	if (argc > 1)
		rounds = atoi(argv[1]);
	if (rounds < 3 || model_phys_init(1UL << 16) || model_modules_init())
		return 2;
	printf("# scale_bench: %d rounds, model core VM, thread CPU time (threads: wall time)\n",
	       rounds);
	if (all || !strcmp(what, "windows"))
		bench_windows();
	if (all || !strcmp(what, "mirrors"))
		bench_mirrors();
	if (all || !strcmp(what, "hold"))
		bench_hold();
	if (all || !strcmp(what, "threads"))
		bench_threads();
	model_modules_exit();
	model_phys_exit();
	return 0;
}
