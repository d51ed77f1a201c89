// SPDX-License-Identifier: GPL-2.0
/*
 * edum_inflight - DMAs in flight: an invalidation of their range waits for
 * them, and neither close nor exit leaves one running or loses the device;
 * a transfer that times out gives -ETIMEDOUT, never a hang.
 *
 * Each copy is two transfers of about 100 ms, so a second thread has time
 * to act while the first transfer runs.  Needs scripts/qemu-run.sh
 * --iommu-edu; skipped without /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "edum_util.h"

#define LEN	2000U
/* How long the second thread waits: well inside the first transfer. */
#define INSIDE_US	40000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct job {
	int fd;
	const char *src;
	char *dst;
	unsigned int len;
	int ret;
	struct edu_mirror_copy c;
};

static void *copy_thread(void *arg)
{
	struct job *j = arg;

	j->ret = eu_copy(j->fd, j->src, j->dst, j->len, &j->c);
	return NULL;
}

static int start_copy(pthread_t *t, struct job *j)
{
	int e = pthread_create(t, NULL, copy_thread, j);

	if (e) {
		ktap_diag("pthread_create: %s", strerror(e));
		return -1;
	}
	usleep(INSIDE_US);
	return 0;
}

/*
 * One round: munmap the source while the device reads it.  1: the munmap
 * overlapped the transfer (checked), 0: it missed it (retry), -1: failure.
 */
static int munmap_round(int fd)
{
	struct job j = { .fd = fd, .len = LEN };
	uint64_t t0, t1;
	char *a, *b;
	pthread_t t;

	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	if (!a || !b)
		return -1;
	eu_fill(a, LEN, 1);
	j.src = a;
	j.dst = b;
	if (start_copy(&t, &j))
		return -1;
	t0 = now_ns();
	if (munmap(a, EU_PAGE))
		return -1;
	t1 = now_ns();
	pthread_join(t, NULL);
	ktap_diag("munmap %.1f ms, started %.1f ms before the read ended; copy %d",
		  (t1 - t0) / 1e6, ((double)j.c.src_done_ns - t0) / 1e6, j.ret);
	if (j.ret == -EFAULT && t1 <= j.c.src_done_ns)
		return 0;		/* munmap came first: retry */
	if (j.ret) {
		ktap_diag("copy: %s", strerror(-j.ret));
		return -1;
	}
	if (t0 >= j.c.src_done_ns)
		return 0;		/* munmap came too late: retry */
	if (t1 < j.c.src_done_ns) {
		ktap_diag("munmap returned %.1f ms before the device had read the page",
			  (j.c.src_done_ns - t1) / 1e6);
		return -1;
	}
	if (eu_check("destination", b, LEN, 1))
		return -1;
	munmap(b, EU_PAGE);
	return 1;
}

/* Proves: munmap of a buffer the device is reading returns only after the DMA; the data is right. */
static int case_munmap_waits_for_dma(void)
{
	struct edu_mirror_stats s;
	int fd, i, r = 0;

	OPEN_EDU(fd);
	for (i = 0; i < 3 && !r; i++)
		r = munmap_round(fd);
	CHECK(r == 1, r ? "failed" : "munmap never overlapped a transfer");
	CHECK_EQ(eu_stats(fd, &s), 0);
	CHECK_EQ(s.nonblock_failed, 0);
	return KTAP_PASS;
}

struct map_job {
	int fd;
	char *addr;
	int ret;
	uint64_t done_ns;
};

static void *map_thread(void *arg)
{
	struct map_job *m = arg;

	m->ret = eu_map(m->fd, m->addr, EU_PAGE, EDU_MIRROR_MAP_WRITE);
	m->done_ns = now_ns();
	return NULL;
}

/*
 * The device reads a page of a shared ext4 mapping through a read-only
 * entry; meanwhile another thread maps the page for writing, which makes
 * the CPU mapping writable in place (no invalidation) and replaces the
 * entry.  Were the replacement allowed during the transfer, the IOMMU
 * would miss the page for a moment and the DMA would fault.
 */
/* Proves: a fault that replaces an entry waits for the DMA in flight over it; the data is right. */
static int case_replacing_fault_waits_for_dma(void)
{
	const char *path = "/mnt/ext4/edum_inflight";
	struct job j = { .len = LEN };
	struct map_job m = { 0 };
	char buf[LEN], *f, *b;
	pthread_t t, mt;
	int fd, ffd;

	if (access("/mnt/ext4", W_OK))
		return ktap_skip_case("no ext4 at /mnt/ext4");
	OPEN_EDU(fd);
	ffd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(ffd >= 0, "open %s: %s", path, strerror(errno));
	unlink(path);
	eu_fill(buf, LEN, 6);
	CHECK_SYS(ftruncate(ffd, EU_PAGE));
	CHECK_EQ(pwrite(ffd, buf, LEN, 0), LEN);
	CHECK_SYS(fsync(ffd));
	f = mmap(NULL, EU_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	b = eu_anon(EU_PAGE);
	CHECK(f != MAP_FAILED && b, "mmap: %s", strerror(errno));
	j.fd = fd;
	j.src = f;
	j.dst = b;
	m.fd = fd;
	m.addr = f;
	CHECK(!start_copy(&t, &j), "no thread");
	CHECK_EQ(pthread_create(&mt, NULL, map_thread, &m), 0);
	pthread_join(t, NULL);
	pthread_join(mt, NULL);
	CHECK_EQ(j.ret, 0);
	CHECK_EQ(m.ret, 0);
	CHECK(!eu_check("destination", b, LEN, 6),
	      "the DMA lost its source page to a replacing fault");
	CHECK(m.done_ns >= j.c.src_done_ns,
	      "the map returned %.1f ms before the device had read the page",
	      (j.c.src_done_ns - m.done_ns) / 1e6);
	return KTAP_PASS;
}

/* Proves: a process that exits during a DMA leaves the device idle and free; the data is whole or untouched. */
static int case_exit_with_dma_in_flight(void)
{
	const unsigned int tags[] = { 0, 2 };
	struct edu_mirror_stats s0, s1;
	struct edu_mirror_copy c;
	int fd, status, which;
	char *shared, *a;
	double t0;
	pid_t pid;

	OPEN_EDU(fd);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	CHECK_SYS(close(fd));
	shared = mmap(NULL, EU_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED, "mmap: %s", strerror(errno));

	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		struct job j = { .len = LEN };
		pthread_t t;

		j.fd = eu_open();
		a = eu_anon(EU_PAGE);
		if (j.fd < 0 || !a)
			_exit(1);
		eu_fill(a, LEN, 2);
		j.src = a;
		j.dst = shared;
		if (start_copy(&t, &j))
			_exit(1);
		/* All threads go; the copying one is inside its DMA. */
		syscall(SYS_exit_group, 0);
	}
	t0 = ktap_now();
	CHECK_SYS(waitpid(pid, &status, 0));
	ktap_diag("the child took %.0f ms to exit",
		  (ktap_now() - t0) * 1000);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "child status %#x",
	      status);

	/* Its file is closed: the device is free again, and idle. */
	OPEN_EDU(fd);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK(s1.dmas - s0.dmas >= 1, "no transfer ran");
	CHECK_EQ(s1.dma_timeouts - s0.dma_timeouts, 0);
	which = eu_which(shared, LEN, tags, ARRAY_SIZE(tags));
	ktap_diag("destination after the exit: %s",
		  which < 0 ? "garbage" : which ? "copied" : "untouched");
	CHECK(which >= 0, "a partial or wrong copy reached the destination");
	a = eu_anon(EU_PAGE);
	CHECK(a, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 3);
	t0 = ktap_now();
	CHECK_EQ(eu_copy(fd, a, shared, LEN, &c), 0);
	CHECK(!eu_check("copy after the exit", shared, LEN, 3), "wrong data");
	CHECK(ktap_now() - t0 < 1.0, "the copy waited %.1f s for the device",
	      ktap_now() - t0);
	return KTAP_PASS;
}

/* Proves: close during a DMA: the copy completes with the right data, then the file really goes. */
static int case_close_with_dma_in_flight(void)
{
	struct job j = { .len = LEN };
	int fd, fd2;
	char *a, *b;
	pthread_t t;
	double t0;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 4);
	j.fd = fd;
	j.src = a;
	j.dst = b;
	CHECK(!start_copy(&t, &j), "no thread");
	t0 = ktap_now();
	CHECK_SYS(close(fd));
	CHECK(ktap_now() - t0 < 0.05, "close waited %.0f ms",
	      (ktap_now() - t0) * 1000);
	/* The copy still holds the file: it is not released yet. */
	fd2 = open(EU_DEV, O_RDWR | O_CLOEXEC);
	CHECK(fd2 < 0 && errno == EBUSY, "open during the copy: %d (%s)",
	      fd2, strerror(errno));
	pthread_join(t, NULL);
	CHECK_EQ(j.ret, 0);
	CHECK(!eu_check("destination", b, LEN, 4), "wrong data");
	OPEN_EDU(fd2);
	return KTAP_PASS;
}

/* Proves: a timed-out DMA gives -ETIMEDOUT; the next copy and a close wait for the device to be idle. */
static int case_dma_timeout(void)
{
	struct edu_mirror_stats s0, s1;
	int fd, ret;
	char *a, *b;
	double t0;

	OPEN_EDU(fd);
	a = eu_anon(EU_PAGE);
	b = eu_anon(EU_PAGE);
	CHECK(a && b, "mmap: %s", strerror(errno));
	eu_fill(a, LEN, 5);
	eu_fill(b, LEN, 6);
	ret = eu_set_test(fd, 0, 10);
	if (ret == -EPERM)
		return ktap_skip_case("test knobs off (edu_mirror.test_knobs=1)");
	CHECK_EQ(ret, 0);
	CHECK_EQ(eu_stats(fd, &s0), 0);
	t0 = ktap_now();
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), -ETIMEDOUT);
	CHECK(ktap_now() - t0 < 0.09, "the timeout took %.0f ms",
	      (ktap_now() - t0) * 1000);
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK_EQ(s1.dma_timeouts - s0.dma_timeouts, 1);
	CHECK(!eu_check("destination", b, LEN, 6), "written after a timeout");

	CHECK_EQ(eu_set_test(fd, 0, 0), 0);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy after a timeout", b, LEN, 5), "wrong data");

	/* Close while the timed-out transfer still runs. */
	CHECK_EQ(eu_set_test(fd, 0, 10), 0);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), -ETIMEDOUT);
	CHECK_SYS(close(fd));
	OPEN_EDU(fd);
	eu_fill(a, LEN, 7);
	CHECK_EQ(eu_copy(fd, a, b, LEN, NULL), 0);
	CHECK(!eu_check("copy after close", b, LEN, 7), "wrong data");
	CHECK_EQ(eu_stats(fd, &s1), 0);
	CHECK_EQ(s1.dma_timeouts - s0.dma_timeouts, 2);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(munmap_waits_for_dma),
	KTAP_CASE(replacing_fault_waits_for_dma),
	KTAP_CASE(exit_with_dma_in_flight),
	KTAP_CASE(close_with_dma_in_flight),
	KTAP_CASE(dma_timeout),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	EU_MAIN(cases);
}
