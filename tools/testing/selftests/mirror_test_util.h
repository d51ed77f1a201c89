/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mirror_test_util.h - helpers shared by the notifier-demo, kvm-mirror and
 * edu-mirror selftests
 *
 * Check macros, anonymous mappings, residency (mincore), /proc and smaps
 * readers, CPU pinning, MADV_PAGEOUT and the kernel taint check.  Helpers
 * that can fail return 0 or a negative errno (or -1 where documented).
 * Output is flat KTAP through notifier-demo/ktap.h.
 */
#ifndef _MIRROR_TEST_UTIL_H
#define _MIRROR_TEST_UTIL_H

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

#include "notifier-demo/ktap.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif

#define MT_PAGE		4096UL

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

/*
 * Anonymous private memory of @len bytes aligned to @align (a power of two,
 * at least a page), with THP disabled unless @thp.  The VMA covers exactly
 * the returned range.  NULL on failure (errno set).
 */
static inline void *mt_map_aligned(size_t len, size_t align, int thp)
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

/* Number of non-zero words in the first @npages pages at @p; the first is described. */
static inline unsigned long mt_check_zero(const char *what, const void *p,
					  unsigned long npages)
{
	const uint64_t *q = p;
	unsigned long i, n = npages * (MT_PAGE / 8), bad = 0;

	for (i = 0; i < n; i++) {
		if (!q[i])
			continue;
		if (!bad)
			ktap_diag("%s: word %lu (page %lu) is %#llx, want 0",
				  what, i, i / (MT_PAGE / 8),
				  (unsigned long long)q[i]);
		bad++;
	}
	return bad;
}

/* Pages of [p, p + len) resident in RAM per mincore(), or -errno. */
static inline long mt_resident(const void *p, size_t len)
{
	size_t n = (len + MT_PAGE - 1) / MT_PAGE, i;
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

/* Write @str to the file @path (sysfs, procfs, cgroupfs): 0 or -errno. */
static inline int mt_write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	close(fd);
	return n == (ssize_t)strlen(str) ? 0 : n < 0 ? -errno : -EIO;
}

/* Does the file @path (a cgroup list, say) hold the word @word? */
static inline int mt_file_has_word(const char *path, const char *word)
{
	FILE *f = fopen(path, "r");
	char w[64];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%63s", w) == 1)
		found = !strcmp(w, word);
	fclose(f);
	return found;
}

/* The first number in the file @path, or -1. */
static inline long long mt_read_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A "Key: value" number from a /proc file such as /proc/meminfo, or -1. */
static inline long long mt_proc_value(const char *file, const char *key)
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

static inline long long mt_swap_free_kb(void)
{
	return mt_proc_value("/proc/meminfo", "SwapFree");
}

/*
 * Keep the test on the CPU it runs on: pages faulted on one CPU wait in
 * that CPU's LRU batch, and MADV_PAGEOUT drains only its own CPU's batch.
 */
static inline int mt_pin_cpu(void)
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
static inline int mt_pageout2(void *p, size_t len)
{
	if (madvise(p, len, MADV_PAGEOUT))
		return -errno;
	if (madvise(p, len, MADV_PAGEOUT))
		return -errno;
	return 0;
}

/*
 * The kB value of @field ("Rss", "Swap", "AnonHugePages", ...) of the VMA
 * of /proc/self/smaps that starts at @start, or -1 if not found.
 */
static inline long mt_smaps_kb(const void *start, const char *field)
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

/* Value of /proc/sys/kernel/tainted, or -1. */
static inline long mt_taint(void)
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
#define MT_TAINT_BAD	((1L << 4) /* M: machine check */ |		\
			 (1L << 5) /* B: bad page */ |			\
			 (1L << 7) /* D: died (oops) */ |		\
			 (1L << 9) /* W: warning */ |			\
			 (1L << 14) /* L: soft lockup */)

static long mt_taint_at_start = -1;

/* Call once in main() before the cases run. */
static inline void mt_record_taint(void)
{
	mt_taint_at_start = mt_taint();
	if (mt_taint_at_start > 0 && (mt_taint_at_start & MT_TAINT_BAD))
		ktap_diag("kernel already tainted (%#lx) before these tests",
			  mt_taint_at_start);
}

/* Proves: no warning, oops, bad page or lockup was logged by the cases above. */
static inline int case_kernel_not_tainted(void)
{
	long now = mt_taint();

	if (now < 0 || mt_taint_at_start < 0)
		return ktap_skip_case("/proc/sys/kernel/tainted unreadable");
	if ((now & ~mt_taint_at_start) & MT_TAINT_BAD) {
		ktap_diag("new kernel taint %#lx (was %#lx): see dmesg",
			  now, mt_taint_at_start);
		return KTAP_FAIL;
	}
	return KTAP_PASS;
}

#endif /* _MIRROR_TEST_UTIL_H */
