// SPDX-License-Identifier: GPL-2.0
/*
 * edum_pageout_demo - memory of a stopped process whose buffer a real DMA
 * device has mapped: the edu device mirroring through MMU notifiers
 * versus pinning as VFIO does, measured inside the test VM.
 *
 * For each mode of /dev/edu_mirror0 (notifier, pinned) a child process
 * maps N MiB, fills it, has the device map all of it for DMA
 * (EDU_MIRROR_MAP; pinned mode pins it), checks one DMA copy and stops
 * itself.  The parent pages the stopped child's buffer out from outside
 * with process_madvise(MADV_PAGEOUT), twice (on 6.1 the first call only
 * clears the accessed bits), and records the child's VmRSS and VmSwap.
 * Then the child continues: the device copies a few sample ranges out of
 * the buffer (swapping them in) and the child checks them and the whole
 * buffer against the pattern.
 *
 * Usage: edum_pageout_demo [MiB]      (default 64)
 *
 * Table lines start with "edum| " between "edum| BEGIN" and "edum| END".
 * Exit status: 0 on success, 1 if data was wrong, 2 if the experiment
 * could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/edu_mirror.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_process_madvise
#define __NR_process_madvise	440
#endif

#define PG		4096UL
#define MIB		(1UL << 20)
#define DEVICE		"/dev/edu_mirror0"
#define SAMPLES		4
#define SAMPLE_LEN	3000U

static const char *prog = "edum_pageout_demo";

/* What a child reports through its pipe. */
struct child_msg {
	uintptr_t buf;
	int err;		/* 0, or the errno of the step that failed */
	char step[32];
};

struct row {
	const char *mode;
	unsigned long mib;
	long rss_before_kb, rss_after_kb, swap_after_kb;
	const char *dma, *cpu;
};

/* "Key:   value" from /proc/PID/status, in kB; -1 if absent. */
static long status_kb(pid_t pid, const char *key)
{
	size_t klen = strlen(key);
	char path[64], line[256];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 2654435761U) >> 13) | 1;
}

static void report(int fd, struct child_msg *m, const char *step, int err)
{
	snprintf(m->step, sizeof(m->step), "%s", step);
	m->err = err;
	if (write(fd, m, sizeof(*m)) != sizeof(*m))
		_exit(2);
}

/* The child: map, fill, have the device map it all, stop, then check. */
static int child(__u32 mode, size_t len, int wfd)
{
	struct child_msg m = { 0 };
	struct edu_mirror_map map = { .len = len };
	unsigned char *buf, *out;
	size_t i, bad = 0;
	int fd, s;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, EDU_MIRROR_SET_MODE, &mode)) {
		report(wfd, &m, "open " DEVICE, errno);
		return 2;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || out == MAP_FAILED ||
	    madvise(buf, len, MADV_NOHUGEPAGE)) {
		report(wfd, &m, "mmap", errno);
		return 2;
	}
	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
	map.addr = (uintptr_t)buf;
	if (ioctl(fd, EDU_MIRROR_MAP, &map)) {
		report(wfd, &m, "EDU_MIRROR_MAP", errno);
		return 2;
	}
	m.buf = (uintptr_t)buf;
	report(wfd, &m, "ready", 0);
	raise(SIGSTOP);

	/* Continued: the device copies samples out, then the CPU checks. */
	for (s = 0; s < SAMPLES; s++) {
		size_t off = (len - SAMPLE_LEN) / (SAMPLES - 1) * s;
		struct edu_mirror_copy c = {
			.src = (uintptr_t)buf + off,
			.dst = (uintptr_t)out,
			.len = SAMPLE_LEN,
		};

		if (ioctl(fd, EDU_MIRROR_COPY, &c))
			return 3;
		for (i = 0; i < SAMPLE_LEN; i++)
			bad += out[i] != pattern(off + i);
	}
	if (bad)
		return 4;
	for (i = 0; i < len; i++)
		bad += buf[i] != pattern(i);
	return bad ? 5 : 0;
}

static long process_pageout(int pidfd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return syscall(__NR_process_madvise, pidfd, &iov, 1, MADV_PAGEOUT, 0);
}

static int run_mode(__u32 mode, size_t len, struct row *r)
{
	struct child_msg m;
	int p[2], status, pidfd, i;
	pid_t pid;

	r->mode = mode == EDU_MIRROR_MODE_PINNED ? "pinned (VFIO-style)" :
						   "notifier";
	r->mib = len / MIB;
	r->dma = r->cpu = "not run";
	printf("%s: %s mode, %lu MiB...\n", prog, r->mode, r->mib);
	fflush(stdout);
	if (pipe(p))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(p[0]);
		_exit(child(mode, len, p[1]));
	}
	close(p[1]);
	if (read(p[0], &m, sizeof(m)) != sizeof(m) || m.err) {
		fprintf(stderr, "%s: child: %s: %s\n", prog,
			m.step[0] ? m.step : "no report", strerror(m.err));
		waitpid(pid, &status, 0);
		return 2;
	}
	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
		return 2;
	r->rss_before_kb = status_kb(pid, "VmRSS");
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	for (i = 0; i < 2 && pidfd >= 0; i++)
		if (process_pageout(pidfd, (void *)m.buf, len) < 0)
			fprintf(stderr, "%s: process_madvise: %s\n", prog,
				strerror(errno));
	if (pidfd < 0)
		fprintf(stderr, "%s: pidfd_open: %s\n", prog, strerror(errno));
	r->rss_after_kb = status_kb(pid, "VmRSS");
	r->swap_after_kb = status_kb(pid, "VmSwap");
	kill(pid, SIGCONT);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	switch (WEXITSTATUS(status)) {
	case 0:
		r->dma = r->cpu = "ok";
		return 0;
	case 3:
		r->dma = "copy failed";
		return 1;
	case 4:
		r->dma = "WRONG";
		return 1;
	case 5:
		r->dma = "ok";
		r->cpu = "WRONG";
		return 1;
	default:
		return 2;
	}
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	struct row rows[2] = { 0 };
	int rc = 0, i, ret;
	cpu_set_t set;

	if (!mib || mib > 1024) {
		fprintf(stderr, "usage: %s [MiB (1-1024)]\n", prog);
		return 2;
	}
	/* One CPU: the child's pages leave its LRU batches before pageout. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < 2; i++) {
		ret = run_mode(i ? EDU_MIRROR_MODE_PINNED :
			       EDU_MIRROR_MODE_NOTIFIER, mib * MIB, &rows[i]);
		if (ret > rc)
			rc = ret;
	}

	printf("edum| BEGIN\n");
	printf("edum| %-20s| %5s | %12s | %17s | %13s | %9s | %9s\n",
	       "mode", "MiB", "RSS stopped", "after pageout x2", "swap",
	       "DMA data", "CPU data");
	for (i = 0; i < 2; i++)
		printf("edum| %-20s| %5lu | %8.1f MiB | %13.1f MiB | %9.1f MiB | %9s | %9s\n",
		       rows[i].mode, rows[i].mib,
		       rows[i].rss_before_kb / 1024.0,
		       rows[i].rss_after_kb / 1024.0,
		       rows[i].swap_after_kb / 1024.0, rows[i].dma,
		       rows[i].cpu);
	printf("edum| RSS, swap: the stopped process's VmRSS and VmSwap; its buffer was DMA-mapped by /dev/edu_mirror0.\n");
	printf("edum| END\n");
	return rc;
}
