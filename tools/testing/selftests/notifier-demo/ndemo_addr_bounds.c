// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_addr_bounds - the device's window is the user address space and
 * nothing beyond it: a command whose range ends above TASK_SIZE_MAX fails
 * with -EFAULT, moves no data and cannot reach memory through an address
 * that only differs from a mirrored one in bits the table does not index.
 * Every case runs in notifier and in pinned mode.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <stdbool.h>

/* The secondary table indexes 57 bits (five levels of 512 slots). */
#define TABLE_SPAN	0x0200000000000000ULL	/* 2^57 */

static const char *const mode_name[] = { "notifier", "pinned" };

/* Open device 0 in @mode; -errno on failure (described). */
static int open_mode(__u32 mode)
{
	int fd = nd_open(0);
	int ret;

	if (fd < 0)
		return fd;
	ret = nd_set_mode(fd, mode);
	if (ret) {
		ktap_diag("SET_MODE %s: %s", mode_name[mode], strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* One raw command at a 64-bit address that need not be a pointer. */
static int cmd_at(int fd, unsigned long req, uint64_t addr, void *ptr,
		  uint64_t npages)
{
	struct ndemo_cmd cmd = {
		.addr = addr, .ptr = (uintptr_t)ptr, .npages = npages,
	};

	return ioctl(fd, req, &cmd) ? -errno : 0;
}

/*
 * End of the user address space (TASK_SIZE_MAX): one page below 2^56
 * with 5-level paging, one page below 2^47 with 4-level paging.  Found by
 * mapping the highest page below it; *@top_page is that page, mapped
 * read-write, or NULL (and 0 returned) if it could not be mapped.
 */
static uint64_t map_top_page(char **top_page)
{
	static const uint64_t tops[] = {
		(1ULL << 56) - ND_PAGE, (1ULL << 47) - ND_PAGE,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		void *want = (void *)(uintptr_t)(tops[i] - ND_PAGE);
		void *p = mmap(want, ND_PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p == want) {
			*top_page = p;
			return tops[i];
		}
		if (p != MAP_FAILED)
			munmap(p, ND_PAGE);
	}
	*top_page = NULL;
	return 0;
}

/*
 * The device writes tag 1 to a fresh page; READs at that address plus
 * multiples of the table span must fail and leave the buffer alone.
 */
static int alias_read(__u32 mode)
{
	static const uint64_t alias[] = {
		TABLE_SPAN, 3 * TABLE_SPAN, 1ULL << 63, 5 * TABLE_SPAN,
	};
	unsigned char snap;
	char *mem, *buf;
	unsigned int i;
	int fd, ret;

	fd = open_mode(mode);
	CHECK(fd >= 0, "cannot open the device");
	mem = nd_map(ND_PAGE);
	buf = nd_map(ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, 1, 1);
	CHECK_EQ(nd_write(fd, mem, buf, 1, NULL), 0);
	CHECK(!nd_check("device WRITE seen by the CPU", mem, 1, 1),
	      "the device WRITE did not land");

	for (i = 0; i < ARRAY_SIZE(alias); i++) {
		uint64_t a = (uintptr_t)mem + alias[i];

		nd_fill(buf, 1, 2);
		ret = cmd_at(fd, NDEMO_READ, a, buf, 1);
		CHECK(ret == -EFAULT, "%s READ at %#llx: %d (%s), want -EFAULT",
		      mode_name[mode], (unsigned long long)a, ret,
		      strerror(-ret));
		CHECK(!nd_check("buffer of the rejected READ", buf, 1, 2),
		      "%s READ at %#llx returned data", mode_name[mode],
		      (unsigned long long)a);
		ret = cmd_at(fd, NDEMO_SNAPSHOT, a, &snap, 1);
		CHECK(ret == -EFAULT, "SNAPSHOT at %#llx: %d, want -EFAULT",
		      (unsigned long long)a, ret);
	}
	/* The real address still reads what the device wrote. */
	CHECK_EQ(nd_read(fd, mem, buf, 1, NULL), 0);
	CHECK(!nd_check("READ at the real address", buf, 1, 1), "wrong data");
	return KTAP_PASS;
}

/*
 * A WRITE at the mirrored address plus 5 table spans must fail and must
 * not change the memory at the mirrored address.
 */
static int alias_write(__u32 mode)
{
	uint64_t a;
	char *mem, *buf;
	int fd, ret;

	fd = open_mode(mode);
	CHECK(fd >= 0, "cannot open the device");
	mem = nd_map(ND_PAGE);
	buf = nd_map(ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, 1, 1);
	CHECK_EQ(nd_write(fd, mem, buf, 1, NULL), 0);

	a = (uintptr_t)mem + 5 * TABLE_SPAN;
	nd_fill(buf, 1, 3);
	ret = cmd_at(fd, NDEMO_WRITE, a, buf, 1);
	CHECK(ret == -EFAULT, "%s WRITE at %#llx: %d (%s), want -EFAULT",
	      mode_name[mode], (unsigned long long)a, ret, strerror(-ret));
	CHECK(!nd_check("memory at the real address", mem, 1, 1),
	      "%s WRITE at %#llx changed the memory at %p", mode_name[mode],
	      (unsigned long long)a, mem);
	return KTAP_PASS;
}

/* READ, WRITE and SNAPSHOT of 2 pages from 2^57 - 4096 all fail. */
static int cross_table_span(__u32 mode)
{
	static const unsigned long reqs[] = {
		NDEMO_READ, NDEMO_WRITE, NDEMO_SNAPSHOT,
	};
	uint64_t a = TABLE_SPAN - ND_PAGE;
	char *mem, *buf;
	unsigned int i;
	int fd, ret;

	fd = open_mode(mode);
	CHECK(fd >= 0, "cannot open the device");
	mem = nd_map(ND_PAGE);
	buf = nd_map(2 * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	/* Give the table an entry, so that it has something to alias. */
	nd_fill(buf, 1, 1);
	CHECK_EQ(nd_write(fd, mem, buf, 1, NULL), 0);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		nd_fill(buf, 2, 4);
		ret = cmd_at(fd, reqs[i], a, buf, 2);
		CHECK(ret == -EFAULT, "%s ioctl %#lx at %#llx: %d, not -EFAULT",
		      mode_name[mode], reqs[i], (unsigned long long)a, ret);
		CHECK(!nd_check("buffer of the rejected command", buf, 2, 4),
		      "ioctl %#lx wrote the buffer", reqs[i]);
	}
	CHECK(!nd_check("mirrored memory", mem, 1, 1), "memory changed");
	return KTAP_PASS;
}

/*
 * The highest user page is mirrored; READ, WRITE and SNAPSHOT of it and
 * the page above TASK_SIZE_MAX fail, and the WRITE changes nothing.
 */
static int end_above_task_size(__u32 mode)
{
	static const unsigned long reqs[] = {
		NDEMO_READ, NDEMO_WRITE, NDEMO_SNAPSHOT,
	};
	uint64_t top;
	char *page, *buf;
	unsigned int i;
	int fd, ret;

	top = map_top_page(&page);
	if (!top)
		return ktap_skip_case("cannot map the highest user page");
	ktap_diag("TASK_SIZE_MAX is %#llx", (unsigned long long)top);
	fd = open_mode(mode);
	CHECK(fd >= 0, "cannot open the device");
	buf = nd_map(2 * ND_PAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	nd_fill(buf, 1, 1);
	/* The last page inside the window is an ordinary page. */
	CHECK_EQ(nd_write(fd, page, buf, 1, NULL), 0);
	CHECK(!nd_check("highest user page", page, 1, 1), "WRITE lost");

	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		nd_fill(buf, 2, 5);
		ret = cmd_at(fd, reqs[i], (uintptr_t)page, buf, 2);
		CHECK(ret == -EFAULT, "%s ioctl %#lx to %#llx: %d, not -EFAULT",
		      mode_name[mode], reqs[i],
		      (unsigned long long)top + ND_PAGE, ret);
		if (reqs[i] != NDEMO_WRITE)
			CHECK(!nd_check("buffer", buf, 2, 5),
			      "ioctl %#lx wrote the buffer", reqs[i]);
	}
	CHECK(!nd_check("highest user page after the failed WRITE", page, 1,
			1), "a rejected %s WRITE changed memory",
	      mode_name[mode]);
	return KTAP_PASS;
}

/* Proves: notifier mode: READ at mirrored addr + k * 2^57 fails, no data */
static int case_alias_read_notifier(void)
{
	return alias_read(NDEMO_MODE_NOTIFIER);
}

/* Proves: pinned mode: READ at mirrored addr + k * 2^57 fails, no data */
static int case_alias_read_pinned(void)
{
	return alias_read(NDEMO_MODE_PINNED);
}

/* Proves: notifier mode: WRITE at mirrored addr + 5 * 2^57 fails, no write */
static int case_alias_write_notifier(void)
{
	return alias_write(NDEMO_MODE_NOTIFIER);
}

/* Proves: pinned mode: WRITE at mirrored addr + 5 * 2^57 fails, no write */
static int case_alias_write_pinned(void)
{
	return alias_write(NDEMO_MODE_PINNED);
}

/* Proves: notifier mode: commands crossing 2^57 are -EFAULT, move nothing */
static int case_cross_2p57_notifier(void)
{
	return cross_table_span(NDEMO_MODE_NOTIFIER);
}

/* Proves: pinned mode: commands crossing 2^57 are -EFAULT, move nothing */
static int case_cross_2p57_pinned(void)
{
	return cross_table_span(NDEMO_MODE_PINNED);
}

/* Proves: notifier mode: a range ending above TASK_SIZE_MAX fails whole */
static int case_end_above_task_size_notifier(void)
{
	return end_above_task_size(NDEMO_MODE_NOTIFIER);
}

/* Proves: pinned mode: a range ending above TASK_SIZE_MAX fails whole */
static int case_end_above_task_size_pinned(void)
{
	return end_above_task_size(NDEMO_MODE_PINNED);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(alias_read_notifier),
	KTAP_CASE(alias_read_pinned),
	KTAP_CASE(alias_write_notifier),
	KTAP_CASE(alias_write_pinned),
	KTAP_CASE(cross_2p57_notifier),
	KTAP_CASE(cross_2p57_pinned),
	KTAP_CASE(end_above_task_size_notifier),
	KTAP_CASE(end_above_task_size_pinned),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
