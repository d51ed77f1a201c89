// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_bad_input - every malformed command gets its documented error and
 * nothing else happens: no memory is touched, nothing leaks, the device
 * keeps working, the kernel logs no warning.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <stdbool.h>
#include <termios.h>

#define KADDR		0xffff888000000000ULL	/* direct map */
#define KTEXT		0xffffffff81000000ULL	/* kernel text */
#define VSYSCALL	0xffffffffff600000ULL	/* vsyscall page */
#define NONCANON	0x0000800000000000ULL	/* first non-canonical */
#define USER_TOP	0x00007ffffffff000ULL	/* TASK_SIZE: never mapped */
#define MAX_PAGES	((1ULL << 30) / ND_PAGE)

static int raw_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static bool all_bytes(const void *p, uint64_t n, unsigned char v)
{
	const unsigned char *b = p;
	uint64_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* Every page-range command with the same arguments must give @err. */
static int expect_all(int fd, uint64_t addr, void *ptr, uint64_t npages,
		      int err, const char *what)
{
	static const unsigned long reqs[] = {
		NDEMO_READ, NDEMO_WRITE, NDEMO_SNAPSHOT,
	};
	static const char *const names[] = { "READ", "WRITE", "SNAPSHOT" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct ndemo_cmd cmd = {
			.addr = addr, .ptr = (uintptr_t)ptr, .npages = npages,
		};
		int ret = raw_ioctl(fd, reqs[i], &cmd);

		/*
		 * SNAPSHOT reports a hole in the user address range (which
		 * reaches 2^56 with 5-level paging) page by page as ERROR,
		 * like test_hmm; only addresses no VMA can ever cover fail.
		 */
		if (reqs[i] == NDEMO_SNAPSHOT && err == -EFAULT && ret == 0 &&
		    addr + npages * ND_PAGE <= (1ULL << 56) &&
		    all_bytes(ptr, npages, NDEMO_PROT_ERROR))
			continue;
		if (ret != err) {
			ktap_diag("%s %s (addr %#llx npages %#llx): got %d (%s), want %d",
				  names[i], what, (unsigned long long)addr,
				  (unsigned long long)npages, ret,
				  strerror(-ret), err);
			return -1;
		}
	}
	return 0;
}

/* Proves: an address that is not page aligned is -EINVAL. */
static int case_bad_addr_unaligned(void)
{
	static const unsigned long offs[] = { 1, 8, 2048, ND_PAGE - 1 };
	char *mem, *buf;
	unsigned int i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(4 * ND_PAGE);
	buf = nd_map(4 * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 4, 1);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		CHECK(!expect_all(fd, (uintptr_t)mem + offs[i], buf, 1, -EINVAL,
				  "unaligned"), "offset %lu", offs[i]);
	CHECK(!nd_check("memory after rejected commands", mem, 4, 1),
	      "memory changed");
	return KTAP_PASS;
}

/* Proves: npages == 0 and npages above 1 GiB (including byte-size wraps) are -EINVAL. */
static int case_bad_npages(void)
{
	static const uint64_t bad[] = {
		0, MAX_PAGES + 1, 1ULL << 40, 1ULL << 52, (1ULL << 52) + 1,
		1ULL << 63, ~0ULL,
	};
	char *mem, *buf;
	unsigned int i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(4 * ND_PAGE);
	buf = nd_map(4 * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!expect_all(fd, (uintptr_t)mem, buf, bad[i], -EINVAL,
				  "bad npages"), "npages %#llx",
		      (unsigned long long)bad[i]);
	/* Exactly 1 GiB is a valid size: here it runs into unmapped space. */
	CHECK_EQ(nd_read(fd, mem, buf, MAX_PAGES, NULL), -EFAULT);
	return KTAP_PASS;
}

/* Proves: a range whose end wraps past 2^64 is -EINVAL. */
static int case_bad_addr_overflow(void)
{
	char buf[2 * ND_PAGE];
	int fd;

	OPEN_DEV(fd, 0);
	CHECK(!expect_all(fd, ~0ULL - ND_PAGE + 1, buf, 2, -EINVAL, "wrap"),
	      "end wraps");
	CHECK(!expect_all(fd, ~0ULL - ND_HPAGE + 1, buf, ND_HPAGE / ND_PAGE + 1,
			  -EINVAL, "wrap"), "end wraps");
	CHECK(!expect_all(fd, ~0ULL - ND_PAGE + 1, buf, MAX_PAGES, -EINVAL,
			  "wrap"), "end wraps");
	return KTAP_PASS;
}

/* Proves: kernel, non-canonical, NULL and beyond-TASK_SIZE addresses are -EFAULT. */
static int case_bad_addr_kernel(void)
{
	static const uint64_t bad[] = {
		KADDR, KTEXT, VSYSCALL, NONCANON, USER_TOP, 0,
	};
	char *buf;
	unsigned int i;
	int fd;

	OPEN_DEV(fd, 0);
	buf = nd_map(4 * ND_PAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!expect_all(fd, bad[i], buf, 2, -EFAULT, "kernel/hole"),
		      "addr %#llx", (unsigned long long)bad[i]);
	return KTAP_PASS;
}

/* Proves: unmapped, partly mapped and PROT_NONE ranges are -EFAULT. */
static int case_bad_addr_unmapped(void)
{
	const unsigned long n = 8;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);

	/* Last page unmapped: the whole command fails. */
	CHECK_SYS(munmap(mem + (n - 1) * ND_PAGE, ND_PAGE));
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), -EFAULT);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), -EFAULT);
	CHECK(!nd_check("memory after failed WRITE", mem, n - 1, 1),
	      "a failed WRITE changed memory");
	/* Wholly unmapped. */
	CHECK_EQ(nd_read(fd, mem + (n - 1) * ND_PAGE, buf, 1, &cmd), -EFAULT);
	CHECK_EQ(nd_write(fd, mem + (n - 1) * ND_PAGE, buf, 1, &cmd), -EFAULT);

	/* PROT_NONE: no access, as in test_hmm. */
	CHECK_SYS(mprotect(mem, ND_PAGE, PROT_NONE));
	CHECK_EQ(nd_read(fd, mem, buf, 1, &cmd), -EFAULT);
	ret = nd_write(fd, mem, buf, 1, &cmd);
	CHECK(ret == -EFAULT || ret == -EPERM,
	      "WRITE to PROT_NONE: %d (%s)", ret, strerror(-ret));
	CHECK_SYS(mprotect(mem, ND_PAGE, PROT_READ));
	CHECK(!nd_check("memory after PROT_NONE", mem, n - 1, 1),
	      "memory changed");

	/* The mapped part still works. */
	CHECK_EQ(nd_read(fd, mem, buf, n - 1, &cmd), 0);
	CHECK(!nd_check("mapped part", buf, n - 1, 1), "wrong data");
	return KTAP_PASS;
}

/* Proves: a bad user buffer (NULL, read-only, unmapped, kernel, too short) is -EFAULT. */
static int case_bad_ptr(void)
{
	const unsigned long n = 4;
	size_t len = n * ND_PAGE;
	unsigned char snap[4];
	struct ndemo_cmd cmd;
	char *mem, *ro, *edge, *hole, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	ro = nd_map(len);
	edge = nd_map(2 * len);		/* mapped, then a hole of @len */
	buf = nd_map(len + ND_PAGE);
	CHECK(mem && ro && edge && buf, "mmap: %s", strerror(errno));
	hole = edge + len;
	nd_fill(mem, n, 1);
	nd_fill(ro, n, 2);
	CHECK_SYS(mprotect(ro, len, PROT_READ));
	CHECK_SYS(munmap(hole, len));

	CHECK_EQ(nd_read(fd, mem, NULL, n, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, ro, n, &cmd), -EFAULT);
	CHECK(!nd_check("read-only buffer", ro, n, 2),
	      "device wrote into a read-only buffer");
	CHECK_EQ(nd_read(fd, mem, hole, n, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, (void *)KADDR, n, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, (void *)KTEXT, n, &cmd), -EFAULT);
	/* Buffer ends one page too early. */
	CHECK_EQ(nd_read(fd, mem, hole - ND_PAGE, 2, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, hole - ND_PAGE + 1, 1, &cmd), -EFAULT);

	CHECK_EQ(nd_write(fd, mem, NULL, n, &cmd), -EFAULT);
	CHECK_EQ(nd_write(fd, mem, hole, n, &cmd), -EFAULT);
	CHECK_EQ(nd_write(fd, mem, (void *)KADDR, n, &cmd), -EFAULT);
	CHECK(!nd_check("memory after failed WRITEs", mem, n, 1),
	      "a failed WRITE changed memory");

	CHECK_EQ(nd_snapshot(fd, mem, NULL, n), -EFAULT);
	CHECK_EQ(nd_snapshot(fd, mem, (unsigned char *)ro, n), -EFAULT);
	CHECK_EQ(nd_snapshot(fd, mem, (unsigned char *)KADDR, n), -EFAULT);
	CHECK_EQ(nd_snapshot(fd, mem, snap, n), 0);

	/* An unaligned buffer is fine. */
	CHECK_EQ(nd_read(fd, mem, buf + 1, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	memmove(buf, buf + 1, len);
	CHECK(!nd_check("unaligned buffer", buf, n, 1), "wrong data");
	return KTAP_PASS;
}

/* Proves: a buffer aliasing the mirrored range (COW during copy-out) cannot deadlock. */
static int case_ptr_aliases_mirrored_range(void)
{
	const unsigned long n = 32;
	size_t len = n * ND_PAGE;
	struct ndemo_cmd cmd;
	unsigned long i;
	char *mem;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	CHECK(mem, "mmap: %s", strerror(errno));
	/* Map zero pages into the CPU and the device. */
	for (i = 0; i < n; i++)
		CHECK_EQ(nd_touch_read(mem + i * ND_PAGE), 0);
	CHECK_EQ(nd_read(fd, mem, mem, n, &cmd), 0);
	CHECK(!mt_check_zero("self read of zero pages", mem, n), "not zero");
	CHECK_EQ(nd_read(fd, mem, mem, n, &cmd), 0);

	nd_fill(mem, n, 3);
	CHECK_EQ(nd_write(fd, mem, mem, n, &cmd), 0);
	CHECK_EQ(nd_read(fd, mem, mem, n, &cmd), 0);
	CHECK(!nd_check("self copy", mem, n, 3), "data changed by self copy");
	return KTAP_PASS;
}

/* Proves: a bad command-block pointer is -EFAULT for every command. */
static int case_bad_cmd_pointer(void)
{
	struct ndemo_cmd *ro_cmd;
	struct ndemo_stats *ro_st;
	char *mem, *buf, *edge;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(ND_PAGE);
	buf = nd_map(ND_PAGE);
	ro_cmd = nd_map(ND_PAGE);
	edge = nd_map(2 * ND_PAGE);
	CHECK(mem && buf && ro_cmd && edge, "mmap: %s", strerror(errno));
	CHECK_SYS(munmap(edge + ND_PAGE, ND_PAGE));
	nd_fill(mem, 1, 1);

	CHECK_EQ(raw_ioctl(fd, NDEMO_READ, NULL), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_WRITE, NULL), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_SNAPSHOT, NULL), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_READ, (void *)KADDR), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_GET_STATS, NULL), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_GET_STATS, (void *)KADDR), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_SET_MODE, NULL), -EFAULT);

	/* A valid command in read-only memory: the result cannot be stored. */
	ro_cmd->addr = (uintptr_t)mem;
	ro_cmd->ptr = (uintptr_t)buf;
	ro_cmd->npages = 1;
	CHECK_SYS(mprotect(ro_cmd, ND_PAGE, PROT_READ));
	CHECK_EQ(raw_ioctl(fd, NDEMO_READ, ro_cmd), -EFAULT);
	ro_st = (struct ndemo_stats *)ro_cmd;
	CHECK_EQ(raw_ioctl(fd, NDEMO_GET_STATS, ro_st), -EFAULT);
	/* A command block straddling into unmapped memory. */
	CHECK_EQ(raw_ioctl(fd, NDEMO_READ, edge + ND_PAGE - 8), -EFAULT);
	CHECK_EQ(raw_ioctl(fd, NDEMO_GET_STATS, edge + ND_PAGE - 8), -EFAULT);
	return KTAP_PASS;
}

/* Proves: unknown ioctls, and known ones with wrong size/direction bits, are -ENOTTY and inert. */
static int case_unknown_ioctl(void)
{
	const unsigned long bad[] = {
		_IOWR('H', 0x08, struct ndemo_cmd),
		_IOWR('H', 0x3f, struct ndemo_cmd),
		_IOWR('H', 0x42, struct ndemo_cmd),
		_IOWR('H', 0xff, struct ndemo_cmd),
		_IOWR('X', 0x00, struct ndemo_cmd),
		_IO('H', 0x00),
		0,
		TCGETS,
		/* READ with wrong size bits and wrong directions */
		_IOC(_IOC_READ | _IOC_WRITE, 'H', 0x00, 8),
		_IOC(_IOC_READ | _IOC_WRITE, 'H', 0x00,
		     sizeof(struct ndemo_cmd) + 8),
		_IOC(_IOC_READ | _IOC_WRITE, 'H', 0x00,
		     sizeof(struct ndemo_cmd) - 8),
		_IOR('H', 0x00, struct ndemo_cmd),
		_IOW('H', 0x00, struct ndemo_cmd),
		_IOC(_IOC_READ | _IOC_WRITE, 'H', 0x01, 16),
		_IOC(_IOC_READ | _IOC_WRITE, 'H', 0x04, 16),
		/* GET_STATS and SET_MODE with wrong size or direction */
		_IOC(_IOC_READ, 'H', 0x40, sizeof(struct ndemo_stats) - 8),
		_IOWR('H', 0x40, struct ndemo_stats),
		_IOW('H', 0x41, __u64),
		_IOR('H', 0x41, __u32),
	};
	union {
		struct ndemo_cmd cmd;
		struct ndemo_stats st;
		char raw[512];
	} arg;
	struct ndemo_stats s0, s1;
	char *mem, *buf;
	unsigned int i;
	int fd, ret;

	OPEN_DEV(fd, 0);
	mem = nd_map(ND_PAGE);
	buf = nd_map(ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 1, 1);
	CHECK_EQ(nd_stats(fd, &s0), 0);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* A command block that would be valid for READ or WRITE. */
		memset(&arg, 0, sizeof(arg));
		arg.cmd.addr = (uintptr_t)mem;
		arg.cmd.ptr = (uintptr_t)buf;
		arg.cmd.npages = 1;
		nd_fill(buf, 1, 9);
		ret = raw_ioctl(fd, bad[i], &arg);
		CHECK(ret == -ENOTTY, "ioctl %#lx: got %d (%s), want -ENOTTY",
		      bad[i], ret, strerror(-ret));
		CHECK(!nd_check("buffer", buf, 1, 9) &&
		      !nd_check("memory", mem, 1, 1),
		      "ioctl %#lx moved data", bad[i]);
	}
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.faults, s0.faults);
	CHECK_EQ(s1.entries, s0.entries);
	return KTAP_PASS;
}

/* Proves: migration and exclusive-access commands are -EOPNOTSUPP and touch nothing. */
static int case_unsupported_commands(void)
{
	static const unsigned long reqs[] = {
		NDEMO_MIGRATE_TO_DEV, NDEMO_MIGRATE_TO_SYS, NDEMO_EXCLUSIVE,
		NDEMO_CHECK_EXCLUSIVE,
	};
	const unsigned long n = 4;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned int i;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	for (i = 0; i < 4; i++) {
		nd_fill(buf, n, 2);
		CHECK(nd_cmd(fd, reqs[i], mem, buf, n, &cmd) == -EOPNOTSUPP,
		      "ioctl %#lx is not -EOPNOTSUPP", reqs[i]);
		CHECK(!nd_check("memory", mem, n, 1) &&
		      !nd_check("buffer", buf, n, 2), "ioctl %#lx moved data",
		      reqs[i]);
	}
	return KTAP_PASS;
}

/* Proves: device WRITE to read-only memory is -EPERM and writes nothing, READ works. */
static int case_write_readonly_eperm(void)
{
	const unsigned long n = 8;
	size_t len = n * ND_PAGE;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	/* Second half read-only: two VMAs, the WRITE crosses into the RO one. */
	CHECK_SYS(mprotect(mem + len / 2, len / 2, PROT_READ));
	nd_fill(buf, n, 2);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), -EPERM);
	CHECK_EQ(nd_write(fd, mem + len / 2, buf, n / 2, &cmd), -EPERM);
	CHECK(!nd_check_range("read-only half", mem, n / 2, n / 2, 1),
	      "device wrote read-only memory");
	CHECK_EQ(nd_read(fd, mem + len / 2, buf, n / 2, &cmd), 0);
	memmove(buf + len / 2, buf, len / 2);
	CHECK(!nd_check_range("read of read-only half", buf, n / 2, n / 2, 1),
	      "wrong data");
	return KTAP_PASS;
}

/* Proves: SET_MODE takes effect only before the first access; unknown modes are -EINVAL. */
static int case_set_mode_rules(void)
{
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	mem = nd_map(ND_PAGE);
	buf = nd_map(ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 1, 1);

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_set_mode(fd, 2), -EINVAL);
	CHECK_EQ(nd_set_mode(fd, 0xffffffffu), -EINVAL);
	CHECK_EQ(nd_stats(fd, &s), 0);		/* not an access */
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), 0);
	CHECK_EQ(nd_read(fd, mem, buf, 1, &cmd), 0);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_NOTIFIER), -EBUSY);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), -EBUSY);
	CHECK_SYS(close(fd));

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_read(fd, mem, buf, 1, &cmd), 0);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), -EBUSY);
	CHECK_SYS(close(fd));

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_write(fd, mem, buf, 1, &cmd), 0);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), -EBUSY);
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.pages_pinned, 0);
	CHECK_SYS(close(fd));
	return KTAP_PASS;
}

/* Proves: failed commands in pinned mode leave no pages pinned and return the same errors. */
static int case_pinned_mode_bad_inputs(void)
{
	const unsigned long n = 8;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	CHECK_SYS(munmap(mem + (n - 1) * ND_PAGE, ND_PAGE));
	CHECK_SYS(mprotect(mem + (n - 2) * ND_PAGE, ND_PAGE, PROT_READ));

	CHECK_EQ(nd_read(fd, mem + 1, buf, 1, &cmd), -EINVAL);
	CHECK_EQ(nd_read(fd, mem, buf, 0, &cmd), -EINVAL);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, (void *)KADDR, buf, 1, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, NULL, 1, &cmd), -EFAULT);
	CHECK_EQ(nd_write(fd, mem, buf, n - 1, &cmd), -EPERM);
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("pinned after errors", &s);
	CHECK(s.pages_pinned == 0 || s.pages_pinned == s.entries,
	      "%llu pages pinned with %llu entries after failed commands",
	      (unsigned long long)s.pages_pinned,
	      (unsigned long long)s.entries);

	CHECK_EQ(nd_read(fd, mem, buf, n - 2, &cmd), 0);
	CHECK(!nd_check("pinned read", buf, n - 2, 1), "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK(s.pages_pinned >= n - 2 && s.pages_pinned <= n - 1,
	      "%llu pages pinned after mirroring %lu",
	      (unsigned long long)s.pages_pinned, n - 2);
	return KTAP_PASS;
}

/* Proves: after every kind of rejected command the mirror still works normally. */
static int case_device_works_after_errors(void)
{
	const unsigned long n = 16;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 5);
	expect_all(fd, (uintptr_t)mem + 1, buf, 1, -EINVAL, "x");
	expect_all(fd, (uintptr_t)mem, buf, 0, -EINVAL, "x");
	expect_all(fd, KADDR, buf, 1, -EFAULT, "x");
	raw_ioctl(fd, NDEMO_READ, NULL);
	raw_ioctl(fd, _IOWR('H', 0x3f, struct ndemo_cmd), &cmd);
	nd_cmd(fd, NDEMO_MIGRATE_TO_DEV, mem, buf, n, &cmd);

	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.cpages, n);
	CHECK(!nd_check("read after errors", buf, n, 5), "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, n);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(bad_addr_unaligned),
	KTAP_CASE(bad_npages),
	KTAP_CASE(bad_addr_overflow),
	KTAP_CASE(bad_addr_kernel),
	KTAP_CASE(bad_addr_unmapped),
	KTAP_CASE(bad_ptr),
	KTAP_CASE(ptr_aliases_mirrored_range),
	KTAP_CASE(bad_cmd_pointer),
	KTAP_CASE(unknown_ioctl),
	KTAP_CASE(unsupported_commands),
	KTAP_CASE(write_readonly_eperm),
	KTAP_CASE(set_mode_rules),
	KTAP_CASE(pinned_mode_bad_inputs),
	KTAP_CASE(device_works_after_errors),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
