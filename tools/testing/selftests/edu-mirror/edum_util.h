/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edum_util.h - helpers shared by the edu-mirror selftests
 *
 * Device commands and statistics of /dev/edu_mirror0, byte patterns,
 * /proc/self/pagemap, and a reader of the kernel log that waits for the
 * IOMMU's fault report.  The check macros, mappings, mincore and the
 * taint check come from ../mirror_test_util.h.  Each transfer takes
 * about 100 ms, so the tests make few of them.
 */
#ifndef _EDUM_UTIL_H
#define _EDUM_UTIL_H

#include "mirror_test_util.h"

#include <poll.h>
#include <linux/edu_mirror.h>

#define EU_PAGE		MT_PAGE
#define EU_DEV		"/dev/edu_mirror0"

/* MMU_NOTIFY_* event numbers as indexed in edu_mirror_stats.invalidations. */
enum {
	EU_EV_UNMAP, EU_EV_CLEAR, EU_EV_PROTECTION_VMA, EU_EV_PROTECTION_PAGE,
	EU_EV_SOFT_DIRTY, EU_EV_RELEASE, EU_EV_MIGRATE, EU_EV_EXCLUSIVE,
};

/* Open the device; -errno, with a message, if there is none. */
static inline int eu_open(void)
{
	int fd = open(EU_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		ktap_diag("cannot open %s: %s (edu_mirror.ko loaded, QEMU with --iommu-edu?)",
			  EU_DEV, strerror(e));
		return -e;
	}
	return fd;
}

/* Open the device into @fd or fail the case. */
#define OPEN_EDU(fd) do {						\
	(fd) = eu_open();						\
	if ((fd) < 0)							\
		return KTAP_FAIL;					\
} while (0)

/* Without the device the whole program is skipped. */
static inline int eu_have_device(void)
{
	return access(EU_DEV, F_OK) == 0;
}

/* One copy src -> device -> dst; 0 or -errno; *out gets the result. */
static inline int eu_copy(int fd, const void *src, void *dst, unsigned int len,
			  struct edu_mirror_copy *out)
{
	struct edu_mirror_copy c = {
		.src = (uintptr_t)src,
		.dst = (uintptr_t)dst,
		.len = len,
	};
	int ret = ioctl(fd, EDU_MIRROR_COPY, &c) ? -errno : 0;

	if (out)
		*out = c;
	return ret;
}

static inline int eu_map(int fd, const void *addr, size_t len, __u32 flags)
{
	struct edu_mirror_map m = {
		.addr = (uintptr_t)addr,
		.len = len,
		.flags = flags,
	};

	return ioctl(fd, EDU_MIRROR_MAP, &m) ? -errno : 0;
}

static inline int eu_stats(int fd, struct edu_mirror_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, EDU_MIRROR_GET_STATS, st) ? -errno : 0;
}

static inline int eu_set_mode(int fd, __u32 mode)
{
	return ioctl(fd, EDU_MIRROR_SET_MODE, &mode) ? -errno : 0;
}

static inline int eu_set_test(int fd, __u32 flags, __u32 timeout_ms)
{
	struct edu_mirror_test t = {
		.flags = flags,
		.dma_timeout_ms = timeout_ms,
	};

	return ioctl(fd, EDU_MIRROR_SET_TEST, &t) ? -errno : 0;
}

static inline void eu_dump_stats(const char *what,
				 const struct edu_mirror_stats *s)
{
	ktap_diag("%s: faults %llu mapped %llu entries %llu pinned %llu flushes %llu",
		  what, (unsigned long long)s->faults,
		  (unsigned long long)s->pages_mapped,
		  (unsigned long long)s->entries,
		  (unsigned long long)s->pages_pinned,
		  (unsigned long long)s->flushes);
	ktap_diag("%s: iotlb syncs %llu (skipped %llu), maps %llu (%llu pages), unmaps %llu (%llu pages), dmas %llu, timeouts %llu",
		  what, (unsigned long long)s->iotlb_syncs,
		  (unsigned long long)s->iotlb_syncs_skipped,
		  (unsigned long long)s->iommu_maps,
		  (unsigned long long)s->iommu_pages_mapped,
		  (unsigned long long)s->iommu_unmaps,
		  (unsigned long long)s->iommu_pages_unmapped,
		  (unsigned long long)s->dmas,
		  (unsigned long long)s->dma_timeouts);
}

/* 4 KiB-backed anonymous memory, THP off. */
static inline void *eu_anon(size_t len)
{
	return mt_map_aligned(len, EU_PAGE, 0);
}

/* Byte @i of pattern @tag: never zero, differs between tags and offsets. */
static inline unsigned char eu_byte(unsigned int tag, size_t i)
{
	return (unsigned char)(((i * 131) ^ (i >> 8) ^ (tag * 37)) | 1);
}

static inline void eu_fill(void *p, size_t len, unsigned int tag)
{
	unsigned char *q = p;
	size_t i;

	for (i = 0; i < len; i++)
		q[i] = eu_byte(tag, i);
}

/*
 * 0 if [p, p + len) holds pattern @tag (tag 0: zeros), else the number of
 * wrong bytes, the first described.
 */
static inline size_t eu_check(const char *what, const void *p, size_t len,
			      unsigned int tag)
{
	const unsigned char *q = p;
	size_t i, bad = 0;

	for (i = 0; i < len; i++) {
		unsigned char want = tag ? eu_byte(tag, i) : 0;

		if (q[i] == want)
			continue;
		if (!bad)
			ktap_diag("%s: byte %zu is %#x, want %#x (tag %u)",
				  what, i, q[i], want, tag);
		bad++;
	}
	if (bad)
		ktap_diag("%s: %zu of %zu bytes wrong", what, bad, len);
	return bad;
}

/* Which of the tags in @tags (0 = zeros) fills [p, p + len), or -1. */
static inline int eu_which(const void *p, size_t len, const unsigned int *tags,
			   int ntags)
{
	const unsigned char *q = p;
	int t;

	for (t = 0; t < ntags; t++) {
		size_t i;

		for (i = 0; i < len; i++)
			if (q[i] != (tags[t] ? eu_byte(tags[t], i) : 0))
				break;
		if (i == len)
			return tags[t];
	}
	return -1;
}

/* The /proc/self/pagemap entry of @addr, or 0 on error. */
static inline uint64_t eu_pagemap(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / EU_PAGE * 8) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return e;
}

#define EU_PM_PRESENT	(1ULL << 63)
#define EU_PM_SWAPPED	(1ULL << 62)

/* Pages of [p, p + npages pages) that pagemap shows in RAM / in swap. */
static inline void eu_pagemap_count(const void *p, unsigned long npages,
				    unsigned long *present,
				    unsigned long *swapped)
{
	unsigned long i;

	*present = *swapped = 0;
	for (i = 0; i < npages; i++) {
		uint64_t e = eu_pagemap((const char *)p + i * EU_PAGE);

		*present += !!(e & EU_PM_PRESENT);
		*swapped += !!(e & EU_PM_SWAPPED);
	}
}

/* Write a line to the kernel log (the runner's markers). */
static inline void eu_kmsg_write(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		ktap_diag("write /dev/kmsg: %s", strerror(errno));
	close(fd);
}

/* A reader of the kernel log positioned at its end, or -errno. */
static inline int eu_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * Wait up to @secs for a kernel log record containing both @a and @b;
 * returns 1 and copies the message into @line (of @size), or 0.
 */
static inline int eu_kmsg_wait(int fd, const char *a, const char *b,
			       double secs, char *line, size_t size)
{
	double end = ktap_now() + secs;
	char rec[1024];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n > 0) {
			char *msg = strchr(rec, ';');

			rec[n] = '\0';
			msg = msg ? msg + 1 : rec;
			if (strstr(msg, a) && strstr(msg, b)) {
				size_t len = strcspn(msg, "\n");

				if (len >= size)
					len = size - 1;
				memcpy(line, msg, len);
				line[len] = '\0';
				return 1;
			}
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (ktap_now() > end)
			return 0;
		poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 50);
	}
}

/* The runner ignores IOMMU faults between these two markers. */
#define EU_EXPECT_FAULT	"<4>qemu-run: expect DMAR fault\n"
#define EU_END_FAULT	"<4>qemu-run: end DMAR fault\n"

/* Every program skips as a whole without the device. */
#define EU_MAIN(cases) do {						\
	if (!eu_have_device()) {					\
		printf("TAP version 13\n1..0 # SKIP no %s (QEMU without --iommu-edu?)\n", \
		       EU_DEV);						\
		return 0;						\
	}								\
	mt_record_taint();						\
	return ktap_run(cases, ARRAY_SIZE(cases));			\
} while (0)

#endif /* _EDUM_UTIL_H */
