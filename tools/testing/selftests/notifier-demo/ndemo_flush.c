// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_flush - one device TLB flush per invalidation, never one per
 * entry, for 4 KiB-backed, THP-backed and hugetlb-backed 2 MiB ranges.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#ifndef MAP_HUGETLB
#define MAP_HUGETLB	0x40000
#endif

#define FL_N	(ND_HPAGE / ND_PAGE)	/* 512 pages */

enum backing { BACK_4K, BACK_THP, BACK_HUGETLB };

static const char *const backing_name[] = { "4K", "THP", "hugetlb" };

/* Map and fill one 2 MiB aligned range of the given backing, or skip. */
static int flush_map(enum backing b, char **memp)
{
	char *mem;
	long thp;

	if (b == BACK_HUGETLB) {
		mem = mmap(NULL, ND_HPAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (mem == MAP_FAILED)
			return ktap_skip_case("no free 2 MiB hugetlb page (vm.nr_hugepages): %s",
					      strerror(errno));
	} else {
		mem = mt_map_aligned(ND_HPAGE, ND_HPAGE, b == BACK_THP);
		CHECK(mem, "mmap: %s", strerror(errno));
	}
	nd_fill(mem, FL_N, 1);
	if (b == BACK_THP) {
		thp = nd_smaps_kb(mem, "AnonHugePages");
		if (thp < (long)(ND_HPAGE >> 10))
			return ktap_skip_case("THP not available here (AnonHugePages %ld kB)",
					      thp);
	}
	*memp = mem;
	return KTAP_PASS;
}

/*
 * Mirror a 2 MiB range, then munmap it (or MADV_DONTNEED it): one
 * invalidation, so exactly one flush, covering all 512 pages.
 */
static int flush_once(enum backing b, int dontneed)
{
	unsigned char snap[FL_N];
	struct ndemo_stats s0, s1;
	unsigned char want_snap;
	struct ndemo_cmd cmd;
	char *mem = NULL, *buf;
	unsigned long i;
	int fd, ret;

	OPEN_DEV(fd, 0);
	ret = flush_map(b, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));

	CHECK_EQ(nd_read(fd, mem, buf, FL_N, &cmd), 0);
	CHECK_EQ(cmd.cpages, FL_N);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read", buf, FL_N, 1), "wrong data");

	/* The CPU maps the range with one PMD unless it is 4 KiB backed. */
	want_snap = NDEMO_PROT_WRITE | (b == BACK_4K ? 0 : NDEMO_PROT_PMD);
	CHECK_EQ(nd_snapshot(fd, mem, snap, FL_N), 0);
	for (i = 0; i < FL_N; i++)
		CHECK(snap[i] == want_snap, "%s snapshot page %lu: %#x, want %#x",
		      backing_name[b], i, snap[i], want_snap);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	nd_dump_stats("mirrored", &s0);
	CHECK_EQ(s0.pages_mapped, FL_N);
	if (dontneed)
		CHECK_SYS(madvise(mem, ND_HPAGE, MADV_DONTNEED));
	else
		CHECK_SYS(munmap(mem, ND_HPAGE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats(dontneed ? "after MADV_DONTNEED" : "after munmap", &s1);
	ktap_diag("%s: %llu entries zapped for %lu pages", backing_name[b],
		  (unsigned long long)(s1.entries_zapped - s0.entries_zapped),
		  FL_N);

	CHECK(nd_inval_total(&s1) > nd_inval_total(&s0),
	      "no invalidation counted");
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, FL_N);
	CHECK(s1.entries_zapped > s0.entries_zapped, "no entry zapped");
	if (b == BACK_4K)
		CHECK_EQ(s1.entries_zapped - s0.entries_zapped, FL_N);
	CHECK_EQ(s1.entries, 0);

	if (dontneed) {
		memset(buf, 0x5a, ND_HPAGE);
		CHECK_EQ(nd_read(fd, mem, buf, FL_N, &cmd), 0);
		CHECK_EQ(cmd.faults, 1);
		CHECK(!mt_check_zero("read after MADV_DONTNEED", buf, FL_N),
		      "stale data after MADV_DONTNEED");
	} else {
		CHECK_EQ(nd_read(fd, mem, buf, FL_N, &cmd), -EFAULT);
	}
	return KTAP_PASS;
}

/* Proves: munmap of a mirrored 4K-backed 2 MiB range flushes once and zaps 512 entries. */
static int case_flush_once_4k_munmap(void)
{
	return flush_once(BACK_4K, 0);
}

/* Proves: MADV_DONTNEED of a mirrored 4K-backed 2 MiB range flushes once. */
static int case_flush_once_4k_dontneed(void)
{
	return flush_once(BACK_4K, 1);
}

/* Proves: munmap of a THP-backed mirrored range flushes once and zaps 512 pages. */
static int case_flush_once_thp_munmap(void)
{
	return flush_once(BACK_THP, 0);
}

/* Proves: MADV_DONTNEED of a THP-backed mirrored range flushes once. */
static int case_flush_once_thp_dontneed(void)
{
	return flush_once(BACK_THP, 1);
}

/* Proves: munmap of a hugetlb-backed mirrored range (nested invalidations) flushes once. */
static int case_flush_once_hugetlb_munmap(void)
{
	return flush_once(BACK_HUGETLB, 0);
}

/* Proves: one munmap of 8 MiB of 4K-mirrored memory is one flush, not one per entry or table. */
static int case_flush_once_8m_munmap(void)
{
	const unsigned long n = 8 * ND_MIB / ND_PAGE;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = mt_map_aligned(n * ND_PAGE, ND_HPAGE, 0);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 7);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK(!nd_check("device read", buf, n, 7), "wrong data");
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(s0.entries, n);
	CHECK_SYS(munmap(mem, n * ND_PAGE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after munmap", &s1);
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.entries, 0);
	return KTAP_PASS;
}

/* Proves: invalidating a range the device never mapped costs no flush. */
static int case_no_flush_when_unmapped(void)
{
	const unsigned long n = 64;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *other, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	other = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && other && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	nd_fill(other, n, 2);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_SYS(madvise(other, n * ND_PAGE, MADV_DONTNEED));
	CHECK_SYS(munmap(other, n * ND_PAGE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after unmapping unmirrored memory", &s1);
	CHECK_EQ(s1.flushes - s0.flushes, 0);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 0);
	CHECK_EQ(s1.entries, n);

	/* The mirrored range is untouched and still cached. */
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("mirrored range", buf, n, 1), "wrong data");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(flush_once_4k_munmap),
	KTAP_CASE(flush_once_4k_dontneed),
	KTAP_CASE(flush_once_thp_munmap),
	KTAP_CASE(flush_once_thp_dontneed),
	KTAP_CASE(flush_once_hugetlb_munmap),
	KTAP_CASE(flush_once_8m_munmap),
	KTAP_CASE(no_flush_when_unmapped),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
