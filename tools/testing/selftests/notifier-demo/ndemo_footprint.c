// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_footprint - the kernel memory the device holds on behalf of a
 * process is bounded and accounted: secondary table nodes emptied by
 * invalidations are freed, and the zeroed pages behind a mapping of the
 * device file are charged to the opener's memory cgroup and limited to
 * 16 MiB per mapping.
 *
 * The cgroup case mounts cgroup2 at /sys/fs/cgroup if nothing is mounted
 * there, enables the memory controller for the root's children and runs
 * in a child group of its own, removed at the end.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define ND_GIB		(1024 * ND_MIB)
#define CYCLES		64
#define CG_ROOT		"/sys/fs/cgroup"
#define CGROUP2_MAGIC	0x63677270
#define DEVMAP_MAX	(16 * ND_MIB)

/* Proves: 64 mmap/WRITE/munmap 1 GiB apart leave 1 table node, no entry */
static int case_table_nodes_freed(void)
{
	struct ndemo_stats s;
	uintptr_t base;
	char *resv, *buf;
	unsigned int i;
	int fd;

	/* A free range of 64 GiB, 1 GiB aligned, kept PROT_NONE. */
	resv = mmap(NULL, (CYCLES + 1) * ND_GIB, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(resv != MAP_FAILED, "mmap: %s", strerror(errno));
	base = ((uintptr_t)resv + ND_GIB - 1) & ~(uintptr_t)(ND_GIB - 1);
	buf = nd_map(ND_PAGE);
	CHECK(buf, "mmap: %s", strerror(errno));
	OPEN_DEV(fd, 0);

	for (i = 0; i < CYCLES; i++) {
		char *want = (char *)(base + i * ND_GIB);
		char *p = mmap(want, ND_PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		CHECK(p == want, "mmap at %p: %s", want, strerror(errno));
		nd_fill(buf, 1, i + 1);
		CHECK_EQ(nd_write(fd, p, buf, 1, NULL), 0);
		CHECK(!nd_check("device WRITE", p, 1, i + 1), "WRITE lost");
		if (!i) {
			CHECK_EQ(nd_stats(fd, &s), 0);
			ktap_diag("one page mirrored: %llu table nodes",
				  (unsigned long long)s.table_nodes);
		}
		CHECK_SYS(munmap(p, ND_PAGE));
	}
	CHECK_EQ(nd_stats(fd, &s), 0);
	nd_dump_stats("after the cycles", &s);
	CHECK_EQ(s.entries, 0);
	CHECK(s.table_nodes == 1, "%llu table nodes left, want 1 (the root)",
	      (unsigned long long)s.table_nodes);

	/* The table grows again as needed. */
	buf = mmap((void *)base, ND_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(buf == (void *)base, "mmap: %s", strerror(errno));
	nd_fill(buf, 1, 99);
	CHECK_EQ(nd_read(fd, buf, buf, 1, NULL), 0);
	CHECK(!nd_check("READ after the nodes were freed", buf, 1, 99),
	      "wrong data");
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, 1);
	return KTAP_PASS;
}

/*
 * Move this process into a new child group @dir with the memory controller;
 * 0, -errno, or 1 (with *@why set) when the system cannot do it.
 */
static int cg_enter(char *dir, size_t len, const char **why)
{
	char path[128], pid[32];
	struct statfs sfs;
	int ret;

	if (statfs(CG_ROOT, &sfs) || sfs.f_type != CGROUP2_MAGIC) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL)) {
			*why = "cannot mount cgroup2 at " CG_ROOT;
			return 1;
		}
	}
	if (!mt_file_has_word(CG_ROOT "/cgroup.controllers", "memory")) {
		*why = "no memory controller on the cgroup2 hierarchy";
		return 1;
	}
	ret = mt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(dir, len, CG_ROOT "/ndemo-footprint.%d", getpid());
	if (mkdir(dir, 0755))
		return -errno;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return mt_write_str(path, pid);
}

/* Back to the root group, and remove @dir. */
static void cg_leave(const char *dir)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	mt_write_str(CG_ROOT "/cgroup.procs", pid);
	rmdir(dir);
}

/* Map @len of the device file, read every page; the mapping or NULL. */
static char *map_device(int fd, size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	size_t off;

	if (p == MAP_FAILED)
		return NULL;
	for (off = 0; off < len; off += ND_PAGE)
		nd_touch_read(p + off);
	return p;
}

/* The device mapping charged to and uncharged from the group at @dir. */
static int devmap_in_group(const char *dir)
{
	const size_t len = 4 * ND_MIB;
	long long before, mapped, after;
	char path[128], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	OPEN_DEV(fd, 0);
	before = mt_read_ll(path);
	CHECK(before >= 0, "cannot read %s", path);
	p = map_device(fd, len);
	CHECK(p, "mmap of the device file: %s", strerror(errno));
	CHECK(!mt_check_zero("device file mapping", p, len / ND_PAGE),
	      "the pages are not zeroed");
	mapped = mt_read_ll(path);
	ktap_diag("memory.current %lld -> %lld bytes for a %zu byte mapping",
		  before, mapped, len);
	CHECK(mapped - before >= (long long)len,
	      "the group was charged %lld bytes for the mapping, want >= %zu",
	      mapped - before, len);
	CHECK_SYS(munmap(p, len));
	CHECK_SYS(close(fd));
	after = mt_read_ll(path);
	ktap_diag("memory.current %lld bytes after munmap and close", after);
	CHECK(mapped - after >= (long long)(len - len / 4),
	      "only %lld bytes uncharged after munmap and close",
	      mapped - after);
	return KTAP_PASS;
}

/* Proves: device file mapping pages are charged to the opener's memcg */
static int case_devmap_charged_to_memcg(void)
{
	const char *why = NULL;
	char dir[96] = "";
	int ret;

	ret = cg_enter(dir, sizeof(dir), &why);
	if (ret == 1)
		return ktap_skip_case("%s", why);
	if (ret) {
		ktap_diag("cannot set up a memory cgroup: %s", strerror(-ret));
		if (dir[0] && ret != -EEXIST)
			rmdir(dir);
		return KTAP_FAIL;
	}
	ret = devmap_in_group(dir);
	cg_leave(dir);
	return ret;
}

/* Proves: a device file mapping of 16 MiB works; a larger one is -EINVAL */
static int case_devmap_size_bounded(void)
{
	static const size_t too_big[] = {
		DEVMAP_MAX + ND_PAGE, 2 * DEVMAP_MAX, ND_GIB, 64 * ND_GIB,
	};
	unsigned int i;
	char *p;
	int fd;

	OPEN_DEV(fd, 0);
	p = map_device(fd, DEVMAP_MAX);
	CHECK(p, "mmap of %lu bytes: %s", DEVMAP_MAX, strerror(errno));
	CHECK(!mt_check_zero("first page", p, 1) &&
	      !mt_check_zero("last page", p + DEVMAP_MAX - ND_PAGE, 1),
	      "not zeroed");
	CHECK_SYS(munmap(p, DEVMAP_MAX));
	/* In order: on a kernel without the bound, stop before 1 GiB. */
	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		p = mmap(NULL, too_big[i], PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, fd, 0);
		if (p != MAP_FAILED)
			munmap(p, too_big[i]);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "mmap of %zu bytes of the device file: %s, want EINVAL",
		      too_big[i], p == MAP_FAILED ? strerror(errno) :
		      "succeeded");
	}
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(table_nodes_freed),
	KTAP_CASE(devmap_charged_to_memcg),
	KTAP_CASE(devmap_size_bounded),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
