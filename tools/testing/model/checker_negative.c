// SPDX-License-Identifier: GPL-2.0
/*
 * checker_negative.c - the invariant checker catches a broken client
 *
 * A naive client (lib/naive_client.c) installs what hmm_range_fault()
 * returned without the sequence-count retry.  An invalidation placed
 * between its hmm_range_fault() and its install, on another thread,
 * leaves a stale entry that the checker must report.  The real helper
 * under the same race must not be reported.  An entry planted in a
 * mirror's table outside every window must be reported as (e).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <linux/mmu_mirror.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"
#include "lib/naive_client.h"

#define NPAGES	8

struct race {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
	pthread_t thread;
	int zapped;	/* the naive invalidate callback has run */
	int installed;	/* the naive fault has installed */
	int stop;
};

static void *race_dontneed(void *arg)
{
	struct race *r = arg;

	model_madvise_dontneed(r->mm, r->addr, r->len);
	return NULL;
}

static void race_start(struct race *r, void *(*fn)(void *))
{
	if (pthread_create(&r->thread, NULL, fn, r))
		abort();
}

static void race_join(struct race *r)
{
	if (pthread_join(r->thread, NULL))
		abort();
}

static void wait_flag(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Knob: the whole invalidation runs between hmm_range_fault and install. */
static void invalidate_then_install(struct naive_client *nc, void *arg)
{
	struct race *r = arg;

	race_start(r, race_dontneed);
	race_join(r);
}

/* Knob: the install lands while the invalidation is still running. */
static void install_during_invalidation(struct naive_client *nc, void *arg)
{
	struct race *r = arg;

	race_start(r, race_dontneed);
	wait_flag(&r->zapped);
}

/* Invalidate callback knob: let the install happen, then return. */
static void zapped_wait_install(struct naive_client *nc, void *arg)
{
	struct race *r = arg;

	__atomic_store_n(&r->zapped, 1, __ATOMIC_RELEASE);
	wait_flag(&r->installed);
}

static struct mm_struct *setup(unsigned long *addr)
{
	static unsigned char buf[NPAGES * 4096];
	struct mm_struct *mm = model_mm_create();

	if (!mm)
		return NULL;
	*addr = model_mmap(mm, 0, NPAGES * PAGE_SIZE, VM_READ | VM_WRITE);
	if (IS_ERR_VALUE(*addr)) {
		mmput(mm);
		return NULL;
	}
	memset(buf, 0x5a, sizeof(buf));
	model_cpu_access(mm, *addr, buf, sizeof(buf), true);
	return mm;
}

/* Invalidation fully between fault and install: a freed frame is mapped. */
static bool test_naive_stale_after_end(void)
{
	struct naive_client *nc;
	unsigned long addr, before, found;
	struct race r = { };
	struct mm_struct *mm;

	mm = setup(&addr);
	KTAP_CHECK(mm);
	nc = naive_create(mm, addr, NPAGES);
	KTAP_CHECK(nc);
	r = (struct race){ .mm = mm, .addr = addr, .len = NPAGES * PAGE_SIZE };
	nc->before_install = invalidate_then_install;
	nc->arg = &r;

	before = checker_violations();
	KTAP_CHECK(naive_fault(nc, addr, NPAGES) == 0);
	KTAP_CHECK(naive_entries(nc) == NPAGES);
	checker_checkpoint(mm);
	found = checker_violations() - before;
	printf("# naive, install after the invalidation: %lu violations\n",
	       found);
	checker_expect(found);
	naive_destroy(nc);
	mmput(mm);
	KTAP_CHECK(found >= NPAGES);
	return true;
}

/* Install during the invalidation: (a) fires when start returns. */
static bool test_naive_install_during_invalidation(void)
{
	unsigned long addr, before, before_a, found;
	struct naive_client *nc;
	struct race r = { };
	struct mm_struct *mm;

	mm = setup(&addr);
	KTAP_CHECK(mm);
	nc = naive_create(mm, addr, NPAGES);
	KTAP_CHECK(nc);
	r = (struct race){ .mm = mm, .addr = addr, .len = NPAGES * PAGE_SIZE };
	nc->before_install = install_during_invalidation;
	nc->in_invalidate = zapped_wait_install;
	nc->arg = &r;

	before = checker_violations();
	before_a = checker_count('a');
	KTAP_CHECK(naive_fault(nc, addr, NPAGES) == 0);
	__atomic_store_n(&r.installed, 1, __ATOMIC_RELEASE);
	race_join(&r);
	nc->in_invalidate = NULL;
	found = checker_violations() - before;
	printf("# naive, install during the invalidation: %lu violations\n",
	       found);
	printf("# of which (a): %lu\n", checker_count('a') - before_a);
	checker_expect(found);
	KTAP_CHECK(checker_count('a') - before_a >= NPAGES);
	naive_destroy(nc);
	mmput(mm);
	return true;
}

static void test_flush(struct mmu_mirror *mirror)
{
}

static const struct mmu_mirror_ops test_ops = {
	.flush = test_flush,
};

static void *race_dontneed_loop(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		model_madvise_dontneed(r->mm, r->addr, r->len);
	return NULL;
}

/* The helper under the same race: retries, and nothing is reported. */
static bool test_helper_same_race(void)
{
	unsigned char buf[NPAGES * 64];
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	unsigned long addr, before, rounds;
	struct race r = { };
	struct mm_struct *mm;
	time_t t0 = time(NULL);

	mm = setup(&addr);
	KTAP_CHECK(mm);
	mirror = mmu_mirror_create(mm, &test_ops, 0, "race", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, addr,
						 NPAGES * PAGE_SIZE, addr,
						 0)));
	r = (struct race){ .mm = mm, .addr = addr, .len = NPAGES * PAGE_SIZE };
	before = checker_violations();
	race_start(&r, race_dontneed_loop);
	for (rounds = 0; rounds < 200000; rounds++) {
		size_t done;

		KTAP_CHECK(mmu_mirror_fault(mirror, addr, NPAGES * PAGE_SIZE,
					    0) == 0);
		mmu_mirror_access(mirror, addr, buf, sizeof(buf), 0, &done);
		mmu_mirror_get_stats(mirror, &st);
		if ((st.retries && rounds >= 200) || time(NULL) - t0 > 5)
			break;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	race_join(&r);
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, NPAGES * PAGE_SIZE, 0) == 0);
	checker_checkpoint(mm);
	checker_compare(mm, "mmu_mirror");
	printf("# helper: %lu rounds, %llu retries, %lu violations\n",
	       rounds, st.retries, checker_violations() - before);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	KTAP_CHECK(checker_violations() == before);
	return true;
}

/* Secondary address of the planted entry: no window is there. */
#define ORPHAN_SVA	(1ULL << 44)

/* Proves: an entry outside every window is reported as (e). */
static bool test_orphan_entry(void)
{
	struct mmu_mirror_node_cache cache = { };
	struct mmu_mirror_zap zap = { };
	unsigned long addr, before, before_e, at_checkpoint, found, found_e;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long pfn;
	int ret;

	mm = setup(&addr);
	KTAP_CHECK(mm);
	mirror = mmu_mirror_create(mm, &test_ops, 0, "orphan", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, addr,
						 NPAGES * PAGE_SIZE, addr,
						 0)));
	/* Entries inside the window are fine and not reported. */
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, NPAGES * PAGE_SIZE, 0) == 0);
	KTAP_CHECK(checker_checkpoint(mm) == 0);

	pfn = model_pte_pfn(model_pte_read(mm, addr));
	KTAP_CHECK(mmu_mirror_cache_topup(mirror, &cache,
					  MMU_MIRROR_CACHE_MIN) == 0);
	before = checker_violations();
	before_e = checker_count('e');
	spin_lock(&mirror->lock);
	ret = mmu_mirror_pt_install(mirror, ORPHAN_SVA, pfn, 0, false, &cache,
				    &zap);
	spin_unlock(&mirror->lock);
	checker_checkpoint(mm);
	at_checkpoint = checker_count('e') - before_e;
	/* Any invalidation's end walks the whole table too. */
	model_madvise_dontneed(mm, addr + PAGE_SIZE, PAGE_SIZE);
	found = checker_violations() - before;
	found_e = checker_count('e') - before_e;
	printf("# orphan: %lu (e) at the checkpoint, %lu in all\n",
	       at_checkpoint, found_e);
	checker_expect(found);

	/* No invalidation can take it out: do it by hand. */
	spin_lock(&mirror->lock);
	mmu_mirror_pt_zap(mirror, ORPHAN_SVA, ORPHAN_SVA + PAGE_SIZE, ULONG_MAX,
			  &zap);
	spin_unlock(&mirror->lock);
	mmu_mirror_cache_drain(mirror, &cache);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	KTAP_CHECK(ret == 0);
	KTAP_CHECK(at_checkpoint >= 1 && found_e > at_checkpoint);
	KTAP_CHECK(found == found_e);
	return true;
}

static const struct ktap_case cases[] = {
	{ "naive_stale_after_end", test_naive_stale_after_end },
	{ "naive_install_during_invalidation",
	  test_naive_install_during_invalidation },
	{ "helper_same_race", test_helper_same_race },
	{ "orphan_entry", test_orphan_entry },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       256, true);
}
