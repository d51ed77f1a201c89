// SPDX-License-Identifier: GPL-2.0
/*
 * edum_knobs - the IOMMU really is what stands between the device and
 * memory, and the driver's refault and IOTLB sync are load-bearing.  The
 * test-only knobs take each away in turn:
 *
 *  - without the refault, a DMA to an I/O address the driver unmapped is
 *    stopped by the IOMMU (a DMAR fault in the kernel log, the device
 *    reads zeros): never a silent access to the old page;
 *  - without the IOTLB sync, the IOMMU keeps the translation the driver
 *    removed, and the device reads the page the process replaced.
 *
 * Needs scripts/qemu-run.sh --iommu-edu (which loads edu_mirror with
 * test_knobs=1); skipped without /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/syscall.h>
#include "edum_util.h"

#define LEN	1500U

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

static int knobs_or_skip(int fd, __u32 flags)
{
	int ret = eu_set_test(fd, flags, 0);

	if (ret == -EPERM)
		ktap_skip_case("test knobs off (load edu_mirror with test_knobs=1)");
	return ret;
}

/* Proves: skipping the refault makes the DMA hit an unmapped IOVA: a DMAR fault, zeros, no stale data. */
static int case_skip_refault_faults(void)
{
	char want[64], line[512];
	int fd, kfd, ret, seen;
	char *a, *b;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 1);
	eu_fill(b, LEN, 2);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("normal copy", b, LEN, 1), "wrong data");

	/* The driver unmaps a (and syncs); the CPU gets a new page there. */
	CHECK_SYS(madvise(a, EU_PAGE, MADV_DONTNEED));
	eu_fill(a, LEN, 3);
	eu_fill(b, LEN, 2);
	ret = knobs_or_skip(fd, EDU_MIRROR_TEST_SKIP_REFAULT);
	if (ret == -EPERM)
		return KTAP_SKIP;
	CHECK_EQ(ret, 0);
	kfd = eu_kmsg_open();
	CHECK(kfd >= 0, "/dev/kmsg: %s", strerror(-kfd));

	eu_kmsg_write(EU_EXPECT_FAULT);
	ret = eu_copy(fd, a, b, LEN, NULL);
	snprintf(want, sizeof(want), "fault addr %#lx", (unsigned long)a);
	seen = eu_kmsg_wait(kfd, "DMAR: [DMA Read", want, 3.0, line,
			    sizeof(line));
	eu_kmsg_write(EU_END_FAULT);
	CHECK_EQ(ret, 0);
	CHECK(seen, "no IOMMU fault report with \"%s\" in the kernel log",
	      want);
	ktap_diag("kernel: %s", line);
	CHECK(!eu_check("DMA from the unmapped IOVA", b, LEN, 0),
	      "the device read something else than zeros");

	/* With the refault the device sees the CPU's new page. */
	CHECK_EQ(eu_set_test(fd, 0, 0), 0);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy with the refault", b, LEN, 3), "wrong data");
	return KTAP_PASS;
}

/*
 * The source is a private mapping of a memfd: the device first maps the
 * file's page; the CPU's write then gives the process a private copy,
 * and the file's page (with the old data) stays alive in the page cache,
 * so reading it through a stale IOTLB entry is safe and recognisable.
 */
/* Proves: skipping the IOTLB sync lets the device read the replaced page: the sync is load-bearing. */
static int case_skip_sync_reads_stale_page(void)
{
	struct edu_mirror_stats s0, s1;
	int fd, mfd, ret, kfd, seen;
	char buf[LEN], line[512];
	char *a, *b;

	OPEN_EDU(fd);
	mfd = syscall(SYS_memfd_create, "edum", MFD_CLOEXEC);
	CHECK(mfd >= 0, "memfd_create: %s", strerror(errno));
	eu_fill(buf, LEN, 4);
	CHECK_SYS(ftruncate(mfd, EU_PAGE));
	CHECK_EQ(pwrite(mfd, buf, LEN, 0), LEN);
	a = mmap(NULL, EU_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	b = eu_anon(EU_PAGE);
	CHECK(a != MAP_FAILED && b, "mmap: %s", strerror(errno));
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy of the file page", b, LEN, 4), "wrong data");

	ret = knobs_or_skip(fd, EDU_MIRROR_TEST_SKIP_SYNC);
	if (ret == -EPERM)
		return KTAP_SKIP;
	CHECK_EQ(ret, 0);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	eu_fill(a, LEN, 5);	/* COW: the driver unmaps, skips the sync */
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK_EQ(s1.iotlb_syncs_skipped - s0.iotlb_syncs_skipped, 1);
	CHECK_EQ(s1.iotlb_syncs - s0.iotlb_syncs, 0);

	/* No refault either: the DMA goes to what the IOMMU still caches. */
	CHECK_EQ(eu_set_test(fd, EDU_MIRROR_TEST_SKIP_SYNC |
			     EDU_MIRROR_TEST_SKIP_REFAULT, 0), 0);
	eu_fill(b, LEN, 2);
	kfd = eu_kmsg_open();
	CHECK(kfd >= 0, "/dev/kmsg: %s", strerror(-kfd));
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	seen = eu_kmsg_wait(kfd, "DMAR: [DMA", "fault addr", 0.5, line,
			    sizeof(line));
	CHECK(!seen, "unexpected IOMMU fault: %s", line);
	CHECK(!eu_check("DMA through the stale IOTLB entry", b, LEN, 4),
	      "the device did not read the replaced page");
	CHECK(!eu_check("the CPU's page", a, LEN, 5), "CPU data changed");

	/* Normal operation again: the stale translation is gone. */
	CHECK_EQ(eu_set_test(fd, 0, 0), 0);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("normal copy", b, LEN, 5), "wrong data");
	return KTAP_PASS;
}

/* Proves: the knobs are refused without CAP_SYS_ADMIN, even when the module allows them. */
static int case_knobs_need_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = 0x20080522,	/* _LINUX_CAPABILITY_VERSION_3 */
	};
	struct __user_cap_data_struct d[2] = { };
	int fd, ret;

	OPEN_EDU(fd);
	ret = eu_set_test(fd, 0, 0);
	if (ret == -EPERM)
		return ktap_skip_case("test knobs off");
	CHECK_EQ(ret, 0);
	CHECK_SYS(syscall(SYS_capset, &h, d));	/* drop every capability */
	CHECK_EQ(eu_set_test(fd, EDU_MIRROR_TEST_SKIP_SYNC, 0), -EPERM);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(skip_refault_faults),
	KTAP_CASE(skip_sync_reads_stale_page),
	KTAP_CASE(knobs_need_admin),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	EU_MAIN(cases);
}
