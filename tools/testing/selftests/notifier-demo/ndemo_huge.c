// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_huge - the 2 MiB leaf rule of the helper, checked by what the
 * device reads and writes and by what the core VM then does: a block the
 * CPU maps with one PMD is one device entry at the right pages; once any
 * of its pages is invalidated no entry of the block is left, and the
 * device sees the CPU's 4 KiB mappings from then on; a block the CPU maps
 * with PTEs, even one backed by a transparent huge page, is 512 entries;
 * what the device writes through a 2 MiB leaf survives reclaim.
 *
 * The dmirror window is the whole address space at the same address, so
 * the window condition of the rule always holds here.  Needs THP (the
 * cases skip when the kernel gives no huge page) and, for reclaim, swap.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#ifndef MADV_FREE
#define MADV_FREE	8
#endif

#define HG_N		(ND_HPAGE / ND_PAGE)	/* 512 pages per block */
#define HG_HOLE		100UL			/* the page taken away */
#define HG_MID		300UL			/* a first access mid-block */
/*
 * A table holding one 2 MiB leaf needs the root and one node per level
 * down to the 2 MiB level, never a level-0 node; 4 KiB leaves need one
 * more.  Generous bound, the exact geometry is the helper's business.
 */
#define HG_HUGE_NODES	6

/* Is THP enabled at all ("never" selected)?  1 yes, 0 no. */
static int hg_thp_enabled(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128];
	int ok = 0;

	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		ok = !strstr(line, "[never]");
	fclose(f);
	return ok;
}

/* The device's view of the block, one NDEMO_PROT_* byte per page. */
static int hg_snap_all(int fd, const char *mem, unsigned char want,
		       unsigned long first, unsigned long count)
{
	unsigned char snap[HG_N];
	unsigned long i;

	CHECK_EQ(nd_snapshot(fd, mem + first * ND_PAGE, snap, count), 0);
	for (i = 0; i < count; i++)
		CHECK(snap[i] == want, "snapshot page %lu: %#x, want %#x",
		      first + i, snap[i], want);
	return KTAP_PASS;
}

/*
 * A 2 MiB aligned block of anonymous memory filled by the CPU with @tag
 * and mapped by one writable PMD (checked through smaps and a snapshot),
 * or a skip when the kernel gives no huge page here.
 */
static int hg_thp_block(int fd, unsigned int tag, char **memp)
{
	long thp;
	char *mem;

	if (!hg_thp_enabled())
		return ktap_skip_case("transparent huge pages are disabled");
	mem = mt_map_aligned(ND_HPAGE, ND_HPAGE, 1);
	CHECK(mem, "mmap: %s", strerror(errno));
	nd_fill(mem, HG_N, tag);
	thp = nd_smaps_kb(mem, "AnonHugePages");
	if (thp < (long)(ND_HPAGE >> 10))
		return ktap_skip_case("no THP here (AnonHugePages %ld kB)",
				      thp);
	if (hg_snap_all(fd, mem, NDEMO_PROT_WRITE | NDEMO_PROT_PMD, 0, HG_N))
		return KTAP_FAIL;
	*memp = mem;
	return KTAP_PASS;
}

/* Proves: a device read of a PMD-mapped THP is one entry, with right data */
static int case_thp_one_entry(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 1, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));

	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.cpages, HG_N);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read of the THP", buf, HG_N, 1), "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("after reading the THP", &s);
	CHECK(s.entries == 1, "%llu entries for one PMD-mapped block, want 1",
	      (unsigned long long)s.entries);
	CHECK_EQ(s.pages_mapped, HG_N);
	CHECK(s.table_nodes <= HG_HUGE_NODES, "%llu table nodes for one leaf",
	      (unsigned long long)s.table_nodes);

	/* The one entry serves the whole block: no second fault. */
	memset(buf, 0, ND_HPAGE);
	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("second device read", buf, HG_N, 1), "wrong data");
	return KTAP_PASS;
}

/* Proves: a leaf faulted mid-block maps each page of the THP in its place */
static int case_thp_leaf_from_mid_block(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 2, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));

	/* The first access starts at page HG_MID, not at the block start. */
	CHECK_EQ(nd_read(fd, mem + HG_MID * ND_PAGE, buf + HG_MID * ND_PAGE,
			 HG_N - HG_MID, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, 1);
	/* The pages before it come from the same leaf, without a fault. */
	CHECK_EQ(nd_read(fd, mem, buf, HG_MID, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("device read from mid-block", buf, HG_N, 2),
	      "a page of the leaf maps the wrong part of the THP");

	/* Device stores land where the CPU sees them. */
	nd_fill(buf, HG_N, 3);
	CHECK_EQ(nd_write(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("CPU view of device stores", mem, HG_N, 3),
	      "device stores went to the wrong pages");
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, 1);
	return KTAP_PASS;
}

/*
 * Take page HG_HOLE out of a mirrored THP block (munmap or MADV_DONTNEED):
 * the CPU splits the PMD and no device entry of the block may remain.
 * Then the device reads the other 511 pages through 4 KiB entries and the
 * hole as the CPU sees it.
 */
static int thp_partial(int dontneed)
{
	const unsigned long rest = HG_N - HG_HOLE - 1;
	char *mem, *buf, *hole;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	int fd, ret;

	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 4, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK(!nd_check("device read of the THP", buf, HG_N, 4), "wrong data");
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(s0.entries, 1);

	hole = mem + HG_HOLE * ND_PAGE;
	if (dontneed)
		CHECK_SYS(madvise(hole, ND_PAGE, MADV_DONTNEED));
	else
		CHECK_SYS(munmap(hole, ND_PAGE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats(dontneed ? "after DONTNEED of one page" :
		      "after munmap of one page", &s1);
	CHECK(s1.entries == 0, "%llu entries of the block survived",
	      (unsigned long long)s1.entries);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, HG_N);
	/* Keep khugepaged from collapsing the block again meanwhile. */
	if (dontneed)
		CHECK_SYS(madvise(mem, ND_HPAGE, MADV_NOHUGEPAGE));
	/* The CPU maps the rest with 4 KiB PTEs now. */
	if (hg_snap_all(fd, mem, NDEMO_PROT_WRITE, 0, HG_HOLE) ||
	    hg_snap_all(fd, mem, NDEMO_PROT_WRITE, HG_HOLE + 1, rest))
		return KTAP_FAIL;

	memset(buf, 0, ND_HPAGE);
	CHECK_EQ(nd_read(fd, mem, buf, HG_HOLE, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_read(fd, hole + ND_PAGE, buf + (HG_HOLE + 1) * ND_PAGE,
			 rest, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check_range("device read before the hole", buf, 0, HG_HOLE,
			      4), "wrong data");
	CHECK(!nd_check_range("device read after the hole", buf, HG_HOLE + 1,
			      rest, 4), "wrong data");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK(s1.entries == HG_N - 1, "%llu entries for 511 PTE-mapped pages",
	      (unsigned long long)s1.entries);

	memset(buf, 0x5a, ND_PAGE);
	if (dontneed) {
		CHECK_EQ(nd_read(fd, hole, buf, 1, &cmd), 0);
		CHECK(!mt_check_zero("device read of the hole", buf, 1),
		      "the device still sees the page MADV_DONTNEED dropped");
		CHECK(!mt_check_zero("CPU view of the hole", hole, 1),
		      "the CPU sees old data in the hole");
	} else {
		CHECK_EQ(nd_read(fd, hole, buf, 1, &cmd), -EFAULT);
	}
	CHECK(!nd_check_range("CPU view before the hole", mem, 0, HG_HOLE, 4),
	      "CPU data changed");
	CHECK(!nd_check_range("CPU view after the hole", mem, HG_HOLE + 1,
			      rest, 4), "CPU data changed");
	return KTAP_PASS;
}

/* Proves: munmap of a page zaps the 2M leaf; 511 4K entries; hole EFAULT */
static int case_thp_partial_munmap(void)
{
	return thp_partial(0);
}

/* Proves: DONTNEED of a page zaps the 2M leaf; 511 4K entries; hole zero */
static int case_thp_partial_dontneed(void)
{
	return thp_partial(1);
}

/*
 * The core VM splits the PMD before it changes part of a block, and the
 * split invalidates the whole block, so the cases above cannot tell a
 * helper that zaps a 2 MiB leaf whole from one that leaves it when only
 * part of it is invalidated.  MADV_FREE of one page of a THP that a child
 * shares announces the one page and then changes nothing (a shared THP
 * is not freed): the CPU keeps its PMD, and the leaf must be gone anyway,
 * since the helper cannot know what the core VM was about to do.
 */
/* Proves: invalidating one page of a 2M leaf zaps it even if the PMD stays */
static int case_thp_one_page_inval_no_split(void)
{
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret, pipefd[2];
	pid_t pid;
	char c;

	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 12, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	CHECK_SYS(pipe(pipefd));
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		/* Share the THP until the parent is done. */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[0]);

	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK(!nd_check("device read of the shared THP", buf, HG_N, 12),
	      "wrong data");
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(s0.entries, 1);

	CHECK_SYS(madvise(mem + HG_HOLE * ND_PAGE, ND_PAGE, MADV_FREE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after MADV_FREE of one shared page", &s1);
	/* The CPU still maps the whole block with its PMD... */
	if (hg_snap_all(fd, mem, NDEMO_PROT_READ | NDEMO_PROT_PMD, 0, HG_N))
		return KTAP_FAIL;
	CHECK(nd_inval_total(&s1) > nd_inval_total(&s0),
	      "MADV_FREE announced no invalidation: this case proves nothing");
	/* ...but the leaf covered an invalidated page, so it is gone. */
	CHECK(s1.entries == 0,
	      "the 2 MiB leaf survived an invalidation of one of its pages");
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, HG_N);

	memset(buf, 0, ND_HPAGE);
	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read after MADV_FREE", buf, HG_N, 12),
	      "wrong data");
	CHECK_SYS(close(pipefd[1]));
	CHECK_SYS(waitpid(pid, NULL, 0));
	return KTAP_PASS;
}

/* Proves: a 2 MiB aligned block the CPU maps with PTEs is 512 entries */
static int case_pte_block_512_entries(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = mt_map_aligned(ND_HPAGE, ND_HPAGE, 0);
	buf = nd_map(ND_HPAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, HG_N, 5);
	CHECK_EQ(nd_smaps_kb(mem, "AnonHugePages"), 0);
	if (hg_snap_all(fd, mem, NDEMO_PROT_WRITE, 0, HG_N))
		return KTAP_FAIL;

	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("device read", buf, HG_N, 5), "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("4 KiB-mapped block", &s);
	CHECK(s.entries == HG_N, "%llu entries for a PTE block, want 512",
	      (unsigned long long)s.entries);
	return KTAP_PASS;
}

/* Proves: a THP mapped by PTEs after a PMD split gives 512 entries, not one */
static int case_split_thp_512_entries(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 6, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	/*
	 * Changing the protection of one page splits the PMD; the huge page
	 * itself stays whole, now mapped by 512 PTEs.
	 */
	CHECK_SYS(mprotect(mem + HG_HOLE * ND_PAGE, ND_PAGE, PROT_READ));
	CHECK_SYS(mprotect(mem + HG_HOLE * ND_PAGE, ND_PAGE,
			   PROT_READ | PROT_WRITE));
	CHECK_SYS(madvise(mem, ND_HPAGE, MADV_NOHUGEPAGE));
	if (hg_snap_all(fd, mem, NDEMO_PROT_WRITE, 0, HG_HOLE))
		return KTAP_FAIL;

	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK(!nd_check("device read", buf, HG_N, 6), "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("PTE-mapped THP", &s);
	CHECK(s.entries == HG_N, "%llu entries for a PTE-mapped THP, want 512",
	      (unsigned long long)s.entries);
	return KTAP_PASS;
}

/* MADV_PAGEOUT twice over the block: it must leave RAM. */
static int hg_pageout(char *mem)
{
	long res;

	CHECK_EQ(mt_pageout2(mem, ND_HPAGE), 0);
	res = mt_resident(mem, ND_HPAGE);
	ktap_diag("after MADV_PAGEOUT x2: %ld pages resident, Swap %ld kB",
		  res, nd_smaps_kb(mem, "Swap"));
	CHECK(res == 0, "%ld of %lu pages stayed in RAM", res, HG_N);
	return KTAP_PASS;
}

/* Proves: data the device wrote through a 2 MiB leaf survives swap */
static int case_thp_device_write_pageout(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	if (mt_swap_free_kb() < (long long)(2 * ND_HPAGE >> 10))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 7, &mem);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));

	nd_fill(buf, HG_N, 8);
	CHECK_EQ(nd_write(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, 1);
	if (hg_pageout(mem))
		return KTAP_FAIL;
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("after MADV_PAGEOUT x2", &s);
	CHECK_EQ(s.entries, 0);

	memset(buf, 0, ND_HPAGE);
	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK(!nd_check("device read after swap-in", buf, HG_N, 8),
	      "the device's data did not come back");
	CHECK(!nd_check("CPU view after swap-in", mem, HG_N, 8),
	      "the CPU does not see the device's data");
	return KTAP_PASS;
}

/*
 * MADV_FREE leaves the PMD writable but clean: the device's stores go
 * through its own entry and never set the CPU's dirty bit, so only the
 * helper passing its dirty bit on keeps reclaim from discarding the page.
 * A second freed THP that nobody writes shows that reclaim does discard.
 */
/* Proves: device stores into a MADV_FREE'd THP dirty it: reclaim keeps them */
static int case_thp_device_write_after_free(void)
{
	char *mem, *idle, *buf;
	struct ndemo_cmd cmd;
	int fd, ret;

	if (mt_swap_free_kb() < (long long)(4 * ND_HPAGE >> 10))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_DEV(fd, 0);
	ret = hg_thp_block(fd, 9, &mem);
	if (ret == KTAP_PASS)
		ret = hg_thp_block(fd, 11, &idle);
	if (ret != KTAP_PASS)
		return ret;
	buf = nd_map(ND_HPAGE);
	CHECK(buf, "mmap: %s", strerror(errno));

	CHECK_SYS(madvise(mem, ND_HPAGE, MADV_FREE));
	CHECK_SYS(madvise(idle, ND_HPAGE, MADV_FREE));
	nd_fill(buf, HG_N, 10);
	CHECK_EQ(nd_write(fd, mem, buf, HG_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	if (hg_snap_all(fd, mem, NDEMO_PROT_WRITE | NDEMO_PROT_PMD, 0, HG_N))
		return KTAP_FAIL;
	CHECK_EQ(mt_pageout2(mem, ND_HPAGE), 0);
	CHECK_EQ(mt_pageout2(idle, ND_HPAGE), 0);
	ktap_diag("after MADV_PAGEOUT x2: resident: written THP %ld, idle %ld",
		  mt_resident(mem, ND_HPAGE), mt_resident(idle, ND_HPAGE));

	CHECK(!mt_check_zero("idle freed THP after reclaim", idle, HG_N),
	      "reclaim kept a clean MADV_FREE'd THP: this case proves nothing");
	CHECK(!nd_check("CPU view after reclaim", mem, HG_N, 10),
	      "reclaim discarded what the device wrote");
	memset(buf, 0, ND_HPAGE);
	CHECK_EQ(nd_read(fd, mem, buf, HG_N, &cmd), 0);
	CHECK(!nd_check("device read after reclaim", buf, HG_N, 10),
	      "the device's data did not come back");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(thp_one_entry),
	KTAP_CASE(thp_leaf_from_mid_block),
	KTAP_CASE(thp_partial_munmap),
	KTAP_CASE(thp_partial_dontneed),
	KTAP_CASE(thp_one_page_inval_no_split),
	KTAP_CASE(pte_block_512_entries),
	KTAP_CASE(split_thp_512_entries),
	KTAP_CASE(thp_device_write_pageout),
	KTAP_CASE(thp_device_write_after_free),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
