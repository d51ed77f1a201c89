// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror_model.c - the GPU-style device's core on the model
 *
 * drivers/misc/notifier-demo/dmirror_core.c, built unchanged, runs its
 * commands against processes of the model core VM.  The test plays the
 * device file: ndemo_file_create() is open, ndemo_file_ioctl() an ioctl
 * with a pointer into this program as the user argument, and
 * ndemo_file_destroy() the last close.
 */
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/notifier_demo.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../drivers/misc/notifier-demo/dmirror_core.h"
#include "ktap.h"
#include "lib/invalidator.h"

#define NPAGES	16
#define LEN	(NPAGES * PAGE_SIZE)

static unsigned char want[LEN], got[LEN];

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 13 + seed);
}

/* One memory command; the filled-in command block goes to @out. */
static long ndemo_do(struct ndemo_file *nf, unsigned int op,
		     unsigned long addr, void *buf, u64 npages,
		     struct ndemo_cmd *out)
{
	struct ndemo_cmd cmd = {
		.addr = addr,
		.ptr = (u64)(uintptr_t)buf,
		.npages = npages,
	};
	long ret;

	ret = ndemo_file_ioctl(nf, op, &cmd);
	if (out)
		*out = cmd;
	return ret;
}

static struct ndemo_stats ndemo_stats_of(struct ndemo_file *nf)
{
	struct ndemo_stats st;

	if (ndemo_file_ioctl(nf, NDEMO_GET_STATS, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* A process with one read-write mapping of LEN bytes. */
static struct mm_struct *process(unsigned long *addr)
{
	struct mm_struct *mm = model_mm_create();

	if (!mm)
		return NULL;
	*addr = model_mmap(mm, 0, LEN, VM_READ | VM_WRITE);
	if (IS_ERR_VALUE(*addr)) {
		mmput(mm);
		return NULL;
	}
	return mm;
}

/* READ faults the whole range in one batch, then hits without faulting. */
static bool test_read_faults_once_then_hits(void)
{
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct ndemo_cmd cmd;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	fill(want, LEN, 1);
	KTAP_CHECK(model_cpu_access(mm, addr, want, LEN, true) == 0);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));

	memset(got, 0, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, &cmd) == 0);
	KTAP_CHECK(cmd.faults == 1 && cmd.cpages == NPAGES);
	KTAP_CHECK(!memcmp(want, got, LEN));
	memset(got, 0, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, &cmd) == 0);
	KTAP_CHECK(cmd.faults == 0 && cmd.cpages == NPAGES);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.faults == 1 && st.pages_mapped == NPAGES);
	KTAP_CHECK(st.entries == NPAGES && st.flushes == 0);

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* WRITE reaches the CPU, and MADV_DONTNEED marks the pages dirty. */
static bool test_write_propagates_dirty(void)
{
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct ndemo_cmd cmd;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	fill(want, LEN, 2);
	KTAP_CHECK(ndemo_do(nf, NDEMO_WRITE, addr, want, 4, &cmd) == 0);
	KTAP_CHECK(cmd.faults == 1 && cmd.cpages == 4);
	memset(got, 0, LEN);
	KTAP_CHECK(model_cpu_access(mm, addr, got, 4 * PAGE_SIZE, false) == 0);
	KTAP_CHECK(!memcmp(want, got, 4 * PAGE_SIZE));

	KTAP_CHECK(model_madvise_dontneed(mm, addr, LEN) == 0);
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_CLEAR] == 1);
	KTAP_CHECK(st.dirty_propagated == 4 && st.entries == 0);
	KTAP_CHECK(st.flushes == 1 && atomic64_read(&nf->tlb_flushes) == 1);

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* munmap, then mmap at the same address: READ sees new zeroes, not old data. */
static bool test_remap_never_stale(void)
{
	static const unsigned char zero[LEN];
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	fill(want, LEN, 3);
	KTAP_CHECK(ndemo_do(nf, NDEMO_WRITE, addr, want, NPAGES, NULL) == 0);

	KTAP_CHECK(model_munmap(mm, addr, LEN) == 0);
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_UNMAP] == 1);
	KTAP_CHECK(st.entries == 0 && st.flushes == 1);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) ==
		   -EFAULT);

	KTAP_CHECK(model_mmap(mm, addr, LEN, VM_READ | VM_WRITE) == addr);
	memset(got, 0xaa, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	KTAP_CHECK(!memcmp(got, zero, LEN));

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* After an mprotect to read-only, WRITE fails with -EPERM and READ works. */
static bool test_mprotect_write_eperm(void)
{
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	fill(want, LEN, 4);
	KTAP_CHECK(ndemo_do(nf, NDEMO_WRITE, addr, want, NPAGES, NULL) == 0);
	KTAP_CHECK(model_mprotect(mm, addr, LEN, VM_READ) == 0);
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_PROTECTION_VMA] == 1);
	KTAP_CHECK(st.entries == 0 && st.flushes == 1);

	KTAP_CHECK(ndemo_do(nf, NDEMO_WRITE, addr, want, 1, NULL) == -EPERM);
	memset(got, 0, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* The process exits with the mirror live: commands get -ESRCH, close works. */
static bool test_exit_with_live_mirror(void)
{
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	mmput(mm);	/* exit_mmap(); the file still holds mm_count */

	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) ==
		   -ESRCH);
	ndemo_file_destroy(nf);
	return true;
}

/* Two mirrors of one mm see each other's writes; munmap flushes each once. */
static bool test_two_mirrors_one_mm(void)
{
	struct ndemo_file *nf0, *nf1;
	struct ndemo_stats st0, st1;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf0 = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf0));
	nf1 = ndemo_file_create(mm, 1);
	KTAP_CHECK(!IS_ERR(nf1));
	fill(want, LEN, 5);
	KTAP_CHECK(ndemo_do(nf0, NDEMO_WRITE, addr, want, NPAGES, NULL) == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(ndemo_do(nf1, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));

	KTAP_CHECK(model_munmap(mm, addr, LEN) == 0);
	st0 = ndemo_stats_of(nf0);
	st1 = ndemo_stats_of(nf1);
	KTAP_CHECK(st0.entries == 0 && st1.entries == 0);
	KTAP_CHECK(st0.flushes == 1 && st1.flushes == 1);
	KTAP_CHECK(atomic64_read(&nf0->tlb_flushes) == 1 &&
		   atomic64_read(&nf1->tlb_flushes) == 1);
	KTAP_CHECK(st0.dirty_propagated == NPAGES &&
		   st1.dirty_propagated == 0);

	ndemo_file_destroy(nf1);
	ndemo_file_destroy(nf0);
	mmput(mm);
	return true;
}

/* Bad commands are refused before any work, with the documented errors. */
static bool test_command_validation(void)
{
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;
	u32 mode = NDEMO_MODE_PINNED;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr + 1, got, 1, NULL) ==
		   -EINVAL);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, 0, NULL) == -EINVAL);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got,
			    (SZ_1G >> PAGE_SHIFT) + 1, NULL) == -EINVAL);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, -PAGE_SIZE, got, 2, NULL) ==
		   -EINVAL);
	KTAP_CHECK(ndemo_do(nf, NDEMO_MIGRATE_TO_DEV, addr, got, 1, NULL) ==
		   -EOPNOTSUPP);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ + 0x100, addr, got, 1, NULL) ==
		   -ENOTTY);
	KTAP_CHECK(ndemo_file_ioctl(nf, NDEMO_READ, NULL) == -EFAULT);
	/* The destination buffer faults: READ fails with -EFAULT. */
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, NULL, 1, NULL) == -EFAULT);
	/* The mirror exists now, so the mode can no longer change. */
	KTAP_CHECK(ndemo_file_ioctl(nf, NDEMO_SET_MODE, &mode) == -EBUSY);
	/* Copying the result back faults: the command fails with -EFAULT. */
	model_uaccess_fail_nth(3);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, 1, NULL) == -EFAULT);
	model_uaccess_fail_nth(0);

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* Pinned mode: data still flows, and pages stay pinned until close. */
static bool test_pinned_mode(void)
{
	u32 mode = NDEMO_MODE_PINNED;
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	KTAP_CHECK(ndemo_file_ioctl(nf, NDEMO_SET_MODE, &mode) == 0);
	fill(want, LEN, 6);
	KTAP_CHECK(ndemo_do(nf, NDEMO_WRITE, addr, want, NPAGES, NULL) == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(model_cpu_access(mm, addr, got, LEN, false) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.pages_pinned == NPAGES);

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/* Proves: READ hits the device TLB, and a flush empties it for real. */
static bool test_tlb_hits_and_flush(void)
{
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct mm_struct *mm;
	unsigned long addr;

	mm = process(&addr);
	KTAP_CHECK(mm);
	fill(want, LEN, 7);
	KTAP_CHECK(model_cpu_access(mm, addr, want, LEN, true) == 0);
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.tlb_hits == 0 && st.tlb_misses >= NPAGES);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.tlb_hits == NPAGES);

	KTAP_CHECK(model_madvise_dontneed(mm, addr, LEN) == 0);
	st = ndemo_stats_of(nf);
	KTAP_CHECK(st.flushes == 1 && st.tlb_emptied == 1);
	KTAP_CHECK(st.tlb_dropped == NPAGES);
	memset(got, 0xaa, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	KTAP_CHECK(got[0] == 0 && !memcmp(got, got + 1, LEN - 1));

	ndemo_file_destroy(nf);
	mmput(mm);
	return true;
}

/*
 * Proves: with the test-only tlb_skip_flush set, the device reads the
 * stale pages after MADV_DONTNEED (a forked child keeps them alive), and
 * the checker reports every one.
 */
static bool test_tlb_skip_flush_caught(void)
{
	unsigned long addr, before, a0, found_a;
	struct mm_struct *mm, *child;
	struct ndemo_stats st;
	struct ndemo_file *nf;
	bool stale;

	mm = process(&addr);
	KTAP_CHECK(mm);
	fill(want, LEN, 8);
	KTAP_CHECK(model_cpu_access(mm, addr, want, LEN, true) == 0);
	child = model_fork(mm);
	KTAP_CHECK(!IS_ERR_OR_NULL(child));
	nf = ndemo_file_create(mm, 0);
	KTAP_CHECK(!IS_ERR(nf));
	nf->tlb_skip_flush = true;
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);

	before = checker_violations();
	a0 = checker_count('a');
	KTAP_CHECK(model_madvise_dontneed(mm, addr, LEN) == 0);
	found_a = checker_count('a') - a0;
	memset(got, 0, LEN);
	KTAP_CHECK(ndemo_do(nf, NDEMO_READ, addr, got, NPAGES, NULL) == 0);
	stale = !memcmp(got, want, LEN);
	st = ndemo_stats_of(nf);
	printf("# skipped flush: %lu (a), device read %s, %llu flushes, %llu emptied\n",
	       found_a, stale ? "the old data" : "fresh data", st.flushes,
	       st.tlb_emptied);
	/* Gone before the child frees the pages. */
	mmu_mirror_tlb_flush(&nf->tlb);
	ndemo_file_destroy(nf);
	mmput(mm);
	mmput(child);
	checker_expect(checker_violations() - before);
	KTAP_CHECK(found_a == NPAGES && stale);
	KTAP_CHECK(st.flushes == 1 && st.tlb_emptied == 0);
	return true;
}

#define PROGRESS_PAGES	2048UL	/* 8 MiB: eight of the device's bounce chunks */
#define PROGRESS_BUDGET	32

static unsigned char progress_buf[PROGRESS_PAGES * PAGE_SIZE];

/* Proves: a READ under invalidations far faster than its faults progresses with bounded work. */
static bool test_read_progress_under_invalidations(void)
{
	const unsigned long n = PROGRESS_PAGES;
	struct invalidator inv = { .budget = PROGRESS_BUDGET };
	unsigned char *buf = progress_buf;
	struct ndemo_stats st;
	struct ndemo_file *nf;
	struct ndemo_cmd cmd;
	unsigned long i;
	long ret;

	inv.mm = model_mm_create();
	KTAP_CHECK(inv.mm);
	inv.start = model_mmap(inv.mm, 0, n * PAGE_SIZE, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(inv.start));
	inv.end = inv.start + n * PAGE_SIZE;
	/* One written byte per 64 pages; the rest reads as zeros. */
	for (i = 0; i < n; i += 64) {
		unsigned char v = (unsigned char)(i / 64 + 1);

		KTAP_CHECK(model_cpu_access(inv.mm, inv.start + i * PAGE_SIZE,
					    &v, 1, true) == 0);
	}
	nf = ndemo_file_create(inv.mm, 0);
	KTAP_CHECK(!IS_ERR(nf));

	invalidator_arm(&inv);
	ret = ndemo_do(nf, NDEMO_READ, inv.start, buf, n, &cmd);
	invalidator_disarm();
	st = ndemo_stats_of(nf);
	printf("# %lu pages: %llu faults, %llu retries, %lu invalidations, %llu pages installed, %lu walked\n",
	       n, (unsigned long long)cmd.faults,
	       (unsigned long long)st.retries, inv.invalidations,
	       (unsigned long long)st.pages_mapped, inv.walked);
	KTAP_CHECK(ret == 0 && cmd.cpages == n);
	for (i = 0; i < n; i++)
		KTAP_CHECK(buf[i * PAGE_SIZE] ==
			   (i % 64 ? 0 : (unsigned char)(i / 64 + 1)));
	KTAP_CHECK(inv.invalidations > n / PROGRESS_BUDGET);
	/*
	 * Progress that is not weak: the device installs, and the core VM
	 * walks, a small multiple of what the command needs (here about 5
	 * and 14 times).  A device that faults the whole rest of the
	 * command again at each 1 MiB piece installs about 10 times the
	 * command; a fault path that starts every batch at full size again
	 * after a race walks 30 times it, both together over 700 times.
	 */
	KTAP_CHECK(st.pages_mapped <= 6 * n);
	KTAP_CHECK(inv.walked <= 20 * n);

	ndemo_file_destroy(nf);
	mmput(inv.mm);
	return true;
}

static const struct ktap_case cases[] = {
	{ "read_faults_once_then_hits", test_read_faults_once_then_hits },
	{ "write_propagates_dirty", test_write_propagates_dirty },
	{ "remap_never_stale", test_remap_never_stale },
	{ "mprotect_write_eperm", test_mprotect_write_eperm },
	{ "exit_with_live_mirror", test_exit_with_live_mirror },
	{ "two_mirrors_one_mm", test_two_mirrors_one_mm },
	{ "command_validation", test_command_validation },
	{ "pinned_mode", test_pinned_mode },
	{ "tlb_hits_and_flush", test_tlb_hits_and_flush },
	{ "tlb_skip_flush_caught", test_tlb_skip_flush_caught },
	{ "read_progress_under_invalidations",
	  test_read_progress_under_invalidations },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
