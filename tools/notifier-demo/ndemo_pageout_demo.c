// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_pageout_demo - pinned versus notifier-driven mirroring under
 * memory pressure, measured inside the test VM.
 *
 * For each mode of the notifier-demo device (notifier, pinned): map N MiB
 * of anonymous memory, fill it with a pattern, let the device read all of
 * it (so it is mirrored), apply pressure with MADV_PAGEOUT (twice: on 6.1
 * the first call only clears the accessed bits, the device's included),
 * then let the device read it all again.  RSS and swap traffic are
 * recorded at each step and printed as one table.
 *
 * Usage: ndemo_pageout_demo [MiB]      (default 64)
 *
 * Table lines start with "ndemo| " between "ndemo| BEGIN" and
 * "ndemo| END", so a host script can pick them out of a console log.
 * Exit status: 0 on success, 1 if the data read back was wrong, 2 if the
 * experiment could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/notifier_demo.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define PG		4096UL
#define MIB		(1UL << 20)
#define CHUNK_PAGES	256UL		/* device reads 1 MiB at a time */
#define DEVICE		"/dev/hmm_dmirror0"

static const char *prog = "ndemo_pageout_demo";

#include "pageout_demo.h"

struct run {
	const char *mode;
	unsigned long mib;
	struct sample before, pressed, after;
	long long swap_outs, swap_ins;	/* pages */
	unsigned long bad_pages;
	int done;
};

static uint64_t pattern(unsigned long page, unsigned int word)
{
	return 0x6e64656d6f000000ULL ^ ((uint64_t)page << 9) ^ word;
}

static void fill(uint64_t *p, unsigned long npages)
{
	unsigned long i;
	unsigned int w;

	for (i = 0; i < npages; i++)
		for (w = 0; w < PG / 8; w++)
			*p++ = pattern(i, w);
}

/*
 * Let the device read the whole region in 1 MiB commands through one
 * reused bounce buffer (so the buffer adds little to RSS); count the pages
 * whose contents are not the pattern.  Returns -errno on a command error.
 */
static long device_read_all(int fd, const char *mem, unsigned long npages,
			    uint64_t *buf)
{
	unsigned long first, i, n, bad = 0;
	unsigned int w;

	for (first = 0; first < npages; first += n) {
		struct ndemo_cmd cmd = {
			.addr = (uintptr_t)(mem + first * PG),
			.ptr = (uintptr_t)buf,
		};

		n = npages - first < CHUNK_PAGES ? npages - first : CHUNK_PAGES;
		cmd.npages = n;
		if (ioctl(fd, NDEMO_READ, &cmd))
			return -errno;
		for (i = 0; i < n; i++) {
			for (w = 0; w < PG / 8; w++) {
				if (buf[i * (PG / 8) + w] != pattern(first + i, w)) {
					bad++;
					break;
				}
			}
		}
	}
	return bad;
}

static int run_mode(struct run *r, __u32 mode, unsigned long mib,
		    uint64_t *buf)
{
	unsigned long npages = mib * MIB / PG;
	long long out0, in0;
	size_t len = mib * MIB;
	long bad;
	char *mem;
	int fd;

	r->mode = mode == NDEMO_MODE_PINNED ? "pinned" : "notifier";
	r->mib = mib;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail("cannot open %s: %s (is notifier_demo.ko loaded?)",
		     DEVICE, strerror(errno));
		return -1;
	}
	if (ioctl(fd, NDEMO_SET_MODE, &mode)) {
		fail("%s mode: NDEMO_SET_MODE: %s", r->mode, strerror(errno));
		goto err_close;
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("%s mode: cannot map %lu MiB: %s", r->mode, mib,
		     strerror(errno));
		goto err_close;
	}
	/* 4 KiB pages: per-page reclaim and fair RSS accounting. */
	madvise(mem, len, MADV_NOHUGEPAGE);
	fill((uint64_t *)mem, npages);

	bad = device_read_all(fd, mem, npages, buf);
	if (bad < 0) {
		fail("%s mode: device READ while mirroring: %s", r->mode,
		     strerror(-bad));
		goto err_unmap;
	}
	if (bad) {
		fail("%s mode: device read %ld wrong pages before any pressure",
		     r->mode, bad);
		goto err_unmap;
	}
	sample(&r->before, mem);

	out0 = proc_value("/proc/vmstat", "pswpout");
	in0 = proc_value("/proc/vmstat", "pswpin");
	if (madvise(mem, len, MADV_PAGEOUT) || madvise(mem, len, MADV_PAGEOUT)) {
		fail("%s mode: MADV_PAGEOUT: %s", r->mode, strerror(errno));
		goto err_unmap;
	}
	sample(&r->pressed, mem);
	r->swap_outs = proc_value("/proc/vmstat", "pswpout") - out0;

	bad = device_read_all(fd, mem, npages, buf);
	if (bad < 0) {
		fail("%s mode: device READ after pressure: %s", r->mode,
		     strerror(-bad));
		goto err_unmap;
	}
	sample(&r->after, mem);
	r->swap_ins = proc_value("/proc/vmstat", "pswpin") - in0;
	r->bad_pages = bad;
	r->done = 1;

	/* Release the pins and the memory before the next mode runs. */
	close(fd);
	munmap(mem, len);
	return 0;

err_unmap:
	munmap(mem, len);
err_close:
	close(fd);
	return -1;
}

static void rss_cell(char *out, size_t size, const struct sample *s)
{
	snprintf(out, size, "%.1f / %.1f", s->vm_rss_kb / 1024.0,
		 s->region_kb / 1024.0);
}

static void print_table(const struct run *runs, int n)
{
	static const char *const head[] = {
		"mode", "MiB", "RSS before", "RSS after pressure",
		"RSS after device read", "swap-outs", "swap-ins", "data check",
	};
	char cells[2][8][48];
	int width[8], i, c;

	for (c = 0; c < 8; c++)
		width[c] = strlen(head[c]);
	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		snprintf(cells[i][0], 48, "%s", r->mode);
		snprintf(cells[i][1], 48, "%lu", r->mib);
		rss_cell(cells[i][2], 48, &r->before);
		rss_cell(cells[i][3], 48, &r->pressed);
		rss_cell(cells[i][4], 48, &r->after);
		snprintf(cells[i][5], 48, "%lld", r->swap_outs);
		snprintf(cells[i][6], 48, "%lld", r->swap_ins);
		if (r->bad_pages)
			snprintf(cells[i][7], 48, "MISMATCH (%lu pages)",
				 r->bad_pages);
		else
			snprintf(cells[i][7], 48, "ok");
		for (c = 0; c < 8; c++)
			if ((int)strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}

	/* Cells are " text " joined by '|'; numbers right-aligned. */
	printf("ndemo| BEGIN\n");
	printf("ndemo|");
	for (c = 0; c < 7; c++)
		printf(" %-*s |", width[c], head[c]);
	printf(" %s\n", head[7]);
	printf("ndemo|");
	for (c = 0; c < 8; c++)
		printf("%.*s%s", width[c] + 2,
		       "--------------------------------------------------",
		       c < 7 ? "+" : "\n");
	for (i = 0; i < n; i++) {
		printf("ndemo|");
		for (c = 0; c < 7; c++)
			printf(c ? " %*s |" : " %-*s |", width[c], cells[i][c]);
		printf(" %s\n", cells[i][7]);
	}
	printf("ndemo|\n");
	printf("ndemo| RSS columns: process VmRSS / mirrored region Rss, in MiB.\n");
	printf("ndemo| swap-outs, swap-ins: pages, from pswpout/pswpin in /proc/vmstat.\n");
	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];
		double kept = r->before.region_kb > 0 ?
			100.0 * r->pressed.region_kb / r->before.region_kb : 0;

		printf("ndemo| %s: %.0f%% of the mirrored memory stayed in RAM%s\n",
		       r->mode, kept, " under MADV_PAGEOUT");
	}
	printf("ndemo| END\n");
	fflush(stdout);
}

/* Stay on one CPU: MADV_PAGEOUT drains only this CPU's LRU batch. */
static void pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("warning: cannot pin to CPU %d: %s", cpu, strerror(errno));
}

int main(int argc, char **argv)
{
	static const __u32 modes[] = { NDEMO_MODE_NOTIFIER, NDEMO_MODE_PINNED };
	struct run runs[2] = { 0 };
	unsigned long mib = 64;
	long long swap_free;
	uint64_t *buf;
	char *end;
	int i;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") ||
				       !strcmp(argv[1], "--help")))) {
		fprintf(stderr, "usage: %s [MiB]   (default 64)\n", prog);
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		mib = strtoul(argv[1], &end, 10);
		if (errno || *end || !mib || mib > 4096) {
			fail("size must be a number of MiB from 1 to 4096, got '%s'",
			     argv[1]);
			return 2;
		}
	}

	swap_free = proc_value("/proc/meminfo", "SwapFree");
	if (swap_free < 0) {
		fail("cannot read SwapFree from /proc/meminfo");
		return 2;
	}
	if (swap_free == 0) {
		fail("no swap configured: MADV_PAGEOUT cannot reclaim %s",
		     "anonymous memory (set up zram swap first)");
		return 2;
	}
	if ((unsigned long long)swap_free < mib * 1024ULL)
		fail("warning: only %lld kB of swap free for %lu MiB;%s",
		     swap_free, mib, " not everything can be paged out");
	if (proc_value("/proc/vmstat", "pswpout") < 0) {
		fail("cannot read pswpout from /proc/vmstat");
		return 2;
	}

	pin_to_this_cpu();
	buf = mmap(NULL, CHUNK_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fail("cannot map the bounce buffer: %s", strerror(errno));
		return 2;
	}

	for (i = 0; i < 2; i++) {
		printf("%s: %s mode, %lu MiB...\n", prog,
		       modes[i] == NDEMO_MODE_PINNED ? "pinned" : "notifier",
		       mib);
		fflush(stdout);
		if (run_mode(&runs[i], modes[i], mib, buf))
			return 2;
	}

	print_table(runs, 2);
	for (i = 0; i < 2; i++) {
		if (runs[i].bad_pages) {
			fail("%s mode: %lu pages read back wrong", runs[i].mode,
			     runs[i].bad_pages);
			return 1;
		}
	}
	return 0;
}
