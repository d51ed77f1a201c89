/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ndemo_util.h - helpers shared by the notifier-demo selftests
 *
 * Device commands, statistics, page patterns, residency (mincore and
 * /proc/self/smaps) and check macros.  Every helper that can fail
 * returns 0 or a negative errno and leaves errno alone otherwise.
 */
#ifndef _NDEMO_UTIL_H
#define _NDEMO_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/notifier_demo.h>

#include "ktap.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define ND_PAGE		4096UL
#define ND_HPAGE	(2UL << 20)
#define ND_MIB		(1UL << 20)

/* MMU_NOTIFY_* event numbers as indexed in ndemo_stats.invalidations. */
enum {
	ND_EV_UNMAP, ND_EV_CLEAR, ND_EV_PROTECTION_VMA, ND_EV_PROTECTION_PAGE,
	ND_EV_SOFT_DIRTY, ND_EV_RELEASE, ND_EV_MIGRATE, ND_EV_EXCLUSIVE,
};

/*
 * Failure reporting inside a case: print where and why, return
 * KTAP_FAIL.  Cases run in their own process, so returning early leaks
 * nothing that matters.
 */
#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		ktap_diag("%s:%d: check failed: %s", __func__,		\
			  __LINE__, #cond);				\
		ktap_diag(__VA_ARGS__);					\
		return KTAP_FAIL;					\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b) {						\
		ktap_diag("%s:%d: %s == %s failed: %lld != %lld",	\
			  __func__, __LINE__, #a, #b, __a, __b);	\
		return KTAP_FAIL;					\
	}								\
} while (0)

/* A syscall that must succeed. */
#define CHECK_SYS(call) do {						\
	if ((long)(call) == -1) {					\
		ktap_diag("%s:%d: %s: %s", __func__, __LINE__, #call,	\
			  strerror(errno));				\
		return KTAP_FAIL;					\
	}								\
} while (0)

/* Open device @idx into @fd or fail the case (nd_open() says why). */
#define OPEN_DEV(fd, idx) do {						\
	(fd) = nd_open(idx);						\
	if ((fd) < 0)							\
		return KTAP_FAIL;					\
} while (0)

/* Open the device; a missing device is a failure with a clear message. */
static inline int nd_open(int idx)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/hmm_dmirror%d", idx);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		ktap_diag("cannot open %s: %s (is notifier_demo.ko loaded?)",
			  path, strerror(e));
		return -e;
	}
	return fd;
}

/* One device command; returns 0 or -errno and copies the result out. */
static inline int nd_cmd(int fd, unsigned long req, const void *addr,
			 void *ptr, unsigned long npages,
			 struct ndemo_cmd *out)
{
	struct ndemo_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
	};
	int ret = ioctl(fd, req, &cmd) ? -errno : 0;

	if (out)
		*out = cmd;
	return ret;
}

static inline int nd_read(int fd, const void *addr, void *buf,
			  unsigned long npages, struct ndemo_cmd *out)
{
	return nd_cmd(fd, NDEMO_READ, addr, buf, npages, out);
}

static inline int nd_write(int fd, const void *addr, void *buf,
			   unsigned long npages, struct ndemo_cmd *out)
{
	return nd_cmd(fd, NDEMO_WRITE, addr, buf, npages, out);
}

static inline int nd_snapshot(int fd, const void *addr, unsigned char *buf,
			      unsigned long npages)
{
	return nd_cmd(fd, NDEMO_SNAPSHOT, addr, buf, npages, NULL);
}

static inline int nd_stats(int fd, struct ndemo_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, NDEMO_GET_STATS, st) ? -errno : 0;
}

static inline int nd_set_mode(int fd, __u32 mode)
{
	return ioctl(fd, NDEMO_SET_MODE, &mode) ? -errno : 0;
}

static inline unsigned long long nd_inval_total(const struct ndemo_stats *s)
{
	unsigned long long t = 0;
	int i;

	for (i = 0; i < NDEMO_NR_EVENTS; i++)
		t += s->invalidations[i];
	return t;
}

static inline void nd_dump_stats(const char *what, const struct ndemo_stats *s)
{
	const __u64 *inv = s->invalidations;

	ktap_diag("%s: faults %llu mapped %llu retries %llu",
		  what, (unsigned long long)s->faults,
		  (unsigned long long)s->pages_mapped,
		  (unsigned long long)s->retries);
	ktap_diag("%s: inval [%llu %llu %llu %llu %llu %llu %llu %llu]", what,
		  inv[0], inv[1], inv[2], inv[3], inv[4], inv[5], inv[6],
		  inv[7]);
	ktap_diag("%s: zapped %llu entries / %llu pages, flushes %llu, dirty %llu",
		  what, (unsigned long long)s->entries_zapped,
		  (unsigned long long)s->pages_zapped,
		  (unsigned long long)s->flushes,
		  (unsigned long long)s->dirty_propagated);
	ktap_diag("%s: young %llu, nonblock %llu/%llu, pinned %llu, entries %llu, nodes %llu",
		  what, (unsigned long long)s->young_cleared,
		  (unsigned long long)s->nonblock_invalidations,
		  (unsigned long long)s->nonblock_failed,
		  (unsigned long long)s->pages_pinned,
		  (unsigned long long)s->entries,
		  (unsigned long long)s->table_nodes);
}

/* Read one byte the CPU way (populates the zero page if untouched). */
static inline char nd_touch_read(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * Anonymous private memory of @len bytes aligned to @align (a power of two,
 * at least a page), with THP disabled unless @thp.  The VMA covers exactly
 * the returned range.  NULL on failure (errno set).
 */
static inline void *nd_map_aligned(size_t len, size_t align, int thp)
{
	size_t span = len + align;
	uintptr_t raw, start;
	char *p;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)p;
	start = (raw + align - 1) & ~(uintptr_t)(align - 1);
	if (start > raw)
		munmap(p, start - raw);
	if (raw + span > start + len)
		munmap((void *)(start + len), raw + span - (start + len));
	if (madvise((void *)start, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		int e = errno;

		munmap((void *)start, len);
		errno = e;
		return NULL;
	}
	return (void *)start;
}

/* 4 KiB-backed anonymous memory. */
static inline void *nd_map(size_t len)
{
	return nd_map_aligned(len, ND_PAGE, 0);
}

/*
 * Page patterns: every 64-bit word names its tag, page and position, so a
 * page that shows up at the wrong address or from the wrong time is caught.
 * Tag 0 is never used (zero pages are checked with nd_check_zero()).
 */
static inline uint64_t nd_word(unsigned int tag, unsigned long page,
			       unsigned int w)
{
	return ((uint64_t)tag << 44) ^ ((uint64_t)page << 9) ^ w ^
	       0x5a00000000000000ULL;
}

/* Fill pages [first, first + count) of the region at @p with @tag. */
static inline void nd_fill_range(void *p, unsigned long first,
				 unsigned long count, unsigned int tag)
{
	uint64_t *q = (uint64_t *)p + first * (ND_PAGE / 8);
	unsigned long i;
	unsigned int w;

	for (i = first; i < first + count; i++)
		for (w = 0; w < ND_PAGE / 8; w++)
			*q++ = nd_word(tag, i, w);
}

static inline void nd_fill(void *p, unsigned long npages, unsigned int tag)
{
	nd_fill_range(p, 0, npages, tag);
}

/*
 * Number of pages in [first, first + count) of the region at @p that do
 * not hold @tag; the first bad one is described.
 */
static inline unsigned long nd_check_range(const char *what, const void *p,
					   unsigned long first,
					   unsigned long count,
					   unsigned int tag)
{
	const uint64_t *q = p;
	unsigned long i, bad = 0;
	unsigned int w;

	for (i = first; i < first + count; i++) {
		for (w = 0; w < ND_PAGE / 8; w++) {
			uint64_t want = nd_word(tag, i, w);
			uint64_t got = q[i * (ND_PAGE / 8) + w];

			if (got == want)
				continue;
			if (!bad)
				ktap_diag("%s: page %lu word %u: got %#llx want %#llx (tag %u)",
					  what, i, w, (unsigned long long)got,
					  (unsigned long long)want, tag);
			bad++;
			break;
		}
	}
	if (bad)
		ktap_diag("%s: %lu of %lu pages wrong", what, bad, count);
	return bad;
}

static inline unsigned long nd_check(const char *what, const void *p,
				     unsigned long npages, unsigned int tag)
{
	return nd_check_range(what, p, 0, npages, tag);
}

static inline unsigned long nd_check_zero(const char *what, const void *p,
					  unsigned long npages)
{
	const uint64_t *q = p;
	unsigned long i, n = npages * (ND_PAGE / 8), bad = 0;

	for (i = 0; i < n; i++) {
		if (!q[i])
			continue;
		if (!bad)
			ktap_diag("%s: word %lu (page %lu) is %#llx, want 0",
				  what, i, i / (ND_PAGE / 8),
				  (unsigned long long)q[i]);
		bad++;
	}
	return bad;
}

/* Pages of [p, p + len) resident in RAM per mincore(), or -errno. */
static inline long nd_resident(const void *p, size_t len)
{
	size_t n = (len + ND_PAGE - 1) / ND_PAGE, i;
	unsigned char *vec = malloc(n);
	long count = 0;

	if (!vec)
		return -ENOMEM;
	if (mincore((void *)p, len, vec)) {
		int e = errno;

		free(vec);
		return -e;
	}
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/*
 * The kB value of @field ("Rss", "Swap", "AnonHugePages", ...) of the VMA
 * of /proc/self/smaps that starts at @start, or -1 if not found.
 */
static inline long nd_smaps_kb(const void *start, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	size_t flen = strlen(field);
	int in_vma = 0;
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in_vma = lo == (uintptr_t)start;
			continue;
		}
		if (in_vma && !strncmp(line, field, flen) &&
		    line[flen] == ':') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* A "Key: value" number from a /proc file such as /proc/meminfo, or -1. */
static inline long long nd_proc_value(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256];
	size_t klen = strlen(key);
	long long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == ' ')) {
			val = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static inline long long nd_swap_free_kb(void)
{
	return nd_proc_value("/proc/meminfo", "SwapFree");
}

/*
 * Keep the test on the CPU it runs on: pages faulted on one CPU wait in
 * that CPU's LRU batch, and MADV_PAGEOUT drains only its own CPU's batch.
 */
static inline int nd_pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* MADV_PAGEOUT twice: on 6.1 the first call only ages recently used pages. */
static inline int nd_pageout2(void *p, size_t len)
{
	if (madvise(p, len, MADV_PAGEOUT))
		return -errno;
	if (madvise(p, len, MADV_PAGEOUT))
		return -errno;
	return 0;
}

/* Value of /proc/sys/kernel/tainted, or -1. */
static inline long nd_taint(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Taint bits that mean something went wrong in the kernel. */
#define ND_TAINT_BAD	((1L << 4) /* M: machine check */ |		\
			 (1L << 5) /* B: bad page */ |			\
			 (1L << 7) /* D: died (oops) */ |		\
			 (1L << 9) /* W: warning */ |			\
			 (1L << 14) /* L: soft lockup */)

static long nd_taint_at_start = -1;

static inline void nd_record_taint(void)
{
	nd_taint_at_start = nd_taint();
	if (nd_taint_at_start & ND_TAINT_BAD)
		ktap_diag("kernel already tainted (%#lx) before these tests",
			  nd_taint_at_start);
}

/* Proves: no warning, oops, bad page or lockup was logged by the cases above. */
static inline int case_kernel_not_tainted(void)
{
	long now = nd_taint();

	if (now < 0 || nd_taint_at_start < 0)
		return ktap_skip_case("/proc/sys/kernel/tainted unreadable");
	if ((now & ~nd_taint_at_start) & ND_TAINT_BAD) {
		ktap_diag("new kernel taint %#lx (was %#lx): see dmesg",
			  now, nd_taint_at_start);
		return KTAP_FAIL;
	}
	return KTAP_PASS;
}

#endif /* _NDEMO_UTIL_H */
