// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_tlb.c - the device TLB (struct mmu_mirror_tlb) on the model
 *
 * First what the TLB does: hits without the helper's table, a read fill
 * that never serves a write, fills that a flush races give up, aging
 * that the TLB does not hide.  Then what the invariant checker sees: a
 * test device reads a range through its TLB, and the core VM takes the
 * range away (MADV_DONTNEED, munmap, mprotect).  A device whose flush
 * empties its TLB passes; one whose flush skips the TLB, and one that
 * empties it only at invalidate_range_end (after the core VM freed the
 * pages), must be reported.
 */
#include <pthread.h>
#include <sched.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"

/* Pages of the test range: more than one gather of the model's zap. */
#define NPAGES		128
#define LEN		(NPAGES * PAGE_SIZE)
/* Pages the device reads last, so that its TLB holds exactly them. */
#define NCACHED		MMU_MIRROR_TLB_ENTRIES

enum tdev_flush {
	TDEV_FLUSH_OK,		/* the flush empties the TLB */
	TDEV_FLUSH_SKIP,	/* the flush forgets the TLB */
	TDEV_FLUSH_LATE,	/* emptied only at invalidate_range_end */
};

static const char *const tdev_flush_name[] = { "correct", "skipped", "late" };

/**
 * struct tdev - a software device with a TLB
 * @mirror: its mirror, one identity window over the test range
 * @tlb: its TLB
 * @late: classic notifier of a TDEV_FLUSH_LATE device
 * @mm: the mirrored mm
 * @flush: how its flush treats the TLB
 * @flushes: calls of its flush operation
 */
struct tdev {
	struct mmu_mirror *mirror;
	struct mmu_mirror_tlb tlb;
	struct mmu_notifier late;
	struct mm_struct *mm;
	enum tdev_flush flush;
	unsigned long flushes;
};

static void tdev_flush(struct mmu_mirror *mirror)
{
	struct tdev *d = mmu_mirror_priv(mirror);

	d->flushes++;
	if (d->flush == TDEV_FLUSH_OK)
		mmu_mirror_tlb_flush(&d->tlb);
}

static const struct mmu_mirror_ops tdev_ops = {
	.flush = tdev_flush,
};

/* The late device's flush: after the core VM freed the pages. */
static void tdev_late_end(struct mmu_notifier *mn,
			  const struct mmu_notifier_range *range)
{
	struct tdev *d = container_of(mn, struct tdev, late);

	mmu_mirror_tlb_flush(&d->tlb);
}

static const struct mmu_notifier_ops tdev_late_ops = {
	.invalidate_range_end = tdev_late_end,
};

static unsigned char want[LEN], got[LEN];

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 11 + seed);
}

static bool all_zero(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* A process with LEN bytes of CPU-written memory and a device on it. */
static bool tdev_setup(struct tdev *d, enum tdev_flush flush,
		       unsigned int wflags, unsigned long *addr)
{
	memset(d, 0, sizeof(*d));
	d->flush = flush;
	d->mm = model_mm_create();
	KTAP_CHECK(d->mm);
	*addr = model_mmap(d->mm, 0, LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(*addr));
	fill(want, LEN, 5);
	KTAP_CHECK(model_cpu_access(d->mm, *addr, want, LEN, true) == 0);
	d->mirror = mmu_mirror_create(d->mm, &tdev_ops, 0, "tlbdev", d);
	KTAP_CHECK(!IS_ERR(d->mirror));
	mmu_mirror_tlb_init(&d->tlb, d->mirror);
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(d->mirror, *addr, LEN, *addr,
						 wflags)));
	if (flush == TDEV_FLUSH_LATE) {
		d->late.ops = &tdev_late_ops;
		KTAP_CHECK(mmu_notifier_register(&d->late, d->mm) == 0);
	}
	return true;
}

static void tdev_teardown(struct tdev *d)
{
	/* Nothing stale may outlive the test, whatever its flush did. */
	mmu_mirror_tlb_flush(&d->tlb);
	if (d->flush == TDEV_FLUSH_LATE)
		mmu_notifier_unregister(&d->late, d->mm);
	mmu_mirror_destroy(d->mirror);
	mmput(d->mm);
}

/* The device copies @len bytes at @addr, faulting what its table lacks. */
static int tdev_access(struct tdev *d, unsigned long addr, void *buf,
		       size_t len, unsigned int access)
{
	size_t done;
	int ret;

	for (;;) {
		ret = mmu_mirror_tlb_access(&d->tlb, addr, buf, len, access,
					    &done);
		if (ret != -ENOENT)
			return ret;
		addr += done;
		buf += done;
		len -= done;
		ret = mmu_mirror_fault(d->mirror, addr, len, access);
		if (ret)
			return ret;
	}
}

static struct mmu_mirror_tlb_stats tdev_tlb_stats(struct tdev *d)
{
	struct mmu_mirror_tlb_stats st;

	mmu_mirror_tlb_get_stats(&d->tlb, &st);
	return st;
}

/* Proves: a second read hits the TLB for every page and faults nothing. */
static bool test_hits_after_fill(void)
{
	struct mmu_mirror_tlb_stats t0, t1;
	struct mmu_mirror_stats s0, s1;
	unsigned long addr;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, 0, &addr));
	KTAP_CHECK(tdev_access(&d, addr, got, NCACHED * PAGE_SIZE, 0) == 0);
	KTAP_CHECK(!memcmp(got, want, NCACHED * PAGE_SIZE));
	t0 = tdev_tlb_stats(&d);
	mmu_mirror_get_stats(d.mirror, &s0);
	memset(got, 0, LEN);
	KTAP_CHECK(tdev_access(&d, addr, got, NCACHED * PAGE_SIZE, 0) == 0);
	KTAP_CHECK(!memcmp(got, want, NCACHED * PAGE_SIZE));
	t1 = tdev_tlb_stats(&d);
	mmu_mirror_get_stats(d.mirror, &s1);
	printf("# first read: %llu misses, second: %llu hits, %llu misses\n",
	       t0.misses, t1.hits - t0.hits, t1.misses - t0.misses);
	KTAP_CHECK(t0.misses >= NCACHED && t0.hits == 0);
	KTAP_CHECK(t1.hits - t0.hits == NCACHED && t1.misses == t0.misses);
	KTAP_CHECK(s1.faults == s0.faults);
	tdev_teardown(&d);
	return true;
}

/*
 * Proves: a write after a read fill looks the table up again, so the
 * page the device writes is marked dirty for the core VM.
 */
static bool test_read_fill_write_marks_dirty(void)
{
	struct mmu_mirror_tlb_stats t0, t1;
	struct mmu_mirror_stats st;
	unsigned long addr;
	unsigned char b = 0xa5;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, 0, &addr));
	/* A writable table entry, filled into the TLB by a read. */
	KTAP_CHECK(mmu_mirror_fault(d.mirror, addr, PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(tdev_access(&d, addr, got, 1, 0) == 0);
	t0 = tdev_tlb_stats(&d);
	KTAP_CHECK(tdev_access(&d, addr + 7, &b, 1, MMU_MIRROR_WRITE) == 0);
	t1 = tdev_tlb_stats(&d);
	KTAP_CHECK(t1.misses == t0.misses + 1 && t1.hits == t0.hits);
	/* The entry now serves writes. */
	KTAP_CHECK(tdev_access(&d, addr + 8, &b, 1, MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(tdev_tlb_stats(&d).hits == t1.hits + 1);

	KTAP_CHECK(model_madvise_dontneed(d.mm, addr, PAGE_SIZE) == 0);
	mmu_mirror_get_stats(d.mirror, &st);
	printf("# dirty pages propagated: %llu\n", st.dirty_propagated);
	KTAP_CHECK(st.dirty_propagated == 1);
	tdev_teardown(&d);
	return true;
}

/* Proves: a read fill of a read-only window never serves a write. */
static bool test_read_fill_readonly_window(void)
{
	unsigned char b = 0x3c;
	unsigned long addr;
	struct tdev d;
	size_t done;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, MMU_MIRROR_WINDOW_READONLY,
			      &addr));
	KTAP_CHECK(tdev_access(&d, addr, got, PAGE_SIZE, 0) == 0);
	KTAP_CHECK(mmu_mirror_tlb_access(&d.tlb, addr, &b, 1,
					 MMU_MIRROR_WRITE, &done) == -ENOENT);
	KTAP_CHECK(done == 0);
	KTAP_CHECK(tdev_access(&d, addr, &b, 1, MMU_MIRROR_WRITE) == -EPERM);
	KTAP_CHECK(model_cpu_access(d.mm, addr, got, 1, false) == 0);
	KTAP_CHECK(got[0] == want[0]);
	tdev_teardown(&d);
	return true;
}

/*
 * Proves: after an aging pass cleared the accessed bits, the device's
 * next access through its TLB sets the bit again (reclaim would
 * otherwise take a page the device keeps using through TLB hits).
 */
static bool test_aging_not_hidden(void)
{
	struct mmu_mirror_tlb_stats t0, t1;
	unsigned long addr;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, 0, &addr));
	KTAP_CHECK(tdev_access(&d, addr, got, PAGE_SIZE, 0) == 0);
	KTAP_CHECK(mmu_notifier_test_young(d.mm, addr) == 1);
	KTAP_CHECK(mmu_notifier_clear_young(d.mm, addr, addr + PAGE_SIZE) ==
		   1);
	KTAP_CHECK(mmu_notifier_test_young(d.mm, addr) == 0);
	t0 = tdev_tlb_stats(&d);
	KTAP_CHECK(tdev_access(&d, addr, got, PAGE_SIZE, 0) == 0);
	t1 = tdev_tlb_stats(&d);
	printf("# after aging: %llu reset, %llu miss\n",
	       t1.age_resets - t0.age_resets, t1.misses - t0.misses);
	KTAP_CHECK(mmu_notifier_test_young(d.mm, addr) == 1);
	KTAP_CHECK(t1.age_resets == t0.age_resets + 1);
	/* No pass cleared anything since: hits again, no reset. */
	KTAP_CHECK(tdev_access(&d, addr, got, PAGE_SIZE, 0) == 0);
	KTAP_CHECK(tdev_tlb_stats(&d).hits == t1.hits + 1);
	tdev_teardown(&d);
	return true;
}

/* Proves: after mmu_mirror_tlb_revoke_writes() reads hit, writes refill. */
static bool test_revoke_writes(void)
{
	struct mmu_mirror_tlb_stats t0, t1;
	unsigned char b = 0x11;
	unsigned long addr;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, 0, &addr));
	KTAP_CHECK(tdev_access(&d, addr, &b, 1, MMU_MIRROR_WRITE) == 0);
	mmu_mirror_tlb_revoke_writes(&d.tlb);
	t0 = tdev_tlb_stats(&d);
	KTAP_CHECK(tdev_access(&d, addr, got, 1, 0) == 0 && got[0] == b);
	KTAP_CHECK(tdev_access(&d, addr, &b, 1, MMU_MIRROR_WRITE) == 0);
	t1 = tdev_tlb_stats(&d);
	KTAP_CHECK(t1.hits == t0.hits + 1 && t1.misses == t0.misses + 1);
	tdev_teardown(&d);
	return true;
}

struct fill_race {
	struct tdev *d;
	unsigned long addr;
	int ret;
};

static void *fill_race_reader(void *arg)
{
	struct fill_race *r = arg;

	r->ret = tdev_access(r->d, r->addr, got, PAGE_SIZE, 0);
	return NULL;
}

/*
 * Proves: a flush that runs between the device's table lookup and its
 * fill makes the fill give up (the access still completes, correctly).
 */
static bool test_fill_race_gives_up(void)
{
	struct mmu_mirror_tlb_stats t0, t1;
	struct fill_race r = { };
	unsigned long addr;
	pthread_t thread;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_OK, 0, &addr));
	KTAP_CHECK(mmu_mirror_fault(d.mirror, addr, PAGE_SIZE, 0) == 0);
	r = (struct fill_race){ .d = &d, .addr = addr };
	t0 = tdev_tlb_stats(&d);
	/* The reader misses, then waits for the table in the lookup. */
	spin_lock(&d.mirror->lock);
	KTAP_CHECK(!pthread_create(&thread, NULL, fill_race_reader, &r));
	while (tdev_tlb_stats(&d).misses == t0.misses)
		sched_yield();
	mmu_mirror_tlb_flush(&d.tlb);
	spin_unlock(&d.mirror->lock);
	KTAP_CHECK(!pthread_join(thread, NULL));
	t1 = tdev_tlb_stats(&d);
	printf("# fill races: %llu\n", t1.fill_races - t0.fill_races);
	KTAP_CHECK(r.ret == 0 && !memcmp(got, want, PAGE_SIZE));
	KTAP_CHECK(t1.fill_races == t0.fill_races + 1);
	/* Nothing was cached: the next read misses again. */
	KTAP_CHECK(tdev_access(&d, addr, got, PAGE_SIZE, 0) == 0);
	KTAP_CHECK(tdev_tlb_stats(&d).misses == t1.misses + 1);
	tdev_teardown(&d);
	return true;
}

enum tdev_op { OP_DONTNEED, OP_MUNMAP, OP_MPROTECT };

static const char *const tdev_op_name[] = { "MADV_DONTNEED", "munmap",
					    "mprotect" };

/*
 * The device reads the whole range, then its first NCACHED pages again
 * (which pages the model's zap frees before invalidate_range_end), and
 * the core VM takes the range away with @op.  Returns the violations of
 * (a) and (b) that @op caused and whether the device then read stale
 * data.
 */
static bool tlb_scenario(enum tdev_flush flush, enum tdev_op op,
			 unsigned long *a, unsigned long *b, bool *stale)
{
	unsigned long addr, a0, b0, before;
	struct tdev d;
	int ret;

	KTAP_CHECK(tdev_setup(&d, flush, 0, &addr));
	KTAP_CHECK(tdev_access(&d, addr, got, LEN, 0) == 0);
	KTAP_CHECK(!memcmp(got, want, LEN));
	KTAP_CHECK(tdev_access(&d, addr, got, NCACHED * PAGE_SIZE, 0) == 0);

	before = checker_violations();
	a0 = checker_count('a');
	b0 = checker_count('b');
	switch (op) {
	case OP_DONTNEED:
		KTAP_CHECK(model_madvise_dontneed(d.mm, addr, LEN) == 0);
		break;
	case OP_MUNMAP:
		KTAP_CHECK(model_munmap(d.mm, addr, LEN) == 0);
		KTAP_CHECK(model_mmap(d.mm, addr, LEN, VM_READ | VM_WRITE) ==
			   addr);
		break;
	case OP_MPROTECT:
		KTAP_CHECK(model_mprotect(d.mm, addr, LEN, VM_NONE) == 0);
		break;
	}
	*a = checker_count('a') - a0;
	*b = checker_count('b') - b0;

	/* What the device reads now: zeroes, or nothing after mprotect. */
	memset(got, 0x5a, LEN);
	ret = tdev_access(&d, addr, got, NCACHED * PAGE_SIZE, 0);
	if (op == OP_MPROTECT)
		*stale = ret != -EFAULT;
	else
		*stale = ret || !all_zero(got, NCACHED * PAGE_SIZE);
	tdev_teardown(&d);
	checker_expect(checker_violations() - before);
	return true;
}

/* Run every scenario against a device with the given flush. */
static bool tlb_scenarios(enum tdev_flush flush)
{
	bool broken = flush != TDEV_FLUSH_OK;
	enum tdev_op op;

	for (op = OP_DONTNEED; op <= OP_MPROTECT; op++) {
		bool frees = op != OP_MPROTECT, stale;
		unsigned long a, b;

		KTAP_CHECK(tlb_scenario(flush, op, &a, &b, &stale));
		printf("# %s flush, %s: %lu (a), %lu (b), device read %s\n",
		       tdev_flush_name[flush], tdev_op_name[op], a, b,
		       stale ? "stale data" : "the right data");
		if (!broken) {
			KTAP_CHECK(!a && !b && !stale);
			continue;
		}
		/* Every cached page is reported when start returns... */
		KTAP_CHECK(a >= NCACHED);
		/* ...and again when the core VM frees it. */
		KTAP_CHECK(!frees || b >= NCACHED);
		/* A late flush does come before the device reads again. */
		KTAP_CHECK(stale == (flush == TDEV_FLUSH_SKIP));
	}
	return true;
}

/* Proves: a device whose flush empties its TLB breaks no invariant. */
static bool test_correct_flush_passes(void)
{
	return tlb_scenarios(TDEV_FLUSH_OK);
}

/* Proves: the checker reports a device whose flush leaves its TLB full. */
static bool test_skipped_flush_caught(void)
{
	return tlb_scenarios(TDEV_FLUSH_SKIP);
}

/* Proves: the checker reports a TLB emptied only at invalidate_range_end. */
static bool test_late_flush_caught(void)
{
	return tlb_scenarios(TDEV_FLUSH_LATE);
}

/*
 * Proves: TLB entries left behind by a window's removal are reported as
 * lying in no window (e): no invalidation would ever reach them.
 */
static bool test_skipped_flush_window_remove(void)
{
	struct mmu_mirror_window *win;
	unsigned long addr, before, e0, found_e;
	struct tdev d;

	KTAP_CHECK(tdev_setup(&d, TDEV_FLUSH_SKIP, 0, &addr));
	win = mmu_mirror_window_add(d.mirror, addr + LEN, LEN, 1ULL << 40, 0);
	KTAP_CHECK(!IS_ERR(win));
	KTAP_CHECK(model_mmap(d.mm, addr + LEN, LEN, VM_READ | VM_WRITE) ==
		   addr + LEN);
	KTAP_CHECK(tdev_access(&d, 1ULL << 40, got, 4 * PAGE_SIZE, 0) == 0);
	before = checker_violations();
	e0 = checker_count('e');
	mmu_mirror_window_remove(d.mirror, win);
	checker_checkpoint(d.mm);
	found_e = checker_count('e') - e0;
	printf("# entries of a removed window: %lu (e)\n", found_e);
	tdev_teardown(&d);
	checker_expect(checker_violations() - before);
	KTAP_CHECK(found_e >= 4);
	return true;
}

static const struct ktap_case cases[] = {
	{ "hits_after_fill", test_hits_after_fill },
	{ "read_fill_write_marks_dirty", test_read_fill_write_marks_dirty },
	{ "read_fill_readonly_window", test_read_fill_readonly_window },
	{ "aging_not_hidden", test_aging_not_hidden },
	{ "revoke_writes", test_revoke_writes },
	{ "fill_race_gives_up", test_fill_race_gives_up },
	{ "correct_flush_passes", test_correct_flush_passes },
	{ "skipped_flush_caught", test_skipped_flush_caught },
	{ "late_flush_caught", test_late_flush_caught },
	{ "skipped_flush_window_remove", test_skipped_flush_window_remove },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       512, true);
}
