// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_lifetime - teardown: process exit and SIGKILL with a live mirror,
 * a file inherited across fork, the opener dying before the file is
 * closed, and close() or exit racing in-flight commands.
 *
 * The mirror is bound to the mm of the process that opened the file.  A
 * command issued through an inherited descriptor by another process acts
 * on the opener's address space; the user buffer is the caller's.  Once
 * the opener's mm is gone, commands fail and nothing is touched.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define BIG_N	(16 * ND_MIB / ND_PAGE)

/* Map, fill and mirror @n pages in @mode, leave everything open; 0 on success. */
static int mirror_and_leave(__u32 mode, unsigned long n, int write)
{
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	fd = nd_open(0);
	if (fd < 0 || nd_set_mode(fd, mode))
		return 1;
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	if (!mem || !buf)
		return 1;
	nd_fill(mem, n, 1);
	nd_fill(buf, n, 2);
	if (write && nd_write(fd, mem, buf, n, &cmd))
		return 1;
	if (nd_read(fd, mem, buf, n, &cmd) ||
	    nd_check("child read", buf, n, write ? 2 : 1))
		return 1;
	return 0;
}

/* Proves: processes exiting with live mirrors (notifier and pinned) tear down cleanly. */
static int case_exit_with_live_mirror(void)
{
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int i, fd, status;
	pid_t pid;

	for (i = 0; i < 10; i++) {
		__u32 mode = i % 2 ? NDEMO_MODE_PINNED : NDEMO_MODE_NOTIFIER;

		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0)
			_exit(mirror_and_leave(mode, 1024, i % 3 != 0));
		CHECK_SYS(waitpid(pid, &status, 0));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child %d (mode %u) failed: status %#x", i, mode, status);
	}

	/* The device is still fine. */
	OPEN_DEV(fd, 0);
	mem = nd_map(16 * ND_PAGE);
	buf = nd_map(16 * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 16, 3);
	CHECK_EQ(nd_read(fd, mem, buf, 16, &cmd), 0);
	CHECK(!nd_check("read after children exited", buf, 16, 3),
	      "wrong data");
	return KTAP_PASS;
}

/* Loop device READs of BIG_N pages forever; report the first through @ready. */
static void read_forever(int ready)
{
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd;

	fd = nd_open(0);
	mem = nd_map(BIG_N * ND_PAGE);
	buf = nd_map(BIG_N * ND_PAGE);
	if (fd < 0 || !mem || !buf)
		_exit(1);
	nd_fill(mem, BIG_N, 1);
	if (nd_read(fd, mem, buf, BIG_N, &cmd))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		/* Keep invalidating too, so faults are in flight as well. */
		madvise(mem, BIG_N * ND_PAGE / 2, MADV_DONTNEED);
		if (nd_read(fd, mem, buf, BIG_N, &cmd))
			_exit(1);
	}
}

/* Proves: SIGKILL during device READs and faults kills the process promptly and cleanly. */
static int case_killed_during_reads(void)
{
	int i, status, p[2];
	char c;
	pid_t pid;

	for (i = 0; i < 5; i++) {
		CHECK_SYS(pipe(p));
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			close(p[0]);
			read_forever(p[1]);
		}
		close(p[1]);
		CHECK(read(p[0], &c, 1) == 1, "child failed before first READ");
		close(p[0]);
		usleep(1000 + i * 7000);
		CHECK_SYS(kill(pid, SIGKILL));
		CHECK(ktap_wait_for(pid, &status, 30),
		      "child not dead 30 s after SIGKILL");
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child ended with status %#x instead of SIGKILL", status);
	}
	return KTAP_PASS;
}

/* Proves: a READ through an inherited fd reads the opener's memory, not the caller's. */
static int case_inherited_fd_reads_opener_mm(void)
{
	const unsigned long n = 16;
	size_t len = n * ND_PAGE;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, status;
	pid_t pid;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, n, 1);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);

	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		int bad = 0;

		nd_fill(mem, n, 2);		/* the child's own copy */
		memset(buf, 0, len);
		if (nd_read(fd, mem, buf, n, &cmd)) {
			ktap_diag("child READ: %s", strerror(errno));
			_exit(2);
		}
		bad |= nd_check("child's READ of the opener's mm", buf, n, 1) != 0;
		bad |= nd_check("child's own memory", mem, n, 2) != 0;
		_exit(bad);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x", status);
	CHECK(!nd_check("opener's memory", mem, n, 1),
	      "the child's command changed the opener's memory");
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK(!nd_check("opener's READ", buf, n, 1), "wrong data");
	return KTAP_PASS;
}

/*
 * Runs in the opener: mirror (if @prime; else the device creates its
 * mirror only at the grandchild's first command), hand the fd to a
 * grandchild, exit.
 */
static void opener(int res, bool prime)
{
	const unsigned long n = 16;
	struct ndemo_cmd cmd;
	int fd, alive[2];
	char *mem, *buf;
	pid_t pid;

	fd = nd_open(0);
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	if (fd < 0 || !mem || !buf || pipe(alive))
		_exit(1);
	nd_fill(mem, n, 1);
	if (prime && nd_read(fd, mem, buf, n, &cmd))
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid == 0) {
		unsigned char r[3];
		char c;

		close(alive[1]);
		/* EOF: the opener has exited, after its exit_mm(). */
		if (read(alive[0], &c, 1) != 0)
			_exit(1);
		r[0] = nd_read(fd, mem, buf, n, &cmd) ? 0 : 1;
		r[1] = nd_write(fd, mem, buf, n, &cmd) ? 0 : 1;
		r[2] = close(fd) ? 1 : 0;
		_exit(write(res, r, 3) == 3 ? 0 : 1);
	}
	_exit(0);
}

static int opener_exits(bool prime)
{
	unsigned char r[3];
	int res[2], status;
	pid_t pid, w;
	ssize_t got;

	CHECK_SYS(prctl(PR_SET_CHILD_SUBREAPER, 1));
	CHECK_SYS(pipe(res));
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		close(res[0]);
		opener(res[1], prime);
	}
	close(res[1]);
	got = read(res[0], r, 3);
	/* Reap the opener and the grandchild. */
	while ((w = wait(&status)) > 0)
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "process %d status %#x", w, status);
	CHECK(got == 3, "the fd holder did not report (read %zd)", got);
	CHECK(!r[0], "READ succeeded on a dead mm");
	CHECK(!r[1], "WRITE succeeded on a dead mm");
	CHECK(!r[2], "close failed");
	return KTAP_PASS;
}

/* Proves: after the opener's mm is gone, commands via a surviving fd fail harmlessly. */
static int case_opener_exits_fd_survives(void)
{
	return opener_exits(true);
}

/* Proves: a first command (mirror creation) on a dead opener's mm fails, no BUG. */
static int case_opener_exits_before_first_command(void)
{
	return opener_exits(false);
}

struct closer {
	int fd;
	char *mem, *buf;
	atomic_ulong reads;	/* commands completed, -EBUSY ones included */
	unsigned long busy;	/* of those, -EBUSY */
	int last_err;
	unsigned long bad;
	int zero_ok;		/* pages may legitimately read as zero */
};

static void *close_reader(void *arg)
{
	struct closer *c = arg;
	struct ndemo_cmd cmd;
	unsigned long i, pg;

	for (i = 0; i < 100000; i++) {
		int ret = nd_read(c->fd, c->mem, c->buf, BIG_N, &cmd);

		/*
		 * -EBUSY: a fault kept losing to the invalidations for
		 * HMM_RANGE_DEFAULT_TIMEOUT, 1 s of wall time; on a slow
		 * emulated CPU shared with other work one fault round can
		 * take that long.  A documented answer, no data: go on.
		 */
		if (ret == -EBUSY) {
			c->busy++;
			atomic_fetch_add(&c->reads, 1);
			continue;
		}
		if (ret) {
			c->last_err = -ret;
			break;
		}
		for (pg = 0; pg < BIG_N; pg += 61) {
			const uint64_t *q = (uint64_t *)(c->buf + pg * ND_PAGE);

			if (q[0] == nd_word(1, pg, 0) &&
			    q[511] == nd_word(1, pg, 511))
				continue;
			if (c->zero_ok && !q[0] && !q[511])
				continue;
			if (!c->bad)
				ktap_diag("page %lu: %#llx", pg,
					  (unsigned long long)q[0]);
			c->bad++;
		}
		atomic_fetch_add(&c->reads, 1);
	}
	return NULL;
}

static void *dontneed_loop(void *arg)
{
	struct closer *c = arg;

	while (atomic_load(&c->reads) < ~0UL / 2) {
		madvise(c->mem + ND_PAGE, (BIG_N - 1) * ND_PAGE, MADV_DONTNEED);
		usleep(200);
	}
	return NULL;
}

/*
 * Close the fd while another thread loops large READs (and, with
 * @invalidate, a third thread keeps zapping the range).  The in-flight
 * command holds the file: it completes, and the next one gets EBADF.
 */
static int close_during_read(int invalidate)
{
	struct closer c = { 0 };
	unsigned long reads, done = 0;
	pthread_t rd, dn;
	struct timespec ts;
	int round, err;

	c.mem = nd_map(BIG_N * ND_PAGE);
	c.buf = nd_map(BIG_N * ND_PAGE);
	CHECK(c.mem && c.buf, "mmap: %s", strerror(errno));
	nd_fill(c.mem, BIG_N, 1);
	c.zero_ok = invalidate;

	for (round = 0; round < 5; round++) {
		OPEN_DEV(c.fd, 0);
		atomic_store(&c.reads, 0);
		c.busy = 0;
		c.last_err = 0;
		err = pthread_create(&rd, NULL, close_reader, &c);
		CHECK(!err, "pthread_create: %s", strerror(err));
		if (invalidate) {
			err = pthread_create(&dn, NULL, dontneed_loop, &c);
			CHECK(!err, "pthread_create: %s", strerror(err));
		}
		while (atomic_load(&c.reads) < 1 && !c.last_err)
			usleep(1000);
		usleep(round * 3000);
		CHECK_SYS(close(c.fd));

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		err = pthread_timedjoin_np(rd, NULL, &ts);
		CHECK(!err, "reader did not finish 60 s after close: %s",
		      strerror(err));
		reads = atomic_load(&c.reads);
		if (invalidate) {
			atomic_store(&c.reads, ~0UL);
			err = pthread_join(dn, NULL);
			CHECK(!err, "pthread_join: %s", strerror(err));
		}
		ktap_diag("round %d: %lu READs (%lu -EBUSY), then %s", round,
			  reads, c.busy, strerror(c.last_err));
		CHECK(c.last_err == EBADF, "READ loop ended with %s, want EBADF",
		      strerror(c.last_err));
		CHECK(!c.bad, "%lu bad pages read", c.bad);
		done += reads - c.busy;
	}
	CHECK(done > 0, "no READ completed, all were -EBUSY");
	return KTAP_PASS;
}

/* Proves: closing the fd during a READ loop neither crashes nor hangs; later commands get EBADF. */
static int case_close_during_read(void)
{
	return close_during_read(0);
}

/* Proves: close racing READs and concurrent invalidations neither crashes nor hangs. */
static int case_close_during_read_and_invalidate(void)
{
	return close_during_read(1);
}

static void *exit_reader(void *arg)
{
	struct ndemo_cmd cmd;
	char **p = arg;
	int fd = (int)(uintptr_t)p[2];

	for (;;) {
		madvise(p[0], ND_MIB, MADV_DONTNEED);
		nd_read(fd, p[0], p[1], BIG_N, &cmd);
	}
	return NULL;
}

/* Proves: exit_group while another thread is inside a device READ tears down cleanly. */
static int case_exit_during_read(void)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < 10; i++) {
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			char *p[3];
			pthread_t t;
			int fd = nd_open(0);

			p[0] = nd_map(BIG_N * ND_PAGE);
			p[1] = nd_map(BIG_N * ND_PAGE);
			p[2] = (char *)(uintptr_t)fd;
			if (fd < 0 || !p[0] || !p[1])
				_exit(1);
			nd_fill(p[0], BIG_N, 1);
			if (pthread_create(&t, NULL, exit_reader, p))
				_exit(1);
			usleep(2000 + i * 3000);
			exit(0);
		}
		CHECK(ktap_wait_for(pid, &status, 60),
		      "process did not exit within 60 s");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "iteration %d: status %#x", i, status);
	}
	return KTAP_PASS;
}

/* Proves: many open/use/close cycles work (no exhaustion of a per-device resource). */
static int case_open_close_cycles(void)
{
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int i, fd;

	mem = nd_map(4 * ND_PAGE);
	buf = nd_map(4 * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	nd_fill(mem, 4, 1);
	for (i = 0; i < 500; i++) {
		OPEN_DEV(fd, i % 2);
		CHECK_EQ(nd_read(fd, mem, buf, 4, &cmd), 0);
		CHECK_EQ(cmd.faults, 1);
		CHECK_SYS(close(fd));
	}
	CHECK(!nd_check("last read", buf, 4, 1), "wrong data");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(exit_with_live_mirror),
	KTAP_CASE(killed_during_reads),
	KTAP_CASE(inherited_fd_reads_opener_mm),
	KTAP_CASE(opener_exits_fd_survives),
	KTAP_CASE(opener_exits_before_first_command),
	KTAP_CASE_TMO(close_during_read, 120),
	KTAP_CASE_TMO(close_during_read_and_invalidate, 120),
	KTAP_CASE(exit_during_read),
	KTAP_CASE(open_close_cycles),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
