// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_invalidate - the device follows the CPU page tables through MMU
 * notifier invalidations: MADV_DONTNEED, mprotect, mremap, fork COW, and
 * two mirrors of one mm.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <sys/wait.h>

/* Proves: after MADV_DONTNEED the device sees fresh zero pages, after refaulting once. */
static int case_dontneed_reads_zero(void)
{
	const unsigned long n = 64;
	unsigned char snap[64];
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned long i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("first read", buf, n, 1), "device saw wrong data");
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_SYS(madvise(mem, n * ND_PAGE, MADV_DONTNEED));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after MADV_DONTNEED", &s1);
	CHECK(nd_inval_total(&s1) > nd_inval_total(&s0),
	      "no invalidation counted");
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.entries, 0);

	CHECK_EQ(nd_snapshot(fd, mem, snap, n), 0);
	for (i = 0; i < n; i++)
		CHECK(snap[i] == NDEMO_PROT_NONE,
		      "snapshot page %lu: %#x, want NONE", i, snap[i]);

	memset(buf, 0xa5, n * ND_PAGE);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!mt_check_zero("read after DONTNEED", buf, n),
	      "device saw stale data after MADV_DONTNEED");

	CHECK_EQ(nd_snapshot(fd, mem, snap, n), 0);
	for (i = 0; i < n; i++)
		CHECK(snap[i] == (NDEMO_PROT_ZERO | NDEMO_PROT_READ),
		      "snapshot page %lu: %#x, want ZERO|READ", i, snap[i]);
	return KTAP_PASS;
}

/* Proves: mprotect(PROT_READ) revokes device write access; CPU and device agree. */
static int case_mprotect_downgrade(void)
{
	const unsigned long n = 32;
	size_t len = n * ND_PAGE;
	unsigned char snap[32];
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned long i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	/* The device writes: entries are now writable. */
	nd_fill(buf, n, 2);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("CPU view of device write", mem, n, 2),
	      "CPU does not see what the device wrote");

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_SYS(mprotect(mem, len, PROT_READ));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after mprotect", &s1);
	CHECK(s1.invalidations[ND_EV_PROTECTION_VMA] >
	      s0.invalidations[ND_EV_PROTECTION_VMA],
	      "no PROTECTION_VMA invalidation counted");
	CHECK(s1.flushes > s0.flushes, "writable entries were not flushed");
	CHECK(s1.flushes - s0.flushes <= nd_inval_total(&s1) - nd_inval_total(&s0),
	      "more flushes than invalidations");

	nd_fill(buf, n, 3);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), -EPERM);
	CHECK(!nd_check("CPU view after refused write", mem, n, 2),
	      "a refused device write changed memory");

	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK(!nd_check("device read of read-only range", buf, n, 2),
	      "device and CPU disagree");

	CHECK_EQ(nd_snapshot(fd, mem, snap, n), 0);
	for (i = 0; i < n; i++)
		CHECK(snap[i] == NDEMO_PROT_READ,
		      "snapshot page %lu: %#x, want READ", i, snap[i]);

	/* Read-only entries now exist; a write still must not go through. */
	nd_fill(buf, n, 3);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), -EPERM);
	CHECK(!nd_check("CPU view after second refused write", mem, n, 2),
	      "a refused device write changed memory");

	/* Upgrade again: the device may write, and both views agree. */
	CHECK_SYS(mprotect(mem, len, PROT_READ | PROT_WRITE));
	nd_fill(buf, n, 4);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("CPU view after upgrade", mem, n, 4),
	      "CPU does not see the device write");
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("device view after upgrade", buf, n, 4),
	      "device does not see its own write");
	return KTAP_PASS;
}

/* Proves: after mremap the device reads the data at the new address and nothing at the old one. */
static int case_mremap_move(void)
{
	const unsigned long n = 32;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *src, *dst, *buf, *p;
	int fd;

	OPEN_DEV(fd, 0);
	dst = nd_map(len);		/* placeholder for the target range */
	src = nd_map(len);
	buf = nd_map(len);
	CHECK(src && dst && buf, "mmap: %s", strerror(errno));
	nd_fill(src, n, 3);

	CHECK_EQ(nd_read(fd, src, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("read before mremap", buf, n, 3), "wrong data");

	CHECK_EQ(nd_stats(fd, &s0), 0);
	p = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	CHECK(p == dst, "mremap: %s", p == MAP_FAILED ? strerror(errno) :
	      "moved elsewhere");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after mremap", &s1);
	CHECK(s1.invalidations[ND_EV_UNMAP] > s0.invalidations[ND_EV_UNMAP],
	      "no UNMAP invalidation counted for the moved range");
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.entries, 0);

	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, dst, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("read at new address", buf, n, 3),
	      "device does not see the moved data");
	CHECK_EQ(nd_read(fd, src, buf, n, &cmd), -EFAULT);
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.entries, n);

	/* New memory at the old address: the device must not see the old pages. */
	p = mmap(src, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(p == src, "mmap at old address: %s",
	      p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
	CHECK_SYS(madvise(src, len, MADV_NOHUGEPAGE));
	nd_fill(src, n, 4);
	CHECK_EQ(nd_read(fd, src, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("read of new mapping at old address", buf, n, 4),
	      "device saw stale pages at the old address");
	CHECK_EQ(nd_read(fd, dst, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("second read at new address", buf, n, 3),
	      "moved data changed");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.entries, 2 * n);
	return KTAP_PASS;
}

/*
 * fork COW layout, in quarters of the region:
 *   Q0: the child writes it (CPU);  Q1: the parent's device writes it;
 *   Q2: the parent's CPU writes it while the child still shares it;
 *   Q3: nobody writes it after fork.
 */
#define COW_N	16
#define COW_Q	(COW_N / 4)

static int cow_child(char *mem, int c2p, int p2c)
{
	char c = 0;

	nd_fill_range(mem, 0, COW_Q, 3);
	if (write(c2p, "w", 1) != 1 || read(p2c, &c, 1) != 1)
		return 2;
	if (nd_check_range("child Q0", mem, 0, COW_Q, 3) ||
	    nd_check_range("child Q1-Q3", mem, COW_Q, 3 * COW_Q, 2))
		return 1;
	return 0;
}

static int cow_parent_view(const char *what, const char *p)
{
	return nd_check_range(what, p, 0, COW_Q, 2) ||
	       nd_check_range(what, p, COW_Q, COW_Q, 5) ||
	       nd_check_range(what, p, 2 * COW_Q, COW_Q, 6) ||
	       nd_check_range(what, p, 3 * COW_Q, COW_Q, 2);
}

/* Proves: fork write-protects device entries; COW in child or parent never shows stale pages. */
static int case_fork_cow(void)
{
	size_t len = COW_N * ND_PAGE;
	int c2p[2], p2c[2], fd, status;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	char c;
	pid_t pid;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	CHECK_SYS(pipe(c2p));
	CHECK_SYS(pipe(p2c));
	nd_fill(mem, COW_N, 1);
	nd_fill(buf, COW_N, 2);
	CHECK_EQ(nd_write(fd, mem, buf, COW_N, &cmd), 0);
	CHECK(!nd_check("parent before fork", mem, COW_N, 2), "wrong data");

	CHECK_EQ(nd_stats(fd, &s0), 0);
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0)
		_exit(cow_child(mem, c2p[1], p2c[0]));
	CHECK(read(c2p[0], &c, 1) == 1, "child died before writing");

	CHECK_EQ(nd_stats(fd, &s1), 0);
	nd_dump_stats("after fork", &s1);
	CHECK(s1.invalidations[ND_EV_PROTECTION_PAGE] >
	      s0.invalidations[ND_EV_PROTECTION_PAGE],
	      "fork did not write-protect the mirrored range");

	/* The child's CPU writes are invisible to the parent's device. */
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, COW_N, &cmd), 0);
	CHECK(!nd_check("device read after child COW", buf, COW_N, 2),
	      "device saw the child's data");

	/* Device write in the parent breaks COW; the child must not see it. */
	nd_fill_range(buf, COW_Q, COW_Q, 5);
	CHECK_EQ(nd_write(fd, mem + COW_Q * ND_PAGE, buf + COW_Q * ND_PAGE,
			  COW_Q, &cmd), 0);
	/* CPU write in the parent while the child shares Q2: a real COW. */
	nd_fill_range(mem, 2 * COW_Q, COW_Q, 6);

	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, COW_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!cow_parent_view("parent device view", buf),
	      "device saw a stale pre-COW page");
	CHECK(!cow_parent_view("parent CPU view", mem), "parent memory wrong");

	CHECK(write(p2c[1], "c", 1) == 1, "pipe write: %s", strerror(errno));
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child saw the parent's post-fork writes (status %#x)", status);
	return KTAP_PASS;
}

/* Proves: two mirrors of one mm are independent and both are invalidated by munmap. */
static int case_two_devices_one_mm(void)
{
	const unsigned long n = 32;
	size_t len = n * ND_PAGE;
	struct ndemo_stats a0, b0, a1, b1;
	struct ndemo_cmd cmd;
	char *mem, *buf, *p;
	int fa, fb;

	OPEN_DEV(fa, 0);
	OPEN_DEV(fb, 1);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	CHECK_EQ(nd_read(fa, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK_EQ(nd_stats(fb, &b0), 0);
	CHECK(b0.faults == 0 && b0.entries == 0,
	      "second mirror changed by the first one's READ");
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fb, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("second mirror read", buf, n, 1), "wrong data");

	CHECK_EQ(nd_stats(fa, &a0), 0);
	CHECK_EQ(nd_stats(fb, &b0), 0);
	CHECK_EQ(a0.entries, n);
	CHECK_EQ(b0.entries, n);
	CHECK_SYS(munmap(mem, len));
	CHECK_EQ(nd_stats(fa, &a1), 0);
	CHECK_EQ(nd_stats(fb, &b1), 0);
	nd_dump_stats("mirror 0 after munmap", &a1);
	nd_dump_stats("mirror 1 after munmap", &b1);
	CHECK(a1.invalidations[ND_EV_UNMAP] > a0.invalidations[ND_EV_UNMAP] &&
	      b1.invalidations[ND_EV_UNMAP] > b0.invalidations[ND_EV_UNMAP],
	      "a mirror missed the UNMAP invalidation");
	CHECK_EQ(a1.pages_zapped - a0.pages_zapped, n);
	CHECK_EQ(b1.pages_zapped - b0.pages_zapped, n);
	CHECK_EQ(a1.flushes - a0.flushes, 1);
	CHECK_EQ(b1.flushes - b0.flushes, 1);
	CHECK_EQ(a1.entries, 0);
	CHECK_EQ(b1.entries, 0);

	p = mmap(mem, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(p == mem, "remap: %s", p == MAP_FAILED ? strerror(errno) :
	      "placed elsewhere");
	CHECK_SYS(madvise(mem, len, MADV_NOHUGEPAGE));
	nd_fill(mem, n, 2);
	CHECK_EQ(nd_read(fa, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("mirror 0 after remap", buf, n, 2), "stale data");
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fb, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check("mirror 1 after remap", buf, n, 2), "stale data");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(dontneed_reads_zero),
	KTAP_CASE(mprotect_downgrade),
	KTAP_CASE(mremap_move),
	KTAP_CASE(fork_cow),
	KTAP_CASE(two_devices_one_mm),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
