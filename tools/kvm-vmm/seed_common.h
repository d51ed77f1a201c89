/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seed_common.h - the parts of the seed experiment that do not depend on
 * the hypervisor: messages, guest memory, measurements, host memory
 * pressure and the --wait handshake.
 *
 * Every function here either succeeds or exits with status 2 after
 * naming what failed, so callers need no error paths.
 */
#ifndef _SEED_COMMON_H
#define _SEED_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE_SIZE		4096UL

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned long parse_ulong(const char *opt, const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("%s wants a non-negative number, got '%s'", opt, s);
	return v;
}

/* ------------------------------------------------------------------ */
/* Guest memory                                                       */

/*
 * Anonymous guest memory of @size bytes.  The region is reserved with a
 * PROT_NONE guard on both sides and the guest memory mapped in the
 * middle: the guards keep the guest VMA from merging with neighbours, so
 * smaps shows exactly the guest memory.  With @thp the start is aligned
 * to 2 MiB and huge pages are asked for; otherwise MADV_NOHUGEPAGE keeps
 * it at 4 KiB pages.
 *
 * MADV_DONTFORK, as QEMU does for guest RAM: a fork of the VMM (the
 * memory hog is one) must not copy the guest's page tables.  Copying
 * them would write-protect every guest page for copy-on-write, which
 * invalidates all secondary MMU mappings of the guest, and measure fork
 * instead of reclaim.
 */
static void *seed_map_memory(size_t size, bool thp)
{
	size_t guard = thp ? 2UL << 20 : PAGE_SIZE;
	uint8_t *res, *mem;

	res = mmap(NULL, size + 3 * guard, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("cannot reserve %zu MiB of address space: %s",
		    size >> 20, strerror(errno));
	mem = (uint8_t *)(((uintptr_t)res + 2 * guard - 1) & ~(guard - 1));
	if (mmap(mem, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("cannot map %zu MiB of guest memory: %s",
		    size >> 20, strerror(errno));
	if (madvise(mem, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
	    !(thp && errno == EINVAL))
		die("madvise(%s) on guest memory failed: %s",
		    thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	if (madvise(mem, size, MADV_DONTFORK))
		die("madvise(MADV_DONTFORK) on guest memory failed: %s",
		    strerror(errno));
	return mem;
}

/* ------------------------------------------------------------------ */
/* Measurements                                                       */

struct seed_snap {
	long vm_rss_kb;		/* VmRSS of the process */
	long proc_rss_kb;	/* Rss of the process from smaps_rollup */
	long guest_rss_kb;	/* Rss of the guest memory VMA */
	long guest_swap_kb;	/* Swap of the guest memory VMA */
	long guest_active_kb;	/* guest pages on the active LRU, -1: unknown */
	long pswpin, pswpout;	/* /proc/vmstat */
	long pgsteal;		/* pgsteal_kswapd + pgsteal_direct */
	long majflt;		/* getrusage(RUSAGE_SELF) */
};

static long seed_status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		die("cannot open /proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static long seed_vmstat(const char *key)
{
	char name[64];
	long val;
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		die("cannot open /proc/vmstat: %s", strerror(errno));
	while (fscanf(f, "%63s %ld", name, &val) == 2) {
		if (!strcmp(name, key)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

/*
 * The Rss line of /proc/self/smaps_rollup: the whole process's resident
 * memory from a page table walk.  VmRSS comes from counters that each
 * task caches and folds in only every so many faults, so on 6.1 it can
 * be a few hundred KiB off, either way; this is exact.
 */
static long seed_rollup_rss_kb(void)
{
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		die("cannot open /proc/self/smaps_rollup: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Rss: %ld kB", &val) == 1)
			break;
	fclose(f);
	return val;
}

/*
 * Sum the Rss and Swap of every VMA inside [start, start + len).  The
 * guest memory sits between PROT_NONE guards, so it is one VMA, but
 * summing keeps the numbers right should the kernel ever split it.
 */
static void seed_smaps_range(const void *start, size_t len, long *rss_kb,
			     long *swap_kb)
{
	unsigned long lo = (unsigned long)start, hi = lo + len;
	unsigned long vs, ve;
	bool inside = false;
	char line[512], perms[8];
	long v;
	FILE *f;

	*rss_kb = 0;
	*swap_kb = 0;
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		die("cannot open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		/* A VMA header: "start-end perms offset dev inode [name]". */
		if (sscanf(line, "%lx-%lx %7s", &vs, &ve, perms) == 3) {
			inside = vs >= lo && ve <= hi;
			continue;
		}
		if (!inside)
			continue;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss_kb += v;
		else if (sscanf(line, "Swap: %ld kB", &v) == 1)
			*swap_kb += v;
	}
	fclose(f);
}

#define SEED_KPF_ACTIVE		6	/* bit of /proc/kpageflags */
#define SEED_PM_PRESENT		(1ULL << 63)
#define SEED_PM_PFN_MASK	((1ULL << 55) - 1)

/*
 * The resident pages of [mem, mem + size) that are on the active LRU
 * list, in KiB, from /proc/self/pagemap and /proc/kpageflags; -1 when
 * they cannot be read (both need CAP_SYS_ADMIN to show page frames).  A
 * page still in a per-CPU LRU batch counts as inactive.
 */
static long seed_active_kb(const void *mem, size_t size)
{
	uint64_t ent[512], flags;
	size_t npages = size / PAGE_SIZE, i, j, n;
	off_t base = (uintptr_t)mem / PAGE_SIZE * sizeof(uint64_t);
	long active = 0;
	int pm, kpf;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pm < 0 || kpf < 0)
		goto fail;
	for (i = 0; i < npages; i += n) {
		n = npages - i < 512 ? npages - i : 512;
		if (pread(pm, ent, n * sizeof(ent[0]),
			  base + i * sizeof(ent[0])) != (ssize_t)(n * sizeof(ent[0])))
			goto fail;
		for (j = 0; j < n; j++) {
			uint64_t pfn = ent[j] & SEED_PM_PFN_MASK;

			if (!(ent[j] & SEED_PM_PRESENT))
				continue;
			if (!pfn)	/* frames hidden: no CAP_SYS_ADMIN */
				goto fail;
			if (pread(kpf, &flags, sizeof(flags),
				  pfn * sizeof(flags)) != sizeof(flags))
				goto fail;
			if (flags & (1ULL << SEED_KPF_ACTIVE))
				active += PAGE_SIZE / 1024;
		}
	}
	close(pm);
	close(kpf);
	return active;
fail:
	if (pm >= 0)
		close(pm);
	if (kpf >= 0)
		close(kpf);
	return -1;
}

static void seed_measure(const void *mem, size_t size, struct seed_snap *s)
{
	struct rusage ru;

	s->vm_rss_kb = seed_status_kb("VmRSS");
	s->proc_rss_kb = seed_rollup_rss_kb();
	seed_smaps_range(mem, size, &s->guest_rss_kb, &s->guest_swap_kb);
	s->guest_active_kb = seed_active_kb(mem, size);
	s->pswpin = seed_vmstat("pswpin");
	s->pswpout = seed_vmstat("pswpout");
	s->pgsteal = seed_vmstat("pgsteal_kswapd") +
		     seed_vmstat("pgsteal_direct");
	getrusage(RUSAGE_SELF, &ru);
	s->majflt = ru.ru_majflt;
}

static void seed_print_snap(const char *when, const struct seed_snap *s)
{
	note("%-14s Rss %7ld kB (VmRSS %7ld), guest memory Rss %7ld kB Swap %7ld kB active %7ld kB",
	     when, s->proc_rss_kb, s->vm_rss_kb, s->guest_rss_kb,
	     s->guest_swap_kb, s->guest_active_kb);
}

/* ------------------------------------------------------------------ */
/* Pressure                                                           */

/* Fork a child that writes hog_mib MiB and exits; report how it ended. */
static const char *seed_run_hog(unsigned long hog_mib)
{
	size_t size = hog_mib << 20, off;
	int status, fd;
	uint8_t *p;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("cannot fork the memory hog: %s", strerror(errno));
	if (pid == 0) {
		/* Let the OOM killer pick the hog, not the VMM. */
		fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1000", 4) != 4)
				note("hog: cannot set oom_score_adj: %s", strerror(errno));
			close(fd);
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			note("hog: cannot map %lu MiB: %s", hog_mib, strerror(errno));
			_exit(3);
		}
		madvise(p, size, MADV_NOHUGEPAGE);
		for (off = 0; off < size; off += PAGE_SIZE)
			*(volatile uint64_t *)(p + off) = off | 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waiting for the memory hog: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return "done";
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return "killed";
	if (WIFSIGNALED(status))
		return "signalled";
	return "failed";
}

/*
 * Wait until reclaim has stopped: kswapd may go on for a while after the
 * hog has exited, and what it takes then belongs to the pressure, not to
 * the resume.  Polls the pages scanned every 200 ms until they stay the
 * same for a whole interval, at most @max_ms.  Returns the time waited.
 */
static double seed_settle(unsigned int max_ms)
{
	double t0 = now_ms();
	long prev, cur;

	prev = seed_vmstat("pgscan_kswapd") + seed_vmstat("pgscan_direct");
	while (now_ms() - t0 < max_ms) {
		usleep(200 * 1000);
		cur = seed_vmstat("pgscan_kswapd") + seed_vmstat("pgscan_direct");
		if (cur == prev)
			break;
		prev = cur;
	}
	return now_ms() - t0;
}

static void seed_pageout(void *mem, size_t size, unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < rounds; i++)
		if (madvise(mem, size, MADV_PAGEOUT))
			die("madvise(MADV_PAGEOUT) round %u failed: %s%s", i + 1,
			    strerror(errno),
			    errno == EINVAL ? " (kernel older than 5.4?)" : "");
}

/* ------------------------------------------------------------------ */
/* The --wait handshake                                               */

/*
 * Block SIGUSR1 and return a signalfd for it, so that a SIGUSR1 sent
 * before the process waits is not lost.
 */
static int seed_usr1_fd(void)
{
	sigset_t usr1;
	int sfd;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL))
		die("cannot block SIGUSR1: %s", strerror(errno));
	sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	if (sfd < 0)
		die("cannot create a signalfd: %s", strerror(errno));
	return sfd;
}

/* Wait for a line or EOF on stdin, or for SIGUSR1 on @sfd. */
static void seed_wait_for_go(int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	char c;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll while waiting to go on: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				die("reading the signalfd: %s", strerror(errno));
			return;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* Consume one line (or hit EOF / an error). */
			while (read(STDIN_FILENO, &c, 1) == 1)
				if (c == '\n')
					return;
			return;
		}
	}
}

#endif /* _SEED_COMMON_H */
