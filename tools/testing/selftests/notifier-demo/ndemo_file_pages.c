// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_file_pages - the device on file-backed memory.  Pinned mode takes
 * no writable long-term pin of a page that needs writeback (a MAP_SHARED
 * mapping of an ext4 file): such a WRITE is -EOPNOTSUPP, while READs of
 * it and WRITEs to shmem and anonymous memory work.  In notifier mode the
 * data a device WRITE puts into a shared file mapping reaches the disk.
 *
 * The ext4 cases need an ext4 file system at /mnt/ext4 (scripts/qemu-run.sh
 * mounts one; NDEMO_EXT4_DIR overrides the path) and skip without it.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#define EXT4_MAGIC	0xEF53
#define NPAGES		8UL

static const char *ext4_dir(void)
{
	const char *dir = getenv("NDEMO_EXT4_DIR");

	return dir ? dir : "/mnt/ext4";
}

/*
 * A new file of NPAGES pages holding tag 1 on the ext4 file system, written
 * back; its descriptor, or -1 (with *@why set) if there is no ext4 there.
 */
static int ext4_file(const char *name, const char **why)
{
	char path[256], *data;
	struct statfs sfs;
	int fd;

	*why = "cannot create the file";
	if (statfs(ext4_dir(), &sfs) || sfs.f_type != EXT4_MAGIC) {
		*why = "no ext4 file system mounted there";
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.%d", ext4_dir(), name, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/* Gone once the case ends and the last mapping and pin go. */
	unlink(path);
	data = nd_map(NPAGES * ND_PAGE);
	if (!data)
		return -1;
	nd_fill(data, NPAGES, 1);
	if (pwrite(fd, data, NPAGES * ND_PAGE, 0) != NPAGES * ND_PAGE ||
	    fsync(fd)) {
		close(fd);
		return -1;
	}
	munmap(data, NPAGES * ND_PAGE);
	return fd;
}

/* Read the file's first NPAGES pages into @buf with pread(); 0 or -1. */
static int read_file(int fd, void *buf)
{
	return pread(fd, buf, NPAGES * ND_PAGE, 0) == NPAGES * ND_PAGE ? 0 :
	       -1;
}

static void *map_shared(int fd)
{
	void *p = mmap(NULL, NPAGES * ND_PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int open_pinned(void)
{
	int fd = nd_open(0);

	if (fd >= 0 && nd_set_mode(fd, NDEMO_MODE_PINNED)) {
		ktap_diag("SET_MODE pinned: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Proves: pinned WRITE to shared ext4 is -EOPNOTSUPP, pins/writes nothing */
static int case_pinned_write_ext4_refused(void)
{
	const char *why;
	struct ndemo_stats s;
	long taint0, taint1;
	char *map, *buf;
	int fd, dev, ret;

	fd = ext4_file("pinned-write", &why);
	if (fd < 0)
		return ktap_skip_case("%s: %s", ext4_dir(), why);
	dev = open_pinned();
	CHECK(dev >= 0, "cannot open the device in pinned mode");
	map = map_shared(fd);
	buf = nd_map(NPAGES * ND_PAGE);
	CHECK(map && buf, "mmap: %s", strerror(errno));
	taint0 = mt_taint();

	nd_fill(buf, NPAGES, 2);
	ret = nd_write(dev, map, buf, NPAGES, NULL);
	CHECK_EQ(nd_stats(dev, &s), 0);
	if (ret != -EOPNOTSUPP) {
		ktap_diag("pinned WRITE to shared ext4: %d (%s), %llu pinned",
			  ret, strerror(-ret),
			  (unsigned long long)s.pages_pinned);
	}
	/*
	 * Writeback cleans the pages; dropping the device file drops any
	 * pins.  A pin taken for writing would dirty a clean page here.
	 */
	CHECK_SYS(fsync(fd));
	CHECK_SYS(munmap(map, NPAGES * ND_PAGE));
	CHECK_SYS(close(dev));
	taint1 = mt_taint();
	if (taint0 >= 0 && ((taint1 & ~taint0) & MT_TAINT_BAD))
		ktap_diag("taint %#lx -> %#lx as the pins went: see dmesg",
			  taint0, taint1);
	CHECK(ret == -EOPNOTSUPP, "the WRITE was not refused");
	CHECK_EQ(s.pages_pinned, 0);
	CHECK_EQ(read_file(fd, buf), 0);
	CHECK(!nd_check("file after the refused WRITE", buf, NPAGES, 1),
	      "the refused WRITE changed the file");
	CHECK(!((taint1 & ~taint0) & MT_TAINT_BAD), "kernel tainted");
	return KTAP_PASS;
}

/* Proves: pinned READ of a shared ext4 mapping returns the file's data */
static int case_pinned_read_ext4(void)
{
	const char *why;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *map, *buf;
	int fd, dev;

	fd = ext4_file("pinned-read", &why);
	if (fd < 0)
		return ktap_skip_case("%s: %s", ext4_dir(), why);
	dev = open_pinned();
	CHECK(dev >= 0, "cannot open the device in pinned mode");
	map = map_shared(fd);
	buf = nd_map(NPAGES * ND_PAGE);
	CHECK(map && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, NPAGES, 3);
	CHECK_EQ(nd_read(dev, map, buf, NPAGES, &cmd), 0);
	CHECK_EQ(cmd.cpages, NPAGES);
	CHECK(!nd_check("pinned READ of the ext4 file", buf, NPAGES, 1),
	      "wrong data");
	CHECK_EQ(nd_stats(dev, &s), 0);
	CHECK_EQ(s.pages_pinned, NPAGES);
	CHECK_SYS(munmap(map, NPAGES * ND_PAGE));
	CHECK_SYS(close(dev));
	CHECK_EQ(read_file(fd, buf), 0);
	CHECK(!nd_check("file after the pinned READ", buf, NPAGES, 1),
	      "the file changed");
	return KTAP_PASS;
}

/* Proves: pinned WRITE to a shared memfd mapping works; the file has it */
static int case_pinned_write_memfd(void)
{
	char *map, *buf;
	int fd, dev;

	fd = memfd_create("ndemo-pinned", MFD_CLOEXEC);
	CHECK_SYS(fd);
	CHECK_SYS(ftruncate(fd, NPAGES * ND_PAGE));
	dev = open_pinned();
	CHECK(dev >= 0, "cannot open the device in pinned mode");
	map = map_shared(fd);
	buf = nd_map(NPAGES * ND_PAGE);
	CHECK(map && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, NPAGES, 4);
	CHECK_EQ(nd_write(dev, map, buf, NPAGES, NULL), 0);
	CHECK(!nd_check("shared mapping after the pinned WRITE", map, NPAGES,
			4), "the CPU does not see the device's data");
	CHECK_SYS(close(dev));
	memset(buf, 0, NPAGES * ND_PAGE);
	CHECK_EQ(read_file(fd, buf), 0);
	CHECK(!nd_check("memfd after the pinned WRITE", buf, NPAGES, 4),
	      "the file lost the device's data");
	return KTAP_PASS;
}

/* Proves: pinned WRITE to private and shared anonymous memory works. */
static int case_pinned_write_anon(void)
{
	char *priv, *shared, *buf;
	int dev;

	dev = open_pinned();
	CHECK(dev >= 0, "cannot open the device in pinned mode");
	priv = nd_map(NPAGES * ND_PAGE);
	shared = mmap(NULL, NPAGES * ND_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	buf = nd_map(NPAGES * ND_PAGE);
	CHECK(priv && shared != MAP_FAILED && buf, "mmap: %s",
	      strerror(errno));
	nd_fill(buf, NPAGES, 5);
	CHECK_EQ(nd_write(dev, priv, buf, NPAGES, NULL), 0);
	nd_fill(buf, NPAGES, 6);
	CHECK_EQ(nd_write(dev, shared, buf, NPAGES, NULL), 0);
	CHECK(!nd_check("private anonymous", priv, NPAGES, 5), "data lost");
	CHECK(!nd_check("shared anonymous", shared, NPAGES, 6), "data lost");
	CHECK_SYS(close(dev));
	CHECK(!nd_check("private anonymous after close", priv, NPAGES, 5),
	      "data lost");
	return KTAP_PASS;
}

/* Write "3" to /proc/sys/vm/drop_caches; 0 or -errno. */
static int drop_page_cache(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "3\n", 2) != 2)
		ret = -errno;
	close(fd);
	return ret;
}

/* Proves: notifier mode: device WRITE to shared ext4 pages reaches the disk */
static int case_notifier_write_ext4_reaches_disk(void)
{
	char path[64], *map, *buf;
	const char *why;
	long resident;
	int fd, dev, dfd;

	fd = ext4_file("notifier-dirty", &why);
	if (fd < 0)
		return ktap_skip_case("%s: %s", ext4_dir(), why);
	OPEN_DEV(dev, 0);
	/* Start from pages read back from the disk, clean. */
	CHECK_EQ(drop_page_cache(), 0);
	map = map_shared(fd);
	buf = nd_map(NPAGES * ND_PAGE);
	CHECK(map && buf, "mmap: %s", strerror(errno));
	nd_fill(buf, NPAGES, 7);
	CHECK_EQ(nd_write(dev, map, buf, NPAGES, NULL), 0);
	CHECK_SYS(munmap(map, NPAGES * ND_PAGE));
	CHECK_SYS(close(dev));
	CHECK_SYS(fsync(fd));
	CHECK_EQ(drop_page_cache(), 0);

	/* What the page cache has left, for the record. */
	map = mmap(NULL, NPAGES * ND_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno));
	resident = mt_resident(map, NPAGES * ND_PAGE);
	CHECK_SYS(munmap(map, NPAGES * ND_PAGE));
	ktap_diag("%ld of %lu pages still cached after drop_caches", resident,
		  NPAGES);

	/* O_DIRECT reads what is on the disk, not the page cache. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	CHECK_SYS(dfd);
	memset(buf, 0, NPAGES * ND_PAGE);
	CHECK_EQ(read_file(dfd, buf), 0);
	CHECK(!nd_check("ext4 file read with O_DIRECT", buf, NPAGES, 7),
	      "the device's data did not reach the disk");
	memset(buf, 0, NPAGES * ND_PAGE);
	CHECK_EQ(read_file(fd, buf), 0);
	CHECK(!nd_check("ext4 file read through the cache", buf, NPAGES, 7),
	      "the device's data is not in the file");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(pinned_write_ext4_refused),
	KTAP_CASE(pinned_read_ext4),
	KTAP_CASE(pinned_write_memfd),
	KTAP_CASE(pinned_write_anon),
	KTAP_CASE(notifier_write_ext4_reaches_disk),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
