// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_pageout - reclaim of mirrored memory: with notifiers, MADV_PAGEOUT
 * swaps mirrored pages out (the device drops its entries and refaults
 * through swap-in); in the legacy pinned mode they cannot leave RAM and
 * the device keeps seeing the pages it pinned.
 *
 * Needs swap (zram in the test VM).  The case pins itself to one CPU so
 * that MADV_PAGEOUT's LRU drain sees every page the case faulted.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

static int need_swap(unsigned long npages)
{
	long long free_kb = mt_swap_free_kb();

	if (free_kb < (long long)(npages * (ND_PAGE >> 10)) * 2) {
		ktap_diag("SwapFree %lld kB", free_kb);
		return -1;
	}
	return 0;
}

/* Proves: MADV_PAGEOUT x2 swaps mirrored pages out, zaps them; the device refaults them intact. */
static int case_pageout_swaps_and_refaults(void)
{
	const unsigned long n = 256;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s0, s1, s2;
	struct ndemo_cmd cmd;
	long res, swap_kb;
	char *mem, *buf;
	int fd;

	if (need_swap(n))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read", buf, n, 1), "wrong data");
	CHECK_EQ(mt_resident(mem, len), n);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_SYS(madvise(mem, len, MADV_PAGEOUT));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	ktap_diag("after first MADV_PAGEOUT: %ld of %lu pages resident, young cleared %llu",
		  mt_resident(mem, len), n,
		  (unsigned long long)(s1.young_cleared - s0.young_cleared));
	CHECK_SYS(madvise(mem, len, MADV_PAGEOUT));
	CHECK_EQ(nd_stats(fd, &s2), 0);
	nd_dump_stats("after second MADV_PAGEOUT", &s2);

	res = mt_resident(mem, len);
	swap_kb = nd_smaps_kb(mem, "Swap");
	ktap_diag("after second MADV_PAGEOUT: %ld pages resident, %ld kB swapped, Rss %ld kB",
		  res, swap_kb, nd_smaps_kb(mem, "Rss"));
	CHECK(res == 0, "%ld of %lu mirrored pages stayed in RAM", res, n);
	CHECK(swap_kb >= (long)(len >> 10), "only %ld kB in swap", swap_kb);
	CHECK(s2.young_cleared > s0.young_cleared,
	      "the aging hook never cleared a young device entry");
	CHECK(s2.invalidations[ND_EV_CLEAR] > s0.invalidations[ND_EV_CLEAR],
	      "reclaim's unmap was not seen as a CLEAR invalidation");
	CHECK_EQ(s2.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s2.entries, 0);

	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read after swap-in", buf, n, 1),
	      "data lost through swap");
	CHECK_EQ(mt_resident(mem, len), n);
	CHECK(!nd_check("CPU view after swap-in", mem, n, 1), "CPU data lost");
	return KTAP_PASS;
}

struct po_result {
	long rss_before, rss_after;
	long res_before, res_after;
};

/* Mirror @n pages in @mode, MADV_PAGEOUT twice, record residency. */
static int pageout_in_mode(__u32 mode, unsigned long n, struct po_result *r,
			   int *fdp, char **memp)
{
	size_t len = n * ND_PAGE;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned int tag = 10 + mode;
	int fd;

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_set_mode(fd, mode), 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, tag);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK(!nd_check("device read", buf, n, tag), "wrong data");
	CHECK_SYS(munmap(buf, len));
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.pages_pinned, mode == NDEMO_MODE_PINNED ? n : 0);

	r->rss_before = nd_smaps_kb(mem, "Rss");
	r->res_before = mt_resident(mem, len);
	CHECK_EQ(mt_pageout2(mem, len), 0);
	r->rss_after = nd_smaps_kb(mem, "Rss");
	r->res_after = mt_resident(mem, len);
	ktap_diag("%-8s %lu MiB: Rss %ld -> %ld kB, resident %ld -> %ld pages",
		  mode == NDEMO_MODE_PINNED ? "pinned" : "notifier",
		  len / ND_MIB, r->rss_before, r->rss_after, r->res_before,
		  r->res_after);

	/* Either way the device still reads the right data. */
	buf = nd_map(len);
	CHECK(buf, "mmap: %s", strerror(errno));
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK(!nd_check("device read after MADV_PAGEOUT", buf, n, tag),
	      "data changed");
	CHECK_SYS(munmap(buf, len));
	*fdp = fd;
	*memp = mem;
	return KTAP_PASS;
}

/* Proves: pinned mirrors keep pages in RAM under MADV_PAGEOUT, notifier mirrors let them go. */
static int case_pinned_vs_notifier_pageout(void)
{
	const unsigned long n = 4 * ND_MIB / ND_PAGE;
	struct po_result pin, ntf;
	char *pmem, *nmem;
	int pfd, nfd, ret;
	long res;

	if (need_swap(2 * n))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));

	ret = pageout_in_mode(NDEMO_MODE_PINNED, n, &pin, &pfd, &pmem);
	if (ret != KTAP_PASS)
		return ret;
	ret = pageout_in_mode(NDEMO_MODE_NOTIFIER, n, &ntf, &nfd, &nmem);
	if (ret != KTAP_PASS)
		return ret;

	CHECK_EQ(pin.res_before, n);
	CHECK_EQ(ntf.res_before, n);
	CHECK(pin.res_after == (long)n,
	      "pinned mode: %ld of %lu pinned pages left RAM",
	      n - pin.res_after, n);
	CHECK(ntf.res_after == 0,
	      "notifier mode: %ld of %lu pages stayed in RAM", ntf.res_after, n);
	CHECK(ntf.rss_after < pin.rss_after,
	      "Rss after pressure: notifier %ld kB, pinned %ld kB",
	      ntf.rss_after, pin.rss_after);

	/* Closing the pinned mirror drops the pins: now the pages can go. */
	CHECK_SYS(close(pfd));
	CHECK_EQ(mt_pageout2(pmem, n * ND_PAGE), 0);
	res = mt_resident(pmem, n * ND_PAGE);
	CHECK(res == 0, "%ld pages stayed in RAM after the pinned mirror closed",
	      res);
	CHECK(!nd_check("CPU view of formerly pinned memory", pmem, n,
			10 + NDEMO_MODE_PINNED), "data lost");
	return KTAP_PASS;
}

/* Proves: pinned mode has no notifier: after MADV_DONTNEED it keeps reading the old pages. */
static int case_pinned_keeps_old_pages(void)
{
	const unsigned long n = 16;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int pfd, nfd;

	OPEN_DEV(pfd, 0);
	OPEN_DEV(nfd, 1);
	CHECK_EQ(nd_set_mode(pfd, NDEMO_MODE_PINNED), 0);
	CHECK_EQ(nd_set_mode(nfd, NDEMO_MODE_NOTIFIER), 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	CHECK_EQ(nd_read(pfd, mem, buf, n, &cmd), 0);
	CHECK_EQ(nd_read(nfd, mem, buf, n, &cmd), 0);

	CHECK_SYS(madvise(mem, len, MADV_DONTNEED));
	nd_fill(mem, n, 2);

	CHECK_EQ(nd_read(pfd, mem, buf, n, &cmd), 0);
	CHECK(!nd_check("pinned device view", buf, n, 1),
	      "pinned mirror did not keep its pages");
	CHECK_EQ(nd_stats(pfd, &s), 0);
	CHECK_EQ(nd_inval_total(&s), 0);
	CHECK_EQ(s.pages_pinned, n);

	CHECK_EQ(nd_read(nfd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("notifier device view", buf, n, 2),
	      "notifier mirror saw stale pages");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(pageout_swaps_and_refaults),
	KTAP_CASE_TMO(pinned_vs_notifier_pageout, 120),
	KTAP_CASE(pinned_keeps_old_pages),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
