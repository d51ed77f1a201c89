/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - minimal flat KTAP output and a forking test-case runner
 *
 * Output is flat: "TAP version 13", the plan "1..N", then one
 * "ok K name" or "not ok K name" line per case, all at column 0, with
 * diagnostics as "# " lines.  There is no nesting.
 *
 * ktap_run() runs every case in its own forked process (and process
 * group) under a wall-clock timeout, so a crash, a hang or a leaked
 * mapping in one case cannot take the others down; the parent alone
 * prints the result lines.  A case returns KTAP_PASS, KTAP_FAIL or
 * ktap_skip_case(reason).  The program's exit status is 1 if any case
 * failed (or the plan was not met), else 0.
 */
#ifndef _NDEMO_KTAP_H
#define _NDEMO_KTAP_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

enum { KTAP_PASS = 0, KTAP_FAIL = 1, KTAP_SKIP = 4 };

struct ktap_case {
	const char *name;
	int (*fn)(void);
	unsigned int timeout_s;		/* 0: KTAP_DEFAULT_TIMEOUT */
};

/* A table entry for function case_<id>, reported as "<id>". */
#define KTAP_CASE(id)		{ #id, case_##id, 0 }
#define KTAP_CASE_TMO(id, secs)	{ #id, case_##id, secs }

#define KTAP_DEFAULT_TIMEOUT	90
#define KTAP_SKIP_LEN		200

static int ktap_planned, ktap_done, ktap_failed, ktap_skipped;
/* Shared with the case process: where it leaves its skip reason. */
static char *ktap_skip_buf;

static inline __printf(1, 2) void ktap_diag(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s\n", line);
	fflush(stdout);
}

static inline void ktap_plan(int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

/* Report one result; @directive is NULL or e.g. "SKIP reason". */
static inline void ktap_result(int ok, const char *name, const char *directive)
{
	ktap_done++;
	if (!ok)
		ktap_failed++;
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", ktap_done, name,
	       directive ? " # " : "", directive ? directive : "");
	fflush(stdout);
}

static inline void ktap_ok(int ok, const char *name)
{
	ktap_result(ok, name, NULL);
}

static inline void ktap_skip(const char *name, const char *reason)
{
	char d[KTAP_SKIP_LEN + 8];

	ktap_skipped++;
	snprintf(d, sizeof(d), "SKIP %s", reason);
	ktap_result(1, name, d);
}

/* Exit status of the program: 1 if anything failed or the plan was missed. */
static inline int ktap_finish(void)
{
	if (ktap_done != ktap_planned) {
		ktap_diag("planned %d tests but ran %d", ktap_planned,
			  ktap_done);
		ktap_failed++;
	}
	ktap_diag("totals: pass:%d fail:%d skip:%d",
		  ktap_done - ktap_failed - ktap_skipped, ktap_failed,
		  ktap_skipped);
	return ktap_failed ? 1 : 0;
}

/* Called inside a case: record why it is skipped, return KTAP_SKIP. */
static inline __printf(1, 2) int ktap_skip_case(const char *fmt, ...)
{
	va_list ap;

	if (ktap_skip_buf) {
		va_start(ap, fmt);
		vsnprintf(ktap_skip_buf, KTAP_SKIP_LEN, fmt, ap);
		va_end(ap);
	}
	return KTAP_SKIP;
}

static inline double ktap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait for @pid for at most @secs; returns 1 and fills *status if it was
 * reaped, 0 if it is still there.
 */
static inline int ktap_wait_for(pid_t pid, int *status, double secs)
{
	double end = ktap_now() + secs;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;	/* nothing left to wait for */
		if (ktap_now() > end)
			return 0;
		usleep(5000);
	}
}

/*
 * Name the case in the kernel log, so that a warning or oops found there
 * can be attributed to it ("qemu-run: begin <prog>/<case>").
 */
static inline void ktap_mark_kmsg(const char *name)
{
	extern char *program_invocation_short_name;
	char line[256];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	int len;

	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "qemu-run: begin %s/%s\n",
		       program_invocation_short_name, name);
	if (len > 0 && write(fd, line, len) < 0)
		len = 0;
	close(fd);
}

/* Run one case in a child process and report its result line. */
static inline void ktap_run_one(const struct ktap_case *c)
{
	unsigned int tmo = c->timeout_s ? c->timeout_s : KTAP_DEFAULT_TIMEOUT;
	char why[KTAP_SKIP_LEN + 64];
	int status = 0;
	pid_t pid;

	ktap_skip_buf[0] = '\0';
	ktap_mark_kmsg(c->name);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ktap_diag("%s: fork: %s", c->name, strerror(errno));
		ktap_ok(0, c->name);
		return;
	}
	if (pid == 0) {
		int rc;

		setpgid(0, 0);
		rc = c->fn();
		fflush(stdout);
		_exit(rc);
	}
	setpgid(pid, pid);
	if (!ktap_wait_for(pid, &status, tmo)) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		if (!ktap_wait_for(pid, &status, 10))
			snprintf(why, sizeof(why),
				 "timeout after %us, process stuck in kernel",
				 tmo);
		else
			snprintf(why, sizeof(why), "timeout after %us", tmo);
		ktap_diag("%s: %s", c->name, why);
		ktap_ok(0, c->name);
		return;
	}
	/* Reap whatever the case left behind in its process group. */
	kill(-pid, SIGKILL);
	if (WIFSIGNALED(status)) {
		ktap_diag("%s: killed by signal %d (%s)", c->name,
			  WTERMSIG(status), strsignal(WTERMSIG(status)));
		ktap_ok(0, c->name);
	} else if (WEXITSTATUS(status) == KTAP_SKIP) {
		ktap_skip(c->name, ktap_skip_buf[0] ? ktap_skip_buf : "skipped");
	} else {
		if (WEXITSTATUS(status) != KTAP_PASS &&
		    WEXITSTATUS(status) != KTAP_FAIL)
			ktap_diag("%s: exit status %d", c->name,
				  WEXITSTATUS(status));
		ktap_ok(WEXITSTATUS(status) == KTAP_PASS, c->name);
	}
}

/* Print the header and plan, run all cases, return the exit status. */
static inline int ktap_run(const struct ktap_case *cases, int n)
{
	int i;

	ktap_plan(n);
	ktap_skip_buf = mmap(NULL, KTAP_SKIP_LEN, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ktap_skip_buf == MAP_FAILED) {
		ktap_diag("mmap: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		ktap_run_one(&cases[i]);
	return ktap_finish();
}

#endif /* _NDEMO_KTAP_H */
