// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_accessed - what becomes of the device's accessed bit when its
 * entry goes.  The device reads two pages of four (their entries become
 * young), then the entries are removed; PG_referenced of each page, from
 * /proc/kpageflags, tells whether the helper passed the access on:
 *
 *  - the page stays mapped (mprotect): marked, as the CPU's young pte
 *    survives mprotect;
 *  - a file page is unmapped: marked, as zap_pte_range() marks a file
 *    page whose pte was young;
 *  - an anonymous page is discarded from this mm: not marked, as the
 *    core VM does not pass on its own young bit there.
 *
 * The two pages the device did not read are the control: if anything
 * else marked them, the case is skipped.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <sys/syscall.h>

#define AC_N		4	/* pages; the device reads the first two */
#define AC_READ		2
#define KPF_REFERENCED	2

/* The frame mapped at @addr, or 0 (pagemap's PFN needs CAP_SYS_ADMIN). */
static uint64_t ac_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / ND_PAGE * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
}

/* PG_referenced of frame @pfn: 1, 0, or -1 if it cannot be read. */
static int ac_referenced(uint64_t pfn)
{
	uint64_t f;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &f, sizeof(f), pfn * sizeof(f));
	close(fd);
	return n == sizeof(f) ? (int)((f >> KPF_REFERENCED) & 1) : -1;
}

/*
 * The frames of the AC_N pages at @mem, all unreferenced, or skip.  The
 * CPU's young bits are cleared first (and PG_referenced with them), so
 * that the CPU's own zap marks nothing.
 */
static int ac_frames(const char *mem, uint64_t *pfn)
{
	int i;

	if (mt_write_str("/proc/self/clear_refs", "1"))
		return ktap_skip_case("cannot write /proc/self/clear_refs");
	for (i = 0; i < AC_N; i++) {
		pfn[i] = ac_pfn(mem + i * ND_PAGE);
		if (!pfn[i])
			return ktap_skip_case("no PFN in /proc/self/pagemap (not root?)");
		if (ac_referenced(pfn[i]) != 0)
			return ktap_skip_case("page %d is referenced already, or no /proc/kpageflags",
					      i);
	}
	return KTAP_PASS;
}

/*
 * The device reads the first AC_READ pages; after @drop removed the
 * entries, those must be referenced exactly when @want says so, and the
 * others not.
 */
static int ac_read_then(int fd, char *mem, const uint64_t *pfn,
			int (*drop)(char *mem), int want)
{
	char *buf = nd_map(AC_N * ND_PAGE);
	int i, ref;

	CHECK(buf, "mmap: %s", strerror(errno));
	CHECK_EQ(nd_read(fd, mem, buf, AC_READ, NULL), 0);
	CHECK(!nd_check("device read", buf, AC_READ, 1), "wrong data");
	for (i = 0; i < AC_N; i++)
		CHECK_EQ(ac_referenced(pfn[i]), 0);
	CHECK_EQ(drop(mem), 0);
	for (i = AC_READ; i < AC_N; i++)
		if (ac_referenced(pfn[i]))
			return ktap_skip_case("a page the device did not read was marked accessed too");
	for (i = 0; i < AC_READ; i++) {
		ref = ac_referenced(pfn[i]);
		CHECK(ref == want, "page %d read by the device: PG_referenced %d, want %d",
		      i, ref, want);
	}
	munmap(buf, AC_N * ND_PAGE);
	return KTAP_PASS;
}

static int ac_protect(char *mem)
{
	return mprotect(mem, AC_N * ND_PAGE, PROT_READ) ? -errno : 0;
}

static int ac_unmap(char *mem)
{
	return munmap(mem, AC_N * ND_PAGE) ? -errno : 0;
}

static int ac_dontneed(char *mem)
{
	return madvise(mem, AC_N * ND_PAGE, MADV_DONTNEED) ? -errno : 0;
}

/* Proves: an entry dropped while the page stays mapped passes the device's access on. */
static int case_anon_protect_marks(void)
{
	uint64_t pfn[AC_N];
	char *mem;
	int fd, ret;

	OPEN_DEV(fd, 0);
	mem = nd_map(AC_N * ND_PAGE);
	CHECK(mem, "mmap: %s", strerror(errno));
	nd_fill(mem, AC_N, 1);
	ret = ac_frames(mem, pfn);
	if (ret == KTAP_PASS)
		ret = ac_read_then(fd, mem, pfn, ac_protect, 1);
	munmap(mem, AC_N * ND_PAGE);
	close(fd);
	return ret;
}

/* Proves: unmapping a file page the device used marks it accessed, as the CPU's zap does. */
static int case_file_unmap_marks(void)
{
	uint64_t pfn[AC_N];
	int fd, mfd, ret;
	char *mem;

	OPEN_DEV(fd, 0);
	mfd = syscall(SYS_memfd_create, "ndemo_accessed", 0);
	CHECK(mfd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(!ftruncate(mfd, AC_N * ND_PAGE), "ftruncate: %s",
	      strerror(errno));
	mem = mmap(NULL, AC_N * ND_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   mfd, 0);
	CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	nd_fill(mem, AC_N, 1);
	ret = ac_frames(mem, pfn);
	/* The memfd keeps the pages in its page cache after the munmap. */
	if (ret == KTAP_PASS)
		ret = ac_read_then(fd, mem, pfn, ac_unmap, 1);
	else
		munmap(mem, AC_N * ND_PAGE);
	close(mfd);
	close(fd);
	return ret;
}

/*
 * Proves: discarding anonymous pages leaves them unmarked, as the CPU's
 * zap leaves them (a forked child keeps them alive to be looked at).
 */
static int case_anon_discard_leaves(void)
{
	int fd, ret, status, pipefd[2];
	uint64_t pfn[AC_N];
	char *mem, c;
	pid_t pid;

	OPEN_DEV(fd, 0);
	mem = nd_map(AC_N * ND_PAGE);
	CHECK(mem, "mmap: %s", strerror(errno));
	nd_fill(mem, AC_N, 1);
	CHECK(!pipe(pipefd), "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(pipefd[1]);
		/* Keep the pages mapped until the parent is done. */
		_exit(read(pipefd[0], &c, 1) < 0 || mem[0] == 0);
	}
	close(pipefd[0]);
	ret = ac_frames(mem, pfn);
	if (ret == KTAP_PASS)
		ret = ac_read_then(fd, mem, pfn, ac_dontneed, 0);
	close(pipefd[1]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	munmap(mem, AC_N * ND_PAGE);
	close(fd);
	return ret;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(anon_protect_marks),
	KTAP_CASE(file_unmap_marks),
	KTAP_CASE(anon_discard_leaves),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
