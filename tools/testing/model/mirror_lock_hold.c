// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_lock_hold.c - mmu_mirror holds its spinlock for bounded times
 *
 * mirror->lock is a spinlock that the invalidation callbacks, the fault
 * path and the device's accesses all take.  Removing a large window's
 * entries in one hold would stall all of them (and, in the kernel, the
 * CPU) for as long as the whole removal takes.  Each case faults a
 * BIG_LEN window in (read faults: every entry maps the zero page, so no
 * frame is needed), removes it one way, and checks that the longest hold
 * of mirror->lock is a small part of the whole operation (a ratio, so a
 * slow machine does not matter; both are CPU times of the one thread that
 * does everything, so a busy one does not either).  A single stall on a
 * loaded machine can still stretch one hold, so a case tries up to
 * ATTEMPTS times and passes if one attempt meets the ratio; a helper that
 * zaps in one hold fails every attempt.
 */
#include <linux/mmu_mirror.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"

#define BIG_LEN		(512UL << 20)
#define BIG_PAGES	(BIG_LEN >> PAGE_SHIFT)
/* The longest hold must be below this fraction of the operation. */
#define HOLD_RATIO	16
#define ATTEMPTS	3

static void hold_flush(struct mmu_mirror *mirror)
{
}

static const struct mmu_mirror_ops hold_ops = {
	.flush = hold_flush,
};

struct big {
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	struct mmu_mirror_window *win;
	unsigned long addr;
	struct model_lock_hold hold;
	u64 t0;
};

/* A BIG_LEN window faulted in; then mirror->lock hold times are kept. */
static bool big_setup(struct big *b, const char *name)
{
	struct mmu_mirror_stats st;

	memset(b, 0, sizeof(*b));
	b->mm = model_mm_create();
	KTAP_CHECK(b->mm);
	b->addr = model_mmap(b->mm, 0, BIG_LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(b->addr));
	b->mirror = mmu_mirror_create(b->mm, &hold_ops, 0, name, NULL);
	KTAP_CHECK(!IS_ERR(b->mirror));
	b->win = mmu_mirror_window_add(b->mirror, b->addr, BIG_LEN, b->addr,
				       0);
	KTAP_CHECK(!IS_ERR(b->win));
	KTAP_CHECK(!mmu_mirror_fault(b->mirror, b->addr, BIG_LEN, 0));
	mmu_mirror_get_stats(b->mirror, &st);
	KTAP_CHECK(st.entries == BIG_PAGES);
	model_spin_hold_track(&b->mirror->lock, &b->hold);
	model_lock_hold_reset(&b->hold);
	b->t0 = model_thread_cpu_ns();
	return true;
}

/* The operation since big_setup() is over: was every hold short? */
static bool big_holds_ok(struct big *b, const char *what)
{
	u64 total = model_thread_cpu_ns() - b->t0;
	u64 max = model_lock_hold_max_ns(&b->hold);

	printf("# %s of %lu entries: %llu us, longest hold of mirror->lock %llu us over %llu holds (1/%llu)\n",
	       what, BIG_PAGES, total / 1000, max / 1000, b->hold.holds,
	       max ? total / max : 0);
	return max * HOLD_RATIO < total;
}

/* Run @once up to ATTEMPTS times; true as soon as one attempt is good. */
static bool attempts(bool (*once)(bool *good))
{
	unsigned int i;

	for (i = 0; i < ATTEMPTS; i++) {
		bool good = false;

		if (!once(&good))
			return false;
		if (good)
			return true;
	}
	printf("# longest hold above 1/%d of the operation in %d tries\n",
	       HOLD_RATIO, ATTEMPTS);
	return false;
}

/* One attempt of test_window_remove(). */
static bool window_remove_once(bool *good)
{
	struct big b;

	KTAP_CHECK(big_setup(&b, "hold-remove"));
	mmu_mirror_window_remove(b.mirror, b.win);
	*good = big_holds_ok(&b, "window_remove");
	model_spin_hold_track(&b.mirror->lock, NULL);
	mmu_mirror_destroy(b.mirror);
	mmput(b.mm);
	return true;
}

/* Proves: mmu_mirror_window_remove() drops the lock while it zaps. */
static bool test_window_remove(void)
{
	return attempts(window_remove_once);
}

/* One attempt of test_munmap(). */
static bool munmap_once(bool *good)
{
	struct big b;

	KTAP_CHECK(big_setup(&b, "hold-munmap"));
	KTAP_CHECK(!model_munmap(b.mm, b.addr, BIG_LEN));
	*good = big_holds_ok(&b, "munmap");
	model_spin_hold_track(&b.mirror->lock, NULL);
	mmu_mirror_destroy(b.mirror);
	mmput(b.mm);
	return true;
}

/* Proves: a blockable invalidation (munmap) zaps in bounded holds. */
static bool test_munmap(void)
{
	return attempts(munmap_once);
}

/* One attempt of test_destroy(). */
static bool destroy_once(bool *good)
{
	struct big b;

	KTAP_CHECK(big_setup(&b, "hold-destroy"));
	/* The figures outlive the lock, which destroy frees. */
	mmu_mirror_destroy(b.mirror);
	*good = big_holds_ok(&b, "destroy");
	mmput(b.mm);
	return true;
}

/* Proves: mmu_mirror_destroy() of a full mirror zaps in bounded holds. */
static bool test_destroy(void)
{
	return attempts(destroy_once);
}

/* One attempt of test_exit(). */
static bool exit_once(bool *good)
{
	struct big b;

	KTAP_CHECK(big_setup(&b, "hold-exit"));
	mmput(b.mm);
	*good = big_holds_ok(&b, "exit");
	model_spin_hold_track(&b.mirror->lock, NULL);
	mmu_mirror_destroy(b.mirror);
	return true;
}

/* Proves: the mm's exit (release) zaps a full mirror in bounded holds. */
static bool test_exit(void)
{
	return attempts(exit_once);
}

static const struct ktap_case cases[] = {
	{ "window_remove", test_window_remove },
	{ "munmap", test_munmap },
	{ "destroy", test_destroy },
	{ "exit", test_exit },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       64, true);
}
