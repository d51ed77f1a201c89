// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_sample - the minimal sample driver (mirror_sample.ko) of the
 * driver writer's guide: its own device table, filled and emptied by the
 * helper through map and unmap, follows the process's memory.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <linux/mirror_sample.h>

#define SAMPLE_DEV	"/dev/mirror_sample"

static int sample_open(int *fd)
{
	*fd = open(SAMPLE_DEV, O_RDWR);
	return *fd < 0 ? -errno : 0;
}

static int sample_setup(int fd, void *addr, size_t len)
{
	struct mirror_sample_setup su = {
		.addr = (uintptr_t)addr,
		.len = len,
	};

	return ioctl(fd, MIRROR_SAMPLE_SETUP, &su) ? -errno : 0;
}

/* Proves: bad windows are refused with the documented errors, nothing set up. */
static int case_bad_setup(void)
{
	char *mem = nd_map(4 * ND_PAGE), buf[16];
	int fd;

	CHECK(mem, "mmap: %s", strerror(errno));
	CHECK_EQ(sample_open(&fd), 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0) < 0 ? -errno : 0, -ENXIO);
	CHECK_EQ(sample_setup(fd, mem, 0), -EINVAL);
	CHECK_EQ(sample_setup(fd, mem + 1, ND_PAGE), -EINVAL);
	CHECK_EQ(sample_setup(fd, mem, ND_PAGE + 1), -EINVAL);
	CHECK_EQ(sample_setup(fd, mem, MIRROR_SAMPLE_MAX_LEN + ND_PAGE),
		 -EINVAL);
	CHECK_EQ(ioctl(fd, MIRROR_SAMPLE_SETUP, (void *)8) ? -errno : 0,
		 -EFAULT);
	CHECK_EQ(ioctl(fd, _IO(0xB7, 0x7f)) ? -errno : 0, -ENOTTY);
	CHECK_EQ(sample_setup(fd, mem, 4 * ND_PAGE), 0);
	CHECK_EQ(sample_setup(fd, mem, 4 * ND_PAGE), -EBUSY);
	/* Past the window: end of file. */
	CHECK_EQ(pread(fd, buf, sizeof(buf), 4 * ND_PAGE), 0);
	close(fd);
	munmap(mem, 4 * ND_PAGE);
	return KTAP_PASS;
}

/* Proves: the device reads what the CPU wrote, at any offset and length. */
static int case_read_through_device_table(void)
{
	const unsigned long n = 32;
	size_t got;
	char *mem = nd_map(n * ND_PAGE), *buf = nd_map(n * ND_PAGE);
	int fd;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	CHECK_EQ(sample_open(&fd), 0);
	CHECK_EQ(sample_setup(fd, mem, n * ND_PAGE), 0);
	/* One read copies at most 64 KiB. */
	for (got = 0; got < n * ND_PAGE; got += 16 * ND_PAGE)
		CHECK_EQ(pread(fd, buf + got, n * ND_PAGE - got, got),
			 (ssize_t)(16 * ND_PAGE));
	CHECK(!nd_check("whole window", buf, n, 1), "data");
	CHECK_EQ(pread(fd, buf, 100, 3 * ND_PAGE - 50), 100);
	CHECK(!memcmp(buf, mem + 3 * ND_PAGE - 50, 100), "unaligned read");
	close(fd);
	munmap(mem, n * ND_PAGE);
	munmap(buf, n * ND_PAGE);
	return KTAP_PASS;
}

/*
 * Proves: after MADV_DONTNEED and after munmap + mmap at the same address
 * the device reads the new pages, never the old ones: the helper's unmap
 * emptied the device table (a driver that kept its entries would read
 * freed pages here).
 */
static int case_follows_invalidations(void)
{
	const unsigned long n = 16;
	size_t len = n * ND_PAGE;
	char *mem = nd_map(len), *buf = nd_map(len);
	unsigned int it;
	int fd;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	CHECK_EQ(sample_open(&fd), 0);
	CHECK_EQ(sample_setup(fd, mem, len), 0);
	for (it = 0; it < 20; it++) {
		nd_fill(mem, n, 2 * it + 1);
		CHECK_EQ(pread(fd, buf, len, 0), (ssize_t)len);
		CHECK(!nd_check("before", buf, n, 2 * it + 1), "it %u", it);
		CHECK_EQ(madvise(mem, len, MADV_DONTNEED), 0);
		CHECK_EQ(pread(fd, buf, ND_PAGE, 0), (ssize_t)ND_PAGE);
		CHECK(!mt_check_zero("after DONTNEED", buf, 1), "zeros");
		CHECK_EQ(munmap(mem, len), 0);
		CHECK(mmap(mem, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      mem, "mmap fixed: %s", strerror(errno));
		nd_fill(mem, n, 2 * it + 2);
		CHECK_EQ(pread(fd, buf, len, 0), (ssize_t)len);
		CHECK(!nd_check("after remap", buf, n, 2 * it + 2), "it %u",
		      it);
	}
	close(fd);
	munmap(mem, len);
	munmap(buf, len);
	return KTAP_PASS;
}

/* Proves: closing the file and exiting with live entries is clean. */
static int case_exit_with_entries(void)
{
	const unsigned long n = 8;
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		char *mem = nd_map(n * ND_PAGE), buf[64];
		int fd;

		nd_fill(mem, n, 7);
		if (sample_open(&fd) || sample_setup(fd, mem, n * ND_PAGE) ||
		    pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
			_exit(1);
		_exit(0);	/* the file and mm go together */
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "child status %#x",
	      status);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(bad_setup),
	KTAP_CASE(read_through_device_table),
	KTAP_CASE(follows_invalidations),
	KTAP_CASE(exit_with_entries),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	if (access(SAMPLE_DEV, F_OK))
		ktap_diag("%s missing: is mirror_sample.ko loaded?",
			  SAMPLE_DEV);
	return ktap_run(cases, ARRAY_SIZE(cases));
}
