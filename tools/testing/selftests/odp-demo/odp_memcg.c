// SPDX-License-Identifier: GPL-2.0
/*
 * odp_memcg.c - what the NIC allocates for a process is charged to it
 *
 * A process in a cgroup v2 group registers an implicit ODP MR and has the
 * NIC read one page in each of many 1 GiB pieces of a sparse mapping:
 * every READ makes the engine, in its own worker, create an implicit
 * child with its translation table.  That memory is the process's: it
 * must show in the group's memory.current and be bounded by its
 * memory.max.  The pages read are never written, so they are the shared
 * zero page: the user memory charged does not grow with the children.
 *
 * The group's OOM kill logs a report with a stack dump at KERN_WARNING,
 * which scripts/qemu-run.sh would count as a kernel failure: while the
 * limit is hit the console shows KERN_ERR and more severe messages only
 * (a warning meanwhile still taints the kernel: kernel_not_tainted).
 */
#include "odp_util.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#ifndef CGROUP2_MAGIC
#define CGROUP2_MAGIC	0x63677270
#endif

#define CG_ROOT		"/sys/fs/cgroup"
#define PRINTK_SYSCTL	"/proc/sys/kernel/printk"
/* console_loglevel that shows KERN_ERR and more severe messages only */
#define CONSOLE_QUIET	4
/* Children the process asks for; ODP_MAX_CHILDREN allows 4096. */
#define NR_CHILDREN	1024
/* At least this much per child: its table's leaf array and one leaf. */
#define CHILD_MIN_BYTES	(2 * OD_PAGE)
/* The limit of the bounded case: room for far fewer children. */
#define CG_LIMIT	(4 * OD_MIB)

struct cg_report {
	long long before;	/* memory.current after the setup */
	long long after;	/* and after the READs */
	int created;		/* READs that completed successfully */
	int status;		/* status of the first that did not */
};

static char cg_path[128];

/* The console log level before the quiet part, or -1. */
static int console_quiet(void)
{
	FILE *f = fopen(PRINTK_SYSCTL, "r");
	int level = -1;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = -1;
		fclose(f);
	}
	if (level > CONSOLE_QUIET)
		mt_write_str(PRINTK_SYSCTL, "4\n");
	return level;
}

static void console_restore(int level)
{
	char buf[16];

	if (level <= CONSOLE_QUIET)
		return;
	snprintf(buf, sizeof(buf), "%d\n", level);
	mt_write_str(PRINTK_SYSCTL, buf);
}

static const char *cg_file(const char *name)
{
	static char path[192];

	snprintf(path, sizeof(path), "%s/%s", cg_path, name);
	return path;
}

/* A fresh group with memory.max @limit ("max" for none), no swap. */
static int cg_create(const char *limit)
{
	static int attempt;
	struct statfs sfs;
	int ret;

	if (statfs(CG_ROOT, &sfs) || sfs.f_type != CGROUP2_MAGIC) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			return ktap_skip_case("cannot mount cgroup2 at %s",
					      CG_ROOT);
	}
	if (!mt_file_has_word(CG_ROOT "/cgroup.controllers", "memory"))
		return ktap_skip_case("no memory controller");
	CHECK_EQ(mt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory"), 0);
	snprintf(cg_path, sizeof(cg_path), CG_ROOT "/odp-memcg.%d.%d",
		 getpid(), ++attempt);
	CHECK(!mkdir(cg_path, 0755), "mkdir %s: %s", cg_path,
	      strerror(errno));
	CHECK_EQ(mt_write_str(cg_file("memory.max"), limit), 0);
	ret = mt_write_str(cg_file("memory.swap.max"), "0\n");
	CHECK(!ret || ret == -ENOENT, "memory.swap.max: %s", strerror(-ret));
	return KTAP_PASS;
}

static void cg_remove(void)
{
	int i;

	for (i = 0; i < 100 && rmdir(cg_path) && errno == EBUSY; i++)
		usleep(50000);
}

/* The body of the process in the group; reports through @out. */
static void reader_main(int out)
{
	struct cg_report r = { .status = -1 };
	uint32_t qa, qb, ka, ki;
	uint8_t *buf, *area;
	char pid[32];
	int fd, i;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (mt_write_str(cg_file("cgroup.procs"), pid))
		_exit(2);
	fd = od_open();
	buf = od_map(OD_PAGE);
	area = mmap(NULL, (NR_CHILDREN + 1) * OD_GIB, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fd < 0 || !buf || area == MAP_FAILED ||
	    od_reg(fd, buf, OD_PAGE, OD_ODP, &ka) ||
	    od_reg_implicit(fd, &ki) || od_loopback(fd, &qa, &qb))
		_exit(3);
	area = (uint8_t *)(((uintptr_t)area + OD_GIB - 1) & ~(OD_GIB - 1));
	/* The first READ maps buf and makes the PD's mirrors. */
	if (od_rdma(fd, qa, ODP_WR_RDMA_READ, ka, buf, 8, ki, area))
		_exit(4);
	r.created = 1;
	r.before = mt_read_ll(cg_file("memory.current"));
	/* What was charged so far is in the report, if the OOM killer comes. */
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(5);
	for (i = 1; i < NR_CHILDREN; i++) {
		int st = od_rdma(fd, qa, ODP_WR_RDMA_READ, ka, buf, 8, ki,
				 area + (size_t)i * OD_GIB);

		if (st) {
			r.status = st;
			break;
		}
		/* So far, in case the OOM killer comes. */
		if (!(++r.created % 64) &&
		    write(out, &r, sizeof(r)) != sizeof(r))
			_exit(5);
	}
	r.after = mt_read_ll(cg_file("memory.current"));
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(5);
	_exit(0);
}

/*
 * Run the reader in the group; *@r is its last report, *@killed whether
 * it died of SIGKILL.
 */
static int run_reader(struct cg_report *r, bool *killed)
{
	struct cg_report got;
	int p[2], status;
	pid_t pid;
	int n = 0;

	CHECK_SYS(pipe(p));
	pid = fork();
	CHECK_SYS(pid);
	if (!pid) {
		close(p[0]);
		reader_main(p[1]);
	}
	close(p[1]);
	while (read(p[0], &got, sizeof(got)) == sizeof(got)) {
		*r = got;
		n++;
	}
	close(p[0]);
	CHECK_SYS(waitpid(pid, &status, 0));
	*killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	CHECK(*killed || (WIFEXITED(status) && !WEXITSTATUS(status)),
	      "reader status 0x%x", status);
	CHECK(n > 0, "no report from the reader");
	return KTAP_PASS;
}

/*
 * Proves: the implicit children the engine creates from its worker are
 * charged to the process's memory cgroup: memory.current grows by at
 * least their tables while the user memory stays the zero page.
 */
static int case_children_charged(void)
{
	struct cg_report r;
	bool killed;
	long long grew;
	int ret;

	ret = cg_create("max\n");
	if (ret)
		return ret;
	ret = run_reader(&r, &killed);
	cg_remove();
	if (ret)
		return ret;
	CHECK(!killed, "reader killed without a limit");
	CHECK_EQ(r.created, NR_CHILDREN);
	grew = r.after - r.before;
	ktap_diag("%d children: memory.current %lld -> %lld bytes, %lld per child",
		  r.created, r.before, r.after, grew / (NR_CHILDREN - 1));
	CHECK(grew >= (long long)((NR_CHILDREN - 1) * CHILD_MIN_BYTES),
	      "memory.current grew %lld bytes for %d children", grew,
	      NR_CHILDREN - 1);
	return KTAP_PASS;
}

/*
 * Proves: a memory.max bounds what the NIC allocates for the process:
 * the engine's faults fail (an error completion) or the group's OOM
 * killer ends the process, long before it has all its children.
 */
static int case_limit_bounds_children(void)
{
	struct cg_report r;
	char limit[32];
	long long ooms;
	bool killed;
	int ret, level;

	snprintf(limit, sizeof(limit), "%lu\n", CG_LIMIT);
	ret = cg_create(limit);
	if (ret)
		return ret;
	level = console_quiet();
	ret = run_reader(&r, &killed);
	console_restore(level);
	ooms = mt_proc_value(cg_file("memory.events"), "oom_kill");
	cg_remove();
	if (ret)
		return ret;
	ktap_diag("limit %lu: %s after %d children (status %d), oom_kill %lld",
		  CG_LIMIT, killed ? "killed" : "stopped", r.created, r.status,
		  ooms);
	CHECK(r.created < NR_CHILDREN, "all %d children fit in %lu bytes",
	      r.created, CG_LIMIT);
	if (killed)
		CHECK(ooms > 0, "killed, but not by the group's OOM killer");
	else
		CHECK(r.status == ODP_WC_REM_ACCESS_ERR,
		      "first failed READ: status %d", r.status);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(children_charged),
	KTAP_CASE(limit_bounds_children),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
