/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ndemo_util.h - helpers shared by the notifier-demo selftests
 *
 * Device commands, statistics, page patterns and /proc/self/smaps; the
 * check macros, mappings, mincore, CPU pinning and the taint check come
 * from ../mirror_test_util.h.  Every helper that can fail returns 0 or a
 * negative errno and leaves errno alone otherwise.
 */
#ifndef _NDEMO_UTIL_H
#define _NDEMO_UTIL_H

#include "mirror_test_util.h"

#include <linux/notifier_demo.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define ND_PAGE		MT_PAGE
#define ND_HPAGE	(2UL << 20)
#define ND_MIB		(1UL << 20)

/* MMU_NOTIFY_* event numbers as indexed in ndemo_stats.invalidations. */
enum {
	ND_EV_UNMAP, ND_EV_CLEAR, ND_EV_PROTECTION_VMA, ND_EV_PROTECTION_PAGE,
	ND_EV_SOFT_DIRTY, ND_EV_RELEASE, ND_EV_MIGRATE, ND_EV_EXCLUSIVE,
};

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
		  (unsigned long long)s->nonblock_flushes,
		  (unsigned long long)s->pages_pinned,
		  (unsigned long long)s->entries,
		  (unsigned long long)s->table_nodes);
}

/* Read one byte the CPU way (populates the zero page if untouched). */
static inline char nd_touch_read(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* 4 KiB-backed anonymous memory. */
static inline void *nd_map(size_t len)
{
	return mt_map_aligned(len, ND_PAGE, 0);
}

/*
 * Page patterns: every 64-bit word names its tag, page and position, so a
 * page that shows up at the wrong address or from the wrong time is caught.
 * Tag 0 is never used (zero pages are checked with mt_check_zero()).
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

/* The kB value of @field of the VMA that starts at @start, or -1. */
static inline long nd_smaps_kb(const void *start, const char *field)
{
	return mt_smaps_kb(start, field);
}

#endif /* _NDEMO_UTIL_H */
