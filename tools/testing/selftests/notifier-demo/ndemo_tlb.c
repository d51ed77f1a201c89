// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_tlb - the device's TLB caches, and its flush is what keeps it
 * right.
 *
 * The device reads a range once (filling its TLB), then the range is
 * taken away from under it: MADV_DONTNEED, munmap and an mmap of other
 * memory at the same address, mprotect(PROT_NONE).  With the flush, the
 * device's next read sees what the CPU sees.  With the test-only module
 * parameter tlb_skip_flush set while the device file is opened, the
 * flush keeps the TLB's entries, and the device must read the old pages:
 * proof that a missing flush would be caught.  Each stale page stays
 * alive while the device can reach it (held by a forked child, by a
 * memfd's page cache, or still mapped without access), and the knob
 * revokes write permission from what it keeps, so it can only make the
 * device read; only this program's own files see it.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include "ndemo_util.h"

#define TL_N		16	/* pages: all fit in the device's TLB */
#define TL_LEN		(TL_N * ND_PAGE)
#define TL_KNOB		"/sys/module/notifier_demo/parameters/tlb_skip_flush"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

/* Open device 0, with the test-only knob set just for this open. */
static int tl_open(int skip_flush)
{
	int fd, ret;

	if (!skip_flush)
		return nd_open(0);
	ret = mt_write_str(TL_KNOB, "1");
	if (ret) {
		ktap_diag("cannot set %s: %s", TL_KNOB, strerror(-ret));
		return ret;
	}
	fd = nd_open(0);
	ret = mt_write_str(TL_KNOB, "0");
	if (ret) {
		ktap_diag("cannot clear %s: %s", TL_KNOB, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

#define OPEN_TLB_DEV(fd, skip) do {					\
	(fd) = tl_open(skip);						\
	if ((fd) < 0)							\
		return KTAP_FAIL;					\
} while (0)

/* A memfd of TL_LEN bytes holding pattern @tag. */
static int tl_memfd(unsigned int tag)
{
	int fd = syscall(SYS_memfd_create, "ndemo_tlb", MFD_CLOEXEC);
	char *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, TL_LEN))
		goto err;
	p = mmap(NULL, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	nd_fill(p, TL_N, tag);
	munmap(p, TL_LEN);
	return fd;
err:
	close(fd);
	return -errno;
}

/* A child that keeps a copy of our pages mapped until we close @pipe_w. */
static pid_t tl_fork_holder(int *pipe_w)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*pipe_w = p[1];
	return pid;
}

static void tl_release_holder(pid_t pid, int pipe_w)
{
	close(pipe_w);
	waitpid(pid, NULL, 0);
}

/* What the device read after the change, as the case reports it. */
enum tl_seen { TL_FRESH, TL_STALE, TL_OTHER };

static const char *const tl_seen_name[] = {
	"what the CPU sees", "the old pages", "something else",
};

/*
 * Fill the TLB with a read of @mem (pattern @old), apply @change, read
 * again: @fresh tells whether the second read's outcome (@ret2, @buf) is
 * the CPU's view; the old pattern in @buf is staleness.
 */
static enum tl_seen tl_classify(int ret2, const char *buf, unsigned int old,
				int fresh)
{
	if (fresh)
		return TL_FRESH;
	if (!ret2 && !nd_check_range("stale check", buf, 0, TL_N, old))
		return TL_STALE;
	return TL_OTHER;
}

static int tl_check_counters(int fd, const struct ndemo_stats *s0,
			     int skip_flush, unsigned long long hits)
{
	struct ndemo_stats s1;

	CHECK_EQ(nd_stats(fd, &s1), 0);
	ktap_diag("TLB: hits %llu misses %llu emptied %llu dropped %llu (flushes %llu)",
		  (unsigned long long)(s1.tlb_hits - s0->tlb_hits),
		  (unsigned long long)(s1.tlb_misses - s0->tlb_misses),
		  (unsigned long long)(s1.tlb_emptied - s0->tlb_emptied),
		  (unsigned long long)(s1.tlb_dropped - s0->tlb_dropped),
		  (unsigned long long)(s1.flushes - s0->flushes));
	CHECK(s1.flushes > s0->flushes, "the change flushed nothing");
	if (skip_flush) {
		CHECK_EQ(s1.tlb_emptied, s0->tlb_emptied);
		CHECK_EQ(s1.tlb_hits - s0->tlb_hits, hits);
	} else {
		CHECK_EQ(s1.tlb_emptied - s0->tlb_emptied,
			 s1.flushes - s0->flushes);
		CHECK(s1.tlb_dropped - s0->tlb_dropped >= TL_N,
		      "the flush dropped fewer than %d entries", TL_N);
	}
	return KTAP_PASS;
}

/* Report the outcome: with the flush fresh data, without it stale data. */
static int tl_verdict(const char *what, enum tl_seen seen, int skip_flush)
{
	ktap_diag("%s, flush %s: the device read %s", what,
		  skip_flush ? "skipped" : "done", tl_seen_name[seen]);
	if (skip_flush) {
		CHECK(seen == TL_STALE,
		      "without its flush the device should have read the old pages");
		ktap_diag("a missing flush is visible: the device used a translation the helper had removed");
	} else {
		CHECK(seen == TL_FRESH, "stale data after the flush");
	}
	return KTAP_PASS;
}

/* MADV_DONTNEED; a forked child keeps the old pages alive. */
static int tl_dontneed(int skip_flush)
{
	struct ndemo_stats s0;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, pipe_w, ret;
	enum tl_seen seen;
	pid_t pid;

	OPEN_TLB_DEV(fd, skip_flush);
	mem = nd_map(TL_LEN);
	buf = nd_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, TL_N, 1);
	pid = tl_fork_holder(&pipe_w);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK_EQ(nd_read(fd, mem, buf, TL_N, &cmd), 0);
	CHECK(!nd_check("first read", buf, TL_N, 1), "wrong data");
	CHECK_EQ(nd_stats(fd, &s0), 0);

	CHECK_SYS(madvise(mem, TL_LEN, MADV_DONTNEED));
	memset(buf, 0x5a, TL_LEN);
	ret = nd_read(fd, mem, buf, TL_N, &cmd);
	seen = tl_classify(ret, buf, 1, !ret &&
			   !mt_check_zero("read after MADV_DONTNEED", buf,
					  TL_N));
	ret = tl_check_counters(fd, &s0, skip_flush, TL_N);
	close(fd);
	tl_release_holder(pid, pipe_w);
	if (ret != KTAP_PASS)
		return ret;
	return tl_verdict("MADV_DONTNEED", seen, skip_flush);
}

/* munmap, then another memfd mapped at the same address. */
static int tl_remap(int skip_flush)
{
	int fd, fa, fb, ret;
	struct ndemo_stats s0;
	struct ndemo_cmd cmd;
	enum tl_seen seen;
	char *mem, *buf;

	OPEN_TLB_DEV(fd, skip_flush);
	fa = tl_memfd(2);
	fb = tl_memfd(3);
	CHECK(fa >= 0 && fb >= 0, "memfd: %s", strerror(errno));
	buf = nd_map(TL_LEN);
	mem = mmap(NULL, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	CHECK(buf && mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK_EQ(nd_read(fd, mem, buf, TL_N, &cmd), 0);
	CHECK(!nd_check("first read", buf, TL_N, 2), "wrong data");
	CHECK_EQ(nd_stats(fd, &s0), 0);

	CHECK_SYS(munmap(mem, TL_LEN));
	CHECK(mmap(mem, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   fb, 0) == mem, "mmap at %p: %s", mem, strerror(errno));
	memset(buf, 0x5a, TL_LEN);
	ret = nd_read(fd, mem, buf, TL_N, &cmd);
	seen = tl_classify(ret, buf, 2,
			   !ret && !nd_check("read after the remap", buf,
					     TL_N, 3));
	ret = tl_check_counters(fd, &s0, skip_flush, TL_N);
	/* The TLB goes first: the old pages live in fa's page cache. */
	close(fd);
	close(fa);
	close(fb);
	if (ret != KTAP_PASS)
		return ret;
	return tl_verdict("munmap + mmap at the same address", seen,
			  skip_flush);
}

/* mprotect(PROT_NONE): the pages stay, the device must lose access. */
static int tl_mprotect(int skip_flush)
{
	struct ndemo_stats s0;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	enum tl_seen seen;
	int fd, ret;

	OPEN_TLB_DEV(fd, skip_flush);
	mem = nd_map(TL_LEN);
	buf = nd_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, TL_N, 4);
	CHECK_EQ(nd_read(fd, mem, buf, TL_N, &cmd), 0);
	CHECK_EQ(nd_stats(fd, &s0), 0);

	CHECK_SYS(mprotect(mem, TL_LEN, PROT_NONE));
	memset(buf, 0x5a, TL_LEN);
	ret = nd_read(fd, mem, buf, TL_N, &cmd);
	ktap_diag("READ after mprotect(PROT_NONE): %s",
		  ret ? strerror(-ret) : "succeeded");
	seen = tl_classify(ret, buf, 4, ret == -EFAULT);
	ret = tl_check_counters(fd, &s0, skip_flush, TL_N);
	close(fd);
	if (ret != KTAP_PASS)
		return ret;
	return tl_verdict("mprotect(PROT_NONE)", seen, skip_flush);
}

/* Proves: a second READ of cached pages hits the TLB and faults nothing. */
static int case_tlb_hits(void)
{
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(TL_LEN);
	buf = nd_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, TL_N, 5);
	CHECK_EQ(nd_read(fd, mem, buf, TL_N, &cmd), 0);
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK(s0.tlb_misses >= TL_N, "only %llu misses",
	      (unsigned long long)s0.tlb_misses);
	memset(buf, 0, TL_LEN);
	CHECK_EQ(nd_read(fd, mem, buf, TL_N, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check("second read", buf, TL_N, 5), "wrong data");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.tlb_hits - s0.tlb_hits, TL_N);
	CHECK_EQ(s1.tlb_misses, s0.tlb_misses);
	return KTAP_PASS;
}

/* Proves: after MADV_DONTNEED the flush made the device read fresh zeroes. */
static int case_dontneed_flushed(void)
{
	return tl_dontneed(0);
}

/* Proves: without its flush the device reads the old pages after MADV_DONTNEED. */
static int case_dontneed_stale_without_flush(void)
{
	return tl_dontneed(1);
}

/* Proves: after munmap + mmap at the same address the device reads the new file. */
static int case_remap_flushed(void)
{
	return tl_remap(0);
}

/* Proves: without its flush the device reads the unmapped file after a remap. */
static int case_remap_stale_without_flush(void)
{
	return tl_remap(1);
}

/* Proves: after mprotect(PROT_NONE) the flush takes the device's access away. */
static int case_mprotect_flushed(void)
{
	return tl_mprotect(0);
}

/* Proves: without its flush the device still reads a PROT_NONE range. */
static int case_mprotect_stale_without_flush(void)
{
	return tl_mprotect(1);
}

/* Proves: even with the knob set, the device never writes through a kept entry. */
static int case_knob_never_writes_stale(void)
{
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_TLB_DEV(fd, 1);
	mem = nd_map(TL_LEN);
	buf = nd_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, TL_N, 6);
	/* Entries filled for writing... */
	CHECK_EQ(nd_write(fd, mem, buf, TL_N, &cmd), 0);
	CHECK_SYS(mprotect(mem, TL_LEN, PROT_READ));
	/* ...lose write permission at the flush the knob skips. */
	nd_fill(buf, TL_N, 7);
	CHECK_EQ(nd_write(fd, mem, buf, TL_N, &cmd), -EPERM);
	CHECK(!nd_check("memory after the refused write", mem, TL_N, 6),
	      "the device wrote a read-only range");
	close(fd);
	return KTAP_PASS;
}

/*
 * Proves: reclaim keeps pages the device goes on reading through its TLB
 * (TLB hits set no accessed bit; the TLB is emptied after aging instead),
 * and takes the pages it stopped reading.
 */
static int case_reclaim_sees_tlb_use(void)
{
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *used, *idle, *buf;
	long r_used, r_idle;
	int fd;

	if (mt_swap_free_kb() < (long long)(4 * TL_LEN >> 10))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_DEV(fd, 0);
	used = nd_map(TL_LEN);
	idle = nd_map(TL_LEN);
	buf = nd_map(TL_LEN);
	CHECK(used && idle && buf, "mmap: %s", strerror(errno));
	nd_fill(used, TL_N, 8);
	nd_fill(idle, TL_N, 9);
	CHECK_EQ(nd_read(fd, idle, buf, TL_N, &cmd), 0);
	CHECK_EQ(nd_read(fd, used, buf, TL_N, &cmd), 0);
	/* Every page was just used: the first pass only clears young bits. */
	CHECK_SYS(madvise(used, TL_LEN, MADV_PAGEOUT));
	CHECK_SYS(madvise(idle, TL_LEN, MADV_PAGEOUT));
	CHECK_EQ(mt_resident(used, TL_LEN), TL_N);
	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_EQ(nd_read(fd, used, buf, TL_N, &cmd), 0);
	CHECK(!nd_check("read between the passes", buf, TL_N, 8),
	      "wrong data");
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_SYS(madvise(used, TL_LEN, MADV_PAGEOUT));
	CHECK_SYS(madvise(idle, TL_LEN, MADV_PAGEOUT));
	r_used = mt_resident(used, TL_LEN);
	r_idle = mt_resident(idle, TL_LEN);
	ktap_diag("after the second pass: %ld of %d used pages and %ld of %d idle pages resident; TLB age resets %llu, misses %llu",
		  r_used, TL_N, r_idle, TL_N,
		  (unsigned long long)(s1.tlb_age_resets - s0.tlb_age_resets),
		  (unsigned long long)(s1.tlb_misses - s0.tlb_misses));
	CHECK(r_used == TL_N, "reclaim took pages the device kept reading");
	CHECK(r_idle == 0, "reclaim kept pages nobody used");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(tlb_hits),
	KTAP_CASE(dontneed_flushed),
	KTAP_CASE(dontneed_stale_without_flush),
	KTAP_CASE(remap_flushed),
	KTAP_CASE(remap_stale_without_flush),
	KTAP_CASE(mprotect_flushed),
	KTAP_CASE(mprotect_stale_without_flush),
	KTAP_CASE(knob_never_writes_stale),
	KTAP_CASE(reclaim_sees_tlb_use),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
