// SPDX-License-Identifier: GPL-2.0
/*
 * odp_oom - the OOM reaper gets the memory an ODP MR holds
 *
 * mlx5 and rxe refuse every non-blockable invalidation of an ODP MR, so
 * the OOM reaper cannot free the memory an ODP NIC maps.  odp_demo never
 * refuses: the helper zaps and calls its unmap under a spinlock.  The
 * victim registers ODP and implicit ODP MRs over memory the NIC has read
 * (its MTTs full), is killed, and is held in do_exit() before exit_mm()
 * by PTRACE_O_TRACEEXIT (as a victim stuck in the kernel would be); then
 * process_mrelease() reaps it as the OOM reaper would, with
 * non-blockable invalidations.  The test reads the PD through a
 * duplicate of the victim's file (pidfd_getfd()).
 */
#include "odp_util.h"

#include <sys/ptrace.h>
#include <sys/syscall.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd	438
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

#define REGION		(8 * OD_MIB)
#define REGION_PAGES	(REGION / OD_PAGE)

struct victim_keys {
	int fd;
	uint32_t kodp, kimp;
};

/* In the victim: the NIC reads the region through both MRs, then wait. */
static void victim_main(int reply)
{
	struct victim_keys k;
	uint32_t qa, qb, kl;
	uint8_t *region = od_map(REGION), *land = od_map(OD_MIB);
	size_t off;

	k.fd = od_open();
	if (k.fd < 0 || !region || !land)
		_exit(1);
	od_fill(region, REGION, 3);
	if (od_reg(k.fd, region, REGION, OD_ODP, &k.kodp) ||
	    od_reg_implicit(k.fd, &k.kimp) ||
	    od_reg(k.fd, land, OD_MIB, OD_ODP, &kl) ||
	    od_loopback(k.fd, &qa, &qb))
		_exit(2);
	for (off = 0; off < REGION; off += OD_MIB)
		if (od_rdma(k.fd, qa, ODP_WR_RDMA_READ, kl, land, OD_MIB,
			    off < REGION / 2 ? k.kodp : k.kimp, region + off) ||
		    memcmp(land, region + off, OD_MIB))
			_exit(3);
	if (od_send(reply, &k, sizeof(k)))
		_exit(4);
	for (;;)
		pause();
}

static long long status_kb(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return mt_proc_value(path, key);
}

/* Kill @pid (traced) and wait until it stops in do_exit(). */
static int kill_to_exit_stop(pid_t pid)
{
	int status;

	CHECK_SYS(kill(pid, SIGKILL));
	for (;;) {
		CHECK(ktap_wait_for(pid, &status, 30), "no stop in 30 s");
		CHECK(WIFSTOPPED(status), "the victim exited (%#x)", status);
		if ((status >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			return KTAP_PASS;
		ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status));
	}
}

static int mrelease_check(pid_t pid, int pidfd, int fd,
			  const struct victim_keys *k)
{
	struct odp_pd_query pd0, pd1;
	struct odp_mr_query q;
	long long before, after;

	CHECK_OK(od_pd(fd, ODP_PD_MIRROR_ODP, &pd0));
	CHECK_OK(od_query(fd, k->kodp, &q));
	CHECK_EQ(q.mtt_pages, REGION_PAGES / 2);
	CHECK_OK(od_query(fd, k->kimp, &q));
	CHECK_EQ(q.mtt_pages, REGION_PAGES / 2);
	CHECK_OK(kill_to_exit_stop(pid));
	before = status_kb(pid, "RssAnon");
	CHECK(before >= (long long)(REGION >> 10), "RssAnon %lld kB", before);
	CHECK(!syscall(__NR_process_mrelease, pidfd, 0),
	      "process_mrelease: %s%s", strerror(errno),
	      errno == EAGAIN ? " (an invalidation was refused)" : "");
	after = status_kb(pid, "RssAnon");
	ktap_diag("victim RssAnon %lld kB -> %lld kB", before, after);
	CHECK(after >= 0 && after < 1024, "%lld kB left after the reap",
	      after);
	CHECK_OK(od_pd(fd, ODP_PD_MIRROR_ODP, &pd1));
	ktap_diag("non-blockable invalidations %llu, refused %llu, entries %llu",
		  (unsigned long long)pd1.stats.nonblock_invalidations,
		  (unsigned long long)pd1.stats.nonblock_failed,
		  (unsigned long long)pd1.stats.entries);
	CHECK(pd1.stats.nonblock_invalidations > pd0.stats.nonblock_invalidations,
	      "no non-blockable invalidation reached the NIC");
	CHECK_EQ(pd1.stats.nonblock_failed, 0);
	CHECK_EQ(pd1.stats.entries, 0);
	CHECK_OK(od_query(fd, k->kodp, &q));
	CHECK_EQ(q.mtt_pages, 0);
	CHECK_OK(od_query(fd, k->kimp, &q));
	CHECK_EQ(q.mtt_pages, 0);
	return KTAP_PASS;
}

/*
 * Proves: process_mrelease() (the OOM reaper's work) frees the memory of
 * ODP and implicit ODP MRs the NIC maps: no refusal, MTTs emptied.
 */
static int case_mrelease_reaps_odp(void)
{
	struct victim_keys k;
	struct od_chan ch;
	int pidfd, fd, ret, status;
	pid_t pid;

	CHECK_OK(od_chan_init(&ch));
	pid = fork();
	CHECK_SYS(pid);
	if (!pid)
		victim_main(ch.up[1]);
	CHECK_SYS(ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT));
	ret = od_recv(ch.up[0], &k, sizeof(k));
	if (ret) {
		kill(pid, SIGKILL);
		CHECK_OK(ret);
	}
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	CHECK_SYS(pidfd);
	fd = syscall(__NR_pidfd_getfd, pidfd, k.fd, 0);
	CHECK_SYS(fd);
	ret = mrelease_check(pid, pidfd, fd, &k);
	kill(pid, SIGKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	ktap_wait_for(pid, &status, 30);
	close(fd);
	return ret;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(mrelease_reaps_odp),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
