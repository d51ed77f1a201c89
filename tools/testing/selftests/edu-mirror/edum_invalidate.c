// SPDX-License-Identifier: GPL-2.0
/*
 * edum_invalidate - whatever the core VM does to DMA-mirrored memory
 * (reclaim, fork and COW, munmap, mremap, mprotect, MADV_DONTNEED), the
 * edu device never touches a page the process no longer has there: its
 * next copy moves the data the CPU sees, checked byte by byte.  Each
 * invalidation of a mirrored range costs exactly one IOTLB sync.
 *
 * Needs scripts/qemu-run.sh --iommu-edu; skipped without /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include "edum_util.h"

#define LEN	1000U	/* bytes per copy */

/* Proves: MADV_PAGEOUT swaps a DMA-mapped buffer out for real; the next DMA reads it back intact. */
static int case_pageout_frees_and_refaults(void)
{
	const unsigned long n = 16;
	struct edu_mirror_stats s0, s1;
	unsigned long present, swapped;
	char *a, *b;
	int fd;

	if (mt_swap_free_kb() < (long long)(n * 8))
		return ktap_skip_case("no swap");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	OPEN_EDU(fd);
	a = eu_anon(n * EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, n * EU_PAGE, 11);
	CHECK_EQ(eu_map(fd, a, n * EU_PAGE, 0), 0);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(s0.entries, n);
	eu_pagemap_count(a, n, &present, &swapped);
	CHECK_EQ(present, n);

	CHECK_EQ(mt_pageout2(a, n * EU_PAGE), 0);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	eu_pagemap_count(a, n, &present, &swapped);
	ktap_diag("after MADV_PAGEOUT x2: %lu present, %lu swapped, Rss %ld kB, %llu entries",
		  present, swapped, mt_smaps_kb(a, "Rss"),
		  (unsigned long long)s1.entries);
	CHECK_EQ(present, 0);
	CHECK_EQ(swapped, n);
	CHECK_EQ(s1.entries, 0);
	CHECK(s1.iommu_pages_unmapped - s0.iommu_pages_unmapped >= n,
	      "only %llu pages left the IOMMU domain",
	      (unsigned long long)(s1.iommu_pages_unmapped -
				   s0.iommu_pages_unmapped));

	/* A copy from the middle of page 5 into page 6. */
	CHECK_EQ(eu_copy(fd, a + 5 * EU_PAGE + 3000, b, LEN, NULL), 0);
	CHECK(!memcmp(b, a + 5 * EU_PAGE + 3000, LEN), "data lost in swap");
	CHECK(eu_pagemap(a + 5 * EU_PAGE) & EU_PM_PRESENT,
	      "the device's fault did not swap the page in");
	return KTAP_PASS;
}

/*
 * After fork the parent writes its copy of the source; the device must
 * read the parent's new page, and its writes to the destination (shared
 * with the child until then) must not reach the child's page.
 */
/* Proves: fork + COW: the device reads and writes the parent's new pages, never the child's. */
static int case_fork_cow(void)
{
	int to_child[2], to_parent[2], status;
	char *a, *b, ok = 0;
	pid_t pid;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 1);
	eu_fill(b, LEN, 2);
	CHECK_EQ(eu_copy(fd, a, b + 8, LEN - 8, NULL), 0);
	eu_fill(b, LEN, 2);
	CHECK_SYS(pipe(to_child));
	CHECK_SYS(pipe(to_parent));
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		char go;

		if (read(to_child[0], &go, 1) != 1)
			_exit(3);
		/* The parent's copy is done: my pages are untouched. */
		go = !eu_check("child's source", a, LEN, 1) &&
		     !eu_check("child's destination", b, LEN, 2);
		_exit(write(to_parent[1], &go, 1) == 1 && go ? 0 : 1);
	}
	eu_fill(a, LEN, 3);		/* COW: the parent gets a new page */
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("parent's destination", b, LEN, 3),
	      "the device read a stale source page");
	CHECK_EQ(write(to_child[1], "g", 1), 1);
	CHECK_EQ(read(to_parent[0], &ok, 1), 1);
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(ok && WIFEXITED(status) && !WEXITSTATUS(status),
	      "the device wrote or the parent's COW changed the child's pages");
	return KTAP_PASS;
}

/* Proves: munmap + mmap at the same address: the device reads the new page, not the freed one. */
static int case_munmap_mmap_same_address(void)
{
	char *a, *b, *again;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 4);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("first copy", b, LEN, 4), "wrong data");
	CHECK_SYS(munmap(a, EU_PAGE));
	again = mmap(a, EU_PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(again == a, "mmap at %p: %s", (void *)a, strerror(errno));
	eu_fill(a, LEN, 5);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy after remap", b, LEN, 5),
	      "the device read the unmapped page");
	return KTAP_PASS;
}

/* Proves: mremap moves the pages: the old address reads the new mapping, the new address the moved data. */
static int case_mremap(void)
{
	char *a, *b, *c, *moved;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	c = eu_anon(EU_PAGE);	/* a free spot to move to */
	CHECK(a && b && c, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 6);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	moved = mremap(a, EU_PAGE, EU_PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, c);
	CHECK(moved == c, "mremap: %s", strerror(errno));
	CHECK(mmap(a, EU_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a,
	      "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 7);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("old address", b, LEN, 7),
	      "the device read the moved page at its old address");
	CHECK_EQ(eu_copy(fd, c, b, LEN, NULL), 0);
	CHECK(!eu_check("new address", b, LEN, 6), "the moved data is lost");
	return KTAP_PASS;
}

/* Proves: after mprotect removes write (or all) access, the device can no longer write (or read) there. */
static int case_mprotect_downgrade(void)
{
	struct edu_mirror_stats s0, s1;
	char *a, *b;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 8);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);	/* b mapped writable */
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_SYS(mprotect(b, EU_PAGE, PROT_READ));
	eu_fill(a, LEN, 9);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), -EPERM);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK(!eu_check("read-only destination", b, LEN, 8),
	      "the device wrote through a stale writable mapping");
	CHECK(s1.invalidations[EU_EV_PROTECTION_VMA] >
	      s0.invalidations[EU_EV_PROTECTION_VMA],
	      "mprotect was not seen as a PROTECTION_VMA invalidation");

	CHECK_SYS(mprotect(a, EU_PAGE, PROT_NONE));
	CHECK_SYS(mprotect(b, EU_PAGE, PROT_READ | PROT_WRITE));
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), -EFAULT);
	CHECK(!eu_check("destination of a PROT_NONE source", b, LEN, 8),
	      "the device read a PROT_NONE page");
	CHECK_EQ(s1.dmas - s0.dmas, 0);
	return KTAP_PASS;
}

/*
 * The device first reads an untouched page (the helper maps the shared
 * zero page, read-only), then writes it: the write fault gives the
 * process a new page, and the helper replaces its read-only entry.  The
 * IOMMU must then translate to the new page, writable.
 */
/* Proves: an entry replaced by a write fault (zero page -> new page) is remapped in the IOMMU. */
static int case_readonly_entry_replaced(void)
{
	struct edu_mirror_stats s0, s1;
	char *a, *b;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(b, LEN, 12);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);	/* a: zero page */
	CHECK(!eu_check("copy of an untouched page", b, LEN, 0), "not zeros");
	eu_fill(b, LEN, 13);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(eu_copy(fd, b, a, LEN, NULL), 0);	/* a: written */
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK(!eu_check("written page", a, LEN, 13),
	      "the device's write did not reach the process's new page");
	CHECK_EQ(s1.entries, s0.entries);
	return KTAP_PASS;
}

/*
 * A shared mapping of an ext4 file: the device's read maps the page
 * read-only (the file system wants to hear of the first write); its
 * write makes the CPU mapping writable in place, without an
 * invalidation, and the helper replaces its read-only entry.
 */
/* Proves: a read-only file entry upgraded by a device write is remapped writable; the write reaches the file. */
static int case_file_entry_upgraded(void)
{
	const char *path = "/mnt/ext4/edum_upgrade";
	char buf[LEN], *f, *b;
	int fd, ffd;

	if (access("/mnt/ext4", W_OK))
		return ktap_skip_case("no ext4 at /mnt/ext4");
	OPEN_EDU(fd);
	ffd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(ffd >= 0, "open %s: %s", path, strerror(errno));
	unlink(path);
	eu_fill(buf, LEN, 14);
	CHECK_SYS(ftruncate(ffd, EU_PAGE));
	CHECK_EQ(pwrite(ffd, buf, LEN, 0), LEN);
	CHECK_SYS(fsync(ffd));
	f = mmap(NULL, EU_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	b = eu_anon(EU_PAGE);
	CHECK(f != MAP_FAILED && b, "mmap: %s", strerror(errno));
	CHECK_EQ(eu_copy(fd, f, b, LEN, NULL), 0);	/* read-only entry */
	CHECK(!eu_check("copy of the file", b, LEN, 14), "wrong data");
	eu_fill(b, LEN, 15);
	CHECK_EQ(eu_copy(fd, b, f, LEN, NULL), 0);	/* now writable */
	CHECK(!eu_check("file page after the device's write", f, LEN, 15),
	      "the device's write did not reach the file page");
	CHECK_EQ(pread(ffd, buf, LEN, 0), LEN);
	CHECK(!eu_check("file contents", buf, LEN, 15), "wrong file data");
	return KTAP_PASS;
}

/* Proves: one MADV_DONTNEED or munmap over 64 mapped pages = one unmap and one IOTLB sync; unmirrored = none. */
static int case_one_sync_per_invalidation(void)
{
	const unsigned long n = 64;
	struct edu_mirror_stats s0, s1, s2, s3;
	char *a, *other, *b;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(n * EU_PAGE);
	other = eu_anon(n * EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && other && b, "mmap: %s", strerror(errno));
	eu_fill(a, n * EU_PAGE, 10);
	memset(other, 1, n * EU_PAGE);
	CHECK_EQ(eu_map(fd, a, n * EU_PAGE, 0), 0);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(s0.entries, n);

	CHECK_SYS(madvise(a, n * EU_PAGE, MADV_DONTNEED));
	CHECK_EQ(eu_stats(fd, &s1), 0);
	eu_dump_stats("after MADV_DONTNEED", &s1);
	CHECK_EQ(s1.entries, 0);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.iommu_unmaps - s0.iommu_unmaps, 1);
	CHECK_EQ(s1.iommu_pages_unmapped - s0.iommu_pages_unmapped, n);
	CHECK_EQ(s1.iotlb_syncs - s0.iotlb_syncs, 1);

	/* Memory the device never mapped: no unmap, no sync. */
	CHECK_SYS(madvise(other, n * EU_PAGE, MADV_DONTNEED));
	CHECK_EQ(eu_stats(fd, &s2), 0);
	CHECK_EQ(s2.iotlb_syncs - s1.iotlb_syncs, 0);
	CHECK_EQ(s2.iommu_unmaps - s1.iommu_unmaps, 0);

	/* The device sees the zero pages that replaced the data. */
	CHECK_EQ(eu_copy(fd, a + 10 * EU_PAGE, b, LEN, NULL), 0);
	CHECK(!eu_check("after MADV_DONTNEED", b, LEN, 0),
	      "the device read the discarded data");

	CHECK_EQ(eu_map(fd, a, n * EU_PAGE, 0), 0);
	CHECK_EQ(eu_stats(fd, &s2), 0);
	CHECK_SYS(munmap(a, n * EU_PAGE));
	CHECK_EQ(eu_stats(fd, &s3), 0);
	CHECK_EQ(s3.iommu_unmaps - s2.iommu_unmaps, 1);
	CHECK_EQ(s3.iotlb_syncs - s2.iotlb_syncs, 1);
	CHECK_EQ(s3.entries, 1);	/* b's */
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(pageout_frees_and_refaults),
	KTAP_CASE(fork_cow),
	KTAP_CASE(munmap_mmap_same_address),
	KTAP_CASE(mremap),
	KTAP_CASE(mprotect_downgrade),
	KTAP_CASE(readonly_entry_replaced),
	KTAP_CASE(file_entry_upgraded),
	KTAP_CASE(one_sync_per_invalidation),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	EU_MAIN(cases);
}
