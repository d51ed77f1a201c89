// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_pin_accounting - long-term pins of pinned mode are charged: each
 * page the device holds pinned counts in the mm's pinned_vm (VmPin in
 * /proc/<pid>/status) until the pins go with the device file; a process
 * without CAP_IPC_LOCK cannot pin beyond its RLIMIT_MEMLOCK (-ENOMEM);
 * one with CAP_IPC_LOCK is not limited but still counted.
 *
 * Needs root: the unprivileged cases drop to uid and gid 65534 in the
 * case's own process.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <grp.h>
#include <sys/resource.h>

#define LIMIT_KB	256UL		/* RLIMIT_MEMLOCK of the cases */
#define LIMIT_PAGES	(LIMIT_KB * 1024 / ND_PAGE)
#define NOBODY		65534

/* VmPin of this process in kB, or -1. */
static long long vmpin_kb(void)
{
	return mt_proc_value("/proc/self/status", "VmPin");
}

/* CapEff of this process, or ~0 if unreadable. */
static unsigned long long cap_eff(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long caps = ~0ULL;
	char line[256];

	if (!f)
		return caps;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

static int set_memlock_limit(unsigned long kb)
{
	struct rlimit rl = { .rlim_cur = kb * 1024, .rlim_max = kb * 1024 };

	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

/*
 * Become an ordinary user with a RLIMIT_MEMLOCK of LIMIT_KB: no
 * capabilities left, CAP_IPC_LOCK included.  0 or -errno.
 */
static int become_nobody(void)
{
	int ret = set_memlock_limit(LIMIT_KB);

	if (ret)
		return ret;
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	if (cap_eff()) {
		ktap_diag("CapEff %#llx after setuid", cap_eff());
		return -EPERM;
	}
	return 0;
}

static int open_pinned(void)
{
	int fd = nd_open(0);
	int ret;

	if (fd < 0)
		return fd;
	ret = nd_set_mode(fd, NDEMO_MODE_PINNED);
	if (ret) {
		ktap_diag("SET_MODE pinned: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* Pages the device holds pinned, or -1. */
static long long pinned_pages(int fd)
{
	struct ndemo_stats s;

	return nd_stats(fd, &s) ? -1 : (long long)s.pages_pinned;
}

/*
 * What is charged is what is pinned: VmPin equals the device's pinned
 * pages, and stays within @max_kb.  0 if so, else -1 (described).
 */
static int charged_as_pinned(int fd, long long max_kb)
{
	long long kb = vmpin_kb(), pages = pinned_pages(fd);

	if (kb >= 0 && pages >= 0 &&
	    kb == pages * (long long)(ND_PAGE / 1024) && kb <= max_kb)
		return 0;
	ktap_diag("VmPin %lld kB for %lld pinned pages (at most %lld kB)",
		  kb, pages, max_kb);
	return -1;
}

/* Proves: pinned READ counts page by page in VmPin; close gives it back */
static int case_vmpin_counts_pins(void)
{
	const unsigned long n = 64;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	CHECK_EQ(vmpin_kb(), 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");
	CHECK_EQ(nd_read(fd, mem, buf, n / 2, &cmd), 0);
	CHECK_EQ(vmpin_kb(), n / 2 * ND_PAGE / 1024);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK(!nd_check("pinned READ", buf, n, 1), "wrong data");
	CHECK_EQ(pinned_pages(fd), n);
	CHECK_EQ(vmpin_kb(), n * ND_PAGE / 1024);
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

/* Proves: pages pinned for READ, then written, are not charged twice */
static int case_vmpin_same_pages_once(void)
{
	const unsigned long n = 32;
	char *mem, *buf;
	int fd;

	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");
	CHECK_EQ(nd_read(fd, mem, buf, n, NULL), 0);
	CHECK_EQ(nd_read(fd, mem, buf, n, NULL), 0);
	nd_fill(buf, n, 2);
	CHECK_EQ(nd_write(fd, mem, buf, n, NULL), 0);
	CHECK(!nd_check("memory after the pinned WRITE", mem, n, 2),
	      "WRITE lost");
	CHECK_EQ(pinned_pages(fd), n);
	CHECK_EQ(vmpin_kb(), n * ND_PAGE / 1024);
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

/* Proves: no CAP_IPC_LOCK: READ/WRITE pinning past RLIMIT_MEMLOCK: -ENOMEM */
static int case_unprivileged_over_limit_enomem(void)
{
	const unsigned long n = 2 * LIMIT_PAGES;
	char *mem, *buf;
	int fd, ret;

	CHECK_EQ(become_nobody(), 0);
	mem = nd_map(2 * n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 2 * n, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");

	ret = nd_read(fd, mem, buf, n, NULL);
	CHECK(ret == -ENOMEM, "READ of %lu kB with a %lu kB limit: %d (%s)",
	      n * ND_PAGE / 1024, LIMIT_KB, ret, strerror(-ret));
	CHECK(!charged_as_pinned(fd, LIMIT_KB), "charge and pins differ");
	nd_fill(buf, n, 2);
	ret = nd_write(fd, mem + n * ND_PAGE, buf, n, NULL);
	CHECK(ret == -ENOMEM, "WRITE of %lu kB with a %lu kB limit: %d (%s)",
	      n * ND_PAGE / 1024, LIMIT_KB, ret, strerror(-ret));
	CHECK(!charged_as_pinned(fd, LIMIT_KB), "charge and pins differ");
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

/* Proves: no CAP_IPC_LOCK: pins up to the limit count; one more is -ENOMEM */
static int case_unprivileged_within_limit(void)
{
	const unsigned long half = LIMIT_PAGES / 2;
	char *mem, *buf;
	int fd, ret;

	CHECK_EQ(become_nobody(), 0);
	mem = nd_map((LIMIT_PAGES + 1) * ND_PAGE);
	buf = nd_map(LIMIT_PAGES * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, LIMIT_PAGES + 1, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");

	CHECK_EQ(nd_read(fd, mem, buf, half, NULL), 0);
	CHECK(!nd_check("READ within the limit", buf, half, 1), "wrong data");
	CHECK_EQ(vmpin_kb(), half * ND_PAGE / 1024);
	nd_fill(buf, half, 3);
	CHECK_EQ(nd_write(fd, mem + half * ND_PAGE, buf, half, NULL), 0);
	CHECK(!nd_check("WRITE up to the limit", mem + half * ND_PAGE, half,
			3), "WRITE lost");
	CHECK_EQ(vmpin_kb(), LIMIT_KB);

	ret = nd_read(fd, mem + LIMIT_PAGES * ND_PAGE, buf, 1, NULL);
	CHECK(ret == -ENOMEM, "READ of one page beyond the limit: %d (%s)",
	      ret, strerror(-ret));
	CHECK_EQ(vmpin_kb(), LIMIT_KB);
	CHECK_EQ(pinned_pages(fd), LIMIT_PAGES);
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

/* Proves: CAP_IPC_LOCK pins past RLIMIT_MEMLOCK, still counted in VmPin */
static int case_root_not_limited_but_counted(void)
{
	const unsigned long n = 2 * LIMIT_PAGES;
	char *mem, *buf;
	int fd;

	CHECK_EQ(set_memlock_limit(LIMIT_KB), 0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");
	nd_fill(buf, n, 4);
	CHECK_EQ(nd_write(fd, mem, buf, n, NULL), 0);
	CHECK(!nd_check("root's WRITE beyond the limit", mem, n, 4),
	      "WRITE lost");
	CHECK_EQ(pinned_pages(fd), n);
	CHECK_EQ(vmpin_kb(), n * ND_PAGE / 1024);
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

/*
 * Proves: pins stay charged to the mm they pin while another process keeps
 * the file open, and are given back to it when that process exits.
 */
static int case_vmpin_follows_file_not_closer(void)
{
	const unsigned long n = 32;
	int fd, go[2], status;
	char *mem, *buf, c;
	pid_t pid;

	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	fd = open_pinned();
	CHECK(fd >= 0, "cannot open the device in pinned mode");
	CHECK_EQ(nd_read(fd, mem, buf, n, NULL), 0);
	CHECK_EQ(vmpin_kb(), n * ND_PAGE / 1024);

	CHECK_SYS(pipe(go));
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		/* Holds the file until the parent has closed its copy. */
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(vmpin_kb() == 0 ? 0 : 2);
	}
	close(go[0]);
	CHECK_SYS(close(fd));
	CHECK_EQ(vmpin_kb(), n * ND_PAGE / 1024);
	close(go[1]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "child: status %#x (2: VmPin charged to the child)", status);
	/* The child's exit released the file: the pins went with it. */
	CHECK_EQ(vmpin_kb(), 0);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(vmpin_counts_pins),
	KTAP_CASE(vmpin_same_pages_once),
	KTAP_CASE(unprivileged_over_limit_enomem),
	KTAP_CASE(unprivileged_within_limit),
	KTAP_CASE(root_not_limited_but_counted),
	KTAP_CASE(vmpin_follows_file_not_closer),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	if (geteuid()) {
		printf("TAP version 13\n1..0 # SKIP needs root\n");
		return 0;
	}
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
