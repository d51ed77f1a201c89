// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_bench - what mirroring costs the core VM's unmap paths
 *
 * For each case, the same operation (munmap or MADV_DONTNEED of a 2 MiB
 * aligned region the CPU has populated) is timed on a region nobody
 * mirrors and on one the device has mapped through /dev/hmm_dmirror0,
 * alternating the two, and the ratio of the medians is printed.  Only the
 * ratios mean anything: absolute times under QEMU's emulation do not.
 *
 * Usage: ndemo_bench [ROUNDS]   (default 41)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/notifier_demo.h>

#define REGION		(2UL << 20)
#define PAGE		4096UL

enum op { OP_MUNMAP, OP_DONTNEED };

struct bench_case {
	const char *name;
	enum op op;
	bool thp;
};

static char *bounce;

static void die(const char *what)
{
	fprintf(stderr, "ndemo_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A populated 2 MiB aligned region, THP-backed or in 4 KiB pages. */
static char *region(bool thp)
{
	char *raw, *p;

	raw = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)raw + REGION - 1) & ~(REGION - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + REGION, raw + REGION - p);
	if (madvise(p, REGION, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	memset(p, 0x5a, REGION);
	return p;
}

static void mirror(int fd, char *p)
{
	struct ndemo_cmd cmd = {
		.addr = (uintptr_t)p,
		.ptr = (uintptr_t)bounce,
		.npages = REGION / PAGE,
	};

	if (ioctl(fd, NDEMO_READ, &cmd))
		die("NDEMO_READ");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Time one operation on a fresh region, mirrored by @fd if @fd >= 0. */
static double one(const struct bench_case *c, int fd)
{
	char *p = region(c->thp);
	double t;

	if (fd >= 0)
		mirror(fd, p);
	t = now_ns();
	if (c->op == OP_MUNMAP) {
		if (munmap(p, REGION))
			die("munmap");
	} else if (madvise(p, REGION, MADV_DONTNEED)) {
		die("MADV_DONTNEED");
	}
	t = now_ns() - t;
	if (c->op == OP_DONTNEED)
		munmap(p, REGION);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	static const struct bench_case cases[] = {
		{ "munmap 2 MiB, 4 KiB pages", OP_MUNMAP, false },
		{ "munmap 2 MiB, THP", OP_MUNMAP, true },
		{ "MADV_DONTNEED 2 MiB, 4 KiB pages", OP_DONTNEED, false },
		{ "MADV_DONTNEED 2 MiB, THP", OP_DONTNEED, true },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 41;
	double *plain, *mirrored;
	unsigned int i;
	int fd, r;

	if (rounds < 3 || rounds > 100000) {
		fprintf(stderr, "ndemo_bench: ROUNDS must be 3..100000\n");
		return 2;
	}
	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0)
		die("open /dev/hmm_dmirror0");
	bounce = malloc(REGION);
	plain = calloc(rounds, sizeof(*plain));
	mirrored = calloc(rounds, sizeof(*mirrored));
	if (!bounce || !plain || !mirrored)
		die("malloc");

	printf("bench| %-34s | %10s | %10s | %5s\n", "operation",
	       "plain us", "mirrored us", "ratio");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double p, m;

		for (r = 0; r < rounds; r++) {
			plain[r] = one(&cases[i], -1);
			mirrored[r] = one(&cases[i], fd);
		}
		p = median(plain, rounds) / 1000;
		m = median(mirrored, rounds) / 1000;
		printf("bench| %-34s | %10.1f | %11.1f | %5.2f\n",
		       cases[i].name, p, m, m / p);
	}
	printf("bench| medians of %d alternating rounds; the mirrored region "
	       "was fully mapped by the device first\n", rounds);
	close(fd);
	return 0;
}
