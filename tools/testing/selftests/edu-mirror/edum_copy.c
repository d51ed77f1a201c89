// SPDX-License-Identifier: GPL-2.0
/*
 * edum_copy - the edu device copies user memory through its IOMMU domain,
 * and refuses what it must refuse before any DMA.
 *
 * Needs QEMU's edu device behind the emulated Intel IOMMU
 * (scripts/qemu-run.sh --iommu-edu); skipped without /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/wait.h>
#include "edum_util.h"

/* Proves: a copy across page boundaries at odd offsets moves exactly its bytes, with two DMAs. */
static int case_copy_unaligned(void)
{
	const size_t soff = EU_PAGE - 100, doff = 1234;
	const unsigned int len = 3001;
	struct edu_mirror_stats s0, s1;
	struct edu_mirror_copy c;
	char *a, *b, *before;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(2 * EU_PAGE);
	b = eu_anon(2 * EU_PAGE);
	before = malloc(2 * EU_PAGE);
	CHECK(a && b && before, "mmap: %s", strerror(errno));
	eu_fill(a, 2 * EU_PAGE, 7);
	eu_fill(a + soff, len, 1);
	eu_fill(b, 2 * EU_PAGE, 2);
	memcpy(before, b, 2 * EU_PAGE);

	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(eu_copy(fd, a + soff, b + doff, len, &c), 0);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	eu_dump_stats("after the copy", &s1);
	CHECK(!eu_check("copied bytes", b + doff, len, 1), "wrong data");
	CHECK(!memcmp(b, before, doff), "bytes before the copy changed");
	CHECK(!memcmp(b + doff + len, before + doff + len,
		      2 * EU_PAGE - doff - len),
	      "bytes after the copy changed");
	CHECK_EQ(s1.dmas - s0.dmas, 2);
	CHECK_EQ(s1.dma_timeouts - s0.dma_timeouts, 0);
	/* Both pages of each range were mapped into the IOMMU domain. */
	CHECK_EQ(s1.entries, 4);
	CHECK(s1.iommu_pages_mapped - s0.iommu_pages_mapped >= 4,
	      "%llu pages mapped",
	      (unsigned long long)(s1.iommu_pages_mapped -
				   s0.iommu_pages_mapped));
	CHECK(c.src_done_ns && c.dst_done_ns >= c.src_done_ns,
	      "completion times %llu, %llu",
	      (unsigned long long)c.src_done_ns,
	      (unsigned long long)c.dst_done_ns);
	ktap_diag("two transfers took %.1f ms",
		  (c.dst_done_ns - c.src_done_ns) / 1e6);
	return KTAP_PASS;
}

/* Proves: a second copy of mapped memory needs no fault and sees the CPU's new data. */
static int case_copy_again_no_fault(void)
{
	struct edu_mirror_copy c;
	char *a, *b;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, 100, 3);
	CHECK_EQ(eu_copy(fd, a, b, 100, &c), 0);
	CHECK(c.faults >= 2, "%llu faults", (unsigned long long)c.faults);
	CHECK(!eu_check("first copy", b, 100, 3), "wrong data");
	/* The CPU writes the same page: no invalidation, same mapping. */
	eu_fill(a, 100, 4);
	CHECK_EQ(eu_copy(fd, a, b, 100, &c), 0);
	CHECK(!eu_check("second copy", b, 100, 4), "stale data");
	CHECK_EQ(c.retries, 0);
	return KTAP_PASS;
}

/* Proves: bad lengths, flags and wrapping ranges are refused with -EINVAL before any DMA. */
static int case_bad_lengths(void)
{
	struct edu_mirror_stats s0, s1;
	struct edu_mirror_copy c;
	char *a, *b;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(2 * EU_PAGE);
	b = eu_anon(2 * EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(eu_copy(fd, a, b, 0, NULL), -EINVAL);
	CHECK_EQ(eu_copy(fd, a, b, EDU_MIRROR_MAX_LEN + 1, NULL), -EINVAL);
	CHECK_EQ(eu_copy(fd, a, b, 4096, NULL), -EINVAL);
	CHECK_EQ(eu_copy(fd, a, b, ~0U, NULL), -EINVAL);
	CHECK_EQ(eu_copy(fd, (void *)-16L, b, 32, NULL), -EINVAL);
	CHECK_EQ(eu_copy(fd, a, (void *)-16L, 32, NULL), -EINVAL);
	c = (struct edu_mirror_copy){ .src = (uintptr_t)a,
				      .dst = (uintptr_t)b, .len = 8,
				      .flags = 1 };
	CHECK_EQ(ioctl(fd, EDU_MIRROR_COPY, &c) ? -errno : 0, -EINVAL);
	CHECK_EQ(ioctl(fd, EDU_MIRROR_COPY, NULL) ? -errno : 0, -EFAULT);
	CHECK_EQ(eu_map(fd, a, 0, 0), -EINVAL);
	CHECK_EQ(eu_map(fd, a + 1, EU_PAGE, 0), -EINVAL);
	CHECK_EQ(eu_map(fd, a, EU_PAGE + 1, 0), -EINVAL);
	CHECK_EQ(eu_map(fd, a, EDU_MIRROR_MAX_MAP + EU_PAGE, 0), -EINVAL);
	CHECK_EQ(eu_map(fd, a, EU_PAGE, 2), -EINVAL);
	CHECK_EQ(eu_map(fd, (void *)-4096L, 8192, 0), -EINVAL);
	CHECK_EQ(ioctl(fd, _IO(EDU_MIRROR_IOC_MAGIC, 0x3f)) ? -errno : 0,
		 -ENOTTY);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK_EQ(s1.dmas - s0.dmas, 0);
	CHECK_EQ(s1.faults, 0);
	return KTAP_PASS;
}

/* Proves: unmapped, kernel, reserved (MSI) and too-high addresses fail with -EFAULT, never a DMA. */
static int case_bad_addresses(void)
{
	struct edu_mirror_stats s0, s1;
	char *a, *b, *hole;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	hole = eu_anon(EU_PAGE);
	CHECK(a && b && hole, "mmap: %s", strerror(errno));
	CHECK_SYS(munmap(hole, EU_PAGE));
	CHECK_EQ(eu_stats(fd, &s0), 0);
	ktap_diag("device mirrors user addresses below %#llx",
		  (unsigned long long)s0.va_end);
	CHECK(s0.va_end > (uintptr_t)a, "the device cannot reach the heap");

	CHECK_EQ(eu_copy(fd, hole, b, 16, NULL), -EFAULT);
	CHECK_EQ(eu_copy(fd, a, hole, 16, NULL), -EFAULT);
	CHECK_EQ(eu_copy(fd, NULL, b, 16, NULL), -EFAULT);
	CHECK_EQ(eu_copy(fd, (void *)0xffff888000000000UL, b, 16, NULL),
		 -EFAULT);
	CHECK_EQ(eu_copy(fd, a, (void *)0xffffffff81000000UL, 16, NULL),
		 -EFAULT);
	/* The interrupt window is not a DMA address. */
	CHECK_EQ(eu_copy(fd, (void *)0xfee00000UL, b, 16, NULL), -EFAULT);
	CHECK_EQ(eu_copy(fd, a, (void *)(uintptr_t)s0.va_end, 16, NULL),
		 -EFAULT);
	CHECK_EQ(eu_copy(fd, (void *)(uintptr_t)(s0.va_end - 8), b, 16,
			 NULL), -EFAULT);
	CHECK_EQ(eu_map(fd, hole, EU_PAGE, 0), -EFAULT);
	CHECK_EQ(eu_map(fd, (void *)0xfee00000UL, EU_PAGE, 0), -EFAULT);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK_EQ(s1.dmas - s0.dmas, 0);
	/* At most b's page, faulted in as the destination of the first. */
	CHECK(s1.entries <= 1, "%llu entries", (unsigned long long)s1.entries);
	return KTAP_PASS;
}

/* Proves: the mode is set before first use only; bad modes, knobs and foreign callers are refused. */
static int case_bad_order_and_callers(void)
{
	struct edu_mirror_test t = { .flags = 0x80 };
	int fd, fd2, status;
	char *a;
	pid_t pid;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	CHECK(a, "mmap: %s", strerror(errno));
	CHECK_EQ(eu_set_mode(fd, 2), -EINVAL);
	CHECK_EQ(eu_set_mode(fd, EDU_MIRROR_MODE_PINNED), 0);
	CHECK_EQ(eu_set_mode(fd, EDU_MIRROR_MODE_NOTIFIER), 0);
	CHECK_EQ(ioctl(fd, EDU_MIRROR_SET_TEST, &t) ? -errno : 0, -EINVAL);
	t = (struct edu_mirror_test){ .dma_timeout_ms = 60001 };
	CHECK_EQ(ioctl(fd, EDU_MIRROR_SET_TEST, &t) ? -errno : 0, -EINVAL);
	CHECK_EQ(eu_map(fd, a, EU_PAGE, 0), 0);
	CHECK_EQ(eu_set_mode(fd, EDU_MIRROR_MODE_PINNED), -EBUSY);

	/* One open file per device. */
	fd2 = open(EU_DEV, O_RDWR | O_CLOEXEC);
	CHECK(fd2 < 0 && errno == EBUSY, "second open: %d (%s)", fd2,
	      strerror(errno));

	/* A child has another address space: its calls are refused. */
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		struct edu_mirror_stats st;

		_exit(eu_stats(fd, &st) == -EPERM &&
		      eu_map(fd, a, EU_PAGE, 0) == -EPERM ? 0 : 1);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child could use the parent's device file");
	CHECK_SYS(close(fd));
	fd = open(EU_DEV, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open after close: %s", strerror(errno));
	return KTAP_PASS;
}

/* Proves: a write into a read-only mapping is refused (-EPERM) before any DMA; the page is intact. */
static int case_readonly_destination(void)
{
	struct edu_mirror_stats s0, s1;
	char *a, *ro;
	int fd;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	ro = eu_anon(EU_PAGE);
	CHECK(a && ro, "mmap: %s", strerror(errno));
	eu_fill(a, 64, 5);
	eu_fill(ro, 64, 6);
	CHECK_SYS(mprotect(ro, EU_PAGE, PROT_READ));
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_EQ(eu_copy(fd, a, ro, 64, NULL), -EPERM);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK(!eu_check("read-only page", ro, 64, 6), "the device wrote it");
	/* The destination is faulted in before any transfer starts. */
	CHECK_EQ(s1.dmas - s0.dmas, 0);
	CHECK_EQ(eu_map(fd, ro, EU_PAGE, EDU_MIRROR_MAP_WRITE), -EPERM);
	return KTAP_PASS;
}

/* The PCI address of the device edu_mirror is bound to, or -1. */
static int bound_device(char *addr, size_t size)
{
	DIR *d = opendir("/sys/bus/pci/drivers/edu_mirror");
	struct dirent *e;
	int ret = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strchr(e->d_name, ':')) {	/* 0000:00:01.0 */
			size_t n = strnlen(e->d_name, size - 1);

			memcpy(addr, e->d_name, n);
			addr[n] = '\0';
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

/* Proves: removing the device under an open file: its commands fail with -ENODEV, rebinding works. */
static int case_unbind_with_file_open(void)
{
	const char *drv = "/sys/bus/pci/drivers/edu_mirror";
	struct edu_mirror_stats st;
	char addr[32], path[128];
	char *a, *b;
	int fd, ret;

	if (bound_device(addr, sizeof(addr)))
		return ktap_skip_case("no bound device in %s", drv);
	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, 64, 8);
	CHECK_EQ(eu_copy(fd, a, b, 64, NULL), 0);
	snprintf(path, sizeof(path), "%s/unbind", drv);
	ret = mt_write_str(path, addr);
	CHECK(!ret, "unbind %s: %s", addr, strerror(-ret));
	CHECK(access(EU_DEV, F_OK), "%s still there after unbind", EU_DEV);
	CHECK_EQ(eu_copy(fd, a, b, 64, NULL), -ENODEV);
	CHECK_EQ(eu_map(fd, a, EU_PAGE, 0), -ENODEV);
	CHECK_EQ(eu_stats(fd, &st), 0);
	CHECK_SYS(munmap(a, EU_PAGE));	/* the mirror still unmaps */
	CHECK_SYS(close(fd));

	snprintf(path, sizeof(path), "%s/bind", drv);
	ret = mt_write_str(path, addr);
	CHECK(!ret, "bind %s: %s", addr, strerror(-ret));
	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	CHECK(a, "mmap: %s", strerror(errno));
	eu_fill(a, 64, 9);
	CHECK_EQ(eu_copy(fd, a, b, 64, NULL), 0);
	CHECK(!eu_check("copy after rebinding", b, 64, 9), "wrong data");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(copy_unaligned),
	KTAP_CASE(copy_again_no_fault),
	KTAP_CASE(bad_lengths),
	KTAP_CASE(bad_addresses),
	KTAP_CASE(bad_order_and_callers),
	KTAP_CASE(readonly_destination),
	KTAP_CASE(unbind_with_file_open),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	EU_MAIN(cases);
}
