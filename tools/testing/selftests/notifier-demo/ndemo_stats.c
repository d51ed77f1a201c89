// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_stats - the counters of NDEMO_GET_STATS move as the commands and
 * invalidations say, each open is its own mirror, and SNAPSHOT never
 * faults.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

/* Proves: a fresh mirror reports nothing faulted, mapped, zapped or flushed. */
static int case_stats_fresh_open_zero(void)
{
	struct ndemo_stats s;
	int fd, i;

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("fresh", &s);
	CHECK_EQ(s.faults, 0);
	CHECK_EQ(s.pages_mapped, 0);
	CHECK_EQ(s.retries, 0);
	for (i = 0; i < NDEMO_NR_EVENTS; i++)
		CHECK(s.invalidations[i] == 0, "invalidations[%d] = %llu", i,
		      (unsigned long long)s.invalidations[i]);
	CHECK_EQ(s.entries_zapped, 0);
	CHECK_EQ(s.pages_zapped, 0);
	CHECK_EQ(s.flushes, 0);
	CHECK_EQ(s.dirty_propagated, 0);
	CHECK_EQ(s.young_cleared, 0);
	CHECK_EQ(s.pages_pinned, 0);
	CHECK_EQ(s.entries, 0);
	return KTAP_PASS;
}

/* Proves: faults and pages_mapped count fault batches and new pages; cached reads add nothing. */
static int case_stats_read_counts(void)
{
	const unsigned long n = 64;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(2 * n * ND_PAGE);
	buf = nd_map(2 * n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 2 * n, 1);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after first READ", &s1);
	CHECK_EQ(s1.faults - s0.faults, 1);
	CHECK_EQ(s1.pages_mapped - s0.pages_mapped, n);
	CHECK_EQ(s1.entries, n);
	CHECK(s1.table_nodes > 0, "entries present but no table node");

	/* Everything cached: no fault, nothing newly mapped. */
	s0 = s1;
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK_EQ(nd_read(fd, mem + ND_PAGE, buf, n / 2, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.faults - s0.faults, 0);
	CHECK_EQ(s1.pages_mapped - s0.pages_mapped, 0);
	CHECK_EQ(s1.entries, n);

	/* Half cached, half new: one fault batch, at least the new half mapped. */
	s0 = s1;
	CHECK_EQ(nd_read(fd, mem, buf, 2 * n, &cmd), 0);
	CHECK_EQ(cmd.cpages, 2 * n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("extended read", buf, 2 * n, 1), "wrong data");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.faults - s0.faults, 1);
	CHECK(s1.pages_mapped - s0.pages_mapped >= n &&
	      s1.pages_mapped - s0.pages_mapped <= 2 * n,
	      "pages_mapped grew by %llu for %lu new pages",
	      (unsigned long long)(s1.pages_mapped - s0.pages_mapped), n);
	CHECK_EQ(s1.entries, 2 * n);
	CHECK_EQ(s1.flushes, 0);
	CHECK_EQ(s1.pages_zapped, 0);
	return KTAP_PASS;
}

/* Proves: dirty is propagated for pages the device wrote, and only for those. */
static int case_stats_dirty_only_when_written(void)
{
	const unsigned long n = 32;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *rd, *wr, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	rd = nd_map(len);
	wr = nd_map(len);
	buf = nd_map(len);
	CHECK(rd && wr && buf, "mmap: %s", strerror(errno));
	nd_fill(rd, n, 1);
	nd_fill(wr, n, 1);

	/* Only read by the device: nothing to propagate. */
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(nd_read(fd, rd, buf, n, &cmd), 0);
	CHECK_SYS(munmap(rd, len));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("read then munmap", &s1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.dirty_propagated - s0.dirty_propagated, 0);

	/* Written by the device: every page must be marked dirty. */
	s0 = s1;
	nd_fill(buf, n, 2);
	CHECK_EQ(nd_write(fd, wr, buf, n, &cmd), 0);
	CHECK(!nd_check("device write", wr, n, 2), "CPU does not see it");
	CHECK_SYS(munmap(wr, len));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("write then munmap", &s1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK(s1.dirty_propagated - s0.dirty_propagated >= n,
	      "dirty propagated for %llu of %lu written pages",
	      (unsigned long long)(s1.dirty_propagated - s0.dirty_propagated),
	      n);
	return KTAP_PASS;
}

/* Proves: two opens of the same device node are independent mirrors with their own stats. */
static int case_stats_per_open(void)
{
	const unsigned long n = 16;
	struct ndemo_stats a, b;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fa, fb;

	OPEN_DEV(fa, 0);
	OPEN_DEV(fb, 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	CHECK_EQ(nd_read(fa, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_stats(fb, &b), 0);
	CHECK_EQ(b.faults, 0);
	CHECK_EQ(b.entries, 0);
	CHECK_EQ(nd_read(fb, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("second open", buf, n, 1), "wrong data");

	CHECK_SYS(close(fa));
	/* Closing one mirror leaves the other intact and cached. */
	CHECK_EQ(nd_read(fb, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK_SYS(madvise(mem, n * ND_PAGE, MADV_DONTNEED));
	CHECK_EQ(nd_stats(fb, &b), 0);
	CHECK_EQ(b.entries, 0);
	CHECK_EQ(b.pages_zapped, n);
	CHECK_EQ(b.flushes, 1);

	OPEN_DEV(fa, 0);
	CHECK_EQ(nd_stats(fa, &a), 0);
	CHECK(a.faults == 0 && a.entries == 0 && a.flushes == 0,
	      "a new open inherited state");
	return KTAP_PASS;
}

/* Proves: SNAPSHOT reports CPU state without faulting or mapping anything. */
static int case_snapshot_does_not_fault(void)
{
	const unsigned long n = 8;
	unsigned char snap[8];
	struct ndemo_stats s0, s1;
	char *mem;
	unsigned long i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	CHECK(mem, "mmap: %s", strerror(errno));
	/* Page 0 written, page 1 read (zero page), 2 unmapped, rest untouched. */
	mem[0] = 1;
	CHECK_EQ(nd_touch_read(mem + ND_PAGE), 0);
	CHECK_SYS(munmap(mem + 2 * ND_PAGE, ND_PAGE));

	CHECK_EQ(nd_stats(fd, &s0), 0);
	memset(snap, 0xee, sizeof(snap));
	CHECK_EQ(nd_snapshot(fd, mem, snap, n), 0);
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.faults - s0.faults, 0);
	CHECK_EQ(s1.pages_mapped - s0.pages_mapped, 0);
	CHECK_EQ(s1.entries, 0);

	CHECK(snap[0] == NDEMO_PROT_WRITE, "page 0: %#x, want WRITE", snap[0]);
	CHECK(snap[1] == (NDEMO_PROT_ZERO | NDEMO_PROT_READ),
	      "page 1: %#x, want ZERO|READ", snap[1]);
	CHECK(snap[2] == NDEMO_PROT_ERROR, "page 2: %#x, want ERROR", snap[2]);
	for (i = 3; i < n; i++)
		CHECK(snap[i] == NDEMO_PROT_NONE, "page %lu: %#x, want NONE",
		      i, snap[i]);
	/* Not populated by the snapshot either. */
	CHECK_EQ(mt_resident(mem + 3 * ND_PAGE, (n - 3) * ND_PAGE), 0);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(stats_fresh_open_zero),
	KTAP_CASE(stats_read_counts),
	KTAP_CASE(stats_dirty_only_when_written),
	KTAP_CASE(stats_per_open),
	KTAP_CASE(snapshot_does_not_fault),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
