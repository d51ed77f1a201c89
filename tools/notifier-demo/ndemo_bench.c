// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_bench - what a dmirror-style device costs the core VM, and what
 * its fault path costs
 *
 * Runs against any device with the dmirror UAPI (READ 0x00, SNAPSHOT 0x04
 * on ioctl letter 'H'): our GPU-style device and the kernel's test_hmm
 * register the same /dev/hmm_dmirror0, so one program measures both.
 *
 * Figures, each the median of ROUNDS rounds with the interquartile range:
 *
 *  unmap   munmap or MADV_DONTNEED of a populated region (4 KiB pages or
 *          THP) the device has fully mapped, divided by the same operation
 *          on a region nobody mirrors, measured alternately; the ratio is
 *          taken per round.
 *  fault   per page: a READ of a populated region the device has not
 *          mapped yet (fault + copy) minus a second READ of the same
 *          region (copy only), taken per round, so the copy, whose cost
 *          varies much more from round to round than the fault does,
 *          cancels within the round.  The CPU page tables are populated
 *          first: what remains is hmm_range_fault() plus the device's
 *          table updates.
 *  read    per page: the second READ (lookup and copy of mapped memory).
 *  walk    per page: a SNAPSHOT of the region (hmm_range_fault() without
 *          faulting, one byte out per page), the bare page-table walk the
 *          fault cost is compared with.
 *  table   our device only (NDEMO_GET_STATS): table bytes per mapped
 *          4 KiB page and per 2 MiB leaf, and the nodes left after the
 *          region is unmapped; one measurement each.
 *  sizes   (-S) the unmap figures again for each region size of a list,
 *          named with the size: munmap_4k_ratio_16M, ...
 *  mirrors (-M) MADV_DONTNEED and munmap of a region of 4 KiB pages that
 *          N open files of the device (N mirrors of this mm) have all
 *          mapped, against the same operation unmirrored, for each N of a
 *          list: mirrors8_dontneed_ratio, ...; and per mirror, what each
 *          one adds: (ratio - 1) / N, mirrors8_dontneed_per_mirror.
 *
 * Output: one line per figure,
 *   bench| LABEL FIGURE MEDIAN Q1 Q3 UNIT
 * for scripts/bench-hmm.sh to put side by side.  Only ratios taken in one
 * run mean anything under QEMU's emulation; absolute times are context.
 *
 * Usage: ndemo_bench [-d DEVICE] [-l LABEL] [-s MIB] [-f PAGES] [-r FROUNDS]
 *                    [-u] [-S MIB,...] [-M N,...] [-m MIB] [-R SROUNDS]
 *                    [ROUNDS]
 *   -d  device node (default /dev/hmm_dmirror0)
 *   -l  label printed on every line (default "dev")
 *   -s  unmap region size in MiB (default 8)
 *   -f  fault region size in pages (default 256; THP regions are 2 MiB at
 *       least, of which the first PAGES are read)
 *   -r  fault rounds (default 201)
 *   -u  skip the unmap figures
 *   -S  region sizes in MiB for the size sweep (up to 8, each 1-256)
 *   -M  mirror counts for the mirrors sweep (up to 8, each 1-64)
 *   -m  region size in MiB of the mirrors sweep (default 1)
 *   -R  rounds of each sweep figure (default 9)
 *   ROUNDS: unmap rounds (default 41)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/notifier_demo.h>

#define HUGE		(2UL << 20)
#define PAGE		4096UL
#define MAX_LIST	8
#define MAX_MIRRORS	64

enum op { OP_MUNMAP, OP_DONTNEED };

static const char *label = "dev";
static unsigned long region_size = 8UL << 20;
static unsigned long fault_pages = 256;
static char *bounce;
static unsigned long bounce_size;
static int fault_rounds = 201;
static int rounds = 41;
static int sweep_rounds = 9;
static int fd = -1;
/* The extra open files of the mirrors sweep; fds[0] is fd. */
static int fds[MAX_MIRRORS];
static int nr_mirrors = 1;

static void die(const char *what)
{
	fprintf(stderr, "ndemo_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A populated, 2 MiB aligned region, THP-backed or in 4 KiB pages. */
static char *region(bool thp)
{
	unsigned long size = region_size;
	char *raw, *p;

	raw = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + size, raw + HUGE - p);
	if (madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	memset(p, 0x5a, size);
	return p;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Time one device command over the whole region. */
static double command(unsigned long request, char *p, unsigned long npages)
{
	struct ndemo_cmd cmd = {
		.addr = (uintptr_t)p,
		.ptr = (uintptr_t)bounce,
		.npages = npages,
	};
	double t = now_ns();

	if (ioctl(fd, request, &cmd))
		die(request == NDEMO_READ ? "READ" : "SNAPSHOT");
	t = now_ns() - t;
	if (cmd.cpages != cmd.npages) {
		fprintf(stderr, "ndemo_bench: %llu of %llu pages done\n",
			(unsigned long long)cmd.cpages,
			(unsigned long long)cmd.npages);
		exit(2);
	}
	return t;
}

/*
 * Time one unmap operation on a fresh region, device-mapped if @mirror
 * (by each of the nr_mirrors open files).
 */
static double unmap_once(enum op op, bool thp, bool mirror)
{
	char *p = region(thp);
	int saved = fd, i;
	double t;

	for (i = 0; mirror && i < nr_mirrors; i++) {
		fd = fds[i];
		command(NDEMO_READ, p, region_size / PAGE);
	}
	fd = saved;
	t = now_ns();
	if (op == OP_MUNMAP) {
		if (munmap(p, region_size))
			die("munmap");
	} else if (madvise(p, region_size, MADV_DONTNEED)) {
		die("MADV_DONTNEED");
	}
	t = now_ns() - t;
	if (op == OP_DONTNEED)
		munmap(p, region_size);
	return t;
}

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print the median and quartiles of @v (reordered). */
static void report(const char *figure, double *v, int n, const char *unit)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("bench| %s %s %.4g %.4g %.4g %s\n", label, figure, v[n / 2],
	       v[n / 4], v[(3 * n) / 4], unit);
}

/*
 * @n rounds of @op, plain and mirrored alternately; figures named
 * <op>_<4k|thp>_{ratio,plain,mirrored}@suffix.
 */
static void bench_unmap(enum op op, bool thp, double *v[4], int n,
			const char *suffix)
{
	const char *name = op == OP_MUNMAP ? "munmap" : "dontneed";
	const char *size = thp ? "thp" : "4k";
	char figure[64];
	int r;

	for (r = 0; r < n; r++) {
		v[0][r] = unmap_once(op, thp, false);
		v[1][r] = unmap_once(op, thp, true);
		v[2][r] = v[1][r] / v[0][r];
		v[0][r] /= 1000;
		v[1][r] /= 1000;
	}
	snprintf(figure, sizeof(figure), "%s_%s_ratio%s", name, size, suffix);
	report(figure, v[2], n, "x");
	snprintf(figure, sizeof(figure), "%s_%s_plain%s", name, size, suffix);
	report(figure, v[0], n, "us");
	snprintf(figure, sizeof(figure), "%s_%s_mirrored%s", name, size,
		 suffix);
	report(figure, v[1], n, "us");
}

/* The unmap figures for each region size of @mib[0..n). */
static void bench_sizes(const unsigned long *mib, int n, double *v[4])
{
	unsigned long saved = region_size;
	char suffix[16];
	int i;

	for (i = 0; i < n; i++) {
		region_size = mib[i] << 20;
		snprintf(suffix, sizeof(suffix), "_%luM", mib[i]);
		bench_unmap(OP_MUNMAP, false, v, sweep_rounds, suffix);
		bench_unmap(OP_MUNMAP, true, v, sweep_rounds, suffix);
		bench_unmap(OP_DONTNEED, false, v, sweep_rounds, suffix);
		bench_unmap(OP_DONTNEED, true, v, sweep_rounds, suffix);
	}
	region_size = saved;
}

/*
 * DONTNEED and munmap of @mib MiB of 4 KiB pages mapped by @count[i]
 * mirrors, for each i; what each mirror adds is (ratio - 1) / N.
 */
static void bench_mirrors(const unsigned long *count, int n,
			  unsigned long mib, double *v[4], const char *dev)
{
	unsigned long saved = region_size;
	char figure[64];
	int i, r, op;

	region_size = mib << 20;
	for (i = 0; i < n; i++) {
		for (; nr_mirrors < (int)count[i]; nr_mirrors++) {
			fds[nr_mirrors] = open(dev, O_RDWR);
			if (fds[nr_mirrors] < 0)
				die(dev);
		}
		/* A mirror not asked for must not be there at all. */
		for (; nr_mirrors > (int)count[i]; nr_mirrors--)
			close(fds[nr_mirrors - 1]);
		for (op = OP_MUNMAP; op <= OP_DONTNEED; op++) {
			const char *name = op == OP_MUNMAP ? "munmap" :
							     "dontneed";

			for (r = 0; r < sweep_rounds; r++) {
				double plain = unmap_once(op, false, false);

				v[2][r] = unmap_once(op, false, true) / plain;
				v[3][r] = (v[2][r] - 1) / count[i];
			}
			snprintf(figure, sizeof(figure), "mirrors%lu_%s_ratio",
				 count[i], name);
			report(figure, v[2], sweep_rounds, "x");
			snprintf(figure, sizeof(figure),
				 "mirrors%lu_%s_per_mirror", count[i], name);
			report(figure, v[3], sweep_rounds, "x");
		}
	}
	for (; nr_mirrors > 1; nr_mirrors--)
		close(fds[nr_mirrors - 1]);
	region_size = saved;
}

/* Parse "A,B,C" into @out (at most MAX_LIST, each in [1, @max]). */
static int parse_list(const char *arg, unsigned long *out,
		      unsigned long max)
{
	char *end;
	int n = 0;

	do {
		if (n == MAX_LIST)
			return -1;
		out[n] = strtoul(arg, &end, 10);
		if (end == arg || !out[n] || out[n] > max)
			return -1;
		n++;
		arg = end + 1;
	} while (*end == ',');
	return *end ? -1 : n;
}

/*
 * Small regions and many rounds: the two READs of a round follow each
 * other closely, so what slows the emulation down for a while slows both.
 */
static void bench_fault(bool thp, double *v[4])
{
	const char *size = thp ? "thp" : "4k";
	double npages = fault_pages;
	unsigned long saved = region_size;
	char figure[64];
	int r;

	region_size = thp ? max_ul(fault_pages * PAGE, HUGE) :
		      fault_pages * PAGE;
	for (r = 0; r < fault_rounds; r++) {
		char *p = region(thp);
		double first, second;

		v[2][r] = command(NDEMO_SNAPSHOT, p, fault_pages) / npages;
		first = command(NDEMO_READ, p, fault_pages);
		second = command(NDEMO_READ, p, fault_pages);
		v[0][r] = (first - second) / npages;
		v[1][r] = second / npages;
		v[3][r] = v[0][r] / v[2][r];
		munmap(p, region_size);
	}
	region_size = saved;
	snprintf(figure, sizeof(figure), "fault_%s", size);
	report(figure, v[0], fault_rounds, "ns/page");
	snprintf(figure, sizeof(figure), "read_%s", size);
	report(figure, v[1], fault_rounds, "ns/page");
	snprintf(figure, sizeof(figure), "walk_%s", size);
	report(figure, v[2], fault_rounds, "ns/page");
	snprintf(figure, sizeof(figure), "fault_per_walk_%s", size);
	report(figure, v[3], fault_rounds, "x");
}

static bool table_nodes(unsigned long long *nodes)
{
	struct ndemo_stats st;

	/* Our device only: test_hmm has no statistics command. */
	if (ioctl(fd, NDEMO_GET_STATS, &st))
		return false;
	*nodes = st.table_nodes;
	return true;
}

/*
 * The device's table memory: bytes of table nodes per mapped 4 KiB page
 * (or per 2 MiB leaf for THP) of a region, and the nodes left over once
 * the region is unmapped (0: the table shrank back to where it was).
 */
static void bench_memory(bool thp)
{
	unsigned long long floor, mapped, left;
	double units = thp ? region_size / HUGE : region_size / PAGE;
	char figure[64];
	char *p;

	if (!table_nodes(&floor))
		return;
	p = region(thp);
	command(NDEMO_READ, p, region_size / PAGE);
	table_nodes(&mapped);
	munmap(p, region_size);
	table_nodes(&left);
	snprintf(figure, sizeof(figure), "table_bytes_per_%s",
		 thp ? "2m_leaf" : "4k_page");
	printf("bench| %s %s %.4g %.4g %.4g B\n", label, figure,
	       (mapped - floor) * PAGE / units, (mapped - floor) * PAGE / units,
	       (mapped - floor) * PAGE / units);
	snprintf(figure, sizeof(figure), "nodes_left_after_unmap_%s",
		 thp ? "thp" : "4k");
	printf("bench| %s %s %lld %lld %lld nodes\n", label, figure,
	       (long long)(left - floor), (long long)(left - floor),
	       (long long)(left - floor));
}

static void usage(void)
{
	fprintf(stderr, "usage: ndemo_bench [-d DEVICE] [-l LABEL] [-s MIB] "
		"[-f PAGES] [-r FROUNDS] [-u] [-S MIB,...] [-M N,...] "
		"[-m MIB] [-R SROUNDS] [ROUNDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long sizes[MAX_LIST], counts[MAX_LIST], mirrors_mib = 1;
	const char *device = "/dev/hmm_dmirror0";
	int i, n, opt, nr_sizes = 0, nr_counts = 0;
	bool unmap = true;
	double *v[4];

	while ((opt = getopt(argc, argv, "d:f:l:m:r:s:uM:R:S:")) != -1) {
		switch (opt) {
		case 'M':
			nr_counts = parse_list(optarg, counts, MAX_MIRRORS);
			if (nr_counts < 0)
				usage();
			break;
		case 'S':
			nr_sizes = parse_list(optarg, sizes, 256);
			if (nr_sizes < 0)
				usage();
			break;
		case 'R':
			sweep_rounds = atoi(optarg);
			if (sweep_rounds < 3 || sweep_rounds > 100000)
				usage();
			break;
		case 'm':
			mirrors_mib = strtoul(optarg, NULL, 0);
			if (!mirrors_mib || mirrors_mib > 256)
				usage();
			break;
		case 'd':
			device = optarg;
			break;
		case 'f':
			fault_pages = strtoul(optarg, NULL, 0);
			if (!fault_pages || fault_pages > 65536)
				usage();
			break;
		case 'l':
			label = optarg;
			break;
		case 'r':
			fault_rounds = atoi(optarg);
			if (fault_rounds < 3 || fault_rounds > 100000)
				usage();
			break;
		case 'u':
			unmap = false;
			break;
		case 's':
			region_size = strtoul(optarg, NULL, 0) << 20;
			if (!region_size || region_size > (256UL << 20))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		rounds = atoi(argv[optind]);
	if (rounds < 3 || rounds > 100000) {
		fprintf(stderr, "ndemo_bench: ROUNDS must be 3..100000\n");
		return 2;
	}
	fd = open(device, O_RDWR);
	if (fd < 0)
		die(device);
	fds[0] = fd;
	n = rounds > fault_rounds ? rounds : fault_rounds;
	n = n > sweep_rounds ? n : sweep_rounds;
	region_size = max_ul(region_size, fault_pages * PAGE);
	bounce_size = max_ul(region_size, mirrors_mib << 20);
	for (i = 0; i < nr_sizes; i++)
		bounce_size = max_ul(bounce_size, sizes[i] << 20);
	bounce = malloc(bounce_size);
	for (i = 0; i < 4; i++)
		v[i] = calloc(n, sizeof(double));
	if (!bounce || !v[0] || !v[1] || !v[2] || !v[3])
		die("malloc");
	/* Populate the bounce buffer: its faults must not be timed. */
	memset(bounce, 0, bounce_size);

	if (unmap) {
		bench_unmap(OP_MUNMAP, false, v, rounds, "");
		bench_unmap(OP_MUNMAP, true, v, rounds, "");
		bench_unmap(OP_DONTNEED, false, v, rounds, "");
		bench_unmap(OP_DONTNEED, true, v, rounds, "");
	}
	bench_sizes(sizes, nr_sizes, v);
	if (nr_counts)
		bench_mirrors(counts, nr_counts, mirrors_mib, v, device);
	bench_fault(false, v);
	bench_fault(true, v);
	bench_memory(false);
	bench_memory(true);
	printf("bench| %s done rounds=%d region=%luMiB fault_rounds=%d "
	       "fault_pages=%lu device=%s\n", label, rounds, region_size >> 20,
	       fault_rounds, fault_pages, device);
	close(fd);
	return 0;
}
