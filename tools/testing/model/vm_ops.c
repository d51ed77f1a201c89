// SPDX-License-Identifier: GPL-2.0
/*
 * vm_ops.c - the model core VM's reclaim, swap, fork, mremap, migration
 * and OOM reaping, seen through an mmu_mirror
 *
 * Each case maps anonymous memory, mirrors it with an identity window,
 * runs one core-VM operation and checks what the secondary MMU sees:
 * which invalidations arrived, that entries went away, and that data read
 * through the mirror after the refault equals what the CPU sees.
 */
#include <pthread.h>
#include <unistd.h>
#include <linux/hmm.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include "ktap.h"

#define NPAGES	16
#define LEN	(NPAGES * PAGE_SIZE)

static unsigned char want[LEN], got[LEN];

static void test_flush(struct mmu_mirror *mirror)
{
}

static const struct mmu_mirror_ops test_ops = {
	.flush = test_flush,
};

struct setup {
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	unsigned long addr;
};

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 13 + seed);
}

/* An mm with LEN bytes CPU-written from @seed, mirrored and faulted in. */
static bool setup(struct setup *s, const char *name, unsigned int seed)
{
	s->mm = model_mm_create();
	KTAP_CHECK(s->mm);
	s->addr = model_mmap(s->mm, 0, LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(s->addr));
	fill(want, LEN, seed);
	KTAP_CHECK(!model_cpu_access(s->mm, s->addr, want, LEN, true));
	s->mirror = mmu_mirror_create(s->mm, &test_ops, 0, name, NULL);
	KTAP_CHECK(!IS_ERR(s->mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(s->mirror, s->addr, LEN,
						 s->addr, 0)));
	KTAP_CHECK(!mmu_mirror_fault(s->mirror, s->addr, LEN, 0));
	return true;
}

static void teardown(struct setup *s)
{
	mmu_mirror_destroy(s->mirror);
	mmput(s->mm);
}

/* Fault the mirror in again and compare its view with @exp. */
static bool device_sees(struct setup *s, unsigned long sva,
			const unsigned char *exp, size_t len)
{
	size_t done = 0;

	KTAP_CHECK(!mmu_mirror_fault(s->mirror, sva, len, 0));
	KTAP_CHECK(!mmu_mirror_access(s->mirror, sva, got, len, 0, &done));
	KTAP_CHECK(done == len && !memcmp(got, exp, len));
	return true;
}

/* Proves: swap-out zaps device entries; hmm swap-in restores the data. */
static bool test_pageout_swapin(void)
{
	struct mmu_mirror_stats st;
	struct setup s;

	KTAP_CHECK(setup(&s, "pageout", 1));
	KTAP_CHECK(model_mm_rss(s.mm) == NPAGES);
	/* Mirror entries were faulted but never accessed: not young. */
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, LEN));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.entries == 0 && st.entries_zapped == NPAGES);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_CLEAR] == NPAGES);
	KTAP_CHECK(model_mm_rss(s.mm) == 0 && model_mm_swap(s.mm) == NPAGES);
	KTAP_CHECK(model_swap_used() == NPAGES);
	KTAP_CHECK(model_pte_is_swap(model_pte_read(s.mm, s.addr)));
	KTAP_CHECK(model_frames_used() < NPAGES);

	KTAP_CHECK(device_sees(&s, s.addr, want, LEN));
	KTAP_CHECK(model_mm_rss(s.mm) == NPAGES && model_mm_swap(s.mm) == 0);
	KTAP_CHECK(model_swap_used() == 0);
	/* And the CPU sees the same after a second round through swap. */
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, LEN));
	KTAP_CHECK(!model_cpu_access(s.mm, s.addr, got, LEN, false));
	KTAP_CHECK(!memcmp(got, want, LEN));
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: device-young pages survive one MADV_PAGEOUT, go on the 2nd. */
static bool test_pageout_young_twice(void)
{
	struct mmu_mirror_stats st;
	struct setup s;
	size_t done;

	KTAP_CHECK(setup(&s, "young", 2));
	KTAP_CHECK(!mmu_mirror_access(s.mirror, s.addr, got, LEN, 0, &done));
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, LEN));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.young_cleared == NPAGES && st.entries == NPAGES);
	KTAP_CHECK(model_mm_swap(s.mm) == 0 && model_mm_rss(s.mm) == NPAGES);
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, LEN));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.entries == 0 && model_mm_swap(s.mm) == NPAGES);
	KTAP_CHECK(device_sees(&s, s.addr, want, LEN));
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: aging keeps young frames once, then reclaim swaps them. */
static bool test_lru_reclaim(void)
{
	unsigned long lru;
	struct setup s;
	size_t done;

	KTAP_CHECK(setup(&s, "lru", 3));
	lru = model_lru_size();
	KTAP_CHECK(lru == NPAGES);
	KTAP_CHECK(!mmu_mirror_access(s.mirror, s.addr, got, PAGE_SIZE, 0,
				      &done));
	/* CPU ptes are young from the writes: the first scan only ages. */
	KTAP_CHECK(model_reclaim(lru) == 0);
	/* Page 0 was young only in the mirror; it was cleared too. */
	KTAP_CHECK(model_reclaim(lru) == NPAGES);
	KTAP_CHECK(model_lru_size() == 0 && model_mm_swap(s.mm) == NPAGES);
	KTAP_CHECK(device_sees(&s, s.addr, want, LEN));
	KTAP_CHECK(model_lru_size() == NPAGES);
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: the parent's device view follows the parent's COW breaks. */
static bool test_fork_cow(void)
{
	unsigned char parent_want[LEN], child_got[PAGE_SIZE];
	struct mmu_mirror_stats st;
	struct mm_struct *child;
	struct setup s;
	size_t done;

	KTAP_CHECK(setup(&s, "fork", 4));
	memcpy(parent_want, want, LEN);
	KTAP_CHECK(!mmu_mirror_fault(s.mirror, s.addr, LEN,
				     MMU_MIRROR_WRITE));
	/* One page swapped out before fork: the child shares the slot. */
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr + 3 * PAGE_SIZE,
					  PAGE_SIZE));
	child = model_fork(s.mm);
	KTAP_CHECK(!IS_ERR(child));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_PROTECTION_PAGE] == 1);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(model_mm_rss(child) == NPAGES - 1 &&
		   model_mm_swap(child) == 1);

	/* The child writes page 0: the parent's frame is untouched. */
	memset(child_got, 0xc1, PAGE_SIZE);
	KTAP_CHECK(!model_cpu_access(child, s.addr, child_got, PAGE_SIZE,
				     true));
	/* The parent writes page 1: its COW break reaches the device. */
	KTAP_CHECK(device_sees(&s, s.addr, parent_want, LEN));
	memset(parent_want + PAGE_SIZE, 0xa1, PAGE_SIZE);
	KTAP_CHECK(!model_cpu_access(s.mm, s.addr + PAGE_SIZE,
				     parent_want + PAGE_SIZE, PAGE_SIZE,
				     true));
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_CLEAR] >= 1);
	KTAP_CHECK(device_sees(&s, s.addr, parent_want, LEN));
	/* A device write breaks COW in the parent only. */
	memset(got, 0xd2, 64);
	KTAP_CHECK(!mmu_mirror_fault(s.mirror, s.addr + 2 * PAGE_SIZE,
				     PAGE_SIZE, MMU_MIRROR_WRITE));
	KTAP_CHECK(!mmu_mirror_access(s.mirror, s.addr + 2 * PAGE_SIZE, got,
				      64, MMU_MIRROR_WRITE, &done));
	memset(parent_want + 2 * PAGE_SIZE, 0xd2, 64);
	KTAP_CHECK(!model_cpu_access(s.mm, s.addr, got, LEN, false));
	KTAP_CHECK(!memcmp(got, parent_want, LEN));

	/* The child still sees the data from before fork (and its write). */
	KTAP_CHECK(!model_cpu_access(child, s.addr, got, LEN, false));
	memset(want, 0xc1, PAGE_SIZE);
	KTAP_CHECK(!memcmp(got, want, LEN));
	mmput(child);
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: mremap zaps the old range; the new one faults in same data. */
static bool test_mremap(void)
{
	struct mmu_mirror_stats st;
	unsigned long naddr;
	struct setup s;
	size_t done;

	KTAP_CHECK(setup(&s, "mremap", 5));
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, PAGE_SIZE));
	naddr = model_mremap(s.mm, s.addr, LEN, 0);
	KTAP_CHECK(!IS_ERR_VALUE(naddr) && naddr != s.addr);
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_UNMAP] == 2);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(mmu_mirror_access(s.mirror, s.addr, got, 1, 0, &done) ==
		   -ENOENT);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE, 0) ==
		   -EFAULT);
	KTAP_CHECK(model_mm_rss(s.mm) == NPAGES - 1 &&
		   model_mm_swap(s.mm) == 1);
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(s.mirror, naddr, LEN,
						 1UL << 40, 0)));
	KTAP_CHECK(device_sees(&s, 1UL << 40, want, LEN));
	/* Reclaimable at the new address; the device read them: 2 calls. */
	KTAP_CHECK(!model_madvise_pageout(s.mm, naddr, LEN));
	KTAP_CHECK(!model_madvise_pageout(s.mm, naddr, LEN));
	KTAP_CHECK(model_mm_swap(s.mm) == NPAGES);
	KTAP_CHECK(device_sees(&s, 1UL << 40, want, LEN));
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: after migration the device maps only new frames, data intact. */
static bool test_migrate(void)
{
	unsigned long old_pfn[NPAGES], pfns[NPAGES];
	s64 old_gen[NPAGES];
	struct mmu_mirror_stats st;
	struct setup s;
	unsigned int i;

	KTAP_CHECK(setup(&s, "migrate", 6));
	for (i = 0; i < NPAGES; i++) {
		unsigned long a = s.addr + i * PAGE_SIZE;
		struct page *page;

		old_pfn[i] = model_pte_pfn(model_pte_read(s.mm, a));
		page = pfn_to_page(old_pfn[i]);
		old_gen[i] = atomic64_read(&page->generation);
	}
	KTAP_CHECK(model_migrate_range(s.mm, s.addr, s.addr + LEN) == NPAGES);
	/* One reverse-map walk per frame, as NUMA balancing migrates. */
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_CLEAR] == NPAGES);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(device_sees(&s, s.addr, want, LEN));
	KTAP_CHECK(!mmu_mirror_snapshot(s.mirror, s.addr, NPAGES, pfns));
	for (i = 0; i < NPAGES; i++) {
		unsigned long pfn = pfns[i] & ~HMM_PFN_FLAGS;
		struct page *old = pfn_to_page(old_pfn[i]);
		u64 pte = model_pte_read(s.mm, s.addr + i * PAGE_SIZE);

		KTAP_CHECK(atomic64_read(&old->generation) == old_gen[i] + 1);
		KTAP_CHECK(pfn != old_pfn[i] && pfn == model_pte_pfn(pte));
	}
	KTAP_CHECK(model_mm_rss(s.mm) == NPAGES);
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0);
	return true;
}

/* Proves: the OOM reaper's non-blockable invalidation zaps every entry. */
static bool test_oom_reap(void)
{
	struct mmu_mirror_stats st;
	struct setup s;

	KTAP_CHECK(setup(&s, "oom", 7));
	KTAP_CHECK(!model_madvise_pageout(s.mm, s.addr, PAGE_SIZE));
	KTAP_CHECK(model_oom_reap(s.mm) == 0);
	mmu_mirror_get_stats(s.mirror, &st);
	KTAP_CHECK(st.nonblock_invalidations > 0 && st.nonblock_flushes > 0);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_UNMAP] == 1);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(model_mm_rss(s.mm) == 0 && model_mm_swap(s.mm) == 0);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	teardown(&s);
	return true;
}

struct holder {
	struct mm_struct *mm;
	pthread_t thread;
	int held;
	int go;
};

static void *hold_mmap_lock(void *p)
{
	struct holder *h = p;

	mmap_write_lock(h->mm);
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	mmap_write_unlock(h->mm);
	return NULL;
}

/* Proves: reclaim and migration work while mmap_lock is held for write. */
static bool test_rmap_walks_without_mmap_lock(void)
{
	struct holder h = { };
	struct mmu_mirror_stats st;
	unsigned long reclaimed;
	long migrated;
	struct setup s;

	KTAP_CHECK(setup(&s, "rmap", 8));
	h.mm = s.mm;
	KTAP_CHECK(!pthread_create(&h.thread, NULL, hold_mmap_lock, &h));
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		usleep(1000);
	migrated = model_migrate_range(s.mm, s.addr, s.addr + LEN);
	/* The first scan only ages the CPU-young ptes. */
	reclaimed = model_reclaim(model_lru_size());
	reclaimed += model_reclaim(model_lru_size());
	mmu_mirror_get_stats(s.mirror, &st);
	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	KTAP_CHECK(!pthread_join(h.thread, NULL));
	KTAP_CHECK(migrated == NPAGES && reclaimed == NPAGES);
	KTAP_CHECK(st.entries == 0 && model_mm_swap(s.mm) == NPAGES);
	KTAP_CHECK(device_sees(&s, s.addr, want, LEN));
	teardown(&s);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* A classic subscriber whose first start waits for the test's go. */
static int slow_entered, slow_go;
static unsigned long late_starts, late_ends;

static int slow_start(struct mmu_notifier *mn,
		      const struct mmu_notifier_range *range)
{
	if (!__atomic_exchange_n(&slow_entered, 1, __ATOMIC_ACQ_REL))
		while (!__atomic_load_n(&slow_go, __ATOMIC_ACQUIRE))
			usleep(1000);
	return 0;
}

static int late_start(struct mmu_notifier *mn,
		      const struct mmu_notifier_range *range)
{
	__atomic_add_fetch(&late_starts, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void late_end(struct mmu_notifier *mn,
		     const struct mmu_notifier_range *range)
{
	__atomic_add_fetch(&late_ends, 1, __ATOMIC_SEQ_CST);
}

static const struct mmu_notifier_ops slow_ops = {
	.invalidate_range_start = slow_start,
};

static const struct mmu_notifier_ops late_ops = {
	.invalidate_range_start = late_start,
	.invalidate_range_end = late_end,
};

static void *migrate_thread(void *p)
{
	struct setup *s = p;

	model_migrate_range(s->mm, s->addr, s->addr + LEN);
	return NULL;
}

struct reg_arg {
	struct mmu_notifier *mn;
	struct mm_struct *mm;
	int ret;
	int done;
};

static void *register_thread(void *p)
{
	struct reg_arg *r = p;

	r->ret = mmu_notifier_register(r->mn, r->mm);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Proves: registration waits for an rmap walk inside an invalidation. */
static bool test_register_waits_for_rmap_walk(void)
{
	/* As mm_take_all_locks(): no end without its start for @late. */
	struct mmu_notifier slow = { .ops = &slow_ops };
	struct mmu_notifier late = { .ops = &late_ops };
	struct reg_arg r = { .mn = &late };
	pthread_t walker, reg;
	bool waited;
	struct setup s;

	KTAP_CHECK(setup(&s, "rmap-reg", 9));
	KTAP_CHECK(!mmu_notifier_register(&slow, s.mm));
	slow_entered = slow_go = 0;
	late_starts = late_ends = 0;
	r.mm = s.mm;
	KTAP_CHECK(!pthread_create(&walker, NULL, migrate_thread, &s));
	while (!__atomic_load_n(&slow_entered, __ATOMIC_ACQUIRE))
		usleep(1000);
	KTAP_CHECK(!pthread_create(&reg, NULL, register_thread, &r));
	usleep(100000);
	waited = !__atomic_load_n(&r.done, __ATOMIC_ACQUIRE);
	__atomic_store_n(&slow_go, 1, __ATOMIC_RELEASE);
	KTAP_CHECK(!pthread_join(walker, NULL));
	KTAP_CHECK(!pthread_join(reg, NULL));
	printf("# register %s, late subscriber: %lu starts, %lu ends\n",
	       waited ? "waited" : "did not wait", late_starts, late_ends);
	KTAP_CHECK(waited && r.ret == 0);
	KTAP_CHECK(late_starts == late_ends);
	mmu_notifier_unregister(&late, s.mm);
	mmu_notifier_unregister(&slow, s.mm);
	teardown(&s);
	return true;
}

static const struct ktap_case cases[] = {
	{ "pageout_swapin", test_pageout_swapin },
	{ "pageout_young_twice", test_pageout_young_twice },
	{ "lru_reclaim", test_lru_reclaim },
	{ "fork_cow", test_fork_cow },
	{ "mremap", test_mremap },
	{ "migrate", test_migrate },
	{ "oom_reap", test_oom_reap },
	{ "rmap_walks_without_mmap_lock", test_rmap_walks_without_mmap_lock },
	{ "register_waits_for_rmap_walk", test_register_waits_for_rmap_walk },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
