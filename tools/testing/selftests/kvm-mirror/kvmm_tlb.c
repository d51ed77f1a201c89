// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_tlb - the VM's TLB caches guest translations, and its flush is
 * what keeps vCPUs right.
 *
 * A vCPU loads a memslot once (filling the VM's TLB), then the memory is
 * taken away from under it: MADV_DONTNEED, munmap and an mmap of other
 * memory at the same address, mprotect(PROT_NONE), deleting the memslot.
 * With the flush, the next load sees what the CPU sees (or fails).  With
 * the test-only module parameter tlb_skip_flush set while the VM is
 * created, the flush keeps the TLB's entries and the vCPU must load the
 * old pages: proof that a missing flush would be caught.  Each stale page
 * stays alive while the VM can reach it (held by a forked child, by a
 * memfd's page cache, or still mapped), and the knob revokes write
 * permission from what it keeps, so it can only make vCPUs load; only
 * this program's own VMs see it.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/wait.h>
#include "kvmm_util.h"

#define TL_N		16	/* pages: all fit in the VM's TLB */
#define TL_LEN		(TL_N * KV_PAGE)
#define TL_GPA		0x200000ULL
#define TL_KNOB		"/sys/module/kvm_mirror/parameters/tlb_skip_flush"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

/* A VM, with the test-only knob set just for its creation. */
static int tl_create_vm(int skip_flush)
{
	int vm, ret;

	if (!skip_flush)
		return kv_create_vm(0);
	ret = mt_write_str(TL_KNOB, "1");
	if (ret) {
		ktap_diag("cannot set %s: %s", TL_KNOB, strerror(-ret));
		return ret;
	}
	vm = kv_create_vm(0);
	ret = mt_write_str(TL_KNOB, "0");
	if (ret) {
		ktap_diag("cannot clear %s: %s", TL_KNOB, strerror(-ret));
		if (vm >= 0)
			close(vm);
		return ret;
	}
	return vm;
}

#define CREATE_TLB_VM(vm, skip) do {					\
	(vm) = tl_create_vm(skip);					\
	if ((vm) < 0) {							\
		ktap_diag("KVMM_CREATE_VM: %s", strerror(-(vm)));	\
		return KTAP_FAIL;					\
	}								\
} while (0)

/* A memfd of TL_LEN bytes holding generation @gen. */
static int tl_memfd(uint64_t gen)
{
	int fd = syscall(SYS_memfd_create, "kvmm_tlb", MFD_CLOEXEC);
	char *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, TL_LEN))
		goto err;
	p = mmap(NULL, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	kv_fill(p, TL_N, gen);
	munmap(p, TL_LEN);
	return fd;
err:
	close(fd);
	return -errno;
}

/* A child that keeps a copy of our pages mapped until we close @pipe_w. */
static pid_t tl_fork_holder(int *pipe_w)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*pipe_w = p[1];
	return pid;
}

static void tl_release_holder(pid_t pid, int pipe_w)
{
	close(pipe_w);
	waitpid(pid, NULL, 0);
}

static int tl_check_counters(int vm, const struct kvmm_stats *s0,
			     int skip_flush)
{
	struct kvmm_stats s1;

	CHECK_EQ(kv_stats(vm, &s1), 0);
	ktap_diag("TLB: hits %llu misses %llu emptied %llu dropped %llu (flushes %llu)",
		  (unsigned long long)(s1.tlb_hits - s0->tlb_hits),
		  (unsigned long long)(s1.tlb_misses - s0->tlb_misses),
		  (unsigned long long)(s1.tlb_emptied - s0->tlb_emptied),
		  (unsigned long long)(s1.tlb_dropped - s0->tlb_dropped),
		  (unsigned long long)(s1.tlb_flushes - s0->tlb_flushes));
	CHECK(s1.tlb_flushes > s0->tlb_flushes, "the change flushed nothing");
	if (skip_flush) {
		CHECK_EQ(s1.tlb_emptied, s0->tlb_emptied);
		CHECK_EQ(s1.tlb_hits - s0->tlb_hits, TL_N);
	} else {
		CHECK_EQ(s1.tlb_emptied - s0->tlb_emptied,
			 s1.tlb_flushes - s0->tlb_flushes);
		CHECK(s1.tlb_dropped - s0->tlb_dropped >= TL_N,
		      "the flush dropped fewer than %d entries", TL_N);
	}
	return KTAP_PASS;
}

/*
 * The load after the change: @fresh says it saw what the CPU sees; the
 * old generation @old in @buf is staleness, which must be seen exactly
 * when the flush was skipped.
 */
static int tl_verdict(const char *what, int ret, const char *buf,
		      uint64_t old, int fresh, int skip_flush)
{
	int stale = !fresh && !ret &&
		    !kv_check("stale check", buf, TL_N, old);

	ktap_diag("%s, flush %s: the vCPU loaded %s", what,
		  skip_flush ? "skipped" : "done",
		  fresh ? "what the CPU sees" :
		  stale ? "the old pages" : "something else");
	if (skip_flush) {
		CHECK(stale,
		      "without its flush the vCPU should have loaded the old pages");
		ktap_diag("a missing flush is visible: the vCPU used a translation the helper had removed");
	} else {
		CHECK(fresh, "stale data after the flush");
	}
	return KTAP_PASS;
}

/* MADV_DONTNEED; a forked child keeps the old pages alive. */
static int tl_dontneed(int skip_flush)
{
	int vm, pipe_w, ret, lret, fresh;
	struct kvmm_stats s0;
	char *mem, *buf;
	pid_t pid;

	CREATE_TLB_VM(vm, skip_flush);
	mem = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, TL_N, 1);
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	pid = tl_fork_holder(&pipe_w);
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK(!kv_check("first load", buf, TL_N, 1), "wrong data");
	CHECK_EQ(kv_stats(vm, &s0), 0);

	CHECK_SYS(madvise(mem, TL_LEN, MADV_DONTNEED));
	memset(buf, 0x5a, TL_LEN);
	lret = kv_read(vm, TL_GPA, buf, TL_LEN, NULL);
	fresh = !lret && !mt_check_zero("load after MADV_DONTNEED", buf,
					TL_N);
	ret = tl_check_counters(vm, &s0, skip_flush) ?:
	      tl_verdict("MADV_DONTNEED", lret, buf, 1, fresh, skip_flush);
	close(vm);
	tl_release_holder(pid, pipe_w);
	return ret;
}

/* munmap, then another memfd mapped at the same address. */
static int tl_remap(int skip_flush)
{
	int vm, fa, fb, ret, lret, fresh;
	struct kvmm_stats s0;
	char *mem, *buf;

	CREATE_TLB_VM(vm, skip_flush);
	fa = tl_memfd(2);
	fb = tl_memfd(3);
	CHECK(fa >= 0 && fb >= 0, "memfd: %s", strerror(errno));
	buf = kv_map(TL_LEN);
	mem = mmap(NULL, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	CHECK(buf && mem != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK(!kv_check("first load", buf, TL_N, 2), "wrong data");
	CHECK_EQ(kv_stats(vm, &s0), 0);

	CHECK_SYS(munmap(mem, TL_LEN));
	CHECK(mmap(mem, TL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   fb, 0) == mem, "mmap at %p: %s", mem, strerror(errno));
	memset(buf, 0x5a, TL_LEN);
	lret = kv_read(vm, TL_GPA, buf, TL_LEN, NULL);
	fresh = !lret && !kv_check("load after the remap", buf, TL_N, 3);
	ret = tl_check_counters(vm, &s0, skip_flush) ?:
	      tl_verdict("munmap + mmap at the same address", lret, buf, 2,
			 fresh, skip_flush);
	/* The VM goes first: the old pages live in fa's page cache. */
	close(vm);
	close(fa);
	close(fb);
	return ret;
}

/* mprotect(PROT_NONE): the pages stay, the vCPU must lose access. */
static int tl_mprotect(int skip_flush)
{
	struct kvmm_stats s0;
	int vm, ret, lret, fresh;
	char *mem, *buf;

	CREATE_TLB_VM(vm, skip_flush);
	mem = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, TL_N, 4);
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);

	CHECK_SYS(mprotect(mem, TL_LEN, PROT_NONE));
	memset(buf, 0x5a, TL_LEN);
	lret = kv_read(vm, TL_GPA, buf, TL_LEN, NULL);
	ktap_diag("load after mprotect(PROT_NONE): %s",
		  lret ? strerror(-lret) : "succeeded");
	fresh = lret == -EFAULT;
	ret = tl_check_counters(vm, &s0, skip_flush) ?:
	      tl_verdict("mprotect(PROT_NONE)", lret, buf, 4, fresh,
			 skip_flush);
	close(vm);
	return ret;
}

/* Deleting the memslot: the memory stays mapped, the guest loses it. */
static int tl_slot_delete(int skip_flush)
{
	struct kvmm_stats s0;
	int vm, ret, lret, fresh;
	char *mem, *buf;

	CREATE_TLB_VM(vm, skip_flush);
	mem = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, TL_N, 5);
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);

	CHECK_EQ(kv_del_slot(vm, 0), 0);
	memset(buf, 0x5a, TL_LEN);
	lret = kv_read(vm, TL_GPA, buf, TL_LEN, NULL);
	ktap_diag("load after deleting the memslot: %s",
		  lret ? strerror(-lret) : "succeeded");
	fresh = lret == -EFAULT;
	ret = tl_check_counters(vm, &s0, skip_flush) ?:
	      tl_verdict("memslot deleted", lret, buf, 5, fresh, skip_flush);
	close(vm);
	return ret;
}

/* Proves: a second load of cached pages hits the TLB and faults nothing. */
static int case_tlb_hits(void)
{
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	char *mem, *buf;
	int vm;

	CREATE_VM(vm, 0);
	mem = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, TL_N, 6);
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK(s0.tlb_misses >= TL_N, "only %llu misses",
	      (unsigned long long)s0.tlb_misses);
	memset(buf, 0, TL_LEN);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, &run), 0);
	CHECK_EQ(run.faults, 0);
	CHECK(!kv_check("second load", buf, TL_N, 6), "wrong data");
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.tlb_hits - s0.tlb_hits, TL_N);
	CHECK_EQ(s1.tlb_misses, s0.tlb_misses);
	return KTAP_PASS;
}

/* Proves: after MADV_DONTNEED the flush made the vCPU load fresh zeroes. */
static int case_dontneed_flushed(void)
{
	return tl_dontneed(0);
}

/* Proves: without its flush the vCPU loads the old pages after MADV_DONTNEED. */
static int case_dontneed_stale_without_flush(void)
{
	return tl_dontneed(1);
}

/* Proves: after munmap + mmap at the same address the vCPU loads the new file. */
static int case_remap_flushed(void)
{
	return tl_remap(0);
}

/* Proves: without its flush the vCPU loads the unmapped file after a remap. */
static int case_remap_stale_without_flush(void)
{
	return tl_remap(1);
}

/* Proves: after mprotect(PROT_NONE) the flush takes the vCPU's access away. */
static int case_mprotect_flushed(void)
{
	return tl_mprotect(0);
}

/* Proves: without its flush the vCPU still loads from a PROT_NONE range. */
static int case_mprotect_stale_without_flush(void)
{
	return tl_mprotect(1);
}

/* Proves: after a memslot is deleted the flush makes its loads fail. */
static int case_slot_delete_flushed(void)
{
	return tl_slot_delete(0);
}

/* Proves: without its flush the vCPU still loads from a deleted memslot. */
static int case_slot_delete_stale_without_flush(void)
{
	return tl_slot_delete(1);
}

/* Proves: even with the knob set, a vCPU never stores through a kept entry. */
static int case_knob_never_writes_stale(void)
{
	char *mem, *buf;
	int vm;

	CREATE_TLB_VM(vm, 1);
	mem = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, mem), 0);
	kv_fill(buf, TL_N, 7);
	/* Entries filled for storing... */
	CHECK_EQ(kv_write(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK_SYS(mprotect(mem, TL_LEN, PROT_READ));
	/* ...lose write permission at the flush the knob skips. */
	kv_fill(buf, TL_N, 8);
	CHECK_EQ(kv_write(vm, TL_GPA, buf, TL_LEN, NULL), -EPERM);
	CHECK(!kv_check("memory after the refused store", mem, TL_N, 7),
	      "the vCPU wrote a read-only range");
	close(vm);
	return KTAP_PASS;
}

/*
 * Proves: reclaim keeps pages a vCPU goes on loading through the VM's TLB
 * (TLB hits set no accessed bit; the TLB is emptied after aging instead),
 * and takes the pages it stopped loading.
 */
static int case_reclaim_sees_tlb_use(void)
{
	struct kvmm_stats s0, s1;
	char *used, *idle, *buf;
	long r_used, r_idle;
	int vm;

	if (mt_swap_free_kb() < (long long)(4 * TL_LEN >> 10))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	CREATE_VM(vm, 0);
	used = kv_map(TL_LEN);
	idle = kv_map(TL_LEN);
	buf = kv_map(TL_LEN);
	CHECK(used && idle && buf, "mmap: %s", strerror(errno));
	kv_fill(used, TL_N, 9);
	kv_fill(idle, TL_N, 10);
	CHECK_EQ(kv_set_slot(vm, 0, 0, TL_GPA, TL_LEN, used), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, TL_GPA + TL_LEN, TL_LEN, idle), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK_EQ(kv_read(vm, TL_GPA + TL_LEN, buf, TL_LEN, NULL), 0);
	/* Every page was just used: the first pass only clears young bits. */
	CHECK_SYS(madvise(used, TL_LEN, MADV_PAGEOUT));
	CHECK_SYS(madvise(idle, TL_LEN, MADV_PAGEOUT));
	CHECK_EQ(mt_resident(used, TL_LEN), TL_N);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(kv_read(vm, TL_GPA, buf, TL_LEN, NULL), 0);
	CHECK(!kv_check("load between the passes", buf, TL_N, 9),
	      "wrong data");
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_SYS(madvise(used, TL_LEN, MADV_PAGEOUT));
	CHECK_SYS(madvise(idle, TL_LEN, MADV_PAGEOUT));
	r_used = mt_resident(used, TL_LEN);
	r_idle = mt_resident(idle, TL_LEN);
	ktap_diag("after the second pass: %ld of %d used pages and %ld of %d idle pages resident; TLB age resets %llu, misses %llu",
		  r_used, TL_N, r_idle, TL_N,
		  (unsigned long long)(s1.tlb_age_resets - s0.tlb_age_resets),
		  (unsigned long long)(s1.tlb_misses - s0.tlb_misses));
	CHECK(r_used == TL_N, "reclaim took pages the vCPU kept loading");
	CHECK(r_idle == 0, "reclaim kept pages nobody used");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(tlb_hits),
	KTAP_CASE(dontneed_flushed),
	KTAP_CASE(dontneed_stale_without_flush),
	KTAP_CASE(remap_flushed),
	KTAP_CASE(remap_stale_without_flush),
	KTAP_CASE(mprotect_flushed),
	KTAP_CASE(mprotect_stale_without_flush),
	KTAP_CASE(slot_delete_flushed),
	KTAP_CASE(slot_delete_stale_without_flush),
	KTAP_CASE(knob_never_writes_stale),
	KTAP_CASE(reclaim_sees_tlb_use),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
