// SPDX-License-Identifier: GPL-2.0
/*
 * edum_pinned - the VFIO-style pinned mode of the edu device: what the
 * device maps stays pinned until the file closes, so reclaim cannot take
 * it; the notifier mode gives the same memory back (edum_invalidate).
 *
 * Needs scripts/qemu-run.sh --iommu-edu; skipped without /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include "edum_util.h"

#define LEN	1200U

/* Proves: pinned mode keeps DMA-mapped pages in RAM through MADV_PAGEOUT; a DMA reads them intact. */
static int case_pinned_pages_stay(void)
{
	const unsigned long n = 64;
	struct edu_mirror_stats s;
	unsigned long present, swapped;
	char *a, *b;
	int fd;

	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_EDU(fd);
	CHECK_EQ(eu_set_mode(fd, EDU_MIRROR_MODE_PINNED), 0);
	a = eu_anon(n * EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, n * EU_PAGE, 1);
	CHECK_EQ(eu_map(fd, a, n * EU_PAGE, 0), 0);
	CHECK_EQ(eu_stats(fd, &s), 0);
	CHECK_EQ(s.pages_pinned, n);
	CHECK_EQ(s.entries, n);
	CHECK(mt_proc_value("/proc/self/status", "VmPin") >= (long)(n * 4),
	      "VmPin %lld kB", mt_proc_value("/proc/self/status", "VmPin"));

	CHECK_EQ(mt_pageout2(a, n * EU_PAGE), 0);
	eu_pagemap_count(a, n, &present, &swapped);
	ktap_diag("pinned, after MADV_PAGEOUT x2: %lu present, %lu swapped, Rss %ld kB",
		  present, swapped, mt_smaps_kb(a, "Rss"));
	CHECK_EQ(present, n);
	CHECK_EQ(mt_resident(a, n * EU_PAGE), n);
	CHECK_EQ(eu_stats(fd, &s), 0);
	CHECK_EQ(s.entries, n);

	CHECK_EQ(eu_copy(fd, a + 40 * EU_PAGE + 7, b, LEN, NULL), 0);
	CHECK(!memcmp(b, a + 40 * EU_PAGE + 7, LEN), "wrong data");
	CHECK_SYS(close(fd));
	CHECK_EQ(mt_proc_value("/proc/self/status", "VmPin"), 0);
	return KTAP_PASS;
}

/* Proves: in pinned mode too, each copy refaults: after munmap + mmap the device reads the new page. */
static int case_pinned_copy_follows_remap(void)
{
	char *a, *b;
	int fd;

	OPEN_EDU(fd);
	CHECK_EQ(eu_set_mode(fd, EDU_MIRROR_MODE_PINNED), 0);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 2);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("first copy", b, LEN, 2), "wrong data");
	CHECK_SYS(munmap(a, EU_PAGE));
	CHECK(mmap(a, EU_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a,
	      "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 3);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy after remap", b, LEN, 3),
	      "the device read the old pinned page");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(pinned_pages_stay),
	KTAP_CASE(pinned_copy_follows_remap),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	EU_MAIN(cases);
}
