// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_oom - the OOM reaper gets the memory of a process that every
 * client of the tree maps: a GPU-style mirror (/dev/hmm_dmirror0), a
 * KVM-style mirror (/dev/kvm_mirror), an RDMA-style NIC's ODP MRs
 * (/dev/odp_demo; the NIC has read the region into a second one) and,
 * in the IOMMU boot, the edu device's IOMMU domain (/dev/edu_mirror0).
 * Their non-blockable invalidations zap and flush instead of refusing,
 * so the reaper unmaps and frees the pages while the victim still
 * exists (mlx5 and rxe refuse those of an ODP MR).
 *
 * The reaper only works on a victim that still has its address space: on
 * 6.1 it looks at an OOM victim OOM_REAPER_DELAY (2 s) after the kill,
 * and process_mrelease() wants a victim that has not passed exit_mm().  A
 * victim that exits at once tears its mm down with blockable
 * invalidations instead, and the reaper finds nothing to do.  So the
 * victim is a child traced with PTRACE_O_TRACEEXIT: once killed it stops
 * in do_exit() before exit_mm() and exit_files(), as a victim stuck in
 * the kernel would, until the test lets it go.  The test holds duplicates
 * of the victim's device files (pidfd_getfd()), so both mirrors' counters
 * stay readable after the victim is gone.
 *
 * The memcg OOM kill logs a report with a stack dump at KERN_WARNING, and
 * scripts/qemu-run.sh counts a stack dump on the console as a kernel
 * failure.  While the OOM is provoked the console shows only KERN_ERR
 * and more severe messages; the case then reads the kernel log itself and
 * fails on any warning, BUG or oops logged meanwhile (which would taint
 * the kernel too: kernel_not_tainted checks that).  The console level is
 * restored as soon as the reaper has acted, and on every way out.
 *
 * The OOM case makes a cgroup v2 child group with memory.max of 64 MiB
 * and memory.swap.max 0 (with swap the victim would swap instead), and
 * removes it at the end.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"
#include "kvm-mirror/kvmm_util.h"
#include "odp-demo/odp_util.h"

#include <linux/edu_mirror.h>

#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd	438
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

#define MIRROR_LEN	(8 * ND_MIB)
#define MIRROR_PAGES	(MIRROR_LEN / ND_PAGE)
#define MIRROR_TAG	0x33
#define MIRROR_GPA	KV_GIB
#define CG_LIMIT	(64 * ND_MIB)
/* Far beyond the limit, well within the guest's memory. */
#define HOG_LEN		(4 * CG_LIMIT)
#define CG_ROOT		"/sys/fs/cgroup"
#define CGROUP2_MAGIC	0x63677270
#define PRINTK_SYSCTL	"/proc/sys/kernel/printk"
/* console_loglevel that shows KERN_ERR and more severe messages only */
#define CONSOLE_QUIET	4
#define EDU_DEV		"/dev/edu_mirror0"

/* Outcome of one attempt of a scenario besides KTAP_PASS/FAIL/SKIP. */
#define SCN_RETRY	2

/* ------------------------------------------------------------------ */
/* Small file and process helpers                                      */

/* A "Key: N kB" field of /proc/@pid/status, or -1. */
static long long proc_status_kb(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return mt_proc_value(path, key);
}

/* The state letter of /proc/@pid/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : '?';
}

/* ------------------------------------------------------------------ */
/* Console level and kernel log                                        */

/* console_loglevel when the program started, restored on every exit. */
static int console_at_start = -1;
static char console_at_start_str[16];

static void console_set(int level)
{
	char buf[16];

	if (level <= 0)
		return;
	snprintf(buf, sizeof(buf), "%d\n", level);
	if (mt_write_str(PRINTK_SYSCTL, buf))
		ktap_diag("cannot set the console log level to %d", level);
}

/* Keep the OOM report's stack dump off the console (see the top). */
static void console_quiet(void)
{
	if (console_at_start > CONSOLE_QUIET)
		console_set(CONSOLE_QUIET);
}

static void console_restore(void)
{
	if (console_at_start > CONSOLE_QUIET)
		console_set(console_at_start);
}

/* What the kernel log said about one victim while a case ran. */
struct klog {
	int fd;
	pid_t pid;
	int reaped;	/* "oom_reaper: reaped process <pid>" */
	int unable;	/* "oom_reaper: unable to reap pid:<pid>" */
	int splats;	/* warnings, BUGs, oopses, lockups */
};

/* Failure reports, as scripts/qemu-run.sh finds them on the console. */
static const char *const klog_bad[] = {
	"WARNING:", "BUG:", "kernel BUG at", "general protection fault",
	"Oops", "soft lockup", "blocked for more than", "UBSAN:",
	"Kernel panic", "rcu: INFO:",
};

/* Read the log from now on; 0 or -errno. */
static int klog_open(struct klog *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		close(k->fd);
		k->fd = -1;
		return -errno;
	}
	return 0;
}

static void klog_note(struct klog *k, const char *msg)
{
	char reaped[64], unable[64];
	unsigned int i;

	snprintf(reaped, sizeof(reaped), "oom_reaper: reaped process %d ",
		 k->pid);
	snprintf(unable, sizeof(unable), "oom_reaper: unable to reap pid:%d ",
		 k->pid);
	if (k->pid && !strncmp(msg, reaped, strlen(reaped))) {
		k->reaped = 1;
		ktap_diag("kernel: %s", msg);
	} else if (k->pid && !strncmp(msg, unable, strlen(unable))) {
		k->unable = 1;
		ktap_diag("kernel: %s", msg);
	}
	for (i = 0; i < ARRAY_SIZE(klog_bad); i++) {
		if (strstr(msg, klog_bad[i])) {
			k->splats++;
			ktap_diag("kernel failure report: %s", msg);
			break;
		}
	}
}

/* Take in every record logged so far. */
static void klog_drain(struct klog *k)
{
	/* A smaller buffer than a record's would fail on it forever. */
	char rec[8192], *msg, *nl;
	ssize_t n;

	while (k->fd >= 0) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (n <= 0)
			return;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		nl = strchr(++msg, '\n');
		if (nl)
			*nl = '\0';
		klog_note(k, msg);
	}
}

/* Wait up to @secs for the reaper's verdict on k->pid; 1 if it came. */
static int klog_wait_reaper(struct klog *k, double secs)
{
	double end = ktap_now() + secs;

	for (;;) {
		klog_drain(k);
		if (k->reaped || k->unable)
			return 1;
		if (ktap_now() > end)
			return 0;
		usleep(50000);
	}
}

static void klog_close(struct klog *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/* ------------------------------------------------------------------ */
/* The victim: a traced child with a GPU-style and a KVM-style mirror  */

struct victim {
	pid_t pid;
	int pidfd;
	int cmd;	/* commands to the victim: 'g'o, 'h'og */
	int reply;	/* its "ready" line */
	int nd;		/* our duplicates of its device files */
	int vm;
	int odp;
	int edu;	/* -1 without the edu device */
	int held;	/* stopped in do_exit(), not let go yet */
};

struct mirror_stats {
	struct ndemo_stats nd;
	struct kvmm_stats kv;
	struct odp_pd_query odp;
	struct edu_mirror_stats edu;
	bool have_edu;
};

/*
 * In the victim: the NIC reads @p into @buf through two ODP MRs, so both
 * are in its mirror; 0 or -errno.
 */
static int victim_odp(char *p, char *buf, int *odp)
{
	uint32_t kp, kb, qa, qb;
	int ret;

	*odp = od_open();
	if (*odp < 0)
		return *odp;
	ret = od_reg(*odp, p, MIRROR_LEN, OD_ODP, &kp);
	if (!ret)
		ret = od_reg(*odp, buf, MIRROR_LEN, OD_ODP, &kb);
	if (!ret)
		ret = od_loopback(*odp, &qa, &qb);
	if (ret)
		return ret;
	memset(buf, 0, MIRROR_LEN);
	ret = od_rdma(*odp, qa, ODP_WR_RDMA_READ, kb, buf, MIRROR_LEN, kp, p);
	if (ret || nd_check("RDMA READ", buf, MIRROR_PAGES, MIRROR_TAG))
		return ret < 0 ? ret : -EIO;
	return 0;
}

/* In the victim: @p mapped into edu's IOMMU domain, if there is edu. */
static int victim_edu(char *p, int *edu)
{
	struct edu_mirror_map m = { .addr = (uintptr_t)p, .len = MIRROR_LEN };

	*edu = -1;
	if (access(EDU_DEV, F_OK))
		return 0;
	*edu = open(EDU_DEV, O_RDWR | O_CLOEXEC);
	if (*edu < 0)
		return -errno;
	return ioctl(*edu, EDU_MIRROR_MAP, &m) ? -errno : 0;
}

/* In the victim: the mirrors over @p, checked through the devices. */
static int victim_mirror(char *p, char *buf, int *fds)
{
	int *nd = &fds[0], *vm = &fds[1];
	int ret;

	nd_fill(p, MIRROR_PAGES, MIRROR_TAG);
	*nd = nd_open(0);
	if (*nd < 0)
		return *nd;
	ret = nd_read(*nd, p, buf, MIRROR_PAGES, NULL);
	if (ret || nd_check("device READ", buf, MIRROR_PAGES, MIRROR_TAG))
		return ret ? ret : -EIO;
	*vm = kv_create_vm(0);
	if (*vm < 0)
		return *vm;
	ret = kv_set_slot(*vm, 0, 0, MIRROR_GPA, MIRROR_LEN, p);
	if (ret)
		return ret;
	memset(buf, 0, MIRROR_LEN);
	ret = kv_read(*vm, MIRROR_GPA, buf, MIRROR_LEN, NULL);
	if (ret || nd_check("vCPU load", buf, MIRROR_PAGES, MIRROR_TAG))
		return ret ? ret : -EIO;
	ret = victim_odp(p, buf, &fds[2]);
	return ret ? ret : victim_edu(p, &fds[3]);
}

/* In the victim: touch fresh memory until something kills us. */
static void victim_hog(void)
{
	char *p = mmap(NULL, HOG_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t off;

	if (p == MAP_FAILED)
		_exit(KTAP_FAIL);
	madvise(p, HOG_LEN, MADV_NOHUGEPAGE);
	for (off = 0; off < HOG_LEN; off += ND_PAGE)
		__atomic_store_n(p + off, 1, __ATOMIC_RELAXED);
	ktap_diag("victim: %lu MiB touched and not killed", HOG_LEN >> 20);
	_exit(KTAP_FAIL);
}

/* The victim's body; @cg_procs is the cgroup.procs to join, or NULL. */
static void victim_main(int cmd, int reply, const char *cg_procs)
{
	int fds[4] = { -1, -1, -1, -1 }, ret;
	char c = 0, *p, *buf;

	if (read(cmd, &c, 1) != 1 || c != 'g')
		_exit(KTAP_FAIL);
	/* Join first: everything mapped below is charged to the group. */
	ret = cg_procs ? mt_write_str(cg_procs, "0\n") : 0;
	p = nd_map(MIRROR_LEN);
	buf = nd_map(MIRROR_LEN);
	if (!ret && (!p || !buf))
		ret = -ENOMEM;
	if (!ret)
		ret = victim_mirror(p, buf, fds);
	if (ret) {
		ktap_diag("victim: setting up: %s", strerror(-ret));
		dprintf(reply, "E %d\n", -ret);
		_exit(KTAP_FAIL);
	}
	dprintf(reply, "R %d %d %d %d\n", fds[0], fds[1], fds[2], fds[3]);
	if (read(cmd, &c, 1) == 1 && c == 'h')
		victim_hog();
	for (;;)
		pause();
}

/* Read the victim's reply line (its four descriptors) within @secs. */
static int victim_reply(struct victim *v, int *fds, double secs)
{
	struct pollfd pfd = { .fd = v->reply, .events = POLLIN };
	char line[64];
	size_t len = 0;
	ssize_t n;
	int err;

	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		if (poll(&pfd, 1, (int)(secs * 1000)) != 1)
			return -ETIMEDOUT;
		n = read(v->reply, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			return -EPIPE;
		len += n;
	}
	line[len] = '\0';
	if (sscanf(line, "R %d %d %d %d", &fds[0], &fds[1], &fds[2],
		   &fds[3]) == 4)
		return 0;
	if (sscanf(line, "E %d", &err) == 1 && err > 0)
		return -err;
	return -EIO;
}

/* Duplicate the victim's descriptor @fd into this process; fd or -errno. */
static int victim_getfd(const struct victim *v, int fd)
{
	int dup = syscall(__NR_pidfd_getfd, v->pidfd, fd, 0);

	return dup < 0 ? -errno : dup;
}

static int victim_launch(struct victim *v, const char *cg_procs)
{
	int cmd[2], reply[2];

	if (pipe2(cmd, O_CLOEXEC) || pipe2(reply, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	v->pid = fork();
	if (v->pid < 0)
		return -errno;
	if (!v->pid) {
		close(cmd[1]);
		close(reply[0]);
		victim_main(cmd[0], reply[1], cg_procs);
	}
	close(cmd[0]);
	close(reply[1]);
	v->cmd = cmd[1];
	v->reply = reply[0];
	/* Killed, it will stop in do_exit() with its mm and files. */
	if (ptrace(PTRACE_SEIZE, v->pid, 0, PTRACE_O_TRACEEXIT))
		return -errno;
	return write(v->cmd, "g", 1) == 1 ? 0 : -errno;
}

/* No victim, no descriptor. */
static void victim_init(struct victim *v)
{
	memset(v, 0, sizeof(*v));
	v->pidfd = -1;
	v->cmd = -1;
	v->reply = -1;
	v->nd = -1;
	v->vm = -1;
	v->odp = -1;
	v->edu = -1;
}

/* Start a victim with every mirror populated; 0 or KTAP_FAIL. */
static int victim_start(struct victim *v, const char *cg_procs)
{
	int fds[4], ret;

	victim_init(v);
	ret = victim_launch(v, cg_procs);
	if (!ret)
		ret = victim_reply(v, fds, 60);
	if (ret) {
		ktap_diag("starting the victim: %s", strerror(-ret));
		return KTAP_FAIL;
	}
	v->pidfd = syscall(__NR_pidfd_open, v->pid, 0);
	CHECK(v->pidfd >= 0, "pidfd_open: %s", strerror(errno));
	v->nd = victim_getfd(v, fds[0]);
	v->vm = victim_getfd(v, fds[1]);
	v->odp = victim_getfd(v, fds[2]);
	if (fds[3] >= 0)
		v->edu = victim_getfd(v, fds[3]);
	CHECK(v->nd >= 0 && v->vm >= 0 && v->odp >= 0 &&
	      (fds[3] < 0 || v->edu >= 0), "pidfd_getfd failed");
	return KTAP_PASS;
}

/*
 * Wait up to @secs for the victim to stop in do_exit() (1), to be gone
 * (0, *@status set) or neither (-ETIMEDOUT).
 */
static int victim_wait_exit_stop(struct victim *v, int *status, double secs)
{
	const int exit_stop = SIGTRAP | (PTRACE_EVENT_EXIT << 8);

	for (;;) {
		*status = 0;	/* as if gone, should waitpid() fail */
		if (!ktap_wait_for(v->pid, status, secs))
			return -ETIMEDOUT;
		if (!WIFSTOPPED(*status)) {
			v->pid = 0;
			return 0;
		}
		if ((*status >> 8) == exit_stop) {
			v->held = 1;
			return 1;
		}
		/* Another stop: let the signal through and wait on. */
		ptrace(PTRACE_CONT, v->pid, 0, WSTOPSIG(*status));
	}
}

/* Let the victim finish exiting; 0 if SIGKILL ended it, else KTAP_FAIL. */
static int victim_finish(struct victim *v)
{
	int status = 0, ret;

	for (;;) {
		if (v->held) {
			v->held = 0;
			CHECK_SYS(ptrace(PTRACE_CONT, v->pid, 0, 0));
		}
		ret = victim_wait_exit_stop(v, &status, 30);
		if (ret <= 0)
			break;
	}
	CHECK(!ret, "the victim did not exit within 30 s");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the victim ended with status %#x, want killed by SIGKILL",
	      status);
	return KTAP_PASS;
}

static void victim_cleanup(struct victim *v)
{
	int status;

	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		ptrace(PTRACE_DETACH, v->pid, 0, 0);
		ktap_wait_for(v->pid, &status, 10);
	}
	if (v->cmd >= 0)
		close(v->cmd);
	if (v->reply >= 0)
		close(v->reply);
	if (v->pidfd >= 0)
		close(v->pidfd);
	if (v->nd >= 0)
		close(v->nd);
	if (v->vm >= 0)
		close(v->vm);
	if (v->odp >= 0)
		close(v->odp);
	if (v->edu >= 0)
		close(v->edu);
	victim_init(v);
}

/*
 * The helper's counters of edu's mirror, from its debugfs file (edu's
 * ioctls answer its opener only, and the victim is being killed): the
 * victim's is the one mirror of edu while the test runs.
 */
static int edu_mirror_counters(struct edu_mirror_stats *st)
{
	static const char dir[] = "/sys/kernel/debug/mmu_mirror";
	char path[PATH_MAX], key[64], line[128];
	unsigned long long val;
	struct dirent *d;
	int found = 0;
	DIR *dp;
	FILE *f;

	memset(st, 0, sizeof(*st));
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "edu", 3) && !found++)
			snprintf(path, sizeof(path), "%s/%s/stats", dir,
				 d->d_name);
	closedir(dp);
	if (found != 1)
		return found ? -EEXIST : -ENOENT;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", key, &val) != 2)
			continue;	/* "mode notifier" */
		if (!strcmp(key, "entries"))
			st->entries = val;
		else if (!strcmp(key, "flushes"))
			st->flushes = val;
		else if (!strcmp(key, "nonblock_invalidations"))
			st->nonblock_invalidations = val;
		else if (!strcmp(key, "nonblock_flushes"))
			st->nonblock_flushes = val;
		else if (!strcmp(key, "nonblock_failed"))
			st->nonblock_failed = val;
	}
	fclose(f);
	return 0;
}

static int mirror_stats(const struct victim *v, struct mirror_stats *s,
			const char *when)
{
	char what[64];

	CHECK_EQ(nd_stats(v->nd, &s->nd), 0);
	CHECK_EQ(kv_stats(v->vm, &s->kv), 0);
	snprintf(what, sizeof(what), "GPU-style %s", when);
	nd_dump_stats(what, &s->nd);
	snprintf(what, sizeof(what), "KVM-style %s", when);
	kv_dump_stats(what, &s->kv);
	ktap_diag("KVM-style %s: nonblock %llu/%llu", when,
		  (unsigned long long)s->kv.nonblock_invalidations,
		  (unsigned long long)s->kv.nonblock_flushes);
	CHECK_OK(od_pd(v->odp, ODP_PD_MIRROR_ODP, &s->odp));
	ktap_diag("RDMA-style %s: entries %llu, nonblock %llu/%llu, refused %llu",
		  when, (unsigned long long)s->odp.stats.entries,
		  (unsigned long long)s->odp.stats.nonblock_invalidations,
		  (unsigned long long)s->odp.stats.nonblock_flushes,
		  (unsigned long long)s->odp.stats.nonblock_failed);
	s->have_edu = v->edu >= 0;
	if (!s->have_edu)
		return KTAP_PASS;
	CHECK_OK(edu_mirror_counters(&s->edu));
	ktap_diag("edu %s: entries %llu, nonblock %llu/%llu, refused %llu, flushes %llu",
		  when, (unsigned long long)s->edu.entries,
		  (unsigned long long)s->edu.nonblock_invalidations,
		  (unsigned long long)s->edu.nonblock_flushes,
		  (unsigned long long)s->edu.nonblock_failed,
		  (unsigned long long)s->edu.flushes);
	return KTAP_PASS;
}

/* Both mirrors map all of the victim's mirrored memory, nothing reaped. */
static int check_mapped(const struct mirror_stats *s)
{
	CHECK_EQ(s->nd.entries, MIRROR_PAGES);
	CHECK_EQ(s->kv.entries, MIRROR_PAGES);
	CHECK_EQ(s->nd.nonblock_invalidations, 0);
	CHECK_EQ(s->kv.nonblock_invalidations, 0);
	/* The region and the buffer the NIC read it into. */
	CHECK_EQ(s->odp.stats.entries, 2 * MIRROR_PAGES);
	CHECK_EQ(s->odp.stats.nonblock_invalidations, 0);
	if (s->have_edu) {
		CHECK_EQ(s->edu.entries, MIRROR_PAGES);
		CHECK_EQ(s->edu.nonblock_invalidations, 0);
	}
	return KTAP_PASS;
}

/* From @a to @b both mirrors were emptied by non-blockable invalidations. */
static int check_reaped(const struct mirror_stats *a,
			const struct mirror_stats *b)
{
	CHECK(b->nd.nonblock_invalidations > a->nd.nonblock_invalidations &&
	      b->kv.nonblock_invalidations > a->kv.nonblock_invalidations,
	      "no non-blockable invalidation reached a mirror");
	CHECK(b->nd.nonblock_flushes > a->nd.nonblock_flushes &&
	      b->kv.nonblock_flushes > a->kv.nonblock_flushes,
	      "a mirror was not flushed by the non-blockable invalidation");
	CHECK(!b->nd.entries && !b->kv.entries,
	      "entries left: GPU-style %llu, KVM-style %llu",
	      (unsigned long long)b->nd.entries,
	      (unsigned long long)b->kv.entries);
	CHECK(b->nd.pages_zapped - a->nd.pages_zapped >= MIRROR_PAGES &&
	      b->kv.pages_zapped - a->kv.pages_zapped >= MIRROR_PAGES,
	      "fewer than %lu pages zapped", MIRROR_PAGES);
	CHECK(b->odp.stats.nonblock_invalidations >
	      a->odp.stats.nonblock_invalidations &&
	      b->odp.stats.nonblock_flushes > a->odp.stats.nonblock_flushes,
	      "no non-blockable invalidation and flush reached the NIC");
	CHECK_EQ(b->odp.stats.nonblock_failed, 0);
	CHECK_EQ(b->odp.stats.entries, 0);
	if (!a->have_edu)
		return KTAP_PASS;
	CHECK(b->edu.nonblock_invalidations > a->edu.nonblock_invalidations &&
	      b->edu.nonblock_flushes > a->edu.nonblock_flushes,
	      "no non-blockable invalidation and flush reached edu");
	CHECK_EQ(b->edu.nonblock_failed, 0);
	CHECK_EQ(b->edu.entries, 0);
	return KTAP_PASS;
}

/* ------------------------------------------------------------------ */
/* Cases without the OOM killer                                        */

/* Kill the victim; it must stop in do_exit(). */
static int kill_to_exit_stop(struct victim *v)
{
	int status = 0, ret;

	CHECK_SYS(kill(v->pid, SIGKILL));
	ret = victim_wait_exit_stop(v, &status, 30);
	CHECK(ret == 1, "the killed victim did not stop in do_exit (%s)",
	      ret ? "timeout" : "it exited");
	return KTAP_PASS;
}

/* Proves: an exit the reaper missed empties both mirrors, nonblock stays 0 */
static int case_exit_is_blockable(void)
{
	struct mirror_stats s0, s1;
	struct victim v;
	int ret;

	ret = victim_start(&v, NULL);
	if (!ret)
		ret = mirror_stats(&v, &s0, "ready");
	if (!ret)
		ret = check_mapped(&s0);
	if (!ret)
		ret = kill_to_exit_stop(&v);
	if (!ret)
		ret = victim_finish(&v);
	if (!ret)
		ret = mirror_stats(&v, &s1, "after the exit");
	victim_cleanup(&v);
	if (ret)
		return ret;
	CHECK(!s1.nd.entries && !s1.kv.entries, "entries left after exit");
	CHECK(s1.nd.invalidations[ND_EV_RELEASE] &&
	      s1.kv.invalidations[KV_EV_RELEASE], "no release seen");
	/* What the other cases count comes from the reaper alone. */
	CHECK_EQ(s1.nd.nonblock_invalidations + s1.nd.nonblock_flushes, 0);
	CHECK_EQ(s1.kv.nonblock_invalidations + s1.kv.nonblock_flushes, 0);
	CHECK_EQ(s1.odp.stats.entries, 0);
	CHECK_EQ(s1.odp.stats.nonblock_invalidations, 0);
	if (s1.have_edu) {
		CHECK_EQ(s1.edu.entries, 0);
		CHECK_EQ(s1.edu.nonblock_invalidations, 0);
	}
	return KTAP_PASS;
}

/* The victim's anonymous memory is released by process_mrelease(). */
static int mrelease_victim(struct victim *v)
{
	struct mirror_stats s0, s1;
	long long before, after;

	CHECK_EQ(mirror_stats(v, &s0, "killed, in do_exit"), 0);
	CHECK(check_mapped(&s0) == KTAP_PASS,
	      "the kill alone changed the mirrors");
	before = proc_status_kb(v->pid, "RssAnon");
	/* At least the mirrored memory (the counters lag a little). */
	CHECK(before >= (long long)(MIRROR_LEN >> 10),
	      "RssAnon %lld kB before process_mrelease", before);
	CHECK(!syscall(__NR_process_mrelease, v->pidfd, 0),
	      "process_mrelease: %s%s", strerror(errno),
	      errno == EAGAIN ? " (a notifier refused the reaper)" : "");
	after = proc_status_kb(v->pid, "RssAnon");
	ktap_diag("victim RssAnon %lld kB -> %lld kB", before, after);
	CHECK(after >= 0 && after < 1024,
	      "%lld kB of anonymous memory left after process_mrelease",
	      after);
	CHECK_EQ(mirror_stats(v, &s1, "after process_mrelease"), 0);
	return check_reaped(&s0, &s1);
}

/* Proves: process_mrelease() frees memory both mirrors map; they zap it */
static int case_mrelease_reaps_mirrors(void)
{
	struct mirror_stats s;
	struct victim v;
	int ret;

	ret = victim_start(&v, NULL);
	if (!ret)
		ret = mirror_stats(&v, &s, "ready");
	if (!ret)
		ret = check_mapped(&s);
	if (!ret)
		ret = kill_to_exit_stop(&v);
	if (!ret)
		ret = mrelease_victim(&v);
	if (!ret)
		ret = victim_finish(&v);
	victim_cleanup(&v);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The memcg OOM killer and the OOM reaper                             */

struct oom_run {
	char cg[96];
	char path[160];
	struct victim v;
	struct klog log;
	struct mirror_stats ready, stopped, reaped;
};

/* @r->path = the file @name of the run's group. */
static const char *cg_file(struct oom_run *r, const char *name)
{
	snprintf(r->path, sizeof(r->path), "%s/%s", r->cg, name);
	return r->path;
}

/* The group with a memory limit and no swap; KTAP_PASS, _FAIL or _SKIP. */
static int cg_create(struct oom_run *r)
{
	static int attempt;
	struct statfs sfs;
	char limit[32];
	int ret;

	if (statfs(CG_ROOT, &sfs) || sfs.f_type != CGROUP2_MAGIC) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			return ktap_skip_case("cannot mount cgroup2 at %s",
					      CG_ROOT);
	}
	if (!mt_file_has_word(CG_ROOT "/cgroup.controllers", "memory"))
		return ktap_skip_case("no memory controller");
	CHECK_EQ(mt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory"), 0);
	snprintf(r->cg, sizeof(r->cg), CG_ROOT "/ndemo-oom.%d.%d", getpid(),
		 ++attempt);
	CHECK(!mkdir(r->cg, 0755), "mkdir %s: %s", r->cg, strerror(errno));
	snprintf(limit, sizeof(limit), "%lu\n", CG_LIMIT);
	CHECK_EQ(mt_write_str(cg_file(r, "memory.max"), limit), 0);
	ret = mt_write_str(cg_file(r, "memory.swap.max"), "0\n");
	if (ret == -ENOENT &&
	    mt_proc_value("/proc/meminfo", "SwapTotal") > 0)
		return ktap_skip_case("swap without memory.swap.max");
	CHECK(!ret || ret == -ENOENT, "memory.swap.max: %s", strerror(-ret));
	return KTAP_PASS;
}

static void cg_remove(struct oom_run *r)
{
	int i;

	if (!r->cg[0])
		return;
	for (i = 0; i < 100 && rmdir(r->cg) && errno == EBUSY; i++)
		usleep(50000);
	r->cg[0] = '\0';
}

/* Group, kernel log and a victim in the group with its mirrors. */
static int oom_setup(struct oom_run *r)
{
	long long charged;
	int ret;

	ret = cg_create(r);
	if (ret)
		return ret;
	ret = klog_open(&r->log);
	CHECK(!ret, "/dev/kmsg: %s", strerror(-ret));
	ret = victim_start(&r->v, cg_file(r, "cgroup.procs"));
	if (ret)
		return ret;
	r->log.pid = r->v.pid;
	CHECK_EQ(mirror_stats(&r->v, &r->ready, "ready"), 0);
	CHECK_EQ(check_mapped(&r->ready), 0);
	charged = mt_read_ll(cg_file(r, "memory.current"));
	ktap_diag("victim %d ready, memory.current %lld bytes", r->v.pid,
		  charged);
	CHECK(charged >= (long long)(2 * MIRROR_LEN),
	      "the mirrored memory is not charged to the group");
	return KTAP_PASS;
}

/* The victim allocates until the OOM killer kills it; it stops in exit. */
static int oom_provoke(struct oom_run *r)
{
	double t0 = ktap_now();
	int status = 0, ret;

	console_quiet();
	CHECK(write(r->v.cmd, "h", 1) == 1, "cannot start the victim's hog");
	ret = victim_wait_exit_stop(&r->v, &status, 30);
	if (ret == -ETIMEDOUT) {
		ktap_diag("the victim was not killed within 30 s");
		return SCN_RETRY;
	}
	CHECK(ret == 1, "the victim exited with status %#x instead of being held in do_exit",
	      status);
	ktap_diag("victim killed and held after %.2f s; memory.events oom_kill %lld",
		  ktap_now() - t0,
		  mt_proc_value(cg_file(r, "memory.events"), "oom_kill"));
	CHECK(mt_proc_value(cg_file(r, "memory.events"), "oom_kill") == 1,
	      "the victim was not killed by the memcg OOM killer");
	CHECK_EQ(mirror_stats(&r->v, &r->stopped, "killed, in do_exit"), 0);
	/* The kill was after t0, the reaper comes 2 s after the kill. */
	if (ktap_now() - t0 < 1.9)
		CHECK(check_mapped(&r->stopped) == KTAP_PASS,
		      "the mirrors changed before the reaper could act");
	else
		ktap_diag("too slow to see the mirrors before the reaper");
	if (!klog_wait_reaper(&r->log, 30)) {
		ktap_diag("no word from the OOM reaper within 30 s");
		return SCN_RETRY;
	}
	ktap_diag("the reaper acted %.2f s after the hog started",
		  ktap_now() - t0);
	console_restore();
	return KTAP_PASS;
}

/* The reaper freed the memory while the victim still exists. */
static int oom_check_reaped(struct oom_run *r)
{
	long long current = mt_read_ll(cg_file(r, "memory.current"));
	long long anon = proc_status_kb(r->v.pid, "RssAnon");
	char state = proc_state(r->v.pid);

	ktap_diag("after the reaper: victim state %c, RssAnon %lld kB, memory.current %lld bytes",
		  state, anon, current);
	CHECK(!r->log.unable, "the OOM reaper could not reap the victim");
	CHECK(r->log.reaped, "no \"reaped process\" message");
	CHECK(state == 't', "the victim is not held in do_exit any more");
	CHECK(current >= 0 && current < (long long)(CG_LIMIT / 4),
	      "memory.current %lld bytes, limit %lu: the memory did not come back",
	      current, CG_LIMIT);
	CHECK(anon >= 0 && anon < 1024, "RssAnon %lld kB after the reap", anon);
	CHECK_EQ(mirror_stats(&r->v, &r->reaped, "reaped"), 0);
	return check_reaped(&r->ready, &r->reaped);
}

static int oom_teardown(struct oom_run *r, int ret)
{
	victim_cleanup(&r->v);
	console_restore();
	cg_remove(r);
	klog_drain(&r->log);
	klog_close(&r->log);
	if (r->log.splats) {
		ktap_diag("%d kernel failure report(s) during the OOM scenario",
			  r->log.splats);
		return KTAP_FAIL;
	}
	return ret;
}

static int oom_scenario(void)
{
	struct oom_run r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.log.fd = -1;
	victim_init(&r.v);
	ret = oom_setup(&r);
	if (!ret)
		ret = oom_provoke(&r);
	if (!ret)
		ret = oom_check_reaped(&r);
	if (!ret)
		ret = victim_finish(&r.v);
	return oom_teardown(&r, ret);
}

/* Proves: the OOM reaper frees an OOM victim's mirrored memory, no refusal */
static int case_memcg_oom_reaped(void)
{
	int ret = oom_scenario();

	if (ret == SCN_RETRY) {
		ktap_diag("inconclusive (see above); the whole scenario once more");
		ret = oom_scenario();
	}
	return ret == SCN_RETRY ? KTAP_FAIL : ret;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(exit_is_blockable),
	KTAP_CASE(mrelease_reaps_mirrors),
	KTAP_CASE_TMO(memcg_oom_reaped, 200),
	KTAP_CASE(kernel_not_tainted),
};

/* Killed by run_all.sh's timeout: put the console level back first. */
static void restore_and_die(int sig)
{
	int fd = open(PRINTK_SYSCTL, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd >= 0) {
		n = write(fd, console_at_start_str,
			  strlen(console_at_start_str));
		(void)n;
		close(fd);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(void)
{
	int ret;

	console_at_start = (int)mt_read_ll(PRINTK_SYSCTL);
	snprintf(console_at_start_str, sizeof(console_at_start_str), "%d\n",
		 console_at_start);
	if (console_at_start > CONSOLE_QUIET) {
		signal(SIGTERM, restore_and_die);
		signal(SIGINT, restore_and_die);
	}
	mt_record_taint();
	ret = ktap_run(cases, ARRAY_SIZE(cases));
	console_restore();
	return ret;
}
