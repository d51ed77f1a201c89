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
 *   hold     every mirror->lock hold during a 64 MiB and a 1 GiB munmap
 *            (CPU time of the holder): percentiles of all holds, and the
 *            longest hold per munmap
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

#define NR_WINSETS	3

static const char *const win_what[] = { "dontneed_split", "fault_split",
					"dontneed_1win", "fault_1win" };

/*
 * One mirror with @nwin windows splitting WIN_PAGES, plus one 1 MiB
 * window before them, everything faulted in.
 */
struct winset {
	unsigned long nwin;
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	unsigned long addr;	/* the 1 MiB window */
	unsigned long split;	/* the split range */
	double *v[4];		/* per round: the four figures, ns */
};

static void winset_init(struct winset *ws, unsigned long nwin)
{
	int i;

	ws->nwin = nwin;
	ws->mm = bench_mm(SMALL_PAGES + WIN_PAGES, &ws->addr);
	ws->mirror = mmu_mirror_create(ws->mm, &bench_ops, 0, "scale", NULL);
	if (IS_ERR(ws->mirror))
		die("mirror");
	ws->split = ws->addr + SMALL_PAGES * PAGE_SIZE;
	add_windows(ws->mirror, ws->addr, SMALL_PAGES, 1);
	add_windows(ws->mirror, ws->split, WIN_PAGES, nwin);
	fault(ws->mirror, ws->addr, SMALL_PAGES + WIN_PAGES);
	for (i = 0; i < 4; i++) {
		ws->v[i] = calloc(rounds, sizeof(double));
		if (!ws->v[i])
			die("calloc");
	}
}

/*
 * Round @r of @ws: DONTNEED and fault of the split range (per-window
 * work at its worst: 4 pages a window at 10,000), then of the 1 MiB
 * window alone (finding the one window among many).
 */
static void winset_round(struct winset *ws, int r)
{
	int i;

	for (i = 0; i < 4; i += 2) {
		unsigned long a = i ? ws->addr : ws->split;
		unsigned long pages = i ? SMALL_PAGES : WIN_PAGES;
		double t = now_ns();

		model_madvise_dontneed(ws->mm, a, pages * PAGE_SIZE);
		ws->v[i][r] = (now_ns() - t) / pages;
		t = now_ns();
		fault(ws->mirror, a, pages);
		ws->v[i + 1][r] = (now_ns() - t) / pages;
	}
}

static void winset_exit(struct winset *ws)
{
	int i;

	mmu_mirror_destroy(ws->mirror);
	mmput(ws->mm);
	for (i = 0; i < 4; i++)
		free(ws->v[i]);
}

/* The median over the rounds of @num[r] / @den[r], as "scale| ... =". */
static void ratio_per_round(const char *what, const double *num,
			    const double *den, double *tmp)
{
	int r;

	for (r = 0; r < rounds; r++)
		tmp[r] = num[r] / den[r];
	qsort(tmp, rounds, sizeof(*tmp), cmp_double);
	ratio(what, tmp[rounds / 2], 1);
}

/*
 * The window counts 1, 100 and 10,000, twice.  Warm: each count's rounds
 * one after the other, so every DONTNEED comes right after the fault of
 * the previous round touched all the windows.  Cold: each round measures
 * the three counts in turn, so the other two evicted a count's windows
 * from the caches since its last fault; also, a slow spell of the host
 * falls on all three alike.  Ratios to one window per round.
 */
static void bench_windows(void)
{
	static const unsigned long nwins[NR_WINSETS] = { 1, 100, 10000 };
	static const char *const mode[2] = { "", "_cold" };
	double *tmp = calloc(rounds, sizeof(double));
	struct winset ws[NR_WINSETS];
	char name[64];
	int i, j, r, m;

	if (!tmp)
		die("calloc");
	printf("# windows: %lu pages split into 1, 100, 10000 windows of one mirror (_split), and a 1 MiB window beside them (_1win); each count on its own (warm), then the three in turn every round (_cold); ratios per round\n",
	       WIN_PAGES);
	for (m = 0; m < 2; m++) {
		for (i = 0; i < NR_WINSETS; i++)
			winset_init(&ws[i], nwins[i]);
		for (i = 0; m == 0 && i < NR_WINSETS; i++)
			for (r = 0; r < rounds; r++)
				winset_round(&ws[i], r);
		for (r = 0; m == 1 && r < rounds; r++)
			for (i = 0; i < NR_WINSETS; i++)
				winset_round(&ws[i], r);
		for (i = 1; i < NR_WINSETS; i++)
			for (j = 0; j < 4; j++) {
				snprintf(name, sizeof(name),
					 "win%lu/win1%s %s", nwins[i],
					 mode[m], win_what[j]);
				ratio_per_round(name, ws[i].v[j], ws[0].v[j],
						tmp);
			}
		for (i = 0; i < NR_WINSETS; i++) {
			for (j = 0; j < 4; j++) {
				snprintf(name, sizeof(name), "win%lu_%s%s",
					 nwins[i], win_what[j], mode[m]);
				report(name, ws[i].v[j], rounds, 1,
				       "ns/page");
			}
			winset_exit(&ws[i]);
		}
	}
	free(tmp);
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

#define HOLD_SAMPLES	4096	/* holds kept per munmap: 1 GiB needs ~520 */

/*
 * Every mirror->lock hold (ns, into @v, at most HOLD_SAMPLES) while
 * @pages mapped pages are munmapped; returns the number of holds kept and
 * sets *@total to the munmap's CPU time and *@max to its longest hold.
 */
static unsigned long hold_one(unsigned long pages, u64 *v, double *total,
			      double *max)
{
	struct model_lock_hold hold = { .samples = v,
					.max_samples = HOLD_SAMPLES };
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;
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
	*max = model_lock_hold_max_ns(&hold);
	model_spin_hold_track(&mirror->lock, NULL);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return min_t(u64, hold.holds, HOLD_SAMPLES);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

/* The @q quantile (0..1) of the sorted @v[0..n). */
static double quantile(const u64 *v, unsigned long n, double q)
{
	unsigned long i = (unsigned long)(q * (n - 1) + 0.5);

	return n ? v[i] : 0;
}

/*
 * What the host does to a thread that only reads its CPU clock for
 * 200 ms: gaps of more than 10 us between two reads (interrupts, the
 * hypervisor running another guest), which a lock hold that meets one
 * grows by.  Prints their rate per ms and the longest.
 */
static void host_gaps(void)
{
	u64 start = model_thread_cpu_ns(), prev = start, now, gap, max = 0;
	unsigned long gaps = 0;

	do {
		now = model_thread_cpu_ns();
		gap = now - prev;
		gaps += gap > 10000;
		max = max_t(u64, max, gap);
		prev = now;
	} while (now - start < 200000000ULL);
	printf("# host: %.2f gaps of more than 10 us per ms of CPU time in a loop that only reads the clock, longest %.1f us\n",
	       gaps / 200.0, max / 1000.0);
}

/*
 * The holds of every round pooled: their median, 99th and 99.9th
 * percentile (each hold removes at most MMU_MIRROR_ZAP_CHUNK leaves, so
 * these should not grow with the size), and the longest hold of each
 * round as before (its median over the rounds, which does grow: it is the
 * maximum of more holds, and catches whatever the host did to one).
 */
static void bench_hold(void)
{
	static const unsigned long mib[] = { 64, 1024 };
	double *max = calloc(rounds, sizeof(double));
	double *tot = calloc(rounds, sizeof(double));
	u64 *all = calloc((size_t)rounds * HOLD_SAMPLES, sizeof(u64));
	double p99[2], pmax[2];
	char name[64];
	int i, r;

	if (!max || !tot || !all)
		die("calloc");
	printf("# hold: every mirror->lock hold during munmap of a fully mirrored 64 MiB and 1 GiB range (one window; holds of all rounds pooled for the percentiles)\n");
	host_gaps();
	for (i = 0; i < 2; i++) {
		unsigned long n = 0;

		for (r = 0; r < rounds; r++)
			n += hold_one(mib[i] << (20 - PAGE_SHIFT), all + n,
				      &tot[r], &max[r]);
		qsort(all, n, sizeof(*all), cmp_u64);
		printf("scale| hold_p50_%luM %.2f %.2f %.2f us\n", mib[i],
		       quantile(all, n, 0.5) / 1000,
		       quantile(all, n, 0.25) / 1000,
		       quantile(all, n, 0.75) / 1000);
		p99[i] = quantile(all, n, 0.99);
		printf("scale| hold_p99_%luM %.2f %.2f %.2f us\n", mib[i],
		       p99[i] / 1000, quantile(all, n, 0.98) / 1000,
		       quantile(all, n, 0.995) / 1000);
		printf("scale| hold_p999_%luM %.2f %.2f %.2f us\n", mib[i],
		       quantile(all, n, 0.999) / 1000,
		       quantile(all, n, 0.998) / 1000,
		       all[n - 1] / 1000.0);
		printf("# %luM: %lu holds in %d munmaps (%lu per munmap)\n",
		       mib[i], n, rounds, n / rounds);
		snprintf(name, sizeof(name), "hold_max_%luM", mib[i]);
		pmax[i] = report(name, max, rounds, 1000, "us");
		snprintf(name, sizeof(name), "hold_munmap_%luM", mib[i]);
		report(name, tot, rounds, 1000, "us");
	}
	ratio("hold_p99 1G/64M", p99[1], p99[0]);
	ratio("hold_max 1G/64M", pmax[1], pmax[0]);
	free(max);
	free(tot);
	free(all);
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
